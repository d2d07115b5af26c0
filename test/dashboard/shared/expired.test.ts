import { expect } from 'chai';
import Koa from 'koa';
import { BitmapistArgumentError, CalendarDay } from '../../../src/index.js';
import { installedBitmapist, koaBitmapist } from '../../../src/koa/index.js';
import type { CohortJson } from '../../../src/dashboard/cohort/data.js';
import { eventsRetention } from '../../../src/dashboard/events/data.js';
import { sparklineRetention } from '../../../src/dashboard/events/sparkline.js';
import { TimeZone } from '../../../src/engine/time/time-zone.js';
import { quiet, serve, testApp } from '../../koa/support.js';

const DAY = 86_400;
const DAY_MS = DAY * 1000;
const RETENTION_DAYS = 10;

/** Starts of the UTC days `k` days before today. */
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const daysAgo = (k: number) => new Date(today - k * DAY_MS + 3_600_000);
const isoDay = (k: number) => new Date(today - k * DAY_MS).toISOString().slice(0, 10);

/** The events page's JSON answer. */
interface EventsJson {
  events: { name: string; day: number | null; week: number | null }[];
  beyondRetention?: Record<string, boolean>;
}
const getJson = async <T>(url: string) => (await (await fetch(url)).json()) as T;

describe('koa: the dashboard shows periods beyond the `expire` retention as expired, not as zeros', function () {
  this.timeout(30_000);

  it('cohort JSON: rows and cells beyond retention are null and flagged; HTML marks them', async () => {
    const t = testApp({ expire: { day: RETENTION_DAYS * DAY } });
    const server = await serve(t.app);
    try {
      // Five sign-ups on each of the last 15 days, each visiting again one and two days later.
      const marks = [];
      for (let k = 14; k >= 0; k--) {
        for (let u = 0; u < 5; u++) {
          const uid = 100 * k + u;
          marks.push({ event: 'signup', uid, now: daysAgo(k) });
          for (const later of [1, 2]) if (k - later >= 0) marks.push({ event: 'visit', uid, now: daysAgo(k - later) });
        }
      }
      await t.bitmapist.engine.markEvents(marks);
      const query = `primary=signup&secondary=visit&timeGroup=days&rows=15&cols=5&now=${isoDay(0)}`;
      const json = (await (await fetch(`${server.base}/bitmapist/cohort?${query}&format=json`)).json()) as CohortJson;
      // A day is gone once its end plus 10 days has passed: the days 11 to 14 days ago.
      const expiredRows = Array.from({ length: 15 }, (_, i) => 14 - i >= RETENTION_DAYS + 1);
      expect(json.beyondRetention!.rows).to.deep.equal(expiredRows);
      expect(json.beyondRetention!.cells.map((row) => row.filter(Boolean).length)).to.deep.equal(
        Array.from({ length: 15 }, (_, i) => Math.max(0, 4 - i)),
      );
      for (let i = 0; i < 4; i++) expect(json.cohort[i], `row ${i}`).to.deep.equal([null, null, null, null, null]);
      expect(json.totals.slice(0, 5)).to.deep.equal([0, 0, 0, 0, 5]);
      // Mode `first`: a user counts in the first period after sign-up they visit in.
      expect(json.cohort[4]).to.deep.equal([0, 5, 0, 0, 0]);
      expect(json.cohort[14]).to.deep.equal([0, null, null, null, null]);

      const page = await (await fetch(`${server.base}/bitmapist/cohort?${query}`)).text();
      expect(page.match(/<tr class="expired">/g)?.length).to.equal(4);
      expect(page.match(/<td class="expired"/g)?.length).to.equal(4 * 5);
      expect(page.match(/<td class="total expired"[^>]*>expired<\/td>/g)?.length).to.equal(4);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it("judges the events page's and the sparkline's periods as the engine's local ones (Europe/Berlin)", () => {
    const berlin = TimeZone.of('Europe/Berlin');
    const expire = { day: 0, month: 0 };
    // 00:30 on 2026-12-07 in Berlin; the clock at 10:19Z, within that local day (which ends at 23:00Z).
    const pageNow = new Date('2026-12-06T23:30:00Z');
    const clock = new Date('2026-12-07T10:19:00Z');
    expect(eventsRetention(expire, pageNow, clock, berlin)).to.deep.equal({ day: false, week: false, month: false, year: false });
    // The local day before is over, and with `day: 0` beyond retention; in UTC it would not be yet at 22:30Z.
    expect(eventsRetention(expire, new Date('2026-12-06T12:00:00Z'), new Date('2026-12-06T23:30:00Z'), berlin)!.day).to.equal(true);
    // A sparkline's days start at local midnight (23:00Z the UTC day before); today is kept, yesterday expired.
    const days = [new Date('2026-12-05T23:00:00Z'), new Date('2026-12-06T23:00:00Z')];
    expect(sparklineRetention({ day: 0 }, days, clock, berlin)).to.deep.equal([true, false]);
    expect(sparklineRetention(undefined, days, clock, berlin)).to.equal(undefined);
    // A CalendarDay is the end of that local day, as for the counts: in Tokyo, 2025-01-31 (not February 1).
    const tokyo = TimeZone.of('Asia/Tokyo');
    expect(eventsRetention({ day: 0 }, new CalendarDay(2025, 1, 31), new Date('2025-01-31T16:00:00Z'), tokyo)!.day).to.equal(true);
    expect(eventsRetention({ day: 0 }, new CalendarDay(2025, 1, 31), new Date('2025-01-31T14:00:00Z'), tokyo)!.day).to.equal(false);
  });

  it('events page: a period beyond retention reads null in JSON and "expired" in HTML; without expire nothing changes', async () => {
    const t = testApp({ expire: { day: RETENTION_DAYS * DAY } });
    const plain = testApp();
    const server = await serve(t.app);
    const plainServer = await serve(plain.app);
    try {
      await t.bitmapist.engine.markEvent('old', 1, { now: daysAgo(20) });
      await t.bitmapist.engine.markEvent('old', 2, { now: daysAgo(0) });
      const old = await getJson<EventsJson>(`${server.base}/bitmapist/?format=json&now=${isoDay(20)}`);
      expect(old.beyondRetention).to.deep.equal({ day: true, week: false, month: false, year: false });
      expect(old.events[0]!.name).to.equal('old');
      expect(old.events[0]!.day).to.equal(null);
      expect(old.events[0]!.week).to.equal(1);
      const fresh = await getJson<EventsJson>(`${server.base}/bitmapist/?format=json&now=${isoDay(0)}`);
      expect(fresh.beyondRetention).to.deep.equal({ day: false, week: false, month: false, year: false });
      expect(fresh.events[0]!.day).to.equal(1);
      const page = await (await fetch(`${server.base}/bitmapist/?now=${isoDay(20)}`)).text();
      expect(page.match(/<td class="expired"[^>]*>expired<\/td>/g)?.length).to.equal(1);
      expect(page).to.include('beyond the configured retention');

      await plain.bitmapist.engine.markEvent('old', 1, { now: daysAgo(20) });
      const untouched = await getJson<EventsJson>(`${plainServer.base}/bitmapist/?format=json&now=${isoDay(20)}`);
      expect(untouched).to.not.have.property('beyondRetention');
      expect(untouched.events[0]!.day).to.equal(1);
      const cohort = await getJson<CohortJson>(`${plainServer.base}/bitmapist/cohort?primary=old&secondary=old&rows=3&cols=2&now=${isoDay(20)}&format=json`);
      expect(cohort).to.not.have.property('beyondRetention');
      expect(cohort.cohort[2]).to.deep.equal([1, null]);
    } finally {
      await server.close();
      await plainServer.close();
      await t.cleanup();
      await plain.cleanup();
    }
  });

  it('the plugin passes `expire` to its engines (queued marks get their expiry) and refuses a bad one at once', async () => {
    const t = testApp({ disableRouter: true, expire: { day: RETENTION_DAYS * DAY } });
    try {
      t.bitmapist.markEvent('queued', 1, { now: daysAgo(1) });
      expect(await t.bitmapist.flush(5000)).to.equal(0);
      expect(await t.raw.expiretime(`${t.prefix}queued_${isoDay(1).split('-').map(Number).join('-')}`)).to.equal(
        (today - DAY_MS) / 1000 + (RETENTION_DAYS + 1) * DAY,
      );
      expect(t.bitmapist.engine.expire).to.deep.equal({ day: RETENTION_DAYS * DAY });
    } finally {
      await t.cleanup();
    }
    const app = new Koa();
    expect(() => koaBitmapist(app, { redisUrl: 'redis://127.0.0.1:1', expire: { unique: 5 } as never, logger: quiet })).to.throw(
      BitmapistArgumentError,
      'expire.unique',
    );
    expect(installedBitmapist()).to.equal(undefined);
  });
});

