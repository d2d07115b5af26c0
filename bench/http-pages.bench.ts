/**
 * Benchmark 10: the chart pages over real HTTP on the replayed data set: a Koa app with the plugin
 * (bench/dashboard-app.ts) asked for JSON with `fetch`: trends of 3 events, active users and the lifecycle (with and
 * without `created`) over 90 days, and the events page listing 100 events (the data set's 3, and 97 more marked
 * under a prefix of their own from a quarter of its `user:active` marks). Each page against the engine call it
 * makes, timed in the same run (the baseline), and against issue 18's bounds and its figures before. Every answer
 * is checked against the same figures computed in Node from the bitmaps read with GET (bench/page-model.ts), the
 * events page against BITCOUNTs; a difference fails the bench.
 */
import { activeUsers, Bitmapist, periodCounts, trendCounts, type BulkMark } from '../src/index.js';
import { num, type BenchContext, type BenchOutput } from './context.js';
import { startDashboard, type DashboardApp, type PageParams } from './dashboard-app.js';
import { ISSUE, PAGES_18, type PageBound } from './issue-18.js';
import { keysUnder, MismatchError } from './keyspace.js';
import { naiveAddPeriods, naivePeriodStart } from './naive-keys.js';
import { bitsOf, naivePeriodCounts, readDays } from './naive-reads.js';
import { assertActiveUsers, assertLifecycle, assertSame, assertTrend } from './page-checks.js';
import { modelActiveUsers, modelLifecycle, modelTrend, type LifecycleModel } from './page-model.js';
import { slowestScriptCall } from './redis-stats.js';
import { replayPrefix } from './replay.bench.js';
import type { BenchRow, TargetResult } from './report.js';
import { Sampler } from './sampler.js';
import { ms } from './timing.js';

const RUNS = 15;
const DAYS = 90;
const EVENTS = ['user:signed_up', 'user:active', 'user:purchased'];
/** Events the events page lists: the data set's 3 and this many more. */
const LISTED = 100;

/** One page: its request, the engine call it makes, and the check of both answers. */
interface PageCase {
  label: string;
  bound: PageBound;
  app: DashboardApp;
  path: string;
  params: PageParams;
  engine: () => Promise<unknown>;
  /** Throws a MismatchError unless the HTTP answer and the engine's are right. */
  check(http: unknown, engine: unknown): void;
}

