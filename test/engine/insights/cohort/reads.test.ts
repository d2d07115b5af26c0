import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { CohortMode, TimeGroup } from '../../../../src/index.js';
import { MarkModel, prng, type Unit } from '../../../support/model.js';
import { testBitmapist } from '../../../support/redis.js';
import { cohortPaths } from './paths.js';

/** Every command Redis runs (scripts' commands included) while `fn` runs, seen through MONITOR. */
async function monitored(client: Redis, fn: () => Promise<unknown>): Promise<string[][]> {
  const seen: string[][] = [];
  const monitor = await client.monitor();
  monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
  try {
    await fn();
    // MONITOR lines arrive after the replies: wait for a marker sent after the work.
    const marker = `cohort-reads-done-${Math.random()}`;
    await client.echo(marker);
    for (let i = 0; i < 200 && !seen.some((args) => args[1] === marker); i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    monitor.disconnect();
  }
  return seen;
}

/**
 * A period without bitmaps costs Redis's byte-by-byte BITOP path when passed to BITOP; a month after now
 * holds nothing the cohort may count. So a cohort reads missing bitmaps only to learn they are missing
 * (GETRANGE, STRLEN, BITPOS), never hands them to BITOP, and never names a key of a period after now.
 */
describe('what getCohort reads', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-03-20T10:00:00Z');
  const DAY = 86_400_000;

  it('skips missing bitmaps without BITOP and never sends a key of a month after now', async () => {
    const random = prng(8);
    const model = new MarkModel();
    const marks: { event: string; uid: number; now: Date }[] = [];
    const mark = (event: string, uid: number, at: Date) => {
      if (at.getTime() <= now.getTime()) model.add(event, uid, at);
      marks.push({ event, uid, now: at });
    };
    for (let n = 0; n < 400; n++) {
      // Sequential ids, and every tenth user far away: both narrow (copied) and wide (in place) rows.
      const uid = n % 10 === 0 ? 50_000 + n * 97 : 100 + n;
      const signup = new Date(now.getTime() - Math.floor(random() * 500) * DAY);
      mark('signup', uid, signup);
      // Activity only up to three weeks before now: the last three weeks have no bitmap.
      for (let at = signup.getTime(); at < now.getTime() - 21 * DAY; at += (1 + Math.floor(random() * 30)) * DAY) {
        mark('active', uid, new Date(at));
      }
    }
    // Marks after now (later this year): they must neither be read nor counted.
    for (let uid = 0; uid < 50; uid++) {
      mark('signup', uid, new Date('2025-07-04T00:00:00Z'));
      mark('active', uid, new Date('2025-09-01T00:00:00Z'));
    }
    await t.bm.markEvents(marks);
    const existing = new Set(await t.keys());

    const cases: [Unit, TimeGroup, number][] = [['week', 'weeks', 12], ['year', 'years', 3], ['month', 'months', 14]];
    for (const [unit, timeGroup, size] of cases) {
      for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
        const options = { timeGroup, numRows: size, numCols: size, mode, now };
        for (const [path, getCohort] of cohortPaths(t.bm)) {
          const what = `${path}: ${timeGroup} ${mode}`;
          let got: Awaited<ReturnType<typeof t.bm.getCohort>> | undefined;
          const commands = await monitored(t.raw, async () => (got = await getCohort('signup', 'active', options)));
          const want = model.cohort('signup', 'active', { unit, rows: size, cols: size, mode, now });
          expect(got!.cohort, what).to.deep.equal(want.cohort);
          expect(got!.totals, what).to.deep.equal(want.totals);

          const ours = commands.filter((args) => args.some((arg) => arg.startsWith(t.prefix)));
          expect(ours.length, what).to.be.above(10);
          for (const args of ours) {
            for (const arg of args) expect(arg, args.join(' ')).not.to.match(/_2025-(?:[4-9]|1[0-2])(?:-\d+)?$|_W2025-(?:1[3-9]|[2-5]\d)$/);
            if (args[0]!.toLowerCase() !== 'bitop') continue;
            for (const key of args.slice(2)) {
              expect(t.bm.keys.isScratchKey(key) || existing.has(key), `${args.join(' ')}: ${key} is missing`).to.equal(true);
            }
          }
        }
      }
    }
  });
});
