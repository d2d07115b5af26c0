import { expect } from 'chai';
import { Bitmapist } from '../../../src/index.js';
import { BitmapistArgumentError } from '../../../src/engine/errors.js';
import { activeUsers, ACTIVE_USERS_LIMITS } from '../../../src/engine/insights/active-users.js';
import { trendCounts, TREND_LIMITS } from '../../../src/engine/insights/trends.js';
import { MarkModel, prng, shift, startOf, union, type Unit } from '../../support/model.js';
import { programCalls } from '../../support/programs.js';
import { testBitmapist } from '../../support/redis.js';

const NOW = new Date('2025-03-15T18:00:00Z');

/** Random marks of three events over the 120 days before NOW, in Redis and in the model. */
async function seeded(t: ReturnType<typeof testBitmapist>): Promise<MarkModel> {
  const model = new MarkModel();
  const random = prng(12);
  const marks = Array.from({ length: 3000 }, () => {
    const event = ['visit', 'buy', 'share'][Math.floor(random() * 3)]!;
    const uid = Math.floor(random() * (event === 'visit' ? 400 : 150));
    const at = new Date(NOW.getTime() - Math.floor(random() * 120 * 86_400_000));
    model.add(event, uid, at);
    return { event, uid, now: at };
  });
  await t.bm.markEvents(marks);
  return model;
}

/** The model's users of `event` on any of the `length` days ending with the day starting at `day`. */
function windowUsers(model: MarkModel, event: string, day: Date, length: number): Set<number> {
  let users = new Set<number>();
  for (let k = 0; k < length; k++) users = union(users, model.users(event, 'day', shift('day', day, -k)));
  return users;
}