export async function benchHttpPages(ctx: BenchContext): Promise<BenchOutput> {
  const prefix = replayPrefix(ctx);
  const listedPrefix = listedPrefixOf(ctx);
  const now = ctx.data.cohortNow;
  const bm = new Bitmapist({ redis: ctx.url, keyPrefix: prefix });
  const listed = new Bitmapist({ redis: ctx.url, keyPrefix: listedPrefix });
  const apps: DashboardApp[] = [];
  try {
    const names = await listHundredEvents(ctx, listed, prefix, listedPrefix);
    const app = await startDashboard({ redisUrl: ctx.url, keyPrefix: prefix });
    apps.push(app);
    const listedApp = await startDashboard({ redisUrl: ctx.url, keyPrefix: listedPrefix });
    apps.push(listedApp);
    const cases = await pageCases(ctx, bm, listed, names, app, listedApp);
    const rows: BenchRow[] = [];
    const targets: TargetResult[] = [];
    const lines: string[] = [];
    for (const page of cases) {
      ctx.log(`pages over HTTP: ${page.label}`);
      const url = page.app.url(page.path, { ...page.params, now: now.toISOString(), format: 'json' });
      const http = new Sampler(() => page.app.getJson(url));
      const engine = new Sampler(page.engine);
      await http.task();
      await engine.task(); // warm-up
      const { slowest } = await slowestScriptCall(ctx.redis, async (slowlog) => {
        for (let run = 0; run < RUNS; run += 1) {
          await http.sample(ctx.redis);
          await slowlog.off();
          await engine.sample(ctx.redis);
          await slowlog.on();
        }
      });
      page.check(http.last, engine.last);
      const per = (n: number) => num(n / RUNS, 1);
      const latency = http.latency;
      const baseline = engine.latency;
      rows.push(
        {
          section: '10. pages over HTTP',
          case: page.label,
          impl: 'HTTP (JSON)',
          dataSet: ctx.dataName,
          median: ms(latency.medianMs),
          p95: ms(latency.p95Ms),
          roundTrips: per(http.scriptCalls),
          commands: per(http.commands),
          note: `${RUNS} runs; ${ms(http.scriptUsec / RUNS / 1000)} of Redis script time per view; longest script call ${ms(slowest.usec / 1000)}; answer checked`,
        },
        {
          section: '10. pages over HTTP',
          case: page.label,
          impl: 'engine call',
          dataSet: ctx.dataName,
          median: ms(baseline.medianMs),
          p95: ms(baseline.p95Ms),
          roundTrips: per(engine.scriptCalls),
          commands: per(engine.commands),
          note: `${RUNS} runs, interleaved with the HTTP ones; ${ms(engine.scriptUsec / RUNS / 1000)} of Redis script time per call`,
        },
      );
      const measured = `median ${ms(latency.medianMs)} (p95 ${ms(latency.p95Ms)}), ${per(http.scriptCalls)} script calls, `
        + `${per(http.commands)} Redis commands, ${ms(http.scriptUsec / RUNS / 1000)} of Redis script time, longest call ${ms(slowest.usec / 1000)}`;
      targets.push({
        issue: ISSUE,
        target: `${page.label}, shared data, over HTTP: at most ${page.bound.maxMedianMs} ms median`,
        measured,
        met: latency.medianMs <= page.bound.maxMedianMs,
        limit: `the engine call alone takes ${ms(baseline.medianMs)}, of which Redis runs scripts for ${ms(engine.scriptUsec / RUNS / 1000)}`,
        baseline: `engine call ${ms(baseline.medianMs)}, ${per(engine.scriptCalls)} script calls`,
        before: page.bound.before,
      });
      lines.push(`- ${page.label}: ${measured}; the engine call alone ${ms(baseline.medianMs)}`);
    }
    return {
      rows,
      targets,
      notes: [{
        title: 'The chart pages over HTTP (benchmark 10)',
        lines: [
          `A Koa app with the plugin in this process, asked with \`fetch\` for \`?format=json\`; median of ${RUNS} views after `
            + 'a warm-up, each followed by the engine call the page makes (the baseline); script calls, Redis commands and '
            + 'script time from `INFO commandstats` per view, the longest script call from SLOWLOG (views only). The events '
            + `page lists ${LISTED} events: the data set's 3 and ${LISTED - EVENTS.length} marked from a quarter of its \`user:active\` marks.`,
          '',
          ...lines,
        ],
      }],
    };
  } finally {
    for (const app of apps) await app.close();
    await bm.close();
    await listed.close();
  }
}

