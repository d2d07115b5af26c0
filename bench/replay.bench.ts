/**
 * Benchmark 2: `markEvents` replaying the whole data set, against a naive pipelined SETBIT replay
 * (1,000 marks per pipeline, as bitmapist's bulk mode). Leaves our replay in place for the cohorts
 * (under {@link replayPrefix}) and reports its memory (benchmark 6, first half).
 */
import { Redis } from 'ioredis';
import { Bitmapist } from '../src/index.js';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { naiveReplay } from './naive.js';
import { assertSameBitmaps, countCommands, deleteUnder, memoryUnder, slowestScriptCall, usedMemory } from './redis-stats.js';
import { ms, rate, summarize } from './timing.js';

/** Our runs of the replay (the median is reported). */
const OURS_RUNS = 3;

/** Where the replayed data set lives for the cohort benchmark. */
export function replayPrefix(ctx: BenchContext): string {
  return `${ctx.prefix}data_`;
}

export async function benchReplay(ctx: BenchContext): Promise<BenchOutput & { slowestUsec: number }> {
  const { marks } = ctx.data;
  const naivePrefix = `${ctx.prefix}replay_naive_`;
  const naiveClient = new Redis(ctx.url);
  ctx.log(`replay ${num(marks.length)} marks: naive pipelined SETBIT`);
  let start = performance.now();
  const naive = await countCommands(ctx.redis, () => naiveReplay(naiveClient, naivePrefix, marks));
  const naiveMs = performance.now() - start;
  naiveClient.disconnect();

  const elapsed: number[] = [];
  let last: { written: number; commands: number; scriptCalls: number; slowestUsec: number; memoryDelta: number } | undefined;
  for (let run = 0; run < OURS_RUNS; run += 1) {
    const prefix = run === OURS_RUNS - 1 ? replayPrefix(ctx) : `${ctx.prefix}replay_ours_${run}_`;
    ctx.log(`replay ${num(marks.length)} marks: markEvents, run ${run + 1}/${OURS_RUNS}`);
    const bm = new Bitmapist({ redis: ctx.url, keyPrefix: prefix });
    await bm.redis.ping();
    const memoryBefore = await usedMemory(ctx.redis);
    start = performance.now();
    const { value, slowest } = await slowestScriptCall(ctx.redis, () => countCommands(ctx.redis, () => bm.markEvents(marks)));
    elapsed.push(performance.now() - start);
    const memoryDelta = (await usedMemory(ctx.redis)) - memoryBefore;
    await bm.close();
    if (value.value !== marks.length) throw new Error(`markEvents wrote ${value.value} of ${marks.length} marks`);
    last = { written: value.value, commands: value.delta.commands, scriptCalls: value.delta.scriptCalls, slowestUsec: slowest.usec, memoryDelta };
    if (run < OURS_RUNS - 1) await deleteUnder(ctx.redis, prefix);
  }
  const keys = await assertSameBitmaps(ctx.redis, replayPrefix(ctx), naivePrefix, 'markEvents replay');
  await deleteUnder(ctx.redis, naivePrefix);
  const memory = await memoryUnder(ctx.redis, replayPrefix(ctx));

  const oursSummary = summarize(elapsed);
  const oursMs = oursSummary.medianMs;
  const ratio = naiveMs / oursMs;
  const perMark = (n: number) => num(n / marks.length, 3);
  const stats = last!;
  return {
    slowestUsec: stats.slowestUsec,
    rows: [
      {
        section: '2. replay',
        case: `${num(marks.length)} marks`,
        impl: 'ours',
        dataSet: ctx.dataName,
        rate: `${rate(marks.length / (oursMs / 1000))} marks`,
        median: ms(oursMs),
        p95: ms(oursSummary.p95Ms),
        roundTrips: perMark(stats.scriptCalls),
        commands: perMark(stats.commands),
        ratio: times(ratio),
        note: `markEvents, median of ${OURS_RUNS} runs; identical bitmaps (${keys} keys); longest call ${ms(stats.slowestUsec / 1000)}`,
      },
      {
        section: '2. replay',
        case: `${num(marks.length)} marks`,
        impl: 'naive',
        dataSet: ctx.dataName,
        rate: `${rate(marks.length / (naiveMs / 1000))} marks`,
        median: ms(naiveMs),
        p95: '',
        roundTrips: perMark(naive.value),
        commands: perMark(naive.delta.commands),
        note: '1 run; pipelines of 1,000 marks (3,000 SETBIT), one at a time',
      },
    ],
    targets: [
      {
        target: 'markEvents replay: at least 3x faster than the naive pipelined replay',
        measured: `${times(ratio)} (${ms(oursMs)} vs ${ms(naiveMs)})`,
        met: ratio >= 3,
      },
      { target: 'markEvents replay: under 3 s', measured: ms(oursMs), met: oursMs < 3000 },
    ],
    notes: [
      {
        title: 'Memory after the replay (benchmark 6)',
        lines: [
          `- Data set: ${ctx.data.label}; ${num(keys)} bitmaps (month, ISO week and day per event).`,
          `- \`MEMORY USAGE\` summed over those keys: ${num(memory.bytes)} bytes = `
            + `**${num(memory.bytes / marks.length, 1)} bytes per stored mark**.`,
          `- \`INFO memory\` \`used_memory\` grew by ${num(stats.memoryDelta)} bytes during our replay = `
            + `${num(stats.memoryDelta / marks.length, 1)} bytes per mark.`,
          '- A bitmap costs (highest user id + 1) / 8 bytes whatever the number of users in it; ids up to 100,000 '
            + 'make each bitmap about 12.5 kB.',
        ],
      },
    ],
  };
}
