import { expect } from 'chai';
import { ACTIVE_USERS_LIMITS } from '../../../src/engine/insights/active-users.js';
import { MarkModel, prng, shift, startOf, union } from '../../support/model.js';
import { serve, testApp } from '../../koa/support.js';

const NOW = new Date('2025-03-15T18:00:00Z');

describe('koa: GET /bitmapist/active', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof testApp>;
  let server: Awaited<ReturnType<typeof serve>>;
  const model = new MarkModel();
  const get = async (path: string) => {
    const response = await fetch(server.base + path);
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  };
  /** The model's figures for the `days` days ending on NOW's day. */
  const expected = (event: string, days: number) => {
    const last = startOf('day', NOW);
    const dates = Array.from({ length: days }, (_, i) => shift('day', last, i - (days - 1)));
    const windowUsers = (day: Date, length: number) =>
      Array.from({ length }, (_, k) => model.users(event, 'day', shift('day', day, -k))).reduce(union, new Set<number>()).size;
    const dau = dates.map((d) => model.users(event, 'day', d).size);
    const wau = dates.map((d) => windowUsers(d, 7));
    const mau = dates.map((d) => windowUsers(d, 30));
    const stickiness = dau.map((n, i) => (mau[i] === 0 ? null : Math.round((n / mau[i]!) * 10_000) / 10_000));
    return { dates, dau, wau, mau, stickiness };
  };

  before(async () => {
    t = testApp();
    const random = prng(77);
    const marks = Array.from({ length: 2500 }, () => {
      const uid = Math.floor(random() * 500);
      const at = new Date(NOW.getTime() - Math.floor(random() * 90 * 86_400_000));
      model.add('visit', uid, at);
      return { event: 'visit', uid, now: at };
    });
    await t.bitmapist.engine.markEvents([...marks, { event: 'a<b>', uid: 1, now: NOW }]);
    model.add('a<b>', 1, NOW);
    server = await serve(t.app);
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  it('answers JSON: DAU, rolling 7-day WAU, rolling 30-day MAU and stickiness per day, as the model computes them', async () => {
    const answer = await get(`/bitmapist/active?event=visit&days=40&now=${NOW.toISOString()}&format=json`);
    expect(answer.status).to.equal(200);
    const model = expected('visit', 40);
    expect(JSON.parse(answer.body)).to.deep.equal({ event: 'visit', timeZone: 'UTC', ...model, dates: model.dates.map((d) => d.toISOString()) });
    expect(new Set(model.mau).size).to.be.above(1);
  });

  it('answers CSV: Date,DAU,WAU,MAU,Stickiness a line per day', async () => {
    const answer = await get('/bitmapist/active?event=visit&days=5&now=2025-03-15&format=csv');
    expect(answer.status).to.equal(200);
    expect(answer.type).to.match(/^text\/csv/);
    const m = expected('visit', 5);
    const lines = m.dates.map((d, i) => `${d.toISOString().slice(0, 10)},${m.dau[i]},${m.wau[i]},${m.mau[i]},${m.stickiness[i]}`);
    expect(answer.body).to.equal(['Date,DAU,WAU,MAU,Stickiness', ...lines].join('\r\n') + '\r\n');
  });

  it('draws the active-users and stickiness charts (3 + 1 lines, a point per day), names escaped', async () => {
    const answer = await get('/bitmapist/active?event=visit&days=20&now=2025-03-15');
    expect(answer.status).to.equal(200);
    expect(answer.body.match(/<svg class="line-chart"/g)).to.have.length(2);
    expect(answer.body.match(/<path class="line" d="M/g)).to.have.length(4);
    expect(answer.body.match(/<circle class="point"/g)).to.have.length(80);
    expect(answer.body).to.include('<a href="/bitmapist/active" class="active">Active users</a>');
    const odd = await get(`/bitmapist/active?event=${encodeURIComponent('a<b>')}&days=3&now=2025-03-15`);
    expect(odd.status).to.equal(200);
    expect(odd.body).to.include('Active users of a&lt;b&gt;');
    expect(odd.body).not.to.include('a<b>');
  });

  it('shows the bare form without an event', async () => {
    const answer = await get('/bitmapist/active');
    expect(answer.status).to.equal(200);
    expect(answer.body).to.include('action="/bitmapist/active"');
    expect(answer.body).not.to.include('<svg');
  });

  it('answers 400 naming the parameter for every bad parameter, and for an unknown event', async () => {
    const cases: [string, string][] = [
      ['event=nobody', 'event'],
      ['', 'event'],
      ['event=visit&event=buy', 'event'],
      ['event=visit&days=0', 'days'],
      [`event=visit&days=${ACTIVE_USERS_LIMITS.maxDays + 1}`, 'days'],
      ['event=visit&days=1.5', 'days'],
      ['event=visit&now=2025-02-30', 'now'],
      [`event=${'x'.repeat(300)}`, 'event'],
    ];
    for (const [query, parameter] of cases) {
      const answer = await get(`/bitmapist/active?${query}${query ? '&' : ''}format=json`);
      expect([answer.status, JSON.parse(answer.body).parameter], query.slice(0, 40)).to.deep.equal([400, parameter]);
    }
  });
});
