/**
 * Benchmark 11: funnels and trend breakdowns on the replayed data set, each against a naive client-side
 * computation in the same run (GET every bitmap it needs, then work user by user in Node: bench/funnel-model.ts,
 * bench/page-model.ts), whose answer ours must equal. The data set has three events and no unique bitmaps, so this
 * adds to the replay a fourth event (`user:viewed_pricing`: about one `user:active` mark in seven, and every
 * purchase) and a plan per user in unique bitmaps (`markUnique`: `plan:pro` about 20%, `plan:team` 10%,
 * `plan:free` the rest).
 * - Funnels: `getFunnel` of 4 steps over 30 days, window 14, in order and in any order, with and without the
 *   segment `bm.unique('plan:pro')`.
 * - Breakdown: `trendCounts` of 2 events over 30 days for each of the 3 plans, side by side as the trends page asks.
 */
import { isDeepStrictEqual } from 'node:util';
import { Bitmapist, trendCounts, type BulkMark, type FunnelOptions, type FunnelResult } from '../src/index.js';
import { seededRandom } from '../src/testing/index.js';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { modelFunnel } from './funnel-model.js';
import { FUNNELS_17 } from './issue-18.js';
import { MismatchError } from './keyspace.js';
import { readDays, readUnique } from './naive-reads.js';
import { modelTrend } from './page-model.js';
import { replayPrefix } from './replay.bench.js';
import type { BenchRow, TargetResult } from './report.js';
import { Sampler, sampleInterleaved } from './sampler.js';
import { ms } from './timing.js';

const OURS_RUNS = 15;
const NAIVE_RUNS = 5;
const PERIODS = 30;
const WINDOW = 14;
const STEPS = ['user:signed_up', 'user:active', 'user:viewed_pricing', 'user:purchased'];
/** Each plan and the cumulative share of users up to it. */
const PLANS = [['plan:pro', 0.2], ['plan:team', 0.3], ['plan:free', 1]] as const;
const BREAKDOWN_EVENTS = ['user:active', 'user:purchased'];

/** One case: ours, the naive computation, and how their answers compare. */
interface FunnelCase {
  label: string;
  ours: () => Promise<unknown>;
  naive: () => Promise<unknown>;
  /** The figures both must agree on. */
  figures(answer: unknown): unknown;
}

