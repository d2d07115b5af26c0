import { expect } from 'chai';
import { Bitmapist, BitmapistScriptError, ShardedKeyNames, type ChainedEvent, type CohortMode, type TimeGroup } from '../../../../src/index.js';
import { RedisBlockRegistry, SINGLE_BLOCK } from '../../../../src/engine/keys/blocks.js';
import { planCohort } from '../../../../src/engine/insights/cohort/plan.js';
import type { CohortLimits } from '../../../../src/engine/insights/cohort/runner.js';
import { cohortRunner } from './paths.js';
import { commandsOf } from '../support/segments.js';
import { runScript } from '../../../../src/engine/redis/scripts.js';
import { countCommands, MarkModel, prng, type Unit } from '../../../support/model.js';
import { testBitmapist } from '../../../support/redis.js';

/**
 * Cohorts run in chains of budgeted `cohort_row` calls that stop and resume anywhere: in a row's primaries,
 * between groups, between the bitmaps of a group. Whatever the budget and the keys per call, the cells must
 * be exact, in both layouts, and nothing may be left behind.
 */
describe('getCohort split over budgeted calls', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-03-19T20:00:00Z');
  const DAY = 86_400_000;

  /** Sign-ups with sequential ids (a few spread wide), users returning now and then over 70 days. */
  async function markProduct(bms: Bitmapist[], seed: number): Promise<MarkModel> {
    const random = prng(seed);
    const model = new MarkModel();
    const marks: { event: string; uid: number; now: Date }[] = [];
    const mark = (event: string, uid: number, at: Date) => {
      model.add(event, uid, at);
      marks.push({ event, uid, now: at });
    };
    for (let n = 0; n < 700; n++) {
      const uid = n % 10 === 0 ? 3000 + n * 13 : 200 + n;
      const day = Math.floor((n / 700) * 70);
      mark('signup', uid, new Date(now.getTime() - (69 - day) * DAY - Math.floor(random() * 70_000_000)));
      for (let later = day; later < 70; later++) {
        const at = new Date(now.getTime() - (69 - later) * DAY - Math.floor(random() * 3_600_000));
        if (random() < 0.12) mark('active', uid, at);
        if (random() < 0.04) mark('buy', uid, at);
      }
    }
    for (const bm of bms) await bm.markEvents(marks);
    return model;
  }

  const runner = cohortRunner;

  const cases: [Unit, TimeGroup, number][] = [['day', 'days', 12], ['week', 'weeks', 6], ['month', 'months', 3]];
  const chains: ChainedEvent[][] = [[], [{ name: 'buy', op: 'or' }], [{ name: 'buy', op: 'and' }, { name: 'signup', op: 'or' }]];

  for (const layout of ['compatible', 'sharded'] as const) {
    it(`answers like the set model with any budget and keys per call (${layout})`, async () => {
      const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}x_`, layout, shardBits: 8 });
      const model = await markProduct([bm], 3);
      const runners = [runner(bm, { callBudget: 1, maxKeysPerCall: 1 }), runner(bm, { callBudget: 30, maxKeysPerCall: 4 }), runner(bm, {}), runner(bm, { localBytes: 1e6 })];
      for (const [unit, timeGroup, size] of cases) {
        for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
          for (const additionalEvents of chains) {
            const options = { timeGroup, numRows: size, numCols: size, mode, now, additionalEvents };
            const want = model.cohort('signup', 'active', { additional: additionalEvents, unit, rows: size, cols: size, mode, now });
            for (const [i, run] of runners.entries()) {
              const got = await run.cohort(planCohort('signup', 'active', options));
              const what = `runner ${i} ${timeGroup} ${mode} ${JSON.stringify(additionalEvents)}`;
              expect(got.cohort, what).to.deep.equal(want.cohort);
              expect(got.totals, what).to.deep.equal(want.totals);
            }
          }
        }
      }
      for (const key of await t.keys()) expect(bm.keys.isScratchKey(key), key).to.equal(false);
    });
  }

  it('splits the work: a smaller budget makes more calls, a larger one fewer', async () => {
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}x_` });
    await markProduct([bm], 5);
    const plan = planCohort('signup', 'active', { numRows: 30, numCols: 30, now, additionalEvents: [{ name: 'buy', op: 'or' }] });
    const calls = async (limits: Partial<CohortLimits>) =>
      (await countCommands(bm.redis, () => runner(bm, limits).cohort(plan))).names.filter((name) => name === 'evalsha').length;
    // One cohort_windows call, then the rows' cells in a few calls (at most one per row); with a budget of 1 us,
    // small rows (these are) stop about every 100 us of work, so many more calls, at most one per bitmap read.
    const usual = await calls({});
    expect(usual).to.be.within(2, plan.rows.length / 2);
    const tiny = await calls({ callBudget: 1 });
    const keysRead = plan.rows.reduce((sum, row) => sum + row.primary.length + row.periods.flat(2).length, 0);
    expect(tiny).to.be.above(2 * usual).and.at.most(keysRead + 2);
    expect(await calls({ callBudget: 1e12 })).to.equal(2);
  });

  it('keeps at most two script calls in flight, so other clients wait for two short calls, not a cohort', async () => {
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}x_`, layout: 'sharded', shardBits: 8 });
    await markProduct([bm], 6);
    let inFlight = 0;
    let most = 0;
    const client = bm.redis as unknown as { sendCommand: (command: { name: string; promise: Promise<unknown> }) => unknown };
    const original = client.sendCommand;
    client.sendCommand = function (this: unknown, command) {
      if (command.name === 'evalsha') {
        most = Math.max(most, ++inFlight);
        command.promise.finally(() => inFlight--).catch(() => undefined);
      }
      return original.call(this, command);
    };
    try {
      const result = await runner(bm, {}).cohort(planCohort('signup', 'active', { numRows: 30, numCols: 30, now }));
      expect(result.totals.filter((total) => total > 0)).to.have.length.above(20);
    } finally {
      client.sendCommand = original;
    }
    expect(most).to.equal(2);
  });

  it('reads the clock in the windows pass after each row that scanned a long bitmap', async () => {
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}x_` });
    const rows = 10;
    // Ids over 1,200,000: bitmaps of 150 KB, scanned for their first user (over SMALL_ROW_BYTES).
    const marks = Array.from({ length: rows }, (_, day) => ({ event: 'signup', uid: 1_200_000 + day, now: new Date(now.getTime() - day * DAY) }));
    await bm.markEvents([...marks, ...marks.map((mark) => ({ ...mark, event: 'active' }))]);
    const plan = planCohort('signup', 'active', { numRows: rows, numCols: 2, now });
    const { result, sent } = await commandsOf(bm.redis, () => runner(bm, { callBudget: 1 }).cohort(plan));
    // Past its budget after every row: one row per call (every 8 rows, it would be 2 calls).
    expect(sent.filter((name) => name === 'cohort_windows.lua')).to.have.length(rows);
    expect(result.totals).to.deep.equal(Array.from({ length: rows }, () => 1));
  });

  it('fails with a script error, leaving nothing behind, when the state of a chain has expired', async () => {
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}x_` });
    const key = bm.keys.eventKey('signup', '2025-3-1');
    await t.raw.setbit(key, 9, 1);
    const scratch = bm.keys.scratchKeys(5);
    // A row resumed in its periods (stage 2) whose state keys do not exist.
    const call = bm.redis.bitmapistCohortRow(6, key, ...scratch, 'first', 1000, 1000, 1, 2, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1);
    const error = await runScript(call).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(BitmapistScriptError);
    expect((error as Error).message).to.match(/^BITMAPIST_STATE_LOST/);
    expect(await t.keys()).to.deep.equal([key]);
  });

  it('refuses a cohort that would read more than its byte cap, naming it, before any cell is worked', async () => {
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}x_` });
    await markProduct([bm], 7);
    const plan = planCohort('signup', 'active', { numRows: 30, numCols: 30, now });
    const { names, result } = await countCommands(bm.redis, () =>
      runner(bm, { maxBytes: 1000 }).cohort(plan).then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
    expect(result).to.have.property('name', 'BitmapistArgumentError');
    expect((result as Error).message).to.match(/^cohort: would read about \d+ MB of bitmaps, over the limit .*MAX_COHORT_BYTES/);
    expect(names).to.deep.equal(['smembers', 'evalsha'].slice(bm.keys.layout === 'sharded' ? 0 : 1));
  });
});
