/**
 * Benchmark 1: `markEvent`, one caller and 64 concurrent callers on one connection, against the naive
 * MULTI + SETBIT x3 + EXEC per mark, on the first marks of the data set.
 */
import { Redis } from 'ioredis';
import { Bitmapist, type BulkMark } from '../src/index.js';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { naiveMark } from './naive.js';
import { assertSameBitmaps, countCommands, deleteUnder } from './redis-stats.js';
import type { BenchRow } from './report.js';
import { ms, rate, summarize } from './timing.js';

/** Marks per case: enough for a steady rate, few enough to keep the whole bench short. */
const MARKS_ONE_CALLER = 20_000;
const MARKS_CONCURRENT = 200_000;
const WARM_UP_MARKS = 3_000;
export const CONCURRENT_CALLERS = 64;

/** `callers` loops each awaiting one mark at a time until every mark is done. */
async function drive(callers: number, marks: readonly BulkMark[], markOne: (mark: BulkMark) => Promise<void>) {
  const latencies = new Float64Array(marks.length);
  let next = 0;
  const caller = async () => {
    while (next < marks.length) {
      const i = next++;
      const start = performance.now();
      await markOne(marks[i]!);
      latencies[i] = performance.now() - start;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: callers }, caller));
  return { elapsedMs: performance.now() - start, latency: summarize(latencies) };
}

export async function benchMarkEvent(ctx: BenchContext): Promise<BenchOutput> {
  const rows: BenchRow[] = [];
  const rates = new Map<string, number>();
  const naiveClient = new Redis(ctx.url);
  const oursPrefix = `${ctx.prefix}me_ours_`;
  const bm = new Bitmapist({ redis: ctx.url, keyPrefix: oursPrefix });
  try {
    // Warm both paths (script load, JIT) on throwaway keys.
    const warm = ctx.data.marks.slice(0, WARM_UP_MARKS);
    const warmBm = new Bitmapist({ redis: ctx.url, keyPrefix: `${ctx.prefix}warm_` });
    await drive(CONCURRENT_CALLERS, warm, (m) => warmBm.markEvent(m.event, m.uid, { now: m.now }));
    await drive(CONCURRENT_CALLERS, warm, (m) => naiveMark(naiveClient, `${ctx.prefix}warm_naive_`, m));
    await warmBm.close();
    await deleteUnder(ctx.redis, `${ctx.prefix}warm_`);

    for (const [callers, count] of [[1, MARKS_ONE_CALLER], [CONCURRENT_CALLERS, MARKS_CONCURRENT]] as const) {
      const marks = ctx.data.marks.slice(0, count);
      const label = `${callers} caller${callers > 1 ? 's' : ''}, ${num(marks.length)} marks`;
      const naivePrefix = `${ctx.prefix}me_naive_`;
      ctx.log(`markEvent ${label}: naive`);
      const naive = await countCommands(ctx.redis, () => drive(callers, marks, (m) => naiveMark(naiveClient, naivePrefix, m)));
      ctx.log(`markEvent ${label}: ours`);
      const ours = await countCommands(ctx.redis, () => drive(callers, marks, (m) => bm.markEvent(m.event, m.uid, { now: m.now })));
      const keys = await assertSameBitmaps(ctx.redis, oursPrefix, naivePrefix, `markEvent ${label}`);
      await deleteUnder(ctx.redis, oursPrefix);
      await deleteUnder(ctx.redis, naivePrefix);

      const oursRate = marks.length / (ours.value.elapsedMs / 1000);
      const naiveRate = marks.length / (naive.value.elapsedMs / 1000);
      rates.set(`ours${callers}`, oursRate);
      rates.set(`naive${callers}`, naiveRate);
      const perMark = (n: number) => num(n / marks.length, 3);
      rows.push(
        {
          section: '1. markEvent',
          case: label,
          impl: 'ours',
          dataSet: ctx.dataName,
          rate: `${rate(oursRate)} marks`,
          median: ms(ours.value.latency.medianMs),
          p95: ms(ours.value.latency.p95Ms),
          roundTrips: perMark(ours.delta.scriptCalls),
          commands: perMark(ours.delta.commands),
          ratio: times(oursRate / naiveRate),
          note: `identical bitmaps (${keys} keys)`,
        },
        {
          section: '1. markEvent',
          case: label,
          impl: 'naive',
          dataSet: ctx.dataName,
          rate: `${rate(naiveRate)} marks`,
          median: ms(naive.value.latency.medianMs),
          p95: ms(naive.value.latency.p95Ms),
          roundTrips: perMark(naive.delta.byCommand.exec ?? 0),
          commands: perMark(naive.delta.commands),
          note: 'MULTI + 3 SETBIT + EXEC',
        },
      );
    }
  } finally {
    await bm.close();
    naiveClient.disconnect();
  }
  const ours64 = rates.get(`ours${CONCURRENT_CALLERS}`)!;
  const naive64 = rates.get(`naive${CONCURRENT_CALLERS}`)!;
  return {
    rows,
    targets: [
      {
        target: `markEvent, ${CONCURRENT_CALLERS} concurrent callers: at least 2x the naive MULTI/EXEC path`,
        measured: `${times(ours64 / naive64)} (${rate(ours64)} vs ${rate(naive64)})`,
        met: ours64 >= 2 * naive64,
      },
      {
        target: `markEvent, ${CONCURRENT_CALLERS} concurrent callers: at least 80,000 marks/s`,
        measured: `${rate(ours64)} marks`,
        met: ours64 >= 80_000,
      },
    ],
    notes: [],
  };
}
