import { expect } from 'chai';
import fc from 'fast-check';
import { Bitmapist, BitmapistArgumentError, BitmapistScriptError, ShardedKeyNames, type CohortMode, type EventSet } from '../../../src/index.js';
import { activeUsers } from '../../../src/engine/insights/active-users.js';
import { planCohort } from '../../../src/engine/insights/cohort/plan.js';
import { CohortRunner } from '../../../src/engine/insights/cohort/runner.js';
import { trendCounts } from '../../../src/engine/insights/trends.js';
import { RedisBlockRegistry, SINGLE_BLOCK } from '../../../src/engine/keys/blocks.js';
import { runScript } from '../../../src/engine/redis/scripts.js';
import { countCommands, prng, shift } from '../../support/model.js';
import { programCalls } from '../../support/programs.js';
import { deleteUnder, testBitmapist, uniquePrefix } from '../../support/redis.js';
import { commandsOf, oneWindowsPass, dataArbitrary, expectFigures, segmentArbitrary, segmentModel, segmentSet, writeData, type Segment, type SegmentData } from './support/segments.js';

const NOW = new Date('2025-03-15T18:00:00Z');
const SIZES = { cohortRows: 8, trendPeriods: 10, activeDays: 8, lifecyclePeriods: 8 };

describe('segments: every insight counts only the users of a segment', function () {
  this.timeout(240_000);
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  it('restricts a worked cohort to the plan:pro users, in every mode', async () => {
    const D = new Date('2025-03-10T15:00:00Z');
    const day = (n: number) => shift('day', D, n);
    for (let uid = 100; uid <= 105; uid++) await t.bm.markEvent('user:popped', uid, { now: day(-3) });
    for (let uid = 100; uid <= 104; uid++) await t.bm.markEvent('user:locked', uid, { now: day(-3) });
    for (let uid = 100; uid <= 102; uid++) await t.bm.markEvent('user:locked', uid, { now: day(-2) });
    await t.bm.markEvent('user:locked', 105, { now: D });
    for (const uid of [100, 101, 105]) await t.bm.markUnique('plan:pro', uid);
    await t.bm.markUnique('beta', 100);

    const options = { timeGroup: 'days' as const, numRows: 4, numCols: 4, now: D, segment: t.bm.unique('plan:pro') };
    const rows = async (mode: CohortMode) => (await t.bm.getCohort('user:popped', 'user:locked', { ...options, mode })).cohort[0];
    expect((await t.bm.getCohort('user:popped', 'user:locked', options)).totals).to.deep.equal([3, 0, 0, 0]);
    expect(await rows('first')).to.deep.equal([2, 0, 0, 1]);
    expect(await rows('recurring')).to.deep.equal([2, 2, 0, 1]);
    expect(await rows('unbounded')).to.deep.equal([3, 3, 1, 1]);
    // Users not in beta: a bare not() holds every user of the row not in the bitmap, also past its end (104, 105).
    const others = { ...options, segment: t.bm.unique('beta').not() };
    expect((await t.bm.getCohort('user:popped', 'user:locked', others)).totals[0]).to.equal(5);
    expect((await t.bm.getCohort('user:popped', 'user:locked', others)).cohort[0]).to.deep.equal([4, 0, 0, 1]);
    expect((await t.bm.getCohort('user:popped', 'user:locked', { ...others, mode: 'unbounded' })).cohort[0]).to.deep.equal([5, 3, 1, 1]);
    for (const key of await t.keys()) expect(t.bm.keys.isScratchKey(key), key).to.equal(false);
  });

  for (const layout of ['compatible', 'sharded'] as const) {
    it(`matches the model restricted to random segments on random marks (${layout} layout)`, async () => {
      let excluded = 0;
      await fc.assert(
        fc.asyncProperty(dataArbitrary(NOW, { days: 24, maxUid: 1200, marks: 400, uniques: 160 }), segmentArbitrary, async (data, segment) => {
          const prefix = uniquePrefix('seg');
          const bm = new Bitmapist({ redis: t.raw, keyPrefix: prefix, layout, shardBits: 8 });
          try {
            await writeData(bm, data);
            const label = JSON.stringify(segment);
            const within = await expectFigures(bm, segmentSet(bm, segment), segmentModel(data, segment), NOW, SIZES, label);
            const everyone = await expectFigures(bm, undefined, segmentModel(data, undefined), NOW, SIZES, 'no segment');
            if (within < everyone) excluded++;
            for (const key of await t.raw.keys(`${prefix}*`)) expect(bm.keys.isScratchKey(key), key).to.equal(false);
          } finally {
            await bm.close();
            await deleteUnder(t.raw, prefix);
          }
        }),
        { numRuns: 25, seed: layout.length },
      );
      // The segments did leave users out (the figures with a segment ignored would not match the model).
      expect(excluded).to.be.above(12);
    });
  }

  it('gives the cells exactly when cohort calls stop anywhere, before the segment included, and leaves nothing', async () => {
    const random = prng(31);
    const data: SegmentData = { marks: [], uniques: [] };
    for (let n = 0; n < 500; n++) {
      const uid = n % 9 === 0 ? 2000 + n * 7 : 100 + n;
      const signup = Math.floor((n / 500) * 20);
      data.marks.push({ event: 'signup', uid, at: new Date(NOW.getTime() - (19 - signup) * 86_400_000 - Math.floor(random() * 3_600_000)) });
      for (let later = signup; later < 20; later++) {
        if (random() < 0.25) data.marks.push({ event: 'active', uid, at: new Date(NOW.getTime() - (19 - later) * 86_400_000) });
        if (random() < 0.05) data.marks.push({ event: 'buy', uid, at: new Date(NOW.getTime() - (19 - later) * 86_400_000) });
      }
      if (random() < 0.4) data.uniques.push({ name: 'plan:pro', uid });
      if (random() < 0.3) data.uniques.push({ name: 'beta', uid });
    }
    const segments: Segment[] = [
      { op: 'unique', name: 'plan:pro' },
      { op: 'and', operands: [{ op: 'unique', name: 'plan:pro' }, { op: 'not', operand: { op: 'unique', name: 'beta' } }] },
      { op: 'not', operand: { op: 'unique', name: 'beta' } },
    ];
    for (const layout of ['compatible', 'sharded'] as const) {
      const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}${layout}_`, layout, shardBits: 8 });
      await writeData(bm, data);
      const registry = bm.keys instanceof ShardedKeyNames ? new RedisBlockRegistry(bm.redis, bm.keys) : SINGLE_BLOCK;
      // In Redis, in calls cut anywhere; and in the process (the segment evaluated, then read with the rows).
      const runners = [
        new CohortRunner(bm.redis, bm.keys, registry, { callBudget: 1, maxKeysPerCall: 1, localBytes: 0 }),
        new CohortRunner(bm.redis, bm.keys, registry, { callBudget: 40, maxKeysPerCall: 3, localBytes: 0 }),
        new CohortRunner(bm.redis, bm.keys, registry),
      ];
      for (const segment of segments) {
        const model = segmentModel(data, segment);
        for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
          const options = { numRows: 20, numCols: 20, mode, now: NOW, additionalEvents: [{ name: 'buy', op: 'or' as const }], segment: segmentSet(bm, segment) };
          const want = model.cohort('signup', 'active', { additional: options.additionalEvents, unit: 'day', rows: 20, cols: 20, mode, now: NOW });
          for (const [i, runner] of runners.entries()) {
            const got = await runner.cohort(planCohort('signup', 'active', options, bm.timeZone, bm));
            const what = `${layout} runner ${i} ${mode} ${JSON.stringify(segment)}`;
            expect(got.totals, what).to.deep.equal(want.totals);
            expect(got.cohort, what).to.deep.equal(want.cohort);
          }
        }
      }
    }
    for (const key of await t.keys()) expect(key.includes('~tmp~'), key).to.equal(false);
  });

  it('reads segments whose bitmaps stay in Redis (over 256 KB: a scratch key, or an event bitmap itself)', async () => {
    const base = 3_000_000; // bitmaps of about 375 KB
    const data: SegmentData = { marks: [], uniques: [] };
    const random = prng(8);
    for (let n = 0; n < 300; n++) {
      const uid = base + Math.floor(random() * 4000);
      const day = Math.floor(random() * 6);
      data.marks.push({ event: 'signup', uid, at: shift('day', NOW, -day) }, { event: 'active', uid, at: shift('day', NOW, -Math.floor(random() * day)) });
      if (random() < 0.5) data.uniques.push({ name: 'plan:pro', uid });
      if (random() < 0.3) data.uniques.push({ name: 'beta', uid });
    }
    await writeData(t.bm, data);
    const pro: Segment = { op: 'unique', name: 'plan:pro' };
    const segments: Segment[] = [
      { op: 'and', operands: [pro, { op: 'not', operand: { op: 'unique', name: 'beta' } }] }, // a scratch key
      { op: 'and', operands: [pro, { op: 'not', operand: { op: 'unique', name: 'none' } }] }, // plan:pro's bitmap itself
      { op: 'or', operands: [{ op: 'not', operand: pro }, { op: 'unique', name: 'none' }] },
      { op: 'not', operand: { op: 'unique', name: 'none' } }, // everyone: nothing to AND
      { op: 'and', operands: [pro, { op: 'unique', name: 'none' }] }, // no one: no row is worked
    ];
    for (const segment of segments) {
      const model = segmentModel(data, segment);
      for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
        const { result, sent } = await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', { numRows: 6, numCols: 6, mode, now: NOW, segment: segmentSet(t.bm, segment) }));
        const want = model.cohort('signup', 'active', { unit: 'day', rows: 6, cols: 6, mode, now: NOW });
        expect(result.totals, JSON.stringify(segment)).to.deep.equal(want.totals);
        expect(result.cohort, JSON.stringify(segment)).to.deep.equal(want.cohort);
        expect(sent, JSON.stringify(segment)).to.not.include('set');
      }
    }
    for (const key of await t.keys()) expect(t.bm.keys.isScratchKey(key), key).to.equal(false);
  });

  it('keeps the call counts: a segment adds no call to a program, a cohort\'s bitmap segment none, its expression one per block', async () => {
    for (let n = 0; n < 40; n++) await t.bm.markEvent('use', n % 9, { now: shift('day', NOW, -n) });
    for (const uid of [1, 2, 3, 5, 8]) await t.bm.markUnique('plan:pro', uid);
    await t.bm.markUnique('beta', 2);
    const pro = t.bm.unique('plan:pro');
    const proNotBeta = pro.and(t.bm.unique('beta').not());
    // One program each (its calls cut by time, not per count), and no other script call.
    const scriptCalls = async (fn: () => Promise<unknown>) => {
      const { result, programs, calls } = await programCalls(t.bm.redis, () => countCommands(t.bm.redis, fn));
      return { programs, otherScripts: result.names.filter((name) => name === 'evalsha').length - calls };
    };
    for (const segment of [pro, proNotBeta]) {
      expect(await scriptCalls(() => t.bm.getLifecycle('use', { periods: 30, now: NOW, segment }))).to.deep.equal({ programs: 1, otherScripts: 0 });
      expect(await scriptCalls(() => trendCounts(t.bm, ['use', 'x'], { periods: 20, now: NOW, segment }))).to.deep.equal({ programs: 2, otherScripts: 0 });
      expect(await scriptCalls(() => activeUsers(t.bm, 'use', { days: 10, now: NOW, segment }))).to.deep.equal({ programs: 1, otherScripts: 0 });
    }
    const before = await t.keys();
    const options = { numRows: 30, numCols: 30, now: NOW, additionalEvents: [{ name: 'use', op: 'or' as const }] };
    const count = (sent: string[], name: string) => sent.filter((sentName) => sentName === name).length;
    const plain = await commandsOf(t.bm.redis, () => t.bm.getCohort('use', 'use', options));
    const leaf = await commandsOf(t.bm.redis, () => t.bm.getCohort('use', 'use', { ...options, segment: pro }));
    const expression = await commandsOf(t.bm.redis, () => t.bm.getCohort('use', 'use', { ...options, segment: proNotBeta }));
    // This small cohort is read in one call and counted in the process, without a segment and with an event
    // bitmap as its segment (read in the same call); an expression is evaluated in Redis once the windows are
    // known, then read with the rows' bitmaps in one MULTI and counted in the process, and its scratch key deleted.
    expect(plain.sent).to.deep.equal(['read_bitmaps.lua']);
    expect(leaf.sent).to.deep.equal(['read_bitmaps.lua']);
    // The expression's result is small: the evaluate reply holds it, and it is SET back into a scratch key.
    const expressionSent = oneWindowsPass(expression.sent);
    const reads = expressionSent.slice(4, -2);
    expect(expressionSent).to.deep.equal(['cohort_windows.lua', 'evaluate.lua', 'set', 'multi', ...reads, 'exec', 'unlink']);
    expect(new Set(reads)).to.deep.equal(new Set(['getrange']));
    expect(count(expression.sent, 'cohort_row.lua')).to.equal(0);
    expect(leaf.result.totals).to.not.deep.equal(plain.result.totals);
    expect(await t.keys()).to.deep.equal(before);
  });

  it('refuses a segment of another Bitmapist, or anything but an EventSet, naming segment, before reading a bitmap', async () => {
    const other = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix });
    const mapped = new Bitmapist({ redis: t.raw, keyPrefix: uniquePrefix(), userIds: 'mapped' });
    try {
      await t.bm.markEvent('use', 1, { now: NOW });
      const refusals: unknown[] = [other.unique('plan:pro'), other.day('use', NOW).not(), mapped.unique('plan:pro'), {}, 'plan:pro', null, 42, { expression: t.bm.unique('plan:pro').expression }];
      for (const segment of refusals) {
        const calls: [string, () => Promise<unknown>][] = [
          ['getCohort', () => t.bm.getCohort('use', 'use', { now: NOW, segment: segment as EventSet })],
          ['trendCounts', () => trendCounts(t.bm, ['use'], { now: NOW, segment: segment as EventSet })],
          ['activeUsers', () => activeUsers(t.bm, 'use', { now: NOW, segment: segment as EventSet })],
          ['getLifecycle', () => t.bm.getLifecycle('use', { now: NOW, segment: segment as EventSet })],
          ['getLifecycle created', () => t.bm.getLifecycle('use', { now: NOW, created: 'use', segment: segment as EventSet })],
        ];
        for (const [what, call] of calls) {
          const { result, names } = await countCommands(t.bm.redis, () => call().then(() => undefined, (error: unknown) => error));
          expect(result, `${what} ${String(segment)}`).to.be.instanceOf(BitmapistArgumentError);
          expect((result as BitmapistArgumentError).argument, what).to.equal('segment');
          expect(names, what).to.deep.equal([]);
        }
      }
      // A plan made without its engine cannot check a segment either.
      expect(() => planCohort('use', 'use', { segment: t.bm.unique('plan:pro') })).to.throw(BitmapistArgumentError, /^segment:/);
    } finally {
      await other.close();
      await mapped.close();
    }
  });

  it('has cohort_row refuse a malformed segment part before its first write, and a lost scratch segment', async () => {
    const bm = t.bm;
    const primary = bm.keys.eventKey('signup', '2025-3-1');
    await t.raw.setbit(primary, 9, 1);
    const scratch = bm.keys.scratchKeys(5);
    const segment = bm.keys.scratchKeys(1)[0]!;
    // One row, stage 0, one primary, window [0, 1], no period: ..., 'segment', kind.
    const row = [0, 1, 0, 1, 1, 1, 1, 0, 0];
    const call = (keys: string[], ...args: (string | number)[]) => runScript(bm.redis.bitmapistCohortRow(keys.length, ...keys, 'first', 1000, 1000, 1, ...args));
    const refused = async (promise: Promise<unknown>) => {
      const error = await promise.then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
    };
    await refused(call([primary, segment, ...scratch], ...row, 'segment', 3));
    await refused(call([primary, segment, ...scratch], ...row, 'segment', 1, 1));
    await refused(call([primary, ...scratch], ...row, 'segment', 1));
    await refused(call([primary, segment, ...scratch], ...row, 'segments', 1));
    // Stage 1 at key primaries + 1 (the segment next) needs a segment.
    await refused(call([primary, ...scratch], 1, 1, 0, 1, 1, 2, 1, 0, 0));
    expect(await t.keys()).to.deep.equal([primary]);

    const lost = await call([primary, segment, ...scratch], ...row, 'segment', 2).then(() => undefined, (e: unknown) => e);
    expect(lost).to.be.instanceOf(BitmapistScriptError);
    expect((lost as Error).message).to.match(/^BITMAPIST_STATE_LOST/);
    expect(await t.keys()).to.deep.equal([primary]);

    // An event bitmap as segment (kind 1) is read, never written; a missing one empties the row.
    const pro = bm.keys.eventKey('plan:pro', 'u');
    expect(await call([primary, pro, ...scratch], ...row, 'segment', 1)).to.deep.equal([2, 0, 0, 0, 0, 0]);
    await t.raw.setbit(pro, 9, 1);
    expect(await call([primary, pro, ...scratch], ...row, 'segment', 1)).to.deep.equal([2, 0, 0, 0, 0, 1]);
    expect(await call([primary, ...scratch], ...row, 'segment', 0)).to.deep.equal([2, 0, 0, 0, 0, 1]);
    expect(await t.raw.ttl(pro)).to.equal(-1);
    expect((await t.keys()).sort()).to.deep.equal([primary, pro].sort());
  });
});
