import { expect } from 'chai';
import fc from 'fast-check';
import { Bitmapist, BitmapistArgumentError, type BitmapistOptions } from '../../../src/index.js';
import { FUNNEL_LIMITS } from '../../../src/engine/insights/funnels.js';
import { modelFunnel } from '../../support/funnel-model.js';
import { MarkModel } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

const NOW = new Date('2025-03-15T18:00:00Z');
const DAY_MS = 86_400_000;
const EVENTS = ['view', 'cart', 'buy', 'review'];

/** Random marks of the funnel's events over the 70 days before NOW, and `plan:pro` unique marks. */
function randomMarks(seed: number, users: number) {
  const marks = fc.sample(
    fc.record({
      event: fc.constantFrom(...EVENTS),
      uid: fc.integer({ min: 0, max: users - 1 }),
      at: fc.integer({ min: 0, max: 70 * DAY_MS }).map((ms) => new Date(NOW.getTime() - ms)),
    }),
    { numRuns: 1500, seed },
  );
  const pro = fc.sample(fc.integer({ min: 0, max: users - 1 }), { numRuns: users / 3, seed: seed + 1 });
  return { marks, pro: new Set(pro) };
}

async function write(bm: Bitmapist, marks: ReturnType<typeof randomMarks>) {
  await bm.markEvents(marks.marks.map(({ event, uid, at }) => ({ event, uid, now: at })));
  for (const uid of marks.pro) await bm.markUnique('plan:pro', uid);
  const model = new MarkModel();
  for (const { event, uid, at } of marks.marks) model.add(event, uid, at);
  return model;
}

