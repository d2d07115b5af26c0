/**
 * Benchmark 1: `markEvent`, one caller and 64 concurrent callers on one connection, against the naive
 * MULTI + SETBIT x3 + EXEC per mark, on the first marks of the data set (each half of them in ABBA order).
 */
import { Redis } from 'ioredis';
import { Bitmapist, type BulkMark } from '../src/index.js';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { naiveMark } from './naive.js';
import { assertSameBitmaps, deleteUnder } from './keyspace.js';
import { countCommands, type CommandDelta } from './redis-stats.js';
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
  return { elapsedMs: performance.now() - start, latencies };
}

/** The runs of one implementation, added up. */
class Runs {
  elapsedMs = 0;
  scriptCalls = 0;
  scriptUsec = 0;
  commands = 0;
  exec = 0;
  private readonly latencies: Float64Array[] = [];

  add(run: { value: { elapsedMs: number; latencies: Float64Array }; delta: CommandDelta }): void {
    this.elapsedMs += run.value.elapsedMs;
    this.latencies.push(run.value.latencies);
    this.scriptCalls += run.delta.scriptCalls;
    this.scriptUsec += run.delta.scriptUsec;
    this.commands += run.delta.commands;
    this.exec += run.delta.byCommand.exec ?? 0;
  }

  get latency() {
    return summarize(this.latencies.flatMap((l) => [...l]));
  }
}

export async function benchMarkEvent(ctx: BenchContext): Promise<BenchOutput> {
  const rows: BenchRow[] = [];
  const rates = new Map<string, number>();
  let limit = '';
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
      // ABBA over the two halves of the marks (naive, ours, ours, naive), so drift in the machine's load
      // hits both alike.
      const halves = [marks.slice(0, marks.length / 2), marks.slice(marks.length / 2)];
      const ours = new Runs();
      const naive = new Runs();
      for (const [impl, half] of [['naive', 0], ['ours', 0], ['ours', 1], ['naive', 1]] as const) {
        ctx.log(`markEvent ${label}: ${impl}, half ${half + 1}`);
        const markOne = impl === 'ours'
          ? (m: BulkMark) => bm.markEvent(m.event, m.uid, { now: m.now })
          : (m: BulkMark) => naiveMark(naiveClient, naivePrefix, m);
        (impl === 'ours' ? ours : naive).add(await countCommands(ctx.redis, () => drive(callers, halves[half]!, markOne)));
      }
      const keys = await assertSameBitmaps(ctx.redis, oursPrefix, naivePrefix, `markEvent ${label}`);
      await deleteUnder(ctx.redis, oursPrefix);
      await deleteUnder(ctx.redis, naivePrefix);

      const oursRate = marks.length / (ours.elapsedMs / 1000);
      const naiveRate = marks.length / (naive.elapsedMs / 1000);
      rates.set(`ours${callers}`, oursRate);
      if (callers > 1) {
        limit = `${num(ours.scriptCalls)} script calls (${num(marks.length / ours.scriptCalls, 1)} marks each); `
          + `Redis busy ${ms(ours.scriptUsec / 1000)} in scripts of ${ms(ours.elapsedMs)} wall time`;
      }
      rates.set(`naive${callers}`, naiveRate);
      const perMark = (n: number) => num(n / marks.length, 3);
      rows.push(
        {
          section: '1. markEvent',
          case: label,
          impl: 'ours',
          dataSet: ctx.dataName,
          rate: rate(oursRate, 'marks'),
          median: ms(ours.latency.medianMs),
          p95: ms(ours.latency.p95Ms),
          roundTrips: perMark(ours.scriptCalls),
          commands: perMark(ours.commands),
          ratio: times(oursRate / naiveRate),
          note: `identical bitmaps (${keys} keys)`,
        },
        {
          section: '1. markEvent',
          case: label,
          impl: 'naive',
          dataSet: ctx.dataName,
          rate: rate(naiveRate, 'marks'),
          median: ms(naive.latency.medianMs),
          p95: ms(naive.latency.p95Ms),
          roundTrips: perMark(naive.exec),
          commands: perMark(naive.commands),
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
        limit,
      },
      {
        target: `markEvent, ${CONCURRENT_CALLERS} concurrent callers: at least 80,000 marks/s`,
        measured: rate(ours64, 'marks'),
        met: ours64 >= 80_000,
        limit,
      },
    ],
    notes: [],
  };
}