/** The pages of the benchmark, with their checks against the computations in Node. */
async function pageCases(ctx: BenchContext, bm: Bitmapist, listed: Bitmapist, names: string[], app: DashboardApp, listedApp: DashboardApp): Promise<PageCase[]> {
  const prefix = replayPrefix(ctx);
  const now = ctx.data.cohortNow;
  const lookback = DAYS + 29;
  const days = new Map(await Promise.all(EVENTS.map(async (event) => [event, await readDays(ctx.redis, prefix, event, now, lookback)] as const)));
  const bits = bitsOf([...days.values()].flat());
  /** The last `count` days of an event, oldest first. */
  const last = (event: string, count: number) => days.get(event)!.slice(lookback - count);
  const trend = EVENTS.map((event) => {
    const range = last(event, DAYS);
    return modelTrend(DAYS, (i) => range[i]);
  });
  const activeDays = days.get('user:active')!;
  const active = modelActiveUsers(DAYS, (u) => activeDays[u], bits);
  const [withBefore, signups] = [last('user:active', DAYS + 1), last('user:signed_up', DAYS + 1)];
  const lifecycle = modelLifecycle(DAYS, (k) => withBefore[k], bits);
  const created = modelLifecycle(DAYS, (k) => withBefore[k], bits, (k) => signups[k]);
  const expectDay = naivePeriodStart('day', now);
  const expectedDates = Array.from({ length: DAYS }, (_, i) => naiveAddPeriods('day', expectDay, i - (DAYS - 1)).toISOString());
  const lifecycleCheck = (what: string, model: LifecycleModel) => (http: unknown, engine: unknown) => {
    assertLifecycle(`${what} over HTTP`, http, model, expectedDates);
    assertLifecycle(`${what}, engine call`, engine, model);
  };
  const expectedCounts = await Promise.all(names.map(async (name) => [name, await naivePeriodCounts(ctx.redis, listedPrefixOf(ctx), name, now)] as const));
  return [
    {
      label: `trends: ${EVENTS.length} events x ${DAYS} days`,
      bound: PAGES_18.trends,
      app,
      path: '/trends',
      params: { event: EVENTS, periods: DAYS },
      engine: () => trendCounts(bm, EVENTS, { periods: DAYS, now }),
      check(http, engine) {
        assertTrend('trends over HTTP', http, trend, expectedDates);
        assertTrend('trends, engine call', engine, trend);
      },
    },
    {
      label: `active users: ${DAYS} days`,
      bound: PAGES_18.active,
      app,
      path: '/active',
      params: { event: 'user:active', days: DAYS },
      engine: () => activeUsers(bm, 'user:active', { days: DAYS, now }),
      check(http, engine) {
        assertActiveUsers('active users over HTTP', http, active, expectedDates);
        assertActiveUsers('active users, engine call', engine, active);
      },
    },
    {
      label: `lifecycle: ${DAYS} days`,
      bound: PAGES_18.lifecycle,
      app,
      path: '/lifecycle',
      params: { event: 'user:active', periods: DAYS },
      engine: () => bm.getLifecycle('user:active', { periods: DAYS, now }),
      check: lifecycleCheck('lifecycle', lifecycle),
    },
    {
      label: `lifecycle: ${DAYS} days, created user:signed_up`,
      bound: PAGES_18.lifecycleCreated,
      app,
      path: '/lifecycle',
      params: { event: 'user:active', periods: DAYS, created: 'user:signed_up' },
      engine: () => bm.getLifecycle('user:active', { periods: DAYS, now, created: 'user:signed_up' }),
      check: lifecycleCheck('lifecycle with created', created),
    },
    {
      label: `events page: ${names.length} events`,
      bound: PAGES_18.events,
      app: listedApp,
      path: '/',
      params: {},
      engine: () => periodCounts(listed, names, ['day', 'week', 'month', 'year'], now),
      check(http, engine) {
        const answer = http as { events: { name: string; day: number; week: number; month: number; year: number }[]; omitted: number };
        assertSame('events page over HTTP', { omitted: answer.omitted, events: answer.events.map((e) => [e.name, [e.day, e.week, e.month, e.year]]) }, { omitted: 0, events: expectedCounts });
        assertSame('events page counts, engine call', engine, expectedCounts.map(([, counts]) => counts));
      },
    },
  ];
}

/** Where the events page's {@link LISTED} events live. */
function listedPrefixOf(ctx: BenchContext): string {
  return `${ctx.prefix}listed_`;
}

/**
 * Fills `listedPrefix` with {@link LISTED} events: the data set's bitmaps copied (GET and SET), and the others
 * marked from every fourth `user:active` mark, spread over them in turn. Returns the names, sorted.
 */
async function listHundredEvents(ctx: BenchContext, listed: Bitmapist, prefix: string, listedPrefix: string): Promise<string[]> {
  const keys = (await keysUnder(ctx.redis, prefix)).filter((key) => EVENTS.some((event) => key.startsWith(`${prefix}${event}_`)));
  for (const key of keys) await ctx.redis.set(`${listedPrefix}${key.slice(prefix.length)}`, (await ctx.redis.getBuffer(key))!);
  const extra = LISTED - EVENTS.length;
  const marks: BulkMark[] = ctx.data.marks
    .filter((mark) => mark.event === 'user:active')
    .filter((_, i) => i % 4 === 0)
    .map((mark, i) => ({ ...mark, event: `page:listed_${String(i % extra).padStart(2, '0')}` }));
  ctx.log(`pages over HTTP: ${num(marks.length)} marks of ${extra} more events for the events page`);
  await listed.markEvents(marks);
  const names = await listed.getEventNames();
  if (names.length !== LISTED) throw new MismatchError(`the events page's prefix holds ${names.length} events, not ${LISTED}`);
  return names;
}
