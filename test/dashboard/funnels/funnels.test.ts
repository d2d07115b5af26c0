import { expect } from 'chai';
import { modelFunnel } from '../../support/funnel-model.js';
import { countCommands, MarkModel, prng } from '../../support/model.js';
import { serve, testApp } from '../../koa/support.js';

const NOW = new Date('2025-03-15T18:00:00Z');
const ODD = '<b>"odd",=step</b>';
const STEPS = ['signup', 'login', ODD];

interface FunnelJson {
  timeGroup: string;
  window: number;
  order: string;
  dates: string[];
  steps: { event: string; count: number; fromFirst: number | null; fromPrevious: number | null }[];
  entries: { counts: number[]; complete: boolean }[];
  timeToConvert: number[];
  segment?: string;
  breakdown?: { segment: string; steps: { event: string; count: number; fromFirst: number | null; fromPrevious: number | null }[] }[];
}

describe('dashboard: GET /bitmapist/funnels', function () {
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
  const json = async (query: string) => JSON.parse((await get(`/bitmapist/funnels?${query}&format=json`)).body) as FunnelJson;
  const steps = STEPS.map((step) => `step=${encodeURIComponent(step)}`).join('&');

  before(async () => {
    t = testApp();
    const random = prng(5);
    const marks = Array.from({ length: 2500 }, () => {
      const event = STEPS[Math.floor(random() * 3)]!;
      const uid = Math.floor(random() * 400);
      const at = new Date(NOW.getTime() - Math.floor(random() * 60 * 86_400_000));
      model.add(event, uid, at);
      return { event, uid, now: at };
    });
    await t.bitmapist.engine.markEvents(marks);
    for (let uid = 0; uid < 400; uid += 3) pro.add(uid);
    for (let uid = 0; uid < 400; uid += 5) team.add(uid);
    for (const uid of pro) await t.bitmapist.engine.markUnique('plan:pro', uid);
    for (const uid of team) await t.bitmapist.engine.markUnique('plan:team', uid);
    server = await serve(t.app);
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  const conversions = (counts: number[]) =>
    counts.map((count, k) => ({
      count,
      fromFirst: counts[0] === 0 ? null : Math.round((count / counts[0]!) * 10_000) / 10_000,
      fromPrevious: (k === 0 ? count : counts[k - 1]!) === 0 ? null : Math.round((count / (k === 0 ? count : counts[k - 1]!)) * 10_000) / 10_000,
    }));

  it('answers JSON with the model\'s figures and each step\'s conversions, in both orders', async () => {
    for (const order of ['sequential', 'any'] as const) {
      const answer = await json(`${steps}&periods=30&window=7&order=${order}&now=${NOW.toISOString()}`);
      const expected = modelFunnel(model.marks, STEPS, { unit: 'day', periods: 30, window: 7, order, now: NOW });
      expect(answer.dates).to.deep.equal(expected.dates.map((d) => d.toISOString()));
      expect(answer.entries).to.deep.equal(expected.entries);
      expect(answer.timeToConvert).to.deep.equal(expected.timeToConvert);
      expect(answer.steps).to.deep.equal(conversions(expected.steps).map((c, k) => ({ event: STEPS[k], ...c })));
      expect(answer).to.include({ timeGroup: 'days', window: 7, order });
      expect(expected.steps[2]).to.be.above(0);
    }
  });

  it('counts only a segment\'s users, and breaks a funnel down by segments (within the segment when both are given)', async () => {
    const segmented = await json(`${steps}&periods=30&window=7&now=${NOW.toISOString()}&segment=plan:pro`);
    const proModel = modelFunnel(model.marks, STEPS, { unit: 'day', periods: 30, window: 7, order: 'sequential', now: NOW, segment: pro });
    expect(segmented.segment).to.equal('plan:pro');
    expect(segmented.entries).to.deep.equal(proModel.entries);
    const broken = await json(`${steps}&periods=30&window=7&now=${NOW.toISOString()}&breakdown=plan:pro&breakdown=plan:team`);
    expect(broken.breakdown!.map((b) => b.segment)).to.deep.equal(['plan:pro', 'plan:team']);
    expect(broken.breakdown![0]!.steps.map((s) => s.count)).to.deep.equal(proModel.steps);
    const teamModel = modelFunnel(model.marks, STEPS, { unit: 'day', periods: 30, window: 7, order: 'sequential', now: NOW, segment: team });
    expect(broken.breakdown![1]!.steps.map((s) => s.count)).to.deep.equal(teamModel.steps);
    const both = await json(`${steps}&periods=30&window=7&now=${NOW.toISOString()}&segment=plan:pro&breakdown=plan:team`);
    const bothModel = modelFunnel(model.marks, STEPS, {
      unit: 'day', periods: 30, window: 7, order: 'sequential', now: NOW, segment: new Set([...pro].filter((uid) => team.has(uid))),
    });
    expect(both.breakdown![0]!.steps.map((s) => s.count)).to.deep.equal(bothModel.steps);
  });

  it('answers CSV: a line per entry period and a Total line, names quoted', async () => {
    const answer = await get(`/bitmapist/funnels?${steps}&periods=3&window=1&now=2025-03-15&format=csv`);
    expect(answer.status).to.equal(200);
    expect(answer.type).to.equal('text/csv; charset=utf-8');
    const lines = answer.body.trimEnd().split('\r\n');
    expect(lines[0]).to.equal('Date,signup,login,"<b>""odd"",=step</b>"');
    expect(lines.slice(1, 4).map((line) => line.split(',')[0])).to.deep.equal(['2025-03-13', '2025-03-14', '2025-03-15']);
    const expected = modelFunnel(model.marks, STEPS, { unit: 'day', periods: 3, window: 1, order: 'sequential', now: new Date('2025-03-15T23:59:59.999Z') });
    expect(lines[4]).to.equal(`Total,${expected.steps.join(',')}`);
  });

  it('draws the steps, the time to convert and the entry periods (incomplete ones marked), with a Funnels tab', async () => {
    const page = await get(`/bitmapist/funnels?${steps}&periods=10&window=3&now=2025-03-15&breakdown=plan:pro&breakdown=plan:team`);
    expect(page.status).to.equal(200);
    expect(page.body).to.contain('<a href="/bitmapist/funnels" class="active">Funnels</a>');
    expect(page.body).to.contain('role="img"');
    expect(page.body.match(/<rect class="bar"/g)!.length).to.be.at.least(2 * 3);
    expect(page.body).to.contain('Time to convert');
    expect(page.body.match(/\(incomplete\)/g)).to.have.length(3);
    expect(page.body).to.contain('&lt;b&gt;&quot;odd&quot;,=step&lt;/b&gt;');
    expect(page.body).not.to.contain('<b>"odd"');
    const form = await get('/bitmapist/funnels');
    expect(form.status).to.equal(200);
    expect(form.body).to.contain('name="step"');
  });

  it('answers 400 naming the parameter for every bad value, before reading any bitmap', async () => {
    const cases: [string, string][] = [
      ['step=signup', 'step'],
      ['step=&step=', 'step'],
      ['periods=3', 'step'],
      [`${Array(11).fill('step=signup').join('&')}`, 'step'],
      [`${steps}&step=never:marked`, 'step'],
      [`${steps}&timeGroup=months`, 'timeGroup'],
      [`${steps}&periods=91`, 'periods'],
      [`${steps}&timeGroup=weeks&periods=53`, 'periods'],
      [`${steps}&window=91`, 'window'],
      [`${steps}&timeGroup=weeks&window=13`, 'window'],
      [`${steps}&order=random`, 'order'],
      [`${steps}&now=2025-13-01`, 'now'],
      [`${steps}&segment=signup`, 'segment'],
      [`${steps}&segment=a&segment=b`, 'segment'],
      [`${steps}&breakdown=plan:pro&breakdown=login`, 'breakdown'],
      [`${steps}&${Array.from({ length: 6 }, (_, i) => `breakdown=b${i}`).join('&')}`, 'breakdown'],
    ];
    for (const [query, parameter] of cases) {
      const { names } = await countCommands(t.bitmapist.engine.redis as never, async () => {
        const response = await get(`/bitmapist/funnels?${query}&format=json`);
        expect(response.status, query).to.equal(400);
        expect((JSON.parse(response.body) as { parameter: string }).parameter, query).to.equal(parameter);
      });
      expect(names.filter((name) => name === 'evalsha' || name === 'eval'), query).to.deep.equal([]);
    }
  });
});