export async function benchFunnels(ctx: BenchContext): Promise<BenchOutput> {
  const prefix = replayPrefix(ctx);
  const now = ctx.data.cohortNow;
  const bm = new Bitmapist({ redis: ctx.url, keyPrefix: prefix });
  try {
    await addStepAndPlans(ctx, bm);
    const funnelCase = (order: 'sequential' | 'any', segment?: string): FunnelCase => ({
      label: `${STEPS.length} steps x ${PERIODS} days, window ${WINDOW}, ${order}${segment ? `, segment ${segment}` : ''}`,
      ours: () => bm.getFunnel(STEPS, { periods: PERIODS, window: WINDOW, order, now, segment: segment === undefined ? undefined : bm.unique(segment) } satisfies FunnelOptions),
      naive: async () => {
        const bitmaps = await Promise.all(STEPS.map((step) => readDays(ctx.redis, prefix, step, now, PERIODS)));
        return modelFunnel(bitmaps, WINDOW, order, segment === undefined ? undefined : await readUnique(ctx.redis, prefix, segment));
      },
      figures: (answer) => {
        const { entries, timeToConvert } = answer as Pick<FunnelResult, 'entries' | 'timeToConvert'>;
        return { entries: entries.map((entry) => (Array.isArray(entry) ? entry : entry.counts)), timeToConvert };
      },
    });
    const cases: FunnelCase[] = [
      funnelCase('sequential'),
      funnelCase('any'),
      funnelCase('sequential', 'plan:pro'),
      funnelCase('any', 'plan:pro'),
      {
        label: `trends breakdown: ${BREAKDOWN_EVENTS.length} events x ${PERIODS} days x ${PLANS.length} segments`,
        ours: () => Promise.all(PLANS.map(([plan]) => trendCounts(bm, BREAKDOWN_EVENTS, { periods: PERIODS, now, segment: bm.unique(plan) }))),
        naive: async () => {
          const days = await Promise.all(BREAKDOWN_EVENTS.map((event) => readDays(ctx.redis, prefix, event, now, PERIODS)));
          const plans = await Promise.all(PLANS.map(([plan]) => readUnique(ctx.redis, prefix, plan)));
          return plans.map((plan) => days.map((range) => modelTrend(PERIODS, (i) => range[i], plan)));
        },
        figures: (answer) => (answer as ({ series: { counts: number[] }[] } | number[][])[]).map((t) => (Array.isArray(t) ? t : t.series.map((s) => s.counts))),
      },
    ];
    const rows: BenchRow[] = [];
    const targets: TargetResult[] = [];
    for (const c of cases) {
      ctx.log(`funnels: ${c.label}`);
      const ours = new Sampler(c.ours);
      const naive = new Sampler(c.naive);
      const slowest = await sampleInterleaved(ctx.redis, ours, naive, OURS_RUNS, NAIVE_RUNS);
      if (!isDeepStrictEqual(c.figures(ours.last), c.figures(naive.last))) {
        throw new MismatchError(`${c.label}: ours ${JSON.stringify(c.figures(ours.last)).slice(0, 800)} differs from the naive `
          + `computation ${JSON.stringify(c.figures(naive.last)).slice(0, 800)}`);
      }
      const [o, n] = [ours.latency, naive.latency];
      const ratio = n.medianMs / o.medianMs;
      const redisMs = ours.scriptUsec / OURS_RUNS / 1000;
      rows.push(
        {
          section: '11. funnels',
          case: c.label,
          impl: 'ours',
          dataSet: ctx.dataName,
          median: ms(o.medianMs),
          p95: ms(o.p95Ms),
          roundTrips: num(ours.scriptCalls / OURS_RUNS, 1),
          commands: num(ours.commands / OURS_RUNS, 1),
          ratio: times(ratio),
          note: `${OURS_RUNS} runs; ${ms(redisMs)} of Redis script time; longest script call ${ms(slowest.usec / 1000)}; identical to naive`,
        },
        {
          section: '11. funnels',
          case: c.label,
          impl: 'naive',
          dataSet: ctx.dataName,
          median: ms(n.medianMs),
          p95: ms(n.p95Ms),
          roundTrips: '1',
          commands: num(naive.commands / NAIVE_RUNS, 1),
          note: `${NAIVE_RUNS} runs; GET of every bitmap (one pipeline per event), computed user by user in Node`,
        },
      );
      targets.push({
        issue: FUNNELS_17.issue,
        target: `${c.label.startsWith('trends') ? '' : 'getFunnel '}${c.label}, shared data: at most ${FUNNELS_17.maxSharedMs} ms median`,
        measured: `median ${ms(o.medianMs)} (p95 ${ms(o.p95Ms)}), ${num(ours.scriptCalls / OURS_RUNS, 1)} script calls, `
          + `${num(ours.commands / OURS_RUNS, 1)} Redis commands, ${ms(redisMs)} of script time, longest call ${ms(slowest.usec / 1000)}`,
        baseline: `naive client-side ${ms(n.medianMs)} (ours ${times(ratio)} faster)`,
        met: o.medianMs <= FUNNELS_17.maxSharedMs,
        limit: `Redis ran ${num(ours.scriptCalls / OURS_RUNS, 1)} script calls for ${ms(redisMs)} per answer`,
        before: 'none: a new insight',
      });
    }
    return { rows, targets, notes: [] };
  } finally {
    await bm.close();
  }
}

/** Adds the funnel's third step and each user's plan (unique bitmaps) to the replay, the same in every run. */
async function addStepAndPlans(ctx: BenchContext, bm: Bitmapist): Promise<void> {
  const random = seededRandom(18);
  const viewed: BulkMark[] = ctx.data.marks
    .filter((mark) => mark.event === 'user:purchased' || (mark.event === 'user:active' && random() < 1 / 7))
    .map((mark) => ({ ...mark, event: 'user:viewed_pricing' }));
  const users = [...new Set(ctx.data.marks.map((mark) => mark.uid))].sort((a, b) => a - b);
  ctx.log(`funnels: ${num(viewed.length)} user:viewed_pricing marks, plans for ${num(users.length)} users`);
  await bm.markEvents(viewed);
  const plan = seededRandom(1800);
  const plans = users.map((uid) => {
    const draw = plan();
    return [PLANS.find(([, below]) => draw < below)![0], uid] as const;
  });
  for (let i = 0; i < plans.length; i += 5_000) await Promise.all(plans.slice(i, i + 5_000).map(([name, uid]) => bm.markUnique(name, uid)));
}
