import { expect } from 'chai';
import { Bitmapist, BitmapistArgumentError, BitmapistTimeZoneError, CalendarDay, type CohortMode } from '../../../src/index.js';
import { countCommands, MarkModel, prng, startOf, type Unit } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

const at = (iso: string) => new Date(iso);
/** The local wall-clock time of `date` in `zone` as a UTC Date (Intl directly: independent of the engine). */
const wallOf = (zone: string, date: Date) => new Date(`${date.toLocaleString('sv-SE', { timeZone: zone }).replace(' ', 'T')}.${String(date.getUTCMilliseconds()).padStart(3, '0')}Z`);

describe('time zones: marks and the recorded zone', () => {
  let t: ReturnType<typeof testBitmapist> | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  it('Berlin: writes local-date keys around both DST changes and records the zone', async () => {
    t = testBitmapist({ timezone: 'Europe/Berlin', trackHourly: true });
    for (const iso of ['2025-03-30T00:59:59Z', '2025-03-30T01:00:00Z', '2025-10-26T00:30:00Z', '2025-10-26T01:30:00Z', '2024-12-29T23:30:00Z']) {
      await t.bm.markEvent('e', 1, { now: at(iso) });
    }
    expect((await t.keys()).map((key) => key.slice(t!.prefix.length))).to.deep.equal([
      'e_2024-12', 'e_2024-12-30', 'e_2024-12-30-0', 'e_2025-10', 'e_2025-10-26', 'e_2025-10-26-2', 'e_2025-3', 'e_2025-3-30',
      'e_2025-3-30-1', 'e_2025-3-30-3', 'e_W2025-1', 'e_W2025-13', 'e_W2025-43', '~timezone',
    ]);
    expect(await t.raw.get(`${t.prefix}~timezone`)).to.equal('Europe/Berlin');
    const day = t.bm.day('e', at('2025-10-26T12:00:00Z'));
    expect([day.periodStart.toISOString(), day.periodEnd.toISOString()]).to.deep.equal(['2025-10-25T22:00:00.000Z', '2025-10-26T22:59:59.999Z']);
    expect(await day.ids()).to.deep.equal([1]);
    expect(await t.bm.hour('e', at('2025-10-26T01:59:00Z')).count()).to.equal(1);
    expect(t.bm.day('e', at('2025-03-30T12:00:00Z')).next().periodStart.toISOString()).to.equal('2025-03-30T22:00:00.000Z');
  });

  it('a mark at a CalendarDay lands on that local day, as reads take it (Asia/Tokyo)', async () => {
    t = testBitmapist({ timezone: 'Asia/Tokyo', trackHourly: true });
    const day = new CalendarDay(2025, 1, 31);
    await t.bm.markEvent('signup', 1, { now: day });
    await t.bm.markEvents([{ event: 'signup', uid: 2, now: day }]);
    expect(await t.bm.day('signup', day).ids()).to.deep.equal([1, 2]);
    expect(await t.raw.exists(`${t.prefix}signup_2025-1-31`, `${t.prefix}signup_2025-1-31-23`)).to.equal(2);
    expect(await t.raw.exists(`${t.prefix}signup_2025-2-1`)).to.equal(0);
  });

  it('the default (UTC) writes nothing but the bitmaps, and reads the record once', async () => {
    t = testBitmapist();
    await t.raw.ping();
    const { names } = await countCommands(t.raw, async () => {
      const bm = new Bitmapist({ redis: t!.raw, keyPrefix: t!.prefix });
      await bm.markEvent('e', 1, { now: at('2025-10-26T01:30:00Z') });
      await bm.markEvent('e', 2, { now: at('2025-10-26T01:30:00Z') });
      await bm.markEvents([{ event: 'e', uid: 3, now: at('2025-10-26T01:30:00Z') }]);
    });
    // One GET of the record for three marks; otherwise only the mark scripts (EVALSHA, or EVAL once unloaded).
    expect(names.filter((name) => name === 'get')).to.deep.equal(['get']);
    expect(names.filter((name) => name !== 'get' && name !== 'evalsha' && name !== 'eval')).to.deep.equal([]);
    expect((await t.keys()).map((key) => key.slice(t!.prefix.length))).to.deep.equal(['e_2025-10', 'e_2025-10-26', 'e_W2025-43']);
    expect(t.bm.timeZone.name).to.equal('UTC');
  });

  it('refuses a writer of another zone (and UTC) on a recorded prefix: typed error, nothing written', async () => {
    t = testBitmapist({ timezone: 'Australia/Adelaide' });
    await t.bm.markEvent('e', 1, { now: at('2025-04-05T16:00:00Z') });
    const before = await t.keys();
    for (const timezone of ['Asia/Kolkata', undefined]) {
      const other = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, timezone });
      for (const write of [() => other.markEvent('e', 2), () => other.markEvents([{ event: 'f', uid: 3 }]), () => other.markUnique('g', 4)]) {
        let error: unknown;
        await write().catch((caught: unknown) => (error = caught));
        expect(error, String(timezone)).to.be.instanceOf(BitmapistTimeZoneError);
        expect(String((error as Error).message)).to.contain('Australia/Adelaide');
      }
    }
    expect(await t.keys()).to.deep.equal(before);
    // The same zone (by any spelling) writes.
    await new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, timezone: 'australia/adelaide' }).markEvent('e', 5, { now: at('2025-04-05T17:00:00Z') });
    expect(await t.bm.day('e', at('2025-04-05T16:00:00Z')).ids()).to.deep.equal([1, 5]);
  });

  it('records the name as given and accepts its aliases (Asia/Kolkata, Asia/Calcutta)', async () => {
    t = testBitmapist({ timezone: 'Asia/Kolkata' });
    await t.bm.markEvent('e', 1, { now: at('2025-06-01T00:00:00Z') });
    expect(await t.raw.get(`${t.prefix}~timezone`)).to.equal('Asia/Kolkata');
    await new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, timezone: 'Asia/Calcutta' }).markEvent('e', 2, { now: at('2025-06-01T00:00:00Z') });
    expect(await t.bm.day('e', at('2025-06-01T00:00:00Z')).ids()).to.deep.equal([1, 2]);
  });

  it('refuses a non-UTC writer on a prefix holding UTC bitmaps without a record, writing no record', async () => {
    t = testBitmapist();
    await t.bm.markEvent('e', 1, { now: at('2025-06-01T00:00:00Z') });
    const before = await t.keys();
    const local = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, timezone: 'Asia/Kolkata' });
    let error: unknown;
    await local.markEvent('e', 2).catch((caught: unknown) => (error = caught));
    expect(error).to.be.instanceOf(BitmapistTimeZoneError);
    expect(await t.keys()).to.deep.equal(before);
  });

  it('sharded layout: local keys per block, the record, and the refusal', async () => {
    t = testBitmapist({ timezone: 'Europe/Berlin', layout: 'sharded', shardBits: 8 });
    await t.bm.markEvents([{ event: 'e', uid: 3, now: at('2024-12-29T23:30:00Z') }, { event: 'e', uid: 300, now: at('2024-12-29T23:30:00Z') }]);
    expect(await t.raw.get(`${t.prefix}~timezone`)).to.equal('Europe/Berlin');
    expect(await t.raw.exists(`${t.prefix}{0}e_2024-12-30`, `${t.prefix}{1}e_W2025-1`)).to.equal(2);
    expect(await t.bm.week('e', at('2024-12-29T23:30:00Z')).ids()).to.deep.equal([3, 300]);
    const before = await t.keys();
    const utc = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8 });
    let error: unknown;
    await utc.markEvent('e', 4).catch((caught: unknown) => (error = caught));
    expect(error).to.be.instanceOf(BitmapistTimeZoneError);
    expect(await t.keys()).to.deep.equal(before);
  });

  it('refuses a date whose local year falls outside 1000-9999 though its UTC year does not, writing nothing', async () => {
    t = testBitmapist({ timezone: 'Pacific/Kiritimati', trackHourly: true, trackUnique: true });
    const message = 'now: must fall in the years 1000 to 9999 in UTC and in the time zone Pacific/Kiritimati';
    // 10:00 UTC on the last day of 9999 is the first day of 10000 at UTC+14.
    const late = at('9999-12-31T10:00:00Z');
    const refusals = [
      t.bm.markEvent('e', 1, { now: late }),
      t.bm.markEvents([{ event: 'e', uid: 1, now: at('9999-12-31T09:59:59.999Z') }, { event: 'e', uid: 2, now: late }]),
      t.bm.unmarkEvent('e', 1, { now: late }),
    ];
    for (const refusal of refusals) {
      const error = await refusal.then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
      expect((error as Error).message).to.match(/must fall in the years 1000 to 9999 in UTC and in the time zone Pacific\/Kiritimati$/);
    }
    expect(() => t!.bm.day('e', late)).to.throw(BitmapistArgumentError, message.replace('now', 'date'));
    expect(await t.keys()).to.deep.equal([]);
    // The last local instant of 9999 is taken, and writes the keys of 9999 only.
    await t.bm.markEvent('e', 1, { now: at('9999-12-31T09:59:59.999Z') });
    expect((await t.keys()).map((key) => key.slice(t!.prefix.length))).to.deep.equal([
      'e_9999-12', 'e_9999-12-31', 'e_9999-12-31-23', 'e_W9999-52', 'e_u', '~timezone',
    ]);

    // West of UTC, the first UTC hours of the year 1000 are local 999.
    const west = testBitmapist({ timezone: 'America/Los_Angeles' });
    try {
      const early = at('1000-01-01T05:00:00Z');
      const error = await west.bm.markEvent('e', 1, { now: early }).then(() => undefined, (e: unknown) => e);
      expect((error as Error).message).to.equal('now: must fall in the years 1000 to 9999 in UTC and in the time zone America/Los_Angeles');
      expect(() => west.bm.week('e', early)).to.throw(BitmapistArgumentError, /America\/Los_Angeles/);
      expect(await west.keys()).to.deep.equal([]);
    } finally {
      await west.cleanup();
    }
  });

  it('refuses an unknown zone when the engine is created', () => {
    expect(() => new Bitmapist({ redis: 'redis://127.0.0.1:1', timezone: 'Mars/Olympus', keyPrefix: 'x_' })).to.throw(BitmapistArgumentError, /^timezone: /);
  });

  it('expires each bitmap after its local period ends (Kolkata day, hour)', async () => {
    t = testBitmapist({ timezone: 'Asia/Kolkata', trackHourly: true, expire: { day: 10, hour: 20 } });
    const now = new Date(Date.now() + 86_400_000);
    await t.bm.markEvent('e', 1, { now });
    const day = t.bm.day('e', now);
    const hour = t.bm.hour('e', now);
    const wall = wallOf('Asia/Kolkata', now);
    const dayKey = t.bm.keys.eventKey('e', `${wall.getUTCFullYear()}-${wall.getUTCMonth() + 1}-${wall.getUTCDate()}`, 0);
    const hourKey = `${dayKey}-${wall.getUTCHours()}`;
    expect(await t.raw.call('EXPIRETIME', dayKey)).to.equal((day.periodEnd.getTime() + 1) / 1000 + 10);
    expect(await t.raw.call('EXPIRETIME', hourKey)).to.equal((hour.periodEnd.getTime() + 1) / 1000 + 20);
  });
});

