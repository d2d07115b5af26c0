/**
 * Benchmarks 3 and 4: `getCohort` on the replayed data set (30x30 days, 8x8 weeks, 3x3 months, 14x14 days
 * `and user:purchased`, each in every mode) against the naive client-side cohort, and the longest single
 * script call Redis saw meanwhile (SLOWLOG).
 */
import { Redis } from 'ioredis';
import { isDeepStrictEqual } from 'node:util';
import { Bitmapist, type ChainedEvent, type CohortMode, type CohortResult } from '../src/index.js';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { naiveCohort } from './naive.js';
import type { NaiveUnit } from './naive-keys.js';
import { countCommands, MismatchError, slowestScriptCall } from './redis-stats.js';
import { replayPrefix } from './replay.bench.js';
import type { BenchRow, TargetResult } from './report.js';
import { ms, timeRuns } from './timing.js';

const OURS_RUNS = 30;
const NAIVE_RUNS = 5;
const MODES: CohortMode[] = ['first', 'recurring', 'unbounded'];

interface CohortCase {
  label: string;
  unit: NaiveUnit;
  size: number;
  additionalEvents?: ChainedEvent[];
}

const CASES: CohortCase[] = [
  { label: '30x30 days', unit: 'day', size: 30 },
  { label: '8x8 weeks', unit: 'week', size: 8 },
  { label: '3x3 months', unit: 'month', size: 3 },
  { label: '14x14 days and user:purchased', unit: 'day', size: 14, additionalEvents: [{ name: 'user:purchased', op: 'and' }] },
];

export async function benchCohort(ctx: BenchContext, replaySlowestUsec: number): Promise<BenchOutput> {
  const prefix = replayPrefix(ctx);
  const bm = new Bitmapist({ redis: ctx.url, keyPrefix: prefix });
  const naiveClient = new Redis(ctx.url);
  const rows: BenchRow[] = [];
  const targets: TargetResult[] = [];
  const slowestLines: string[] = [];
  let slowestOverall = { usec: 0, where: '' };
  try {
    for (const c of CASES) {
      for (const mode of MODES) {
        const name = `${c.label}, ${mode}`;
        const query = {
          primary: 'user:signed_up',
          secondary: 'user:active',
          additionalEvents: c.additionalEvents,
          unit: c.unit,
          numRows: c.size,
          numCols: c.size,
          mode,
          now: ctx.data.cohortNow,
        };
        const ours = () =>
          bm.getCohort(query.primary, query.secondary, {
            additionalEvents: query.additionalEvents,
            timeGroup: `${c.unit}s` as const,
            numRows: c.size,
            numCols: c.size,
            mode,
            now: query.now,
          });
        ctx.log(`cohort ${name}`);
        await ours(); // warm-up
        const oursRun = await slowestScriptCall(ctx.redis, () => countCommands(ctx.redis, () => timeRuns(OURS_RUNS, ours)));
        let naiveRoundTrips = 0;
        const naiveRun = await countCommands(ctx.redis, () =>
          timeRuns(NAIVE_RUNS, async () => {
            const { result, roundTrips } = await naiveCohort(naiveClient, prefix, query);
            naiveRoundTrips = roundTrips;
            return result;
          }),
        );
        assertSameCohort(name, oursRun.value.value.last, naiveRun.value.last);

        const oursLatency = oursRun.value.value.latency;
        const naiveLatency = naiveRun.value.latency;
        const ratio = naiveLatency.medianMs / oursLatency.medianMs;
        const oursRoundTrips = oursRun.value.delta.scriptCalls / OURS_RUNS;
        const slowest = oursRun.slowest;
        if (slowest.usec > slowestOverall.usec) slowestOverall = { usec: slowest.usec, where: name };
        slowestLines.push(`| ${name} | ${ms(slowest.usec / 1000)} | ${num(slowest.logged)} (${slowest.source}) |`);
        const cells = oursRun.value.value.last.cohort.flat().filter((cell) => cell !== null).length;
        rows.push(
          {
            section: '3. getCohort',
            case: name,
            impl: 'ours',
            dataSet: ctx.dataName,
            median: ms(oursLatency.medianMs),
            p95: ms(oursLatency.p95Ms),
            roundTrips: num(oursRoundTrips, 1),
            commands: num(oursRun.value.delta.commands / OURS_RUNS, 1),
            ratio: times(ratio),
            note: `${OURS_RUNS} runs; ${cells} cells; identical to naive`,
          },
          {
            section: '3. getCohort',
            case: name,
            impl: 'naive',
            dataSet: ctx.dataName,
            median: ms(naiveLatency.medianMs),
            p95: ms(naiveLatency.p95Ms),
            roundTrips: num(naiveRoundTrips),
            commands: num(naiveRun.delta.commands / NAIVE_RUNS, 1),
            note: `${NAIVE_RUNS} runs; client-side BITOP/BITCOUNT`,
          },
        );
        if (c.label === '30x30 days') {
          targets.push(
            {
              target: `getCohort 30x30 days (${mode}): at most 31 round trips`,
              measured: num(oursRoundTrips, 1),
              met: oursRoundTrips <= 31,
            },
            {
              target: `getCohort 30x30 days (${mode}): at least 20x faster than naive`,
              measured: `${times(ratio)} (${ms(oursLatency.medianMs)} vs ${ms(naiveLatency.medianMs)})`,
              met: ratio >= 20,
            },
            {
              target: `getCohort 30x30 days (${mode}): under 10 ms`,
              measured: `median ${ms(oursLatency.medianMs)}, p95 ${ms(oursLatency.p95Ms)}`,
              met: oursLatency.medianMs < 10,
            },
          );
        }
      }
    }
  } finally {
    await bm.close();
    naiveClient.disconnect();
  }
  const slowestMs = Math.max(slowestOverall.usec, replaySlowestUsec) / 1000;
  targets.push({
    target: 'No single script call longer than 5 ms (cohorts and replay)',
    measured: `${ms(slowestOverall.usec / 1000)} (cohort: ${slowestOverall.where}); replay batch: ${ms(replaySlowestUsec / 1000)}`,
    met: slowestMs <= 5,
  });
  return {
    rows,
    targets,
    notes: [
      {
        title: 'Longest single script call (benchmark 4)',
        lines: [
          `SLOWLOG with \`slowlog-log-slower-than 0\` while our ${OURS_RUNS} runs of each cohort ran; the longest `
            + `\`mark_many\` call of the replay was ${ms(replaySlowestUsec / 1000)}.`,
          '',
          '| cohort | longest script call | script calls logged |',
          '|---|---|---|',
          ...slowestLines,
        ],
      },
    ],
  };
}

/** Throws a {@link MismatchError} unless both cohorts are equal cell for cell (and date for date). */
function assertSameCohort(name: string, ours: CohortResult, naive: CohortResult): void {
  const plain = (r: CohortResult) => ({ cohort: r.cohort, totals: r.totals, dates: r.dates.map((d) => d.toISOString()) });
  if (!isDeepStrictEqual(plain(ours), plain(naive))) {
    throw new MismatchError(
      `getCohort ${name}: ours ${JSON.stringify(plain(ours))} differs from naive ${JSON.stringify(plain(naive))}`,
    );
  }
}