describe('engine: trends and active users', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof testBitmapist>;
  let model: MarkModel;
  before(async () => {
    t = testBitmapist();
    model = await seeded(t);
  });
  after(() => t.cleanup());

  for (const [timeGroup, unit, periods] of [['days', 'day', 30], ['weeks', 'week', 12], ['months', 'month', 5]] as const) {
    it(`counts users per ${unit} for several events, as the model does (${periods} periods)`, async () => {
      const trend = await trendCounts(t.bm, ['visit', 'buy', 'nobody'], { timeGroup, periods, now: NOW });
      const last = startOf(unit as Unit, NOW);
      const dates = Array.from({ length: periods }, (_, i) => shift(unit as Unit, last, i - (periods - 1)));
      expect(trend.timeGroup).to.equal(timeGroup);
      expect(trend.dates.map((d) => d.toISOString())).to.deep.equal(dates.map((d) => d.toISOString()));
      expect(trend.series).to.deep.equal(
        ['visit', 'buy', 'nobody'].map((event) => ({ event, counts: dates.map((d) => model.users(event, unit as Unit, d).size) })),
      );
      expect(trend.series[0]!.counts.reduce((a, b) => a + b, 0)).to.be.above(periods);
    });
  }

  it('defaults to 30 periods, or the time group\'s cap when smaller (10 years)', async () => {
    const t = testBitmapist();
    try {
      await t.bm.markEvent('a', 1, { now: new Date('2025-03-01T00:00:00Z') });
      const now = new Date('2025-03-15T12:00:00Z');
      expect((await trendCounts(t.bm, ['a'], { now })).dates).to.have.length(30);
      const years = await trendCounts(t.bm, ['a'], { timeGroup: 'years', now });
      expect(years.dates).to.have.length(TREND_LIMITS.maxPeriods.years);
      expect(years.series[0]!.counts.at(-1)).to.equal(1);
    } finally {
      await t.cleanup();
    }
  });

  it('computes DAU, rolling 7-day WAU, rolling 30-day MAU and stickiness as the model does', async () => {
    const days = 45;
    const result = await activeUsers(t.bm, 'visit', { days, now: NOW });
    const last = startOf('day', NOW);
    const dates = Array.from({ length: days }, (_, i) => shift('day', last, i - (days - 1)));
    const dau = dates.map((d) => model.users('visit', 'day', d).size);
    const wau = dates.map((d) => windowUsers(model, 'visit', d, 7).size);
    const mau = dates.map((d) => windowUsers(model, 'visit', d, 30).size);
    expect(result.event).to.equal('visit');
    expect(result.dates.map((d) => d.toISOString())).to.deep.equal(dates.map((d) => d.toISOString()));
    expect(result.dau).to.deep.equal(dau);
    expect(result.wau).to.deep.equal(wau);
    expect(result.mau).to.deep.equal(mau);
    expect(result.stickiness).to.deep.equal(dau.map((n, i) => n / mau[i]!));
    expect(mau.every((n, i) => n >= wau[i]! && wau[i]! >= dau[i]!)).to.equal(true);
    expect(new Set(mau).size).to.be.above(1);
  });

  it('gives the model\'s rolling windows for every range length, in one program', async () => {
    for (const days of [1, 6, 7, 8, 29, 30, 31, 61, ACTIVE_USERS_LIMITS.maxDays]) {
      const { result, programs } = await programCalls(t.bm.redis, () => activeUsers(t.bm, 'visit', { days, now: NOW }));
      const last = startOf('day', NOW);
      const dates = Array.from({ length: days }, (_, i) => shift('day', last, i - (days - 1)));
      expect(result.dau, `${days}`).to.deep.equal(dates.map((d) => model.users('visit', 'day', d).size));
      expect(result.wau, `${days}`).to.deep.equal(dates.map((d) => windowUsers(model, 'visit', d, 7).size));
      expect(result.mau, `${days}`).to.deep.equal(dates.map((d) => windowUsers(model, 'visit', d, 30).size));
      expect(programs, `${days}`).to.equal(1);
    }
  });

  it('gives the same trends and active users in the sharded layout (several blocks) and in mapped-id mode', async () => {
    const marks = model.marks.map((m) => ({ event: m.event, uid: m.uid, now: m.at }));
    const sharded = testBitmapist({ layout: 'sharded', shardBits: 8 });
    const mappedPrefix = testBitmapist();
    const mapped = { bm: new Bitmapist({ redis: mappedPrefix.raw, keyPrefix: mappedPrefix.prefix, userIds: 'mapped' }) };
    try {
      await sharded.bm.markEvents(marks);
      await mapped.bm.markEvents(marks.map((m) => ({ ...m, uid: `user-${m.uid}` })));
      const expected = {
        trend: await trendCounts(t.bm, ['visit', 'buy'], { timeGroup: 'weeks', periods: 10, now: NOW }),
        active: await activeUsers(t.bm, 'share', { days: 20, now: NOW }),
      };
      expect(await trendCounts(sharded.bm, ['visit', 'buy'], { timeGroup: 'weeks', periods: 10, now: NOW })).to.deep.equal(expected.trend);
      expect(await activeUsers(sharded.bm, 'share', { days: 20, now: NOW })).to.deep.equal(expected.active);
      expect(await trendCounts(mapped.bm, ['visit', 'buy'], { timeGroup: 'weeks', periods: 10, now: NOW })).to.deep.equal(expected.trend);
      expect(await activeUsers(mapped.bm, 'share', { days: 20, now: NOW })).to.deep.equal(expected.active);
      expect(expected.active.mau.at(-1)).to.be.above(100);
    } finally {
      await sharded.cleanup();
      await mapped.bm.close();
      await mappedPrefix.cleanup();
    }
  });

  it('gives null stickiness for days without monthly users', async () => {
    const result = await activeUsers(t.bm, 'nobody', { days: 3, now: NOW });
    expect(result).to.deep.include({ dau: [0, 0, 0], wau: [0, 0, 0], mau: [0, 0, 0], stickiness: [null, null, null] });
  });

  it('refuses out-of-range arguments naming them', async () => {
    const refused = async (call: () => Promise<unknown>, argument: string) => {
      const error = await call().then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
      expect((error as BitmapistArgumentError).argument).to.equal(argument);
    };
    await refused(() => trendCounts(t.bm, [], { now: NOW }), 'events');
    await refused(() => trendCounts(t.bm, Array(TREND_LIMITS.maxEvents + 1).fill('visit'), { now: NOW }), 'events');
    await refused(() => trendCounts(t.bm, ['visit'], { periods: 0 }), 'periods');
    await refused(() => trendCounts(t.bm, ['visit'], { periods: TREND_LIMITS.maxPeriods.days + 1 }), 'periods');
    await refused(() => trendCounts(t.bm, ['visit'], { timeGroup: 'weeks', periods: TREND_LIMITS.maxPeriods.weeks + 1 }), 'periods');
    await refused(() => trendCounts(t.bm, ['visit'], { periods: 2.5 }), 'periods');
    await refused(() => trendCounts(t.bm, ['visit'], { timeGroup: 'hours' as 'days' }), 'timeGroup');
    await refused(() => activeUsers(t.bm, 'visit', { days: ACTIVE_USERS_LIMITS.maxDays + 1 }), 'days');
    await refused(() => activeUsers(t.bm, '', { days: 3 }), 'event');
  });
});
