import { expect } from 'chai';
import type { ChainedEvent, CohortMode } from '../../../../src/index.js';
import { MarkModel, prng, type Unit } from '../../../support/model.js';
import { testBitmapist } from '../../../support/redis.js';
import { cohortPaths } from './paths.js';

/**
 * lua/cohort_row.lua works on copies of the population's byte range when it spans at most half of its
 * bitmaps, and on the whole bitmaps otherwise; counted in the process, a cohort reads from its populations'
 * first users. Every path must answer like the set model.
 */
describe('getCohort over narrow and wide populations (cohort_row windows)', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-03-01T23:59:59Z');
  const chains: ChainedEvent[][] = [[], [{ name: 'buy', op: 'and' }], [{ name: 'buy', op: 'or' }, { name: 'share', op: 'and' }]];

  /** Sign-ups per day over 21 days, users returning now and then; `idOf(n)` names the n-th user to sign up. */
  async function markUsers(idOf: (n: number) => number, seed: number): Promise<MarkModel> {
    const random = prng(seed);
    const model = new MarkModel();
    const marks: Promise<void>[] = [];
    const mark = (event: string, uid: number, at: Date) => {
      model.add(event, uid, at);
      marks.push(t.bm.markEvent(event, uid, { now: at }));
    };
    for (let n = 0; n < 600; n++) {
      const uid = idOf(n);
      const day = Math.floor((n / 600) * 21);
      const signup = new Date(now.getTime() - (20 - day) * 86_400_000 - Math.floor(random() * 80_000_000));
      mark('signup', uid, signup);
      for (let later = day; later <= 20; later++) {
        const at = new Date(now.getTime() - (20 - later) * 86_400_000 - Math.floor(random() * 3_600_000));
        if (random() < 0.3) mark('active', uid, at);
        if (random() < 0.08) mark('buy', uid, at);
        if (random() < 0.05) mark('share', uid, at);
      }
    }
    await Promise.all(marks);
    return model;
  }

  const layouts: [string, (n: number) => number][] = [
    ['narrow rows: sequential ids, windows of a few bytes', (n) => 1000 + n],
    ["wide rows: each day's sign-ups spread over a million ids, whole bitmaps", (n) => (n % 29) * 40_000 + n],
    ['mixed: narrow rows on even days, wide ones on odd days', (n) => (Math.floor((n / 600) * 21) % 2 === 1 ? (n % 7) * 100_000 + n : 20 + n)],
  ];

  for (const [label, idOf] of layouts) {
    it(`answers like the set model for ${label}`, async () => {
      const model = await markUsers(idOf, label.length);
      for (const [unit, timeGroup, rows] of [['day', 'days', 21], ['week', 'weeks', 4]] as [Unit, 'days' | 'weeks', number][]) {
        for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
          for (const chain of chains) {
            const want = model.cohort('signup', 'active', { additional: chain, unit, rows, cols: rows, mode, now });
            for (const [path, getCohort] of cohortPaths(t.bm)) {
              const got = await getCohort('signup', 'active', { timeGroup, numRows: rows, numCols: rows, mode, now, additionalEvents: chain });
              const what = `${path}: ${timeGroup} ${mode} ${JSON.stringify(chain)}`;
              expect(got.cohort, what).to.deep.equal(want.cohort);
              expect(got.totals, what).to.deep.equal(want.totals);
            }
          }
        }
      }
      for (const key of await t.keys()) expect(t.bm.keys.isScratchKey(key), key).to.equal(false);
    });
  }
});
