import { expect } from 'chai';
import type { ChainedEvent, CohortMode } from '../../../../src/index.js';
import { countCommands, MarkModel, prng, shift, startOf, type Unit } from '../../../support/model.js';
import { testBitmapist } from '../../../support/redis.js';
import { cohortPaths } from './paths.js';

describe('Bitmapist.getCohort', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  it('matches the worked example of the issue', async () => {
    const D = new Date('2025-03-10T15:00:00Z');
    const day = (n: number) => shift('day', D, n);
    for (let uid = 100; uid <= 105; uid++) await t.bm.markEvent('user:popped', uid, { now: day(-3) });
    for (let uid = 100; uid <= 104; uid++) await t.bm.markEvent('user:locked', uid, { now: day(-3) });
    for (let uid = 100; uid <= 102; uid++) await t.bm.markEvent('user:locked', uid, { now: day(-2) });
    await t.bm.markEvent('user:locked', 105, { now: D });

    const options = { timeGroup: 'days' as const, numRows: 4, numCols: 4, now: D };
    const first = await t.bm.getCohort('user:popped', 'user:locked', options);
    expect(first.cohort).to.deep.equal([
      [5, 0, 0, 1],
      [null, null, null, null],
      [null, null, null, null],
      [null, null, null, null],
    ]);
    expect(first.totals).to.deep.equal([6, 0, 0, 0]);
    expect(first.dates.map((d) => d.toISOString())).to.deep.equal(
      [-3, -2, -1, 0].map((n) => startOf('day', day(n)).toISOString()),
    );
    const recurring = await t.bm.getCohort('user:popped', 'user:locked', { ...options, withReplacement: true });
    expect(recurring.cohort[0]).to.deep.equal([5, 3, 0, 1]);
    expect((await t.bm.getCohort('user:popped', 'user:locked', { ...options, mode: 'recurring' })).cohort[0]).to.deep.equal([5, 3, 0, 1]);
    expect((await t.bm.getCohort('user:popped', 'user:locked', { ...options, mode: 'first' })).cohort[0]).to.deep.equal([5, 0, 0, 1]);
    // on or after: day 0 has 100..105 (105 returns on D), day 1 has 100..102 and 105, day 2 only 105, day 3 105
    expect((await t.bm.getCohort('user:popped', 'user:locked', { ...options, mode: 'unbounded' })).cohort[0]).to.deep.equal([6, 4, 1, 1]);
  });

  it('costs at most one round trip per row and leaves no key behind', async () => {
    const now = new Date('2025-02-20T00:00:00Z');
    for (let i = 0; i < 30; i++) await t.bm.markEvent('a', i, { now: shift('day', now, -i) });
    await t.bm.redis.ping();
    const before = await t.keys();
    for (const mode of ['first', 'recurring', 'unbounded'] as const) {
      for (const [path, getCohort] of cohortPaths(t.bm)) {
        const { names } = await countCommands(t.bm.redis, () =>
          getCohort('a', 'a', { numRows: 30, numCols: 30, mode, now, additionalEvents: [{ name: 'a', op: 'or' }] }),
        );
        // At once: one read_bitmaps call. After the windows pass: one cohort_windows call and one MULTI of GETRANGEs.
        // In Redis: cohort_windows and cohort_row calls.
        const expected = {
          'counted in the process': { most: 1, names: ['evalsha'] },
          'counted in the process after the windows pass': { most: 1 + 1 + 2 * 30 + 1, names: ['evalsha', 'multi', 'getrange', 'exec'] },
          'counted in Redis': { most: 30, names: ['evalsha'] },
        }[path]!;
        expect(names.length, path).to.be.at.most(expected.most);
        expect(new Set(names), path).to.deep.equal(new Set(expected.names));
      }
    }
    expect(await t.keys()).to.deep.equal(before);
  });

  const randomCases: { unit: Unit; timeGroup: 'days' | 'weeks' | 'months' | 'years'; span: number; now: string }[] = [
    { unit: 'day', timeGroup: 'days', span: 20, now: '2025-03-01T23:59:59Z' },
    { unit: 'week', timeGroup: 'weeks', span: 10 * 7, now: '2025-01-02T08:00:00Z' },
    { unit: 'month', timeGroup: 'months', span: 200, now: '2025-03-15T00:00:00Z' },
    { unit: 'year', timeGroup: 'years', span: 3 * 365, now: '2025-06-01T00:00:00Z' },
  ];

  for (const { unit, timeGroup, span, now: nowIso } of randomCases) {
    it(`equals a plain set model on random marks (${timeGroup}, every mode, chained events)`, async () => {
      const now = new Date(nowIso);
      const random = prng(span);
      const model = new MarkModel();
      const marks: Promise<void>[] = [];
      for (let n = 0; n < 1500; n++) {
        const event = ['signup', 'active', 'buy', 'share'][Math.floor(random() * 4)]!;
        const uid = Math.floor(random() * 400);
        const at = new Date(now.getTime() - Math.floor(random() * span * 86_400_000));
        model.add(event, uid, at);
        marks.push(t.bm.markEvent(event, uid, { now: at }));
      }
      await Promise.all(marks);
      const chains: ChainedEvent[][] = [
        [],
        [{ name: 'buy', op: 'or' }],
        [{ name: 'buy', op: 'and' }, { name: 'share', op: 'or' }],
        [{ name: 'share', op: 'or' }, { name: 'buy', op: 'and' }, { name: 'signup', op: 'or' }],
      ];
      const rows = unit === 'year' ? 3 : 6;
      const cols = unit === 'year' ? 3 : 8;
      for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
        for (const chain of chains) {
          const want = model.cohort('signup', 'active', { additional: chain, unit, rows, cols, mode, now });
          if (chain.length === 0) expect(want.cohort.flat().filter((v) => (v ?? 0) > 0), `${mode}`).to.have.length.above(3);
          for (const [path, getCohort] of cohortPaths(t.bm)) {
            const got = await getCohort('signup', 'active', { timeGroup, numRows: rows, numCols: cols, mode, now, additionalEvents: chain });
            const label = `${path}: ${mode} ${JSON.stringify(chain)}`;
            expect(got.cohort, label).to.deep.equal(want.cohort);
            expect(got.totals, label).to.deep.equal(want.totals);
            expect(got.dates, label).to.deep.equal(want.dates);
          }
        }
      }
      // chainEvents over the same marks, with OR in every position
      const chainCases: ChainedEvent[][] = [
        [{ name: 'active', op: 'or' }],
        [{ name: 'active', op: 'and' }, { name: 'buy', op: 'or' }],
        [{ name: 'active', op: 'or' }, { name: 'buy', op: 'and' }],
        [{ name: 'active', op: 'and' }, { name: 'buy', op: 'or' }, { name: 'share', op: 'and' }],
        [{ name: 'active', op: 'or' }, { name: 'buy', op: 'or' }, { name: 'share', op: 'and' }, { name: 'active', op: 'or' }],
      ];
      for (const chain of chainCases) {
        const frozen = structuredClone(chain);
        const got = await t.bm.chainEvents('signup', chain, { timeGroup, now }).ids();
        const want = [...model.chain('signup', chain, unit, startOf(unit, now))].sort((a, b) => a - b);
        expect(got, JSON.stringify(chain)).to.deep.equal(want);
        expect(chain).to.deep.equal(frozen);
      }
    });
  }

  it('lets an empty base still take a leading OR', async () => {
    const now = new Date('2025-02-02T00:00:00Z');
    await t.bm.markEvent('x', 9, { now });
    expect(await t.bm.chainEvents('never', [{ name: 'x', op: 'or' }], { now }).ids()).to.deep.equal([9]);
    expect(await t.bm.chainEvents('never', [{ name: 'x', op: 'and' }], { now }).ids()).to.deep.equal([]);
  });

  it('returns the same cells when called again with the same additional events list', async () => {
    const now = new Date('2025-02-05T00:00:00Z');
    for (let uid = 0; uid < 5; uid++) {
      await t.bm.markEvent('p', uid, { now: shift('day', now, -2) });
      await t.bm.markEvent('x', uid, { now: shift('day', now, -1) });
    }
    const additionalEvents: ChainedEvent[] = [{ name: 'x', op: 'or' }];
    const once = await t.bm.getCohort('p', 's', { numRows: 3, numCols: 3, additionalEvents, now });
    const twice = await t.bm.getCohort('p', 's', { numRows: 3, numCols: 3, additionalEvents, now });
    expect(once.cohort[0]).to.deep.equal([0, 5, 0]);
    expect(twice).to.deep.equal(once);
    expect(additionalEvents).to.deep.equal([{ name: 'x', op: 'or' }]);
  });
});
