import { expect } from 'chai';
import fc from 'fast-check';
import { TREND_LIMITS } from '../../../src/engine/insights/trends.js';
import { SPARKLINE_LIMITS } from '../../../src/dashboard/events/sparkline.js';
import { MarkModel, prng, shift, startOf, type Unit } from '../../support/model.js';
import { hostileText } from '../../hostile/support/hostile-http.js';
import { serve, testApp } from '../../koa/support.js';

const NOW = new Date('2025-03-15T18:00:00Z');
const ODD = '<b>"odd",=name</b>';

/** The fields of the trends and active-users JSON answers the tests read. */
type Figures = Record<'dates' | 'dau' | 'wau' | 'mau' | 'stickiness', (string | number | null)[]> & { series: { counts: (number | null)[] }[] };

describe('koa: GET /bitmapist/trends', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof testApp>;
  let server: Awaited<ReturnType<typeof serve>>;
  const model = new MarkModel();
  const get = async (path: string) => {
    const response = await fetch(server.base + path);
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  };

  before(async () => {
    t = testApp();
    const random = prng(31);
    const marks = Array.from({ length: 2000 }, () => {
      const event = ['visit', 'buy', ODD][Math.floor(random() * 3)]!;
      const uid = Math.floor(random() * 300);
      const at = new Date(NOW.getTime() - Math.floor(random() * 200 * 86_400_000));
      model.add(event, uid, at);
      return { event, uid, now: at };
    });
    await t.bitmapist.engine.markEvents(marks);
    server = await serve(t.app);
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  const expected = (events: string[], unit: Unit, periods: number) => {
    const last = startOf(unit, NOW);
    const dates = Array.from({ length: periods }, (_, i) => shift(unit, last, i - (periods - 1)));
    return { dates, series: events.map((event) => ({ event, counts: dates.map((d) => model.users(event, unit, d).size) })) };
  };

  for (const [timeGroup, unit, periods] of [['days', 'day', 30], ['weeks', 'week', 10], ['months', 'month', 6]] as const) {
    it(`answers JSON users per ${unit} for two events, as the model counts them`, async () => {
      const answer = await get(`/bitmapist/trends?event=visit&event=buy&timeGroup=${timeGroup}&periods=${periods}&now=${NOW.toISOString()}&format=json`);
      expect(answer.status).to.equal(200);
      const { dates, series } = expected(['visit', 'buy'], unit, periods);
      expect(JSON.parse(answer.body)).to.deep.equal({ timeGroup, timeZone: 'UTC', dates: dates.map((d) => d.toISOString()), series });
      expect(series[0]!.counts.filter((n) => n > 0).length).to.be.above(periods / 2);
    });
  }

  it('answers CSV with a header naming the events (quoted where needed) and a line per period', async () => {
    const answer = await get(`/bitmapist/trends?event=visit&event=${encodeURIComponent(ODD)}&periods=3&now=2025-03-15&format=csv`);
    expect(answer.status).to.equal(200);
    expect(answer.type).to.match(/^text\/csv/);
    const { dates, series } = expected(['visit', ODD], 'day', 3);
    const lines = dates.map((d, i) => `${d.toISOString().slice(0, 10)},${series[0]!.counts[i]},${series[1]!.counts[i]}`);
    expect(answer.body).to.equal(['Date,visit,"<b>""odd"",=name</b>"', ...lines].join('\r\n') + '\r\n');
  });

  it('draws an SVG line chart with a title, a path and a point per period for each event, names escaped', async () => {
    const answer = await get(`/bitmapist/trends?event=visit&event=${encodeURIComponent(ODD)}&periods=14&now=2025-03-15`);
    expect(answer.status).to.equal(200);
    expect(answer.body).to.include('<svg class="line-chart"');
    expect(answer.body).to.match(/<title id="chart-[a-z0-9]+-title">Users per day: visit, &lt;b&gt;&quot;odd&quot;,=name&lt;\/b&gt;<\/title>/);
    expect(answer.body.match(/<path class="line" d="M/g)).to.have.length(2);
    expect(answer.body.match(/<circle class="point"/g)).to.have.length(28);
    expect(answer.body).not.to.include('<b>"odd"');
    expect(answer.body).to.include('<td class="date">2025-03-02</td>');
    expect(answer.body).to.include('<td class="date">2025-03-15</td>');
  });

  it('shows the bare form without events, and links the nav to trends', async () => {
    const answer = await get('/bitmapist/trends');
    expect(answer.status).to.equal(200);
    expect(answer.body).to.include('action="/bitmapist/trends"');
    expect(answer.body).to.include('<a href="/bitmapist/trends" class="active">Trends</a>');
    expect(answer.body).not.to.include('<svg');
  });

  it('answers 400 naming the parameter for every bad parameter, and for unknown events', async () => {
    const tooMany = Array.from({ length: TREND_LIMITS.maxEvents + 1 }, (_, i) => `event=e${i}`).join('&');
    const cases: [string, string][] = [
      ['event=nobody', 'event'],
      ['event=visit&event=nobody', 'event'],
      [tooMany, 'event'],
      ['', 'event'],
      ['event=visit&periods=0', 'periods'],
      ['event=visit&periods=91', 'periods'],
      ['event=visit&timeGroup=weeks&periods=53', 'periods'],
      ['event=visit&periods=abc', 'periods'],
      ['event=visit&timeGroup=hours', 'timeGroup'],
      ['event=visit&now=yesterday', 'now'],
      ['event=visit&now=2025-01-01&now=2025-01-02', 'now'],
      [`event=${'x'.repeat(300)}`, 'event'],
    ];
    for (const [query, parameter] of cases) {
      const answer = await get(`/bitmapist/trends?${query}${query ? '&' : ''}format=json`);
      expect([answer.status, JSON.parse(answer.body).parameter], query.slice(0, 40)).to.deep.equal([400, parameter]);
    }
    expect((await get('/bitmapist/trends?event=visit&format=xml')).status).to.equal(400);
  });

  it('answers 403 on every chart route when authorize refuses', async () => {
    const closed = testApp({ authorize: () => false });
    const closedServer = await serve(closed.app);
    try {
      const response = await fetch(`${closedServer.base}/bitmapist/trends?event=visit&format=json`);
      expect(response.status).to.equal(403);
      const active = await fetch(`${closedServer.base}/bitmapist/active?event=visit&format=json`);
      expect(active.status).to.equal(403);
      expect((await fetch(`${closedServer.base}/bitmapist/sparkline?event=visit`)).status).to.equal(403);
    } finally {
      await closedServer.close();
      await closed.cleanup();
    }
  });

  it('links every event on the events page to its trend, with a 14-day sparkline image for the first 20 events', async () => {
    const many = testApp();
    const manyServer = await serve(many.app);
    try {
      const names = Array.from({ length: SPARKLINE_LIMITS.events + 3 }, (_, i) => `ev${String(i).padStart(2, '0')}`);
      // Event evNN has NN + 1 users on each day k of the last 14 days with k % 3 === NN % 3.
      const marks = names.flatMap((event, n) =>
        Array.from({ length: SPARKLINE_LIMITS.days }, (_, k) => k).filter((k) => k % 3 === n % 3).flatMap((k) =>
          Array.from({ length: n + 1 }, (_, uid) => ({ event, uid, now: shift('day', NOW, k - (SPARKLINE_LIMITS.days - 1)) })),
        ),
      );
      await many.bitmapist.engine.markEvents(marks);
      const body = await (await fetch(`${manyServer.base}/bitmapist/?now=2025-03-15`)).text();
      expect(body.match(/<img class="sparkline"/g)).to.have.length(SPARKLINE_LIMITS.events);
      for (const [n, event] of names.entries()) {
        const params = `event=${event}&amp;now=2025-03-15T23%3A59%3A59.999Z`;
        expect(body).to.include(`<a href="/bitmapist/trends?${params}"`);
        expect(body.includes(`<img class="sparkline" src="/bitmapist/sparkline?${params}"`), event).to.equal(n < SPARKLINE_LIMITS.events);
        const image = await fetch(`${manyServer.base}/bitmapist/sparkline?${params.replace('&amp;', '&')}`);
        expect(image.headers.get('content-type')).to.equal('image/svg+xml');
        const counts = Array.from({ length: SPARKLINE_LIMITS.days }, (_, k) => (k % 3 === n % 3 ? n + 1 : 0));
        const svg = await image.text();
        expect(svg).to.include(`<title>${event}: users per day over the last 14 days: ${counts.join(', ')}</title>`);
        expect(/ d="([^"]*)"/.exec(svg)?.[1]?.match(/[ML]/g)?.length).to.equal(SPARKLINE_LIMITS.days);
      }
      const refused = await fetch(`${manyServer.base}/bitmapist/sparkline?event=nobody&format=json`);
      expect([refused.status, ((await refused.json()) as { parameter: string }).parameter]).to.deep.equal([400, 'event']);
    } finally {
      await manyServer.close();
      await many.cleanup();
    }
  });

  it('draws a well-formed SVG document for an event whose name holds characters XML refuses', async () => {
    const event = 'ctl\u0001na\u000bme\u001f';
    await t.bitmapist.engine.markEvent(event, 7, { now: NOW });
    const image = await fetch(`${server.base}/bitmapist/sparkline?event=${encodeURIComponent(event)}&now=2025-03-15`);
    expect(image.status).to.equal(200);
    const svg = await image.text();
    // Before the fix the controls went into the <title> as they were: the image was ill-formed XML, broken.
    expect(svg).to.not.match(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(svg).to.include('<title>ctl\u2401na\u240bme\u241f: users per day over the last 14 days: ');
  });

  it('shows periods beyond the expire retention as null / expired in trends, active users and sparklines', async () => {
    const DAY_MS = 86_400_000;
    const retentionDays = 10;
    const expiring = testApp({ expire: { day: retentionDays * 86_400 } });
    const expiringServer = await serve(expiring.app);
    try {
      const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
      const daysAgo = (k: number) => new Date(today - k * DAY_MS + 3_600_000);
      await expiring.bitmapist.engine.markEvents(Array.from({ length: retentionDays + 1 }, (_, k) => ({ event: 'visit', uid: k, now: daysAgo(k) })));
      const nowDay = new Date(today).toISOString().slice(0, 10);
      const json = async (path: string) => (await (await fetch(`${expiringServer.base}/bitmapist/${path}`)).json()) as Figures;
      // Day k days ago is beyond retention from k = retentionDays + 1 on (its end plus 10 days has passed).
      const trend = await json(`trends?event=visit&periods=14&now=${nowDay}&format=json`);
      expect(trend.series[0]!.counts).to.deep.equal(Array.from({ length: 14 }, (_, i) => (13 - i >= retentionDays + 1 ? null : 1)));
      const active = await json(`active?event=visit&days=15&now=${nowDay}&format=json`);
      const k = (i: number) => 14 - i;
      expect(active.dau).to.deep.equal(Array.from({ length: 15 }, (_, i) => (k(i) >= retentionDays + 1 ? null : 1)));
      expect(active.wau.map((n) => n === null)).to.deep.equal(Array.from({ length: 15 }, (_, i) => k(i) + 6 >= retentionDays + 1));
      expect(active.mau).to.deep.equal(Array(15).fill(null));
      expect(active.stickiness).to.deep.equal(Array(15).fill(null));
      const page = await (await fetch(`${expiringServer.base}/bitmapist/trends?event=visit&periods=14&now=${nowDay}`)).text();
      expect(page.match(/<td class="expired"/g)).to.have.length(3);
      // Expired periods are left out of the line: 11 points, one path starting at the fourth period.
      expect(page.match(/<circle class="point"/g)).to.have.length(11);
      expect(page.match(/d="M[^"]*"/g)?.filter((d) => d.includes('L'))[0]?.match(/M/g)).to.have.length(1);
      const image = await (await fetch(`${expiringServer.base}/bitmapist/sparkline?event=visit&now=${nowDay}`)).text();
      expect(image).to.include(`<title>visit: users per day over the last 14 days: expired, expired, expired, ${Array(11).fill(1).join(', ')}</title>`);
    } finally {
      await expiringServer.close();
      await expiring.cleanup();
    }
  });

  it('defuses a CSV header cell that a spreadsheet would read as a formula', async () => {
    await t.bitmapist.engine.markEvent('=SUM(A1)', 1, { now: NOW });
    const answer = await get(`/bitmapist/trends?event=${encodeURIComponent('=SUM(A1)')}&periods=2&now=2025-03-15&format=csv`);
    expect(answer.body.split('\r\n')[0]).to.equal("Date,'=SUM(A1)");
    expect(answer.body.split('\r\n')[2]).to.equal('2025-03-15,1');
    // A tab or a carriage return before the formula as well (before the fix they went out as they were).
    for (const event of ['\t=1+2', '\r=1+2']) await t.bitmapist.engine.markEvent(event, 1, { now: NOW });
    const hidden = await get(`/bitmapist/trends?event=${encodeURIComponent('\t=1+2')}&event=${encodeURIComponent('\r=1+2')}&periods=2&now=2025-03-15&format=csv`);
    expect(hidden.body.split('\r\n')[0]).to.equal('Date,\'\t=1+2,"\'\r=1+2"');
  });

  it('uses local days of the timezone option: dates are local midnights, labels (tables and CSV) local dates', async () => {
    const local = testApp({ timezone: 'Asia/Tehran' });
    const localServer = await serve(local.app);
    try {
      // 21:00 UTC on 14 March is 00:30 on 15 March in Tehran (UTC+03:30, no DST since 2022).
      await local.bitmapist.engine.markEvents([
        { event: 'visit', uid: 1, now: new Date('2025-03-14T21:00:00Z') },
        { event: 'visit', uid: 2, now: new Date('2025-03-14T12:00:00Z') },
      ]);
      const now = '2025-03-15T12:00:00Z';
      const trend = (await (await fetch(`${localServer.base}/bitmapist/trends?event=visit&periods=2&now=${now}&format=json`)).json()) as Figures;
      expect(trend).to.deep.equal({
        timeGroup: 'days',
        timeZone: 'Asia/Tehran',
        dates: ['2025-03-13T20:30:00.000Z', '2025-03-14T20:30:00.000Z'],
        series: [{ event: 'visit', counts: [1, 1] }],
      });
      const active = (await (await fetch(`${localServer.base}/bitmapist/active?event=visit&days=2&now=${now}&format=json`)).json()) as Figures;
      expect([active.dates, active.dau, active.wau, active.mau]).to.deep.equal([trend.dates, [1, 1], [1, 2], [1, 2]]);
      const page = await (await fetch(`${localServer.base}/bitmapist/trends?event=visit&periods=2&now=${now}`)).text();
      expect(page).to.include('<td class="date">2025-03-14</td>');
      expect(page).to.include('<td class="date">2025-03-15</td>');
      const csv = async (path: string) => (await (await fetch(`${localServer.base}/bitmapist/${path}&now=${now}&format=csv`)).text()).trimEnd().split(/\r?\n/);
      expect(await csv('trends?event=visit&periods=2')).to.deep.equal(['Date,visit', '2025-03-14,1', '2025-03-15,1']);
      expect(await csv('active?event=visit&days=2')).to.deep.equal(['Date,DAU,WAU,MAU,Stickiness', '2025-03-14,1,1,1,1', '2025-03-15,1,2,2,0.5']);
      expect(await csv('lifecycle?event=visit&periods=2')).to.deep.equal(['period,new,returning,resurrecting,dormant', '2025-03-14,1,0,0,0', '2025-03-15,1,0,0,1']);
    } finally {
      await localServer.close();
      await local.cleanup();
    }
  });

  it('answers any query string to the trends, active-users and sparkline routes with 200 or a 400 naming a parameter, never a 5xx', async () => {
    const params = ['event', 'timeGroup', 'periods', 'days', 'now', 'format', 'system'];
    const value = fc.oneof(hostileText, fc.constantFrom('visit', 'buy', ODD, '30', '90', '7'));
    const query = fc
      .array(fc.tuple(fc.constantFrom(...params), value).map(([k, v]) => `${k}=${encodeURIComponent(v)}`), { maxLength: 8 })
      .map((pairs) => pairs.join('&'))
      .filter((text) => text.length < 14_000);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('trends', 'active', 'sparkline'), query, async (route, text) => {
        const answer = await get(`/bitmapist/${route}?${text}`);
        expect([200, 400], `${answer.status} for ${route}?${text.slice(0, 200)}: ${answer.body.slice(0, 200)}`).to.include(answer.status);
        if (answer.status === 400 && answer.type.startsWith('application/json')) {
          const { error, parameter } = JSON.parse(answer.body) as { error: string; parameter: string };
          expect(params).to.include(parameter);
          expect(error.startsWith(`${parameter}: `), error).to.equal(true);
        }
      }),
      { numRuns: 150 },
    );
    expect(t.errors).to.deep.equal([]);
  });
});
