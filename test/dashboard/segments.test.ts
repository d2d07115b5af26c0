import { expect } from 'chai';
import { countCommands, MarkModel, prng, shift, startOf } from '../support/model.js';
import { serve, testApp } from '../koa/support.js';

const NOW = new Date('2025-03-15T18:00:00Z');

describe('dashboard: segments and breakdowns', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof testApp>;
  let server: Awaited<ReturnType<typeof serve>>;
  const model = new MarkModel();
  const pro = new Set<number>();
  const team = new Set<number>();
  const get = async (path: string) => {
    const response = await fetch(server.base + path);
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  };
  const json = async (path: string) => {
    const answer = await get(`${path}&format=json`);
    expect(answer.status, path).to.equal(200);
    return JSON.parse(answer.body) as Record<string, unknown>;
  };

  before(async () => {
    t = testApp();
    const random = prng(8);
    const marks = Array.from({ length: 2500 }, () => {
      const event = ['visit', 'buy'][Math.floor(random() * 2)]!;
      const uid = Math.floor(random() * 300);
      const at = new Date(NOW.getTime() - Math.floor(random() * 60 * 86_400_000));
      model.add(event, uid, at);
      return { event, uid, now: at };
    });
    await t.bitmapist.engine.markEvents(marks);
    for (let uid = 0; uid < 300; uid += 2) pro.add(uid);
    for (let uid = 0; uid < 300; uid += 3) team.add(uid);
    for (const uid of pro) await t.bitmapist.engine.markUnique('plan:pro', uid);
    for (const uid of team) await t.bitmapist.engine.markUnique('plan:team', uid);
    server = await serve(t.app);
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  /** The model's users of `event` per day over the `periods` days ending with NOW's, in `segment`. */
  const daily = (event: string, periods: number, segment?: Set<number>) => {
    const last = startOf('day', NOW);
    return Array.from({ length: periods }, (_, i) => {
      const users = model.users(event, 'day', shift('day', last, i - (periods - 1)));
      return segment ? [...users].filter((uid) => segment.has(uid)).length : users.size;
    });
  };

  it('trends: a segment counts only its users, and a breakdown gives one series per event and segment', async () => {
    const segmented = await json(`/bitmapist/trends?event=visit&event=buy&periods=10&now=${NOW.toISOString()}&segment=plan:pro`);
    expect(segmented.segment).to.equal('plan:pro');
    expect(segmented.series).to.deep.equal([
      { event: 'visit', counts: daily('visit', 10, pro) },
      { event: 'buy', counts: daily('buy', 10, pro) },
    ]);
    const broken = await json(`/bitmapist/trends?event=visit&event=buy&periods=10&now=${NOW.toISOString()}&breakdown=plan:pro&breakdown=plan:team`);
    expect(broken.series).to.deep.equal([
      { event: 'visit', segment: 'plan:pro', counts: daily('visit', 10, pro) },
      { event: 'visit', segment: 'plan:team', counts: daily('visit', 10, team) },
      { event: 'buy', segment: 'plan:pro', counts: daily('buy', 10, pro) },
      { event: 'buy', segment: 'plan:team', counts: daily('buy', 10, team) },
    ]);
    const both = new Set([...pro].filter((uid) => team.has(uid)));
    const within = await json(`/bitmapist/trends?event=visit&periods=10&now=${NOW.toISOString()}&segment=plan:pro&breakdown=plan:team`);
    expect(within.series).to.deep.equal([{ event: 'visit', segment: 'plan:team', counts: daily('visit', 10, both) }]);
    const csv = await get(`/bitmapist/trends?event=visit&event=buy&periods=2&now=${NOW.toISOString()}&breakdown=plan:pro&breakdown=plan:team&format=csv`);
    expect(csv.body.split('\r\n')[0]).to.equal('Date,visit · plan:pro,visit · plan:team,buy · plan:pro,buy · plan:team');
    const page = await get(`/bitmapist/trends?event=visit&event=buy&periods=10&now=${NOW.toISOString()}&breakdown=plan:pro&breakdown=plan:team`);
    expect(page.body.match(/class="legend-item"/g)!.length).to.be.at.least(4);
    expect(page.body).to.contain('visit · plan:team');
  });

  it('active users, lifecycle and cohorts count only the segment\'s users, and say which segment they show', async () => {
    const active = await json(`/bitmapist/active?event=visit&days=10&now=${NOW.toISOString()}&segment=plan:pro`);
    expect(active.segment).to.equal('plan:pro');
    expect(active.dau).to.deep.equal(daily('visit', 10, pro));
    const plainLifecycle = await json(`/bitmapist/lifecycle?event=visit&periods=10&now=${NOW.toISOString()}`);
    const lifecycle = await json(`/bitmapist/lifecycle?event=visit&periods=10&now=${NOW.toISOString()}&segment=plan:pro`);
    expect(lifecycle.segment).to.equal('plan:pro');
    const activeOf = (l: Record<string, unknown>) => (['new', 'returning', 'resurrecting'] as const).reduce((sum, key) => sum.map((n, i) => n + (l[key] as number[])[i]!), Array(10).fill(0) as number[]);
    expect(activeOf(lifecycle)).to.deep.equal(daily('visit', 10, pro));
    expect(activeOf(plainLifecycle)).to.deep.equal(daily('visit', 10));
    const cohort = await json(`/bitmapist/cohort?primary=visit&secondary=buy&rows=5&cols=3&now=${NOW.toISOString()}&segment=plan:pro`);
    expect(cohort.segment).to.equal('plan:pro');
    expect(cohort.totals).to.deep.equal(daily('visit', 5, pro));
    for (const path of ['/bitmapist/active?event=visit', '/bitmapist/lifecycle?event=visit', '/bitmapist/cohort?primary=visit&secondary=buy', '/bitmapist/trends?event=visit']) {
      const page = await get(`${path}&now=${NOW.toISOString()}&segment=plan:pro`);
      expect(page.status, path).to.equal(200);
      expect(page.body, path).to.contain('(segment: plan:pro)');
      expect(page.body, path).to.contain('name="segment" list="bitmapist-events" value="plan:pro"');
    }
  });

  it('answers 400 naming segment (or breakdown) for an event without a unique bitmap, before reading any bitmap', async () => {
    const cases: [string, string][] = [
      ['/bitmapist/trends?event=visit&segment=visit', 'segment'],
      ['/bitmapist/trends?event=visit&breakdown=plan:pro&breakdown=buy', 'breakdown'],
      ['/bitmapist/trends?event=visit&breakdown=a&breakdown=b&breakdown=c&breakdown=d&breakdown=e&breakdown=f', 'breakdown'],
      ['/bitmapist/active?event=visit&segment=never:marked', 'segment'],
      ['/bitmapist/lifecycle?event=visit&segment=buy', 'segment'],
      ['/bitmapist/cohort?primary=visit&secondary=buy&segment=buy', 'segment'],
      ['/bitmapist/trends?event=visit&segment=a&segment=b', 'segment'],
    ];
    for (const [path, parameter] of cases) {
      const { names } = await countCommands(t.bitmapist.engine.redis as never, async () => {
        const answer = await get(`${path}&format=json`);
        expect(answer.status, path).to.equal(400);
        expect((JSON.parse(answer.body) as { parameter: string }).parameter, path).to.equal(parameter);
      });
      expect(names.filter((name) => name === 'evalsha' || name === 'eval'), path).to.deep.equal([]);
    }
  });
});
