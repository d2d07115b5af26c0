/**
 * `npm run bench`: starts a private redis-server (unless REDIS_URL is set), loads the data set, runs every
 * benchmark against its naive baseline, prints the table and writes BENCHMARKS.md. Exits non-zero when a
 * result differs from the naive one.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../src/testing/index.js';
import { benchCohort } from './cohort.bench.js';
import type { BenchContext, BenchOutput } from './context.js';
import { loadDataSet } from './data.js';
import { benchFunnels } from './funnels.bench.js';
import { benchHttp } from './http.bench.js';
import { benchHttpPages } from './http-pages.bench.js';
import { describeMachine, machineLoad } from './machine.js';
import { benchMappedIds } from './mapped-ids.bench.js';
import { benchMarkEvent } from './mark-event.bench.js';
import { benchBigUserId } from './memory.bench.js';
import { deleteUnder, MismatchError } from './keyspace.js';
import { benchPages } from './pages.bench.js';
import { benchReplay } from './replay.bench.js';
import { targetLine, textTable, writeMarkdown, type ReportNote, type TargetResult } from './report.js';
import { benchScale } from './scale.bench.js';
import { SCALE_SIZES } from './scale-figures.js';
import { scaleMarkdown, writeScaleSection } from './scale-report.js';
import { scaleTargets } from './scale-targets.js';
import { scaleTargets18 } from './scale-targets-18.js';

const REPORT_FILE = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

/**
 * Which benchmarks to run: `npm run bench -- mark mapped replay cohort pages funnels http memory scale` (default: all).
 * `cohort`, `pages` and `funnels` run the replay first (they read its bitmaps); `pages` is the engine calls
 * (benchmark 9) and the pages over HTTP (benchmark 10).
 */
const ALL = ['mark', 'mapped', 'replay', 'cohort', 'pages', 'funnels', 'http', 'memory', 'scale'] as const;
const READ_THE_REPLAY: readonly string[] = ['cohort', 'pages', 'funnels'];

async function main(): Promise<number> {
  const started = performance.now();
  const only = process.argv.slice(2).filter((arg) => (ALL as readonly string[]).includes(arg));
  const wanted = (name: (typeof ALL)[number]) =>
    only.length === 0 || only.includes(name) || (name === 'replay' && only.some((arg) => READ_THE_REPLAY.includes(arg)));
  const log = (message: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);

  let server: RedisServer | undefined;
  const external = process.env.REDIS_URL;
  if (!external) {
    server = await startRedisServer();
    log(`started redis-server on port ${server.port}`);
  }
  const url = external ?? server!.url;
  const redis = new Redis(url);
  const prefix = `bench_${randomBytes(3).toString('hex')}_`;
  try {
    log(`machine ${machineLoad()}`);
    log('loading the data set');
    const data = loadDataSet();
    log(data.label);
    const ctx: BenchContext = {
      url,
      redis,
      ownsServer: server !== undefined,
      data,
      dataName: data.shared ? 'shared' : 'generated',
      prefix,
      log,
    };
    const machine = await describeMachine(redis, ctx.ownsServer);
    const loadAtStart = machineLoad();
    const outputs: BenchOutput[] = [];
    if (wanted('mark')) outputs.push(await benchMarkEvent(ctx));
    if (wanted('mapped')) outputs.push(await benchMappedIds(ctx));
    if (wanted('replay')) {
      const replay = await benchReplay(ctx);
      outputs.push(replay);
      if (wanted('cohort')) outputs.push(await benchCohort(ctx, replay.slowest));
      if (wanted('pages')) outputs.push(await benchPages(ctx), await benchHttpPages(ctx));
      // Last of those reading the replay: it adds a fourth event and unique bitmaps (segments) to it.
      if (wanted('funnels')) outputs.push(await benchFunnels(ctx));
    }
    if (wanted('http')) outputs.push(await benchHttp(ctx));
    if (wanted('memory')) outputs.push(await benchBigUserId(ctx));
    const scale = wanted('scale') ? await runScale(log) : undefined;

    const rows = outputs.flatMap((o) => o.rows);
    const targets = outputs.flatMap((o) => o.targets);
    const notes: ReportNote[] = outputs.flatMap((o) => o.notes);
    const durationS = (performance.now() - started) / 1000;
    console.log(`\n${textTable(rows)}\n`);
    for (const note of notes) console.log(`\n${note.title}\n${note.lines.join('\n')}`);
    console.log('');
    for (const t of [...targets, ...(scale?.targets ?? [])]) console.log(targetLine(t));
    if (only.length === 0) {
      writeMarkdown(REPORT_FILE, {
        date: new Date(),
        durationS,
        machine: [...machine, `Machine load at the start: ${loadAtStart}; at the end: ${machineLoad()}`],
        dataSets: [
          `\`${ctx.dataName}\` in the table: ${data.label}; every benchmark but the HTTP one (which marks its own `
            + `visitors) used it; cohorts asked with now = ${data.cohortNow.toISOString()}`,
        ],
        rows,
        targets,
        notes,
      });
      log(`wrote ${REPORT_FILE}`);
    } else if (!scale) {
      log('a subset was run: BENCHMARKS.md left unchanged');
    }
    if (scale?.section !== undefined) {
      writeScaleSection(REPORT_FILE, scale.section);
      log(`wrote the scaling section of ${REPORT_FILE}`);
    } else if (scale) {
      log('BENCH_SCALE_SIZES was set: the scaling section of BENCHMARKS.md left unchanged');
    }
    log(`done in ${durationS.toFixed(1)} s; machine ${machineLoad()}`);
    return 0;
  } finally {
    await deleteUnder(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await server?.stop();
  }
}

/**
 * The scaling section (benchmark 7) at the sizes of BENCH_SCALE_SIZES (comma-separated user counts; default
 * 100k, 1M and 10M). Throws a MismatchError when an answer was wrong or a call failed. Its section of
 * BENCHMARKS.md is returned only for the default sizes.
 */
async function runScale(log: (message: string) => void): Promise<{ targets: TargetResult[]; section?: string }> {
  const sizes = process.env.BENCH_SCALE_SIZES?.split(',').map(Number) ?? SCALE_SIZES;
  const figures = await benchScale(log, sizes);
  const failures = figures.sizes.flatMap((size) => size.failures);
  if (failures.length > 0) throw new MismatchError(`the scaling benchmark failed:\n${failures.join('\n')}`);
  const section = scaleMarkdown(figures, new Date());
  const targets = [...scaleTargets(figures.sizes.at(-1)!), ...scaleTargets18(figures.sizes.at(-1)!)];
  return { targets, section: sizes.join() === SCALE_SIZES.join() ? section : undefined };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    console.error('\nbench FAILED: BENCHMARKS.md was not written.');
    process.exit(1);
  },
);
