import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { DASHBOARD_SCRIPT } from '../../src/dashboard/shared/assets.js';
import { DASHBOARD_LIMITS, type KoaBitmapistOptions } from '../../src/koa/index.js';
import { serve, testApp } from '../koa/support.js';

const D = new Date('2025-01-31T12:00:00Z');
const day = (offset: number) => new Date(D.getTime() + offset * 86_400_000);
const XSS = '<script>alert(1)</script>';

/** The worked example, plus an event named like an attack. */
async function seeded(options: KoaBitmapistOptions = {}) {
  const t = testApp(options);
  for (const uid of [100, 101, 102, 103, 104, 105]) t.bitmapist.markEvent('user:popped', uid, { now: day(-3) });
  for (const uid of [100, 101, 102, 103, 104]) t.bitmapist.markEvent('user:locked', uid, { now: day(-3) });
  for (const uid of [100, 101, 102]) t.bitmapist.markEvent('user:locked', uid, { now: day(-2) });
  t.bitmapist.markEvent('user:locked', 105, { now: D });
  t.bitmapist.markEvent('user:extra', 103, { now: day(-2) });
  t.bitmapist.markEvent(XSS, 7, { now: D });
  await t.bitmapist.flush(5000);
  const server = await serve(t.app);
  const get = async (path: string) => {
    const response = await fetch(server.base + path);
    return { status: response.status, type: response.headers.get('content-type') ?? '', headers: response.headers, body: await response.text() };
  };
  return {
    ...t,
    get,
    async close() {
      await server.close();
      await t.cleanup();
    },
  };
}

const cohortPath = '/bitmapist/cohort?primary=user:popped&secondary=user:locked&timeGroup=days&rows=4&cols=4&now=2025-01-31';

