import { expect } from 'chai';
import Koa from 'koa';
import { BitmapistArgumentError, TimeZone } from '../../src/index.js';
import { periodStart } from '../../src/engine/time/periods.js';
import { applyRetention } from '../../src/dashboard/cohort/data.js';
import { periodBeyondRetention } from '../../src/engine/time/retention.js';
import { koaBitmapist } from '../../src/koa/index.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { quiet, serve, testApp } from '../koa/support.js';

const at = (iso: string) => new Date(iso);

describe('koa: the timezone option', () => {
  it('marks and shows cohorts in local days (Asia/Kolkata): now=YYYY-MM-DD is the end of that local day', async () => {
    const t = testApp({ timezone: 'Asia/Kolkata' });
    const server = await serve(t.app);
    try {
      t.bitmapist.markEvent('signup', 1, { now: new Date('2025-01-30T20:00:00Z') }); // local Fri 31 Jan 01:30
      t.bitmapist.markEvent('signup', 2, { now: new Date('2025-01-30T17:00:00Z') }); // local Thu 30 Jan 22:30
      t.bitmapist.markEvent('active', 1, { now: new Date('2025-01-31T19:00:00Z') }); // local Sat 1 Feb 00:30
      t.bitmapist.markEvent('active', 2, { now: new Date('2025-01-31T10:00:00Z') }); // local Fri 31 Jan 15:30
      await t.bitmapist.flush(5000);
      expect(await t.raw.get(`${t.prefix}~timezone`)).to.equal('Asia/Kolkata');
      expect(await t.raw.getbit(`${t.prefix}signup_2025-1-31`, 1)).to.equal(1);
      expect(await t.raw.getbit(`${t.prefix}active_2025-2-1`, 1)).to.equal(1);
      const path = '/bitmapist/cohort?primary=signup&secondary=active&timeGroup=days&rows=2&cols=2&mode=recurring&now=2025-01-31';
      const json = JSON.parse(await (await fetch(`${server.base}${path}&format=json`)).text());
      expect(json.cohort).to.deep.equal([[0, 1], [0, null]]);
      expect(json.totals).to.deep.equal([1, 1]);
      expect(json.dates).to.deep.equal(['2025-01-29T18:30:00.000Z', '2025-01-30T18:30:00.000Z']);
      expect(json.timeZone).to.equal('Asia/Kolkata');
      const csv = await (await fetch(`${server.base}${path}&format=csv`)).text();
      expect(csv).to.equal('Date,Total,0,1\r\n2025-01-30,1,0,1\r\n2025-01-31,1,0,\r\n');
      const page = await (await fetch(`${server.base}${path}`)).text();
      expect(page).to.contain('<td class="date">Thu 30 Jan 2025</td>');
      expect(page).to.contain('<td class="date">Fri 31 Jan 2025</td>');
      // The events page counts at the end of the local day, and says so as the true instant (not UTC's end of day).
      const events = JSON.parse(await (await fetch(`${server.base}/bitmapist/?format=json&now=2025-01-31`)).text());
      expect(events.now).to.equal('2025-01-31T18:29:59.999Z');
      expect(events.events.map((e: { name: string; day: number }) => [e.name, e.day])).to.deep.equal([['active', 1], ['signup', 1]]);
      const day = t.bitmapist.getEventData('active', { now: new Date('2025-01-31T19:00:00Z') });
      expect([day.periodStart.toISOString(), day.periodEnd.toISOString()]).to.deep.equal(['2025-01-31T18:30:00.000Z', '2025-02-01T18:29:59.999Z']);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('refuses an unknown time zone when installed', () => {
    expect(() => koaBitmapist(new Koa(), { redisUrl: testRedisUrl(), keyPrefix: uniquePrefix('koa'), logger: quiet, timezone: 'Nowhere/Land' })).to.throw(
      BitmapistArgumentError,
      /^timezone: /,
    );
  });
});

describe('koa: retention of local periods', () => {
  it('a local day expires after its local end (Kolkata), and the cohort view reads the zone from the result', () => {
    const kolkata = TimeZone.of('Asia/Kolkata');
    const start = periodStart('day', at('2025-06-01T12:00:00Z'), kolkata); // 2025-05-31T18:30Z
    // Its UTC-day arithmetic would end it at 2025-05-31T23:59:59.999Z.
    expect(periodBeyondRetention({ day: 0 }, 'day', start, at('2025-06-01T12:00:00Z'), kolkata)).to.equal(false);
    expect(periodBeyondRetention({ day: 0 }, 'day', start, at('2025-06-01T18:30:00Z'), kolkata)).to.equal(true);
    const result = { cohort: [[1, 1]], dates: [start], totals: [1], timeZone: 'Asia/Kolkata' };
    expect(applyRetention(result, 'days', { day: 0 }, at('2025-06-01T12:00:00Z'))).to.deep.equal({ rows: [false], cells: [[false, false]] });
    expect(result.cohort).to.deep.equal([[1, 1]]);
    expect(applyRetention(result, 'days', { day: 0 }, at('2025-06-02T18:30:00Z'))).to.deep.equal({ rows: [true], cells: [[true, true]] });
  });
});
