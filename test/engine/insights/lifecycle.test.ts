import { expect } from 'chai';
import { BitmapistArgumentError, MAX_LIFECYCLE_PERIODS, type LifecycleOptions } from '../../../src/index.js';
import { lifecycleModel } from '../../support/lifecycle-model.js';
import { countCommands, MarkModel, prng, shift, startOf } from '../../support/model.js';
import { programCalls } from '../../support/programs.js';
import { keysUnder, testBitmapist } from '../../support/redis.js';

describe('Bitmapist.getLifecycle', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  it('splits a worked example into new, returning, resurrecting and dormant', async () => {
    const D = new Date('2025-03-10T15:00:00Z');
    const day = (n: number) => shift('day', D, n);
    // Day -3 (before the range): 1. Day -2: 1, 2. Day -1: 2, 3. Day 0: 1, 3, 4.
    const marks = [[-3, 1], [-2, 1], [-2, 2], [-1, 2], [-1, 3], [0, 1], [0, 3], [0, 4]] as const;
    await t.bm.markEvents(marks.map(([n, uid]) => ({ event: 'visit', uid, now: day(n) })));
    const result = await t.bm.getLifecycle('visit', { timeGroup: 'days', periods: 3, now: D });
    expect(result.timeGroup).to.equal('days');
    expect(result.dates.map((d) => d.toISOString())).to.deep.equal([-2, -1, 0].map((n) => startOf('day', day(n)).toISOString()));
    expect(result.before.toISOString()).to.equal('2025-03-07T00:00:00.000Z');
    expect(result.active).to.deep.equal([2, 2, 3]);
    expect(result.new).to.deep.equal([1, 1, 1]);
    expect(result.returning).to.deep.equal([1, 1, 1]);
    expect(result.resurrecting).to.deep.equal([0, 0, 1]);
    expect(result.dormant).to.deep.equal([0, 1, 1]);

    // With a created event, new users are the ones it marked in the period; the rest split as before.
    await t.bm.markEvent('signup', 3, { now: day(0) });
    await t.bm.markEvent('signup', 2, { now: day(-2) });
    const created = await t.bm.getLifecycle('visit', { timeGroup: 'days', periods: 3, now: D, created: 'signup' });
    expect(created.new).to.deep.equal([1, 0, 1]);
    expect(created.returning).to.deep.equal([1, 1, 0]);
    expect(created.resurrecting).to.deep.equal([0, 1, 2]);
  });

  for (const unit of ['day', 'week', 'month', 'year'] as const) {
    it(`matches the model on random marks (${unit}s, with and without created)`, async () => {
      const random = prng(unit.length * 7919);
      const model = new MarkModel();
      const now = new Date('2025-06-18T10:00:00Z');
      const marks = [];
      for (let i = 0; i < 600; i++) {
        const at = shift(unit, now, -Math.floor(random() * 14));
        const when = new Date(Math.min(now.getTime(), at.getTime() - Math.floor(random() * 3) * 3_600_000));
        const uid = Math.floor(random() * 60);
        const event = random() < 0.8 ? 'use' : 'join';
        marks.push({ event, uid, now: when });
        model.add(event, uid, when);
      }
      await t.bm.markEvents(marks);
      for (const created of [undefined, 'join']) {
        const result = await t.bm.getLifecycle('use', { timeGroup: `${unit}s`, periods: 12, now, created });
        const expected = lifecycleModel(model, 'use', unit, 12, now, created);
        expect(result.dates.map(String)).to.deep.equal(expected.dates.map(String));
        const { timeGroup: _, dates: __, before, ...figures } = result;
        expect(before.toISOString()).to.equal(shift(unit, startOf(unit, now), -12).toISOString());
        const { dates: ___, ...wanted } = expected;
        expect(figures, `created ${created}`).to.deep.equal(wanted);
      }
    });
  }

  it('runs as one program (each period read once) and writes nothing', async () => {
    const now = new Date('2025-06-18T10:00:00Z');
    for (let n = 0; n < 40; n++) await t.bm.markEvent('use', n % 9, { now: shift('day', now, -n) });
    await t.bm.markEvent('joined', 3, { now });
    const before = (await keysUnder(t.raw, t.prefix)).sort();
    const calls = async (options: LifecycleOptions) => {
      const { programs, calls } = await programCalls(t.bm.redis as never, () => t.bm.getLifecycle('use', { now, ...options }));
      expect((await keysUnder(t.raw, t.prefix)).sort()).to.deep.equal(before);
      expect(calls).to.be.at.least(programs);
      return programs;
    };
    // One program per block (one block here), whatever the periods: its calls are cut by time, not per count.
    expect(await calls({ periods: 30 })).to.equal(1);
    expect(await calls({ periods: 30, created: 'joined' })).to.equal(1);
    expect(await calls({ periods: MAX_LIFECYCLE_PERIODS })).to.equal(1);
    expect(await calls({ periods: MAX_LIFECYCLE_PERIODS, created: 'joined' })).to.equal(1);
    expect(await calls({ periods: 10, timeGroup: 'years' })).to.equal(1);
  });

  it('refuses bad arguments with a typed error naming them', async () => {
    for (const periods of [0, MAX_LIFECYCLE_PERIODS + 1, 1.5, Number.NaN]) {
      const error = await t.bm.getLifecycle('use', { periods }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
      expect((error as BitmapistArgumentError).argument).to.equal('periods');
    }
    const created = await t.bm.getLifecycle('use', { created: '' }).catch((e: unknown) => e);
    expect((created as BitmapistArgumentError).argument).to.equal('created');
    const group = await t.bm.getLifecycle('use', { timeGroup: 'hours' as never }).catch((e: unknown) => e);
    expect((group as BitmapistArgumentError).argument).to.equal('timeGroup');
  });
});
