import { expect } from 'chai';
import { LIFECYCLE_LIMITS } from '../../../src/dashboard/lifecycle/query.js';
import type { LifecycleJson } from '../../../src/dashboard/lifecycle/data.js';
import { lifecycleModel } from '../../support/lifecycle-model.js';
import { countCommands, MarkModel, prng, shift, startOf } from '../../support/model.js';
import { serve, testApp } from '../../koa/support.js';

const NOW = new Date('2025-06-18T23:59:59.999Z');

/** An app with 3 weeks of random `use` and `join` marks, kept in a model too. */
async function lifecycleApp(options: Parameters<typeof testApp>[0] = {}) {
  const t = testApp(options);
  const model = new MarkModel();
  const random = prng(1212);
  const marks = [];
  for (let i = 0; i < 500; i++) {
    const at = new Date(NOW.getTime() - Math.floor(random() * 21 * 86_400_000));
    const uid = Math.floor(random() * 50);
    const event = random() < 0.85 ? 'use' : 'join';
    marks.push({ event, uid, now: at });
    model.add(event, uid, at);
  }
  await t.bitmapist.engine.markEvents(marks);
  const server = await serve(t.app);
  return {
    ...t,
    model,
    base: `${server.base}/bitmapist/lifecycle`,
    async close() {
      await server.close();
      await t.cleanup();
    },
  };
}

