import { expect } from 'chai';
import type { CohortMode } from '../../../../src/index.js';
import { MarkModel, prng, shift } from '../../../support/model.js';
import { commandCalls, testBitmapist } from '../../../support/redis.js';
import { cohortInRedis } from './paths.js';

describe('getCohort: small rows on bitmaps of growing length', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  // As in a product: each day's sign-ups get new, higher ids, so later bitmaps are longer. The script pads the
  // population ahead of the periods' lengths; the answer must not change, in any mode.
  it('equals a set model in every mode, padding the population ahead of longer periods', async () => {
    const now = new Date('2025-05-20T12:00:00Z');
    const random = prng(20);
    const model = new MarkModel();
    const marks: Promise<void>[] = [];
    const mark = (event: string, uid: number, at: Date) => {
      model.add(event, uid, at);
      marks.push(t.bm.markEvent(event, uid, { now: at }));
    };
    let next = 0;
    for (let day = -20; day <= 0; day++) {
      const at = shift('day', now, day);
      const signups = 40 + Math.floor(random() * 200);
      for (let n = 0; n < signups; n++) mark('signup', next++, at);
      for (let n = 0; n < 300; n++) mark('active', Math.floor(random() * next), at);
    }
    await Promise.all(marks);
    const padsBefore = await commandCalls(t.raw, 'setrange');
    for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
      const got = await cohortInRedis(t.bm)('signup', 'active', { numRows: 12, numCols: 12, mode, now });
      const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 12, cols: 12, mode, now });
      expect(want.cohort.flat().filter((v) => (v ?? 0) > 0), mode).to.have.length.above(30);
      expect(got.cohort, mode).to.deep.equal(want.cohort);
      expect(got.totals, mode).to.deep.equal(want.totals);
    }
    // The padding ran: these bitmaps grow by up to 29 bytes a day.
    expect(await commandCalls(t.raw, 'setrange')).to.be.above(padsBefore);
  });

  it('has cohort_row refuse malformed lengths before its first write', async () => {
    const key = t.bm.keys.eventKey('signup', '2025-3-1');
    const period = t.bm.keys.eventKey('active', '2025-3-2');
    await t.raw.setbit(key, 9, 1);
    await t.raw.setbit(period, 9, 1);
    await t.raw.setbit(period, 90, 1);
    const scratch = t.bm.keys.scratchKeys(5);
    // One small row (in place 2): stage 0, 1 primary, lo 0, hi 11, group 1, key 1, last, 1 period: counted, 1 group of 1.
    const row = [0, 1, 0, 11, 1, 1, 1, 1, 2, 1, 1, 1];
    const call = (...tail: (string | number)[]) => t.bm.redis.bitmapistCohortRow(7, key, period, ...scratch, 'recurring', 1000, 1000, 1, ...row, ...tail);
    expect(await call('lengths', 12)).to.deep.equal([2, 0, 0, 0, 0, 1, 1]);
    for (const tail of [['lengths'], ['lengths', -1], ['lengths', 12, 12], ['lengths', 'x']]) {
      const error = await call(...tail).then(() => undefined, (e: unknown) => e);
      expect((error as Error | undefined)?.message, JSON.stringify(tail)).to.match(/^BITMAPIST_BADARG/);
    }
    // A row worked on windows (in place 0) takes no lengths.
    const windowed = [0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1];
    const refused = await t.bm.redis.bitmapistCohortRow(7, key, period, ...scratch, 'recurring', 1000, 1000, 1, ...windowed, 'lengths', 12).then(() => undefined, (e: unknown) => e);
    expect((refused as Error | undefined)?.message).to.match(/^BITMAPIST_BADARG lengths are for small rows only/);
    expect((await t.keys()).sort()).to.deep.equal([key, period].sort());
  });
});
