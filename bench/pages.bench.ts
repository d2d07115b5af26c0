/**
 * Benchmark 9: the chart pages' engine work on the replayed data set: trends, active users, lifecycle and a
 * sparkline, at their default and their largest sizes (median of 5 runs, script calls per run, the longest
 * single script call from SLOWLOG). The figures themselves are checked against a model by the tests; here a
 * trend's last day is checked against a plain day count.
 */
import { activeUsers, Bitmapist, trendCounts } from '../src/index.js';
import { num, type BenchContext, type BenchOutput } from './context.js';
import { MismatchError } from './keyspace.js';
import { countCommands, slowestScriptCall } from './redis-stats.js';
import { replayPrefix } from './replay.bench.js';
import type { BenchRow } from './report.js';
import { ms, timeRuns } from './timing.js';

const RUNS = 5;
const EVENTS = ['user:signed_up', 'user:active', 'user:purchased'];

export async function benchPages(ctx: BenchContext): Promise<BenchOutput> {
  const bm = new Bitmapist({ redis: ctx.url, keyPrefix: replayPrefix(ctx) });
  const now = ctx.data.cohortNow;
  const cases: [string, () => Promise<unknown>][] = [
    ['sparkline: 1 event x 14 days', () => trendCounts(bm, ['user:active'], { periods: 14, now })],
    ['trends: 3 events x 30 days', () => trendCounts(bm, EVENTS, { periods: 30, now })],
    ['trends: 3 events x 90 days (cap)', () => trendCounts(bm, EVENTS, { periods: 90, now })],
    ['active users: 30 days', () => activeUsers(bm, 'user:active', { days: 30, now })],
    ['active users: 90 days (cap)', () => activeUsers(bm, 'user:active', { days: 90, now })],
    ['lifecycle: 30 days', () => bm.getLifecycle('user:active', { periods: 30, now })],
    ['lifecycle: 90 days (cap)', () => bm.getLifecycle('user:active', { periods: 90, now })],
    ['lifecycle: 90 days, created user:signed_up', () => bm.getLifecycle('user:active', { periods: 90, now, created: 'user:signed_up' })],
  ];
  const rows: BenchRow[] = [];
  const lines: string[] = [];
  try {
    const trend = await trendCounts(bm, ['user:active'], { periods: 3, now });
    const lastDay = await bm.day('user:active', now).count();
    if (trend.series[0]!.counts.at(-1) !== lastDay) {
      throw new MismatchError(`trends: the last day counts ${trend.series[0]!.counts.at(-1)}, day().count() ${lastDay}`);
    }
    for (const [label, run] of cases) {
      ctx.log(`pages: ${label}`);
      const { delta } = await countCommands(ctx.redis, run);
      const { value: timed, slowest } = await slowestScriptCall(ctx.redis, () => timeRuns(RUNS, run));
      rows.push({
        section: '9. pages',
        case: label,
        impl: 'ours',
        dataSet: ctx.dataName,
        median: ms(timed.latency.medianMs),
        p95: ms(timed.latency.p95Ms),
        roundTrips: num(delta.scriptCalls),
        commands: num(delta.commands),
        note: `${RUNS} runs; longest script call ${ms(slowest.usec / 1000)}`,
      });
      lines.push(
        `- ${label}: median ${ms(timed.latency.medianMs)}, ${num(delta.scriptCalls)} script calls ` +
          `(${ms(delta.scriptUsec / 1000)} of Redis script time), longest call ${ms(slowest.usec / 1000)}`,
      );
    }
    return { rows, targets: [], notes: [{ title: 'The chart pages (benchmark 9)', lines }] };
  } finally {
    await bm.close();
  }
}