describe('time zones: cohorts in local periods equal a model of local dates', () => {
  const cases: { zone: string; unit: Unit; timeGroup: 'days' | 'weeks' | 'months'; span: number; now: string }[] = [
    { zone: 'Australia/Adelaide', unit: 'day', timeGroup: 'days', span: 14, now: '2025-04-10T10:00:00Z' },
    { zone: 'Australia/Adelaide', unit: 'day', timeGroup: 'days', span: 14, now: '2025-10-09T20:00:00Z' },
    { zone: 'Europe/Berlin', unit: 'day', timeGroup: 'days', span: 14, now: '2025-10-30T22:30:00Z' },
    { zone: 'Asia/Kolkata', unit: 'week', timeGroup: 'weeks', span: 8 * 7, now: '2025-01-12T19:00:00Z' },
    { zone: 'Europe/Berlin', unit: 'month', timeGroup: 'months', span: 200, now: '2025-01-01T00:30:00Z' },
  ];
  for (const { zone, unit, timeGroup, span, now: nowIso } of cases) {
    it(`${zone}, ${timeGroup} up to ${nowIso}`, async () => {
      const t = testBitmapist({ timezone: zone });
      try {
        const now = at(nowIso);
        const random = prng(span + nowIso.length);
        // The model counts in UTC: give it every date as its local wall-clock time.
        const model = new MarkModel();
        const marks: Promise<void>[] = [];
        for (let n = 0; n < 1200; n++) {
          const event = ['signup', 'active'][Math.floor(random() * 2)]!;
          const uid = Math.floor(random() * 300);
          const date = new Date(now.getTime() - Math.floor(random() * span * 86_400_000));
          model.add(event, uid, wallOf(zone, date));
          marks.push(t.bm.markEvent(event, uid, { now: date }));
        }
        await Promise.all(marks);
        for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
          const got = await t.bm.getCohort('signup', 'active', { timeGroup, numRows: 6, numCols: 6, mode, now });
          const want = model.cohort('signup', 'active', { unit, rows: 6, cols: 6, mode, now: wallOf(zone, now) });
          expect(want.cohort.flat().filter((v) => (v ?? 0) > 0), mode).to.have.length.above(3);
          expect(got.cohort, mode).to.deep.equal(want.cohort);
          expect(got.totals, mode).to.deep.equal(want.totals);
          // The dates are the true instants of the local period starts.
          expect(got.dates.map((date) => wallOf(zone, date).toISOString()), mode).to.deep.equal(want.dates.map((date) => date.toISOString()));
        }
        const today = await t.bm.getEventData('active', { timeGroup, now }).ids();
        const wantToday = [...model.users('active', unit, startOf(unit, wallOf(zone, now)))].sort((a, b) => a - b);
        expect(today).to.deep.equal(wantToday);
      } finally {
        await t.cleanup();
      }
    });
  }
});