describe('koa: GET /bitmapist/lifecycle', function () {
  this.timeout(30_000);

  it('answers JSON and CSV equal to the model, with and without a created event', async () => {
    const app = await lifecycleApp();
    try {
      for (const created of [undefined, 'join']) {
        const query = `event=use&timeGroup=days&periods=14&now=2025-06-18${created ? `&created=${created}` : ''}`;
        const response = await fetch(`${app.base}?${query}&format=json`);
        expect(response.status).to.equal(200);
        const json = (await response.json()) as LifecycleJson;
        const expected = lifecycleModel(app.model, 'use', 'day', 14, NOW, created);
        expect(json).to.deep.equal({
          timeGroup: 'days',
          dates: expected.dates.map((d) => d.toISOString()),
          new: expected.new,
          returning: expected.returning,
          resurrecting: expected.resurrecting,
          dormant: expected.dormant,
        });
        const csv = await fetch(`${app.base}?${query}&format=csv`);
        expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
        const lines = (await csv.text()).trimEnd().split('\n');
        expect(lines[0]).to.equal('period,new,returning,resurrecting,dormant');
        expect(lines.slice(1)).to.deep.equal(
          json.dates.map((date, i) => `${date.slice(0, 10)},${json.new[i]},${json.returning[i]},${json.resurrecting[i]},${json.dormant[i]}`),
        );
      }
      const weeks = (await (await fetch(`${app.base}?event=use&timeGroup=weeks&periods=3&now=2025-06-18&format=json`)).json()) as LifecycleJson;
      const expected = lifecycleModel(app.model, 'use', 'week', 3, NOW);
      expect(weeks.dates).to.deep.equal([-2, -1, 0].map((n) => shift('week', startOf('week', NOW), n).toISOString()));
      expect([weeks.new, weeks.returning, weeks.resurrecting, weeks.dormant]).to.deep.equal([
        expected.new, expected.returning, expected.resurrecting, expected.dormant,
      ]);
    } finally {
      await app.close();
    }
  });

  it('draws a stacked bar chart with a segment per non-zero count, and a form without an event', async () => {
    const app = await lifecycleApp();
    try {
      const json = (await (await fetch(`${app.base}?event=use&periods=14&now=2025-06-18&format=json`)).json()) as LifecycleJson;
      const page = await (await fetch(`${app.base}?event=use&periods=14&now=2025-06-18`)).text();
      expect(page).to.contain('<svg class="bar-chart"').and.contain('role="img"').and.contain('<title id="bars-title">Lifecycle of use by days</title>');
      for (const layer of ['new', 'returning', 'resurrecting', 'dormant'] as const) {
        const group = page.match(new RegExp(`<g class="bar-series" data-series="${layer}"[^>]*>(.*?)</g>`, 's'))![1]!;
        expect((group.match(/<rect /g) ?? []).length, layer).to.equal(json[layer].filter((n) => n! > 0).length);
      }
      expect(page).to.contain('href="/bitmapist/lifecycle?event=use&amp;timeGroup=days&amp;periods=14&amp;now=2025-06-18&amp;format=csv"');
      const form = await fetch(app.base);
      expect(form.status).to.equal(200);
      const formPage = await form.text();
      expect(formPage).to.contain('<form class="cohort-form lifecycle-form card"').and.not.contain('<svg class="bar-chart"');
      expect(formPage).to.match(/<a href="\/bitmapist\/lifecycle" class="active">Lifecycle<\/a>/);
    } finally {
      await app.close();
    }
  });

  it('with `expire`: periods beyond retention (or after one) read null, flagged; nothing changes without expire', async () => {
    const t = testApp({ expire: { day: 3 * 86_400 } });
    const server = await serve(t.app);
    try {
      const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
      const marks = [];
      for (let k = 9; k >= 0; k--) for (let uid = 0; uid < 4; uid++) marks.push({ event: 'use', uid: uid + (k % 2) * 10, now: new Date(today - k * 86_400_000 + 3_600_000) });
      await t.bitmapist.engine.markEvents(marks);
      const isoToday = new Date(today).toISOString().slice(0, 10);
      const base = `${server.base}/bitmapist/lifecycle?event=use&periods=8&now=${isoToday}`;
      const json = (await (await fetch(`${base}&format=json`)).json()) as LifecycleJson;
      // A day is gone once its end plus 3 days has passed: 4 or more days ago. Period i is 7 - i days ago and
      // compares with the day before it, so the first five periods are flagged.
      expect(json.beyondRetention).to.deep.equal([true, true, true, true, true, false, false, false]);
      // Users 0-3 on even days ago, 10-13 on odd ones; the expired days read empty, so 2 days ago users 0-3
      // count as new (first seen in the periods still kept), and come back resurrecting today.
      expect(json.new).to.deep.equal([null, null, null, null, null, 4, 0, 0]);
      expect(json.returning).to.deep.equal([null, null, null, null, null, 0, 0, 0]);
      expect(json.resurrecting).to.deep.equal([null, null, null, null, null, 0, 4, 4]);
      expect(json.dormant).to.deep.equal([null, null, null, null, null, 4, 4, 4]);
      const csv = (await (await fetch(`${base}&format=csv`)).text()).trimEnd().split('\n');
      expect(csv[1]).to.equal(`${json.dates[0]!.slice(0, 10)},,,,`);
      expect(csv[8]).to.equal(`${json.dates[7]!.slice(0, 10)},0,0,4,4`);
      const page = await (await fetch(base)).text();
      expect(page).to.contain('(dormant drawn below the axis). 5 periods are beyond retention (expired bitmaps): no bars.</desc>');
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('escapes event names in the page', async () => {
    const app = await lifecycleApp();
    try {
      const name = '<img src=x onerror=alert(1)>"&';
      await app.bitmapist.engine.markEvent(name, 3, { now: NOW });
      const page = await (await fetch(`${app.base}?event=${encodeURIComponent(name)}&periods=3&now=2025-06-18`)).text();
      expect(page).to.not.contain('<img src=x');
      expect(page).to.contain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;');
    } finally {
      await app.close();
    }
  });

  it('answers 400 naming the parameter, before reading any bitmap', async () => {
    const app = await lifecycleApp();
    try {
      const cases: [string, string][] = [
        ['event=use&periods=0', 'periods'],
        [`event=use&periods=${LIFECYCLE_LIMITS.maxPeriods + 1}`, 'periods'],
        ['event=use&periods=ten', 'periods'],
        ['event=use&timeGroup=hours', 'timeGroup'],
        ['event=use&timeGroup=constructor', 'timeGroup'],
        ['event=nope', 'event'],
        ['event=use&created=nope', 'created'],
        ['event=use&event=join', 'event'],
        ['event=use&now=2025-13-01', 'now'],
        ['periods=3', 'event'],
        [`event=${'x'.repeat(300)}`, 'event'],
      ];
      for (const [query, parameter] of cases) {
        const { names } = await countCommands(app.bitmapist.engine.redis as never, async () => {
          const response = await fetch(`${app.base}?${query}&format=json`);
          expect(response.status, query).to.equal(400);
          expect(((await response.json()) as { parameter: string }).parameter, query).to.equal(parameter);
        });
        expect(names.filter((n) => n === 'evalsha' || n === 'eval'), query).to.deep.equal([]);
      }
      expect(LIFECYCLE_LIMITS.maxPeriods).to.equal(90);
    } finally {
      await app.close();
    }
  });

  it('checks access first: 403 when authorize refuses, without reading Redis', async () => {
    const app = await lifecycleApp({ authorize: () => false });
    try {
      const { names } = await countCommands(app.bitmapist.engine.redis as never, async () => {
        for (const query of ['', '?event=use&format=json', '?event=use&periods=0']) {
          expect((await fetch(`${app.base}${query}`)).status, query).to.equal(403);
        }
      });
      expect(names).to.deep.equal([]);
    } finally {
      await app.close();
    }
  });
});
