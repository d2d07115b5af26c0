/**
 * Benchmark 2: `markEvents` replaying the whole data set, against a naive pipelined SETBIT replay
 * (1,000 marks per pipeline, as bitmapist's bulk mode). Leaves our replay in place for the cohorts
 * (under {@link replayPrefix}) and reports its memory (benchmark 6, first half).
 */
import { Redis } from 'ioredis';
import { Bitmapist } from '../src/index.js';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { naiveReplay } from './naive.js';
import { assertSameBitmaps, deleteUnder, memoryUnder } from './keyspace.js';
import { countCommands, slowestScriptCall, usedMemory, type CommandDelta, type SlowestCall } from './redis-stats.js';
import { ms, rate, summarize } from './timing.js';

/** Our runs of the replay (the median is reported). */
const OURS_RUNS = 3;

/** Where the replayed data set lives for the cohort benchmark. */
export function replayPrefix(ctx: BenchContext): string {
  return `${ctx.prefix}data_`;
}

export async function benchReplay(ctx: BenchContext): Promise<BenchOutput & { slowest: SlowestCall }> {
  const { marks } = ctx.data;
  const naivePrefix = `${ctx.prefix}replay_naive_`;
  let naiveMs = 0;
  let naiveDelta: CommandDelta | undefined;
  let naivePipelines = 0;
  const runNaive = async () => {
    const naiveClient = new Redis(ctx.url);
    ctx.log(`replay ${num(marks.length)} marks: naive pipelined SETBIT`);
    const start = performance.now();
    const naive = await countCommands(ctx.redis, () => naiveReplay(naiveClient, naivePrefix, marks));
    naiveMs = performance.now() - start;
    naiveDelta = naive.delta;
    naivePipelines = naive.value;
    naiveClient.disconnect();
  };

  const elapsed: number[] = [];
  let last: { commands: number; scriptCalls: number; scriptUsec: number; memoryDelta: number } | undefined;
  // The longest script call over every run of ours (and how many calls went over 5 ms).
  let slowest: SlowestCall | undefined;
  for (let run = 0; run < OURS_RUNS; run += 1) {
    if (run === 1) await runNaive(); // between our runs, so both see the same machine load
    const prefix = run === OURS_RUNS - 1 ? replayPrefix(ctx) : `${ctx.prefix}replay_ours_${run}_`;
    ctx.log(`replay ${num(marks.length)} marks: markEvents, run ${run + 1}/${OURS_RUNS}`);
    const bm = new Bitmapist({ redis: ctx.url, keyPrefix: prefix });
    await bm.redis.ping();
    const memoryBefore = await usedMemory(ctx.redis);
    const start = performance.now();
    const measured = await slowestScriptCall(ctx.redis, () => countCommands(ctx.redis, () => bm.markEvents(marks)));
    elapsed.push(performance.now() - start);
    const memoryDelta = (await usedMemory(ctx.redis)) - memoryBefore;
    await bm.close();
    const { value, delta } = measured.value;
    if (value !== marks.length) throw new Error(`markEvents wrote ${value} of ${marks.length} marks`);
    last = { commands: delta.commands, scriptCalls: delta.scriptCalls, scriptUsec: delta.scriptUsec, memoryDelta };
    const s = measured.slowest;
    slowest = slowest === undefined ? s : {
      ...(s.usec > slowest.usec ? s : slowest),
      p99Usec: Math.max(s.p99Usec, slowest.p99Usec),
      over5ms: s.over5ms + slowest.over5ms,
      logged: s.logged + slowest.logged,
    };
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
  const limit = `Redis spends ${ms(stats.scriptUsec / 1000)} in our ${num(stats.scriptCalls)} script calls `
    + `(${num(stats.commands / marks.length, 1)} commands per mark) of the ${ms(oursMs)}`;
  return {
    slowest: slowest!,
    rows: [
      {
        section: '2. replay',
        case: `${num(marks.length)} marks`,
        impl: 'ours',
        dataSet: ctx.dataName,
        rate: rate(marks.length / (oursMs / 1000), 'marks'),
        median: ms(oursMs),
        p95: ms(oursSummary.p95Ms),
        roundTrips: perMark(stats.scriptCalls),
        commands: perMark(stats.commands),
        ratio: times(ratio),
        note: `markEvents, median (p95: slowest) of ${OURS_RUNS} runs; identical bitmaps (${keys} keys); longest call ${ms(slowest!.usec / 1000)}`,
      },
      {
        section: '2. replay',
        case: `${num(marks.length)} marks`,
        impl: 'naive',
        dataSet: ctx.dataName,
        rate: rate(marks.length / (naiveMs / 1000), 'marks'),
        median: ms(naiveMs),
        p95: '',
        roundTrips: perMark(naivePipelines),
        commands: perMark(naiveDelta!.commands),
        note: '1 run; pipelines of 1,000 marks (3,000 SETBIT), one at a time',
      },
    ],
    targets: [
      {
        target: 'markEvents replay: at least 3x faster than the naive pipelined replay',
        measured: `${times(ratio)} (${ms(oursMs)} vs ${ms(naiveMs)})`,
        met: ratio >= 3,
        limit,
      },
      { target: 'markEvents replay: under 3 s', measured: ms(oursMs), met: oursMs < 3000, limit },
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