describe('engine: funnels', function () {
  this.timeout(120_000);

  const layouts: [string, BitmapistOptions][] = [
    ['compatible', {}],
    ['sharded', { layout: 'sharded', shardBits: 8 }],
  ];
  for (const [name, options] of layouts) {
    it(`equals the model in every figure, for random funnels and options (${name} layout)`, async () => {
      const t = testBitmapist(options);
      try {
        const data = randomMarks(7, 600);
        const model = await write(t.bm, data);
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              steps: fc.array(fc.constantFrom(...EVENTS), { minLength: 2, maxLength: 4 }),
              unit: fc.constantFrom('day' as const, 'week' as const),
              periods: fc.integer({ min: 1, max: 40 }),
              window: fc.integer({ min: 0, max: 12 }),
              order: fc.constantFrom('sequential' as const, 'any' as const),
              segmented: fc.boolean(),
            }),
            async ({ steps, unit, periods, window, order, segmented }) => {
              const periodCap = unit === 'day' ? periods : Math.min(periods, 10);
              const windowCap = unit === 'day' ? window : Math.min(window, 3);
              const answer = await t.bm.getFunnel(steps, {
                timeGroup: unit === 'day' ? 'days' : 'weeks',
                periods: periodCap,
                window: windowCap,
                order,
                now: NOW,
                segment: segmented ? t.bm.unique('plan:pro') : undefined,
              });
              const expected = modelFunnel(model.marks, steps, {
                unit, periods: periodCap, window: windowCap, order, now: NOW, segment: segmented ? data.pro : undefined,
              });
              const label = JSON.stringify({ steps, unit, periodCap, windowCap, order, segmented });
              expect(answer.dates, label).to.deep.equal(expected.dates);
              expect(answer.entries, label).to.deep.equal(expected.entries);
              expect(answer.steps.map((s) => s.count), label).to.deep.equal(expected.steps);
              expect(answer.steps.map((s) => s.event), label).to.deep.equal(steps);
              expect(answer.timeToConvert, label).to.deep.equal(expected.timeToConvert);
              expect(answer).to.include({ timeGroup: unit === 'day' ? 'days' : 'weeks', window: windowCap, order });
            },
          ),
          { numRuns: 25, seed: 3 },
        );
        // Nothing is left behind: the registers are deleted.
        expect((await t.keys()).filter((key) => key.includes('~tmp~'))).to.deep.equal([]);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('calls an entry complete only once its whole window is at or before now, the instant', async () => {
    const t = testBitmapist();
    try {
      await t.bm.markEvent('open', 1, { now: new Date('2025-03-19T09:00:00Z') });
      await t.bm.markEvent('open', 2, { now: new Date('2025-03-20T09:00:00Z') });
      const complete = async (now: string, window: number, timeGroup: 'days' | 'weeks' = 'days') =>
        (await t.bm.getFunnel(['open', 'pay'], { timeGroup, periods: 3, window, now: new Date(now) })).entries.map((entry) => entry.complete);
      // Mid-day: today's window is still open (steps may still come), and with window 1 yesterday's too.
      expect(await complete('2025-03-20T12:00:00Z', 0)).to.deep.equal([true, true, false]);
      expect(await complete('2025-03-20T12:00:00Z', 1)).to.deep.equal([true, false, false]);
      // At the day's last instant, the windows ending with it are over.
      expect(await complete('2025-03-20T23:59:59.999Z', 0)).to.deep.equal([true, true, true]);
      expect(await complete('2025-03-20T23:59:59.999Z', 1)).to.deep.equal([true, true, false]);
      // Weeks: 2025-03-20 is a Thursday, so its ISO week is not over.
      expect(await complete('2025-03-20T12:00:00Z', 0, 'weeks')).to.deep.equal([true, true, false]);
      expect(await complete('2025-03-23T23:59:59.999Z', 0, 'weeks')).to.deep.equal([true, true, true]);
    } finally {
      await t.cleanup();
    }
  });

  it('takes `now` in the first days of the year 1000 in weeks, whose first ISO week starts in 999', async () => {
    const t = testBitmapist();
    try {
      await t.bm.markEvent('open', 1, { now: new Date('1000-01-01T10:00:00Z') });
      const answer = await t.bm.getFunnel(['open', 'pay'], { timeGroup: 'weeks', periods: 2, now: new Date('1000-01-01T12:00:00Z'), segment: t.bm.unique('open') });
      expect(answer.dates).to.have.length(2);
      expect(answer.steps.map((step) => step.count)).to.deep.equal([0, 0]);
    } finally {
      await t.cleanup();
    }
  });

  it('counts a segment that is an expression (NOT included) as the engine counts it', async () => {
    const t = testBitmapist();
    try {
      const data = randomMarks(11, 300);
      const model = await write(t.bm, data);
      await t.bm.markUnique('banned', 5);
      await t.bm.markUnique('banned', 6);
      const segment = t.bm.unique('plan:pro').or(t.bm.unique('banned')).and(t.bm.unique('banned').not());
      const answer = await t.bm.getFunnel(['view', 'buy'], { periods: 30, window: 7, now: NOW, segment });
      const expected = modelFunnel(model.marks, ['view', 'buy'], {
        unit: 'day', periods: 30, window: 7, order: 'sequential', now: NOW, segment: new Set([...data.pro].filter((uid) => uid !== 5 && uid !== 6)),
      });
      expect(answer.entries).to.deep.equal(expected.entries);
      expect(answer.timeToConvert).to.deep.equal(expected.timeToConvert);
    } finally {
      await t.cleanup();
    }
  });

  it('has its documented defaults and caps, and refuses bad arguments naming them before reading anything', async () => {
    const t = testBitmapist();
    const other = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}other_` });
    try {
      const plain = await t.bm.getFunnel(['a', 'b'], { now: NOW });
      expect(plain).to.include({ timeGroup: 'days', window: 14, order: 'sequential' });
      expect(plain.dates).to.have.length(30);
      expect(plain.timeToConvert).to.have.length(15);
      const weeks = await t.bm.getFunnel(['a', 'b'], { timeGroup: 'week', now: NOW });
      expect(weeks).to.include({ timeGroup: 'weeks', window: 2 });
      expect(FUNNEL_LIMITS).to.deep.equal({
        minSteps: 2,
        maxSteps: 10,
        periods: { days: { max: 90, default: 30 }, weeks: { max: 52, default: 30 } },
        window: { days: { max: 90, default: 14 }, weeks: { max: 12, default: 2 } },
      });
      const refusals: [unknown[], unknown, string][] = [
        [['a'], {}, 'steps'],
        [Array(11).fill('a'), {}, 'steps'],
        [['a', ''], {}, 'steps[1]'],
        [['a', 'b'], { timeGroup: 'months' }, 'timeGroup'],
        [['a', 'b'], { periods: 91 }, 'periods'],
        [['a', 'b'], { timeGroup: 'weeks', periods: 53 }, 'periods'],
        [['a', 'b'], { window: -1 }, 'window'],
        [['a', 'b'], { window: 91 }, 'window'],
        [['a', 'b'], { timeGroup: 'weeks', window: 13 }, 'window'],
        [['a', 'b'], { order: 'random' }, 'order'],
        [['a', 'b'], { now: new Date(Number.NaN) }, 'now'],
        [['a', 'b'], { segment: other.unique('x') }, 'segment'],
        [['a', 'b'], { segment: 'plan:pro' }, 'segment'],
      ];
      for (const [steps, options, argument] of refusals) {
        const error = await t.bm.getFunnel(steps as string[], options as never).then(() => undefined, (e: unknown) => e);
        expect(error, argument).to.be.instanceOf(BitmapistArgumentError);
        expect((error as BitmapistArgumentError).argument).to.equal(argument);
      }
    } finally {
      await other.close();
      await t.cleanup();
    }
  });
});
