import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { bitmapIds } from '../../../src/engine/query/bitmap.js';
import { testBitmapist, testClient } from '../../support/redis.js';

/** Every BITOP Redis runs (scripts included) while `fn` runs, as seen by MONITOR. */
async function bitops(fn: () => Promise<unknown>): Promise<string[][]> {
  const seen: string[][] = [];
  const client = testClient();
  const monitor = await client.monitor();
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toUpperCase() === 'BITOP') seen.push(args);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  try {
    await fn();
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return seen;
}

/** The durations (microseconds) of the commands named like `name` that SLOWLOG saw while `fn` ran. */
async function slowCalls(raw: Redis, fn: () => Promise<unknown>, name = /^eval(sha)?$/i): Promise<number[]> {
  const previous = (await raw.config('GET', 'slowlog-log-slower-than')) as string[];
  await raw.config('SET', 'slowlog-log-slower-than', 0);
  await raw.slowlog('RESET');
  try {
    await fn();
    const log = (await raw.slowlog('GET', 10_000)) as [number, number, number, string[]][];
    return log.filter(([, , , args]) => name.test(args[0]!)).map(([, , micros]) => micros);
  } finally {
    await raw.config('SET', 'slowlog-log-slower-than', previous[1]!);
  }
}

describe('evaluate: cost of one call', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist({ maxUserId: 2 ** 32 - 1 });
  });
  afterEach(() => t.cleanup());

  const monthKey = (event: string, month: number) => `${t.prefix}${event}_2024-${month}`;
  const year = new Date('2024-06-01T00:00:00Z');

  it('never gives BITOP a missing key: a year with 9 missing months ORs the 3 others once', async () => {
    const present = [2, 7, 12];
    const expected = new Set<number>();
    for (const month of present) {
      const bytes = randomBytes(4000 + month * 100);
      await t.raw.set(monthKey('y', month), bytes);
      for (const id of bitmapIds(bytes)) expected.add(id);
    }
    let count = 0;
    const seen = await bitops(async () => {
      count = await t.bm.year('y', year).count();
    });
    expect(count).to.equal(expected.size);
    expect(seen.length).to.equal(1);
    const read = seen[0]!.slice(3).filter((key) => !key.includes('~tmp~'));
    expect(read.every((key) => present.some((month) => key === monthKey('y', month)))).to.equal(true);
  });

  it('costs a year with 9 missing 1.25 MB months about what one BITOP of its 3 months costs (SLOWLOG)', async () => {
    const present = [2, 7, 12];
    for (const month of present) await t.raw.set(monthKey('m', month), randomBytes(1_250_000 - (12 - month) * 1000));
    const keys = present.map((month) => monthKey('m', month));
    // Minimum of a few runs: a loaded machine only ever adds time.
    const year = await slowCalls(t.raw, async () => {
      for (let i = 0; i < 3; i++) await t.bm.year('m', new Date('2024-06-01T00:00:00Z')).count();
    });
    const direct = await slowCalls(t.raw, async () => {
      for (let i = 0; i < 3; i++) await t.raw.bitop('OR', `${t.prefix}direct`, ...keys);
    }, /^bitop$/i);
    await t.raw.del(`${t.prefix}direct`);
    expect(year).to.have.length(3);
    // Redis's byte-by-byte path for the 9 missing keys made this about 45 times the direct BITOP.
    expect(Math.min(...year)).to.be.below(10 * Math.min(...direct) + 1000);
  });

  it('answers an AND with a missing bitmap, and the complement of nothing, without any BITOP', async () => {
    await t.bm.markEvent('a', 10, { now: year });
    await t.bm.markEvent('a', 2000, { now: year });
    const day = (event: string) => t.bm.day(event, year);
    const seen = await bitops(async () => {
      expect(await day('a').and(day('missing')).count()).to.equal(0);
      expect(await day('a').or(day('missing')).ids()).to.deep.equal([10, 2000]);
      expect(await day('a').and(day('missing').not()).count()).to.equal(2);
      expect(await day('missing').not().and(day('a').or(day('missing'))).ids()).to.deep.equal([10, 2000]);
      expect(await day('missing').xor(day('a'), day('missing')).count()).to.equal(2);
    });
    expect(seen).to.deep.equal([]);
    expect(await day('a').not().count()).to.equal(2006);
  });

  it('splits a year of twelve 1.25 MB months plus NOT over calls that each cost a few BITCOUNTs', async () => {
    const bytes = 1_250_000;
    const expected = new Set<number>();
    for (let month = 1; month <= 12; month++) {
      // Growing months: every one shorter than the last, so each needs padding.
      const bitmap = randomBytes(bytes - (12 - month) * 40_000);
      bitmap.fill(0, 0, bitmap.length - 3000); // sparse bits keep the in-memory check cheap
      await t.raw.set(monthKey('big', month), bitmap);
      for (const id of bitmapIds(bitmap)) expected.add(id);
    }
    await t.raw.set(`${t.prefix}baseline`, randomBytes(bytes));
    const bitcounts = await slowCalls(t.raw, async () => {
      for (let i = 0; i < 5; i++) await t.raw.bitcount(`${t.prefix}baseline`);
    }, /^bitcount$/i);
    const bitcountMicros = bitcounts.sort((x, y) => x - y)[2]!;
    let count = 0;
    const calls = await slowCalls(t.raw, async () => {
      count = await t.bm.year('big', year).not().count();
    });
    expect(count).to.equal(bytes * 8 - expected.size);
    // The budget is an estimate from the bitmaps' lengths (EVALUATE_CALL_BUDGET_US a call): a few calls.
    expect(calls.length).to.be.within(2, 6);
    // Each call is budgeted at about 10 BITCOUNTs of its size; the bound is generous for a loaded machine
    // (the regression it guards against took seconds).
    expect(Math.max(...calls)).to.be.below(Math.max(100 * bitcountMicros, 100_000));
    // The OR itself is over 256 KB: it stays in a scratch key between calls and is fetched with GETRANGE.
    expect(await t.bm.year('big', year).ids()).to.deep.equal([...expected].sort((x, y) => x - y));
    expect(await t.keys()).to.have.length(13);
  });
});