describe('koa: dashboard router', () => {
  it('answers every format, refusals included, never cached, never sniffed, under a policy that runs only its own script', async () => {
    const t = await seeded();
    try {
      for (const path of ['/bitmapist/?now=2025-01-31', '/bitmapist/?format=json', cohortPath, `${cohortPath}&format=csv`, '/bitmapist/sparkline?event=user:locked', '/bitmapist/trends?event=nope&format=json']) {
        const answer = await t.get(path);
        expect([path, answer.headers.get('cache-control'), answer.headers.get('x-content-type-options')]).to.deep.equal([path, 'no-store', 'nosniff']);
        const policy = answer.headers.get('content-security-policy') ?? '';
        expect(policy.split('; ').filter((directive) => /^(default|script)-src /.test(directive))).to.deep.equal([
          "default-src 'none'",
          `script-src 'sha256-${createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64')}'`,
        ]);
      }
    } finally {
      await t.close();
    }
  });

  it('lists every event with its counts for the day, week, month and year', async () => {
    const t = await seeded();
    try {
      const json = await t.get('/bitmapist/?format=json&now=2025-01-31');
      expect(json.status).to.equal(200);
      expect(JSON.parse(json.body)).to.deep.equal({
        now: '2025-01-31T23:59:59.999Z',
        omitted: 0,
        events: [
          { name: XSS, day: 1, week: 1, month: 1, year: 1 },
          { name: 'user:extra', day: 0, week: 1, month: 1, year: 1 },
          { name: 'user:locked', day: 1, week: 6, month: 6, year: 6 },
          { name: 'user:popped', day: 0, week: 6, month: 6, year: 6 },
        ],
      });
      const filtered = JSON.parse((await t.get('/bitmapist/?format=json&prefix=user:l&now=2025-01-31')).body);
      expect(filtered.events.map((e: { name: string }) => e.name)).to.deep.equal(['user:locked']);
      const page = await t.get('/bitmapist?now=2025-01-31');
      expect([page.status, page.type]).to.deep.equal([200, 'text/html; charset=utf-8']);
      expect(page.body).to.contain('<a href="/bitmapist/cohort?primary=user%3Apopped&amp;secondary=user%3Apopped">user:popped</a>');
      expect(page.body).to.contain('<td>1</td><td>6</td><td>6</td><td>6</td>');
    } finally {
      await t.close();
    }
  });

  it('answers the cohort as JSON, in counts and percents, first and recurring', async () => {
    const t = await seeded();
    try {
      const counts = JSON.parse((await t.get(`${cohortPath}&format=json`)).body);
      expect(counts).to.deep.equal({
        cohort: [[5, 0, 0, 1], [null, null, null, null], [null, null, null, null], [null, null, null, null]],
        dates: ['2025-01-28T00:00:00.000Z', '2025-01-29T00:00:00.000Z', '2025-01-30T00:00:00.000Z', '2025-01-31T00:00:00.000Z'],
        totals: [6, 0, 0, 0],
        total: 6,
        colTotals: [5, 0, 0, 1],
        averages: [5, 0, 0, 1],
        timeGroup: 'days',
        asPercent: false,
        numRows: 4,
        numCols: 4,
      });
      const recurring = JSON.parse((await t.get(`${cohortPath}&format=json&mode=recurring&display=percent`)).body);
      expect(recurring.cohort[0]).to.deep.equal([83.33, 50, 0, 16.67]);
      expect(recurring.averages).to.deep.equal([83.33, 50, 0, 16.67]);
      expect(recurring.asPercent).to.equal(true);
      const chained = JSON.parse((await t.get(`${cohortPath}&format=json&mode=recurring&additional=user:extra&additionalOp=or`)).body);
      const engine = await t.bitmapist.getCohort('user:popped', 'user:locked', {
        additionalEvents: [{ name: 'user:extra', op: 'or' }],
        numRows: 4,
        numCols: 4,
        mode: 'recurring',
        now: new Date('2025-01-31T23:59:59.999Z'),
      });
      expect(chained.cohort).to.deep.equal(engine.cohort);
      expect(chained.cohort[0]).to.deep.equal([5, 4, 0, 1]);
    } finally {
      await t.close();
    }
  });

  it('answers CSV as a download, Date,Total,0,1,... ', async () => {
    const t = await seeded();
    try {
      const csv = await t.get(`${cohortPath}&format=csv`);
      expect([csv.status, csv.type]).to.deep.equal([200, 'text/csv; charset=utf-8']);
      expect(csv.headers.get('content-disposition')).to.equal('attachment; filename="cohort-days.csv"');
      expect(csv.body).to.equal('Date,Total,0,1,2,3\r\n2025-01-28,6,5,0,0,1\r\n2025-01-29,0,,,,\r\n2025-01-30,0,,,,\r\n2025-01-31,0,,,,\r\n');
    } finally {
      await t.close();
    }
  });

  it('renders the heat map: shaded cells, blanks for null, average and total rows, toggle and CSV link', async () => {
    const t = await seeded();
    try {
      const page = await t.get(`${cohortPath}&display=percent`);
      expect(page.status).to.equal(200);
      const cells = [...page.body.matchAll(/<td class="cell[^"]*" style="background:hsl\(201 72% (\d+)%\)" data-count="(\d+)" data-percent="([\d.]+)">/g)];
      expect(cells.map((m) => [m[2], m[3], m[1]])).to.deep.equal([
        ['5', '83.33', '43'],
        ['0', '0', '97'],
        ['0', '0', '97'],
        ['1', '16.67', '81'],
      ]);
      expect(page.body.match(/<td class="null"><\/td>/g)).to.have.length(12);
      expect(page.body).to.contain('<table class="cohort show-percent">');
      expect(page.body).to.contain('<span class="c">5</span><span class="p">83.3%</span>');
      expect(page.body).to.match(/<tr class="summary average"><td class="date">Average<\/td><td class="total">1\.5<\/td>/);
      expect(page.body).to.match(/<tr class="summary totals"><td class="date">Total<\/td><td class="total">6<\/td><td><span class="c">5<\/span>/);
      expect(page.body).to.contain('<td class="date">Tue 28 Jan 2025</td><td class="total">6</td>');
      expect(page.body).to.contain('format=csv" download>Download CSV</a>');
      expect(page.body).to.contain('data-display="counts"');
      expect(page.body).to.contain('<input name="primary" list="bitmapist-events" value="user:popped"');
      expect(page.body).to.contain('<option value="user:popped"></option>');
      const bare = await t.get('/bitmapist/cohort');
      expect(bare.status).to.equal(200);
      expect(bare.body).to.contain('Choose a primary and a secondary event');
      expect(bare.body).to.not.contain('<table');
    } finally {
      await t.close();
    }
  });

  it('answers 400 with a clear message for every bad parameter, never 500', async () => {
    const t = await seeded();
    try {
      const cases: [string, number, string][] = [
        ['&rows=0', 400, 'rows: must be a whole number from 1 to 90, got "0"'],
        ['&rows=91', 400, 'rows: must be a whole number from 1 to 90, got "91"'],
        ['&cols=abc', 400, 'cols: must be a whole number from 1 to 90, got "abc"'],
        ['&timeGroup=hours', 400, 'timeGroup: must be days, weeks, months or years, got "hours"'],
        ['&mode=sometimes', 400, 'mode: must be one of first, recurring, unbounded, got "sometimes"'],
        ['&display=ratio', 400, 'display: must be one of counts, percent, got "ratio"'],
        ['&now=2025-13-01', 400, 'now: must be a date like 2025-01-31 or an ISO date-time, got "2025-13-01"'],
        ['&rows=3&rows=4', 400, 'rows: was given more than once'],
        ['&additional=user:nope', 400, 'additional: unknown event "user:nope"'],
        ['&additional=user:extra&additional=user:extra&additionalOp=or', 400, 'additionalOp: must be given once per additional event (2), got 1'],
        [`${'&additional=user:extra'.repeat(11)}`, 400, 'additional: at most 10 additional events, got 11'],
        ['&system=nope', 400, 'system: unknown system "nope"; configured: default'],
      ];
      const events = '/bitmapist/cohort?primary=user:popped&secondary=user:locked';
      for (const [extra, status, message] of cases) {
        const answer = await t.get(`${events}${extra}&format=json`);
        expect([extra, answer.status, JSON.parse(answer.body).error]).to.deep.equal([extra, status, message]);
      }
      const unknown = await t.get('/bitmapist/cohort?primary=user:nope&secondary=user:locked&format=json');
      expect(JSON.parse(unknown.body)).to.deep.equal({ error: 'primary: unknown event "user:nope"', parameter: 'primary' });
      const long = await t.get(`/bitmapist/cohort?primary=${'x'.repeat(DASHBOARD_LIMITS.maxEventNameLength + 1)}&secondary=a&format=json`);
      expect([long.status, JSON.parse(long.body).parameter]).to.deep.equal([400, 'primary']);
      const format = await t.get(`${cohortPath}&format=xml`);
      expect([format.status, format.type]).to.deep.equal([400, 'text/html; charset=utf-8']);
      expect(format.body).to.contain('format: must be one of html, json, csv, got &quot;xml&quot;');
      const csv = await t.get(`${events}&rows=x&format=csv`);
      expect([csv.status, csv.body]).to.deep.equal([400, 'rows: must be a whole number from 1 to 90, got "x"\n']);
      expect((await t.get('/bitmapist/?format=csv')).status).to.equal(400);
      expect((await t.get('/bitmapist/?now=never')).status).to.equal(400);
      // A date outside the years 1000-9999 is refused as the parameter it came in, on both pages.
      for (const now of ['0999-12-31', '9999-12-31T23:00:00-05:00']) {
        const message = `now: must fall in the years 1000 to 9999 (UTC), got ${JSON.stringify(now)}`;
        for (const page of ['/bitmapist/?format=json', `${events}&format=json`]) {
          const answer = await t.get(`${page}&now=${encodeURIComponent(now)}`);
          expect([page, answer.status, JSON.parse(answer.body)]).to.deep.equal([page, 400, { error: message, parameter: 'now' }]);
        }
      }
    } finally {
      await t.close();
    }
  });

  it('escapes event names everywhere: events page, cohort page, links and error messages', async () => {
    const t = await seeded();
    try {
      const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
      const scripts = (body: string) => body.match(/<script>/g)?.length;
      const events = await t.get('/bitmapist/');
      expect(scripts(events.body)).to.equal(1);
      expect(events.body).to.contain(`>${escaped}</a>`);
      const xss = encodeURIComponent(XSS);
      const cohort = await t.get(`/bitmapist/cohort?primary=${xss}&secondary=${xss}&now=2025-01-31`);
      expect(cohort.status).to.equal(200);
      expect(scripts(cohort.body)).to.equal(1);
      expect(cohort.body).to.contain(`<input name="secondary" list="bitmapist-events" value="${escaped}"`);
      expect(cohort.body).to.contain(`<option value="${escaped}"></option>`);
      expect(cohort.body).to.contain(`<span class="title">${escaped} → ${escaped}`);
      const missing = await t.get(`/bitmapist/cohort?primary=${encodeURIComponent('<img src=x onerror=alert(2)>')}&secondary=a`);
      expect(missing.status).to.equal(400);
      expect(missing.body).to.contain('primary: unknown event &quot;&lt;img src=x onerror=alert(2)&gt;&quot;');
      expect(missing.body).to.not.contain('<img');
    } finally {
      await t.close();
    }
  });
});
