/**
 * Benchmark 7, the scaling section (`npm run bench -- scale`): a product of 100,000, 1,000,000 and
 * 10,000,000 users built directly as bitmaps, in the compatible layout on one redis-server, the sharded
 * layout on the same server, and the sharded layout on a local 3-master Redis Cluster. Every answer is
 * checked against a computation in Node; a difference fails the bench.
 */
import { Cluster, Redis } from 'ioredis';
import { Bitmapist } from '../src/index.js';
import { startRedisCluster, startRedisServer } from '../src/testing/index.js';
import { checkBuilder, expectedCohort } from './scale-check.js';
import {
  expectedCounts, markRun, measureCohort, measureEventsPage, measureYearCount, startTargetDashboard, type ScaleTarget,
} from './scale-measure.js';
import { expectedPages, measureFunnel, measurePage, SCALE_PAGES, type ExpectedPages } from './scale-pages.js';
import { codeVersion, describeMachine, machineLoad } from './machine.js';
import {
  SCALE_ACTIVE_DAYS, SCALE_CALLERS, SCALE_CASES, SCALE_MARK_RUNS, SCALE_MARKS, SCALE_PAGE_TARGETS, SCALE_RUNS, SCALE_SIZES, SHARD_BITS,
  type ScaleFigures, type SizeFigures,
} from './scale-figures.js';
import { ObservedNodes } from './scale-nodes.js';
import { caseName } from './scale-targets.js';
import { buildProduct, popcount } from './scale-product.js';
import { eventBitmaps, SCALE_EVENTS, writeBitmaps } from './scale-writer.js';

/**
 * Runs the scaling section at each size (default {@link SCALE_SIZES}) on a redis-server and a 3-master
 * cluster started for it and stopped at the end. Wrong answers and failed calls are collected in each
 * size's `failures`, not thrown, so that every figure is still measured.
 */
export async function benchScale(log: (message: string) => void, sizes = SCALE_SIZES): Promise<ScaleFigures> {
  const started = performance.now();
  const server = await startRedisServer();
  const cluster = await startRedisCluster();
  const serverNode = [{ host: '127.0.0.1', port: server.port }];
  const serverNodes = await ObservedNodes.connect(serverNode);
  const clusterNodes = await ObservedNodes.connect(cluster.nodes);
  const compatibleClient = new Redis(server.url);
  const shardedClient = new Redis(server.url);
  const clusterClient = new Cluster(cluster.nodes);
  log(`scale: redis-server on port ${server.port}, 3-master cluster on ports ${cluster.nodes.map((n) => n.port).join(', ')}`);
  try {
    const machine = (await describeMachine(serverNodes.clients[0]!, true)).slice(0, 5);
    machine.push('The bench, its redis-server and the 3 cluster masters share these cores.', codeVersion());
    const loadAtStart = machineLoad();
    const builderCheck = (await checkBuilder(serverNodes.clients[0]!, server.url, 'scale_check_')).text;
    log(`scale: ${builderCheck}`);
    await serverNodes.flush();
    const targets: Omit<ScaleTarget, 'engine'>[] = [
      { name: 'compatible, one server', layout: 'compatible', client: compatibleClient, keyPrefix: 'trackist_', nodes: serverNode, observed: serverNodes },
      { name: 'sharded, one server', layout: 'sharded', client: shardedClient, keyPrefix: 'sharded_', nodes: serverNode, observed: serverNodes },
      { name: 'sharded, 3-master cluster', layout: 'sharded', client: clusterClient, keyPrefix: 'trackist_', nodes: cluster.nodes, observed: clusterNodes },
    ];
    const results: SizeFigures[] = [];
    for (const users of sizes) results.push(await benchSize(log, users, targets));
    machine.push(`Machine load at the start: ${loadAtStart}; at the end: ${machineLoad()}`);
    return { machine, builderCheck, sizes: results, durationS: (performance.now() - started) / 1000 };
  } finally {
    compatibleClient.disconnect();
    shardedClient.disconnect();
    clusterClient.disconnect();
    serverNodes.disconnect();
    clusterNodes.disconnect();
    await cluster.stop();
    await server.stop();
  }
}

async function benchSize(log: (message: string) => void, users: number, bases: Omit<ScaleTarget, 'engine'>[]): Promise<SizeFigures> {
  const label = `scale ${users.toLocaleString('en-US')}`;
  let start = performance.now();
  const product = buildProduct(users, undefined, SCALE_ACTIVE_DAYS);
  const buildMs = performance.now() - start;
  const figures: SizeFigures = {
    users,
    signups: users,
    activeUserDays: product.active.reduce((n, bitmap) => n + popcount(bitmap), 0),
    purchases: product.purchased.reduce((n, bitmap) => n + popcount(bitmap), 0),
    buildMs,
    targets: [],
    failures: [],
  };
  /** Runs one measurement; a wrong answer or an error is recorded and the rest still runs. */
  const attempt = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      figures.failures.push(`${label}: ${message.startsWith(what) ? message : `${what}: ${message}`}`.slice(0, 2000));
      log(figures.failures.at(-1)!.slice(0, 400));
      return undefined;
    }
  };
  log(`${label}: product built in ${(buildMs / 1000).toFixed(1)} s (${figures.activeUserDays.toLocaleString('en-US')} active user-days)`);
  const bitmaps = SCALE_EVENTS.map((event) => eventBitmaps(product, event));
  const targets: ScaleTarget[] = bases.map((base) => ({
    ...base,
    engine: new Bitmapist({ redis: base.client, keyPrefix: base.keyPrefix, layout: base.layout, shardBits: SHARD_BITS }),
  }));
  try {
    for (const target of targets) {
      const memory: Record<string, number> = {};
      let keys = 0;
      start = performance.now();
      for (const [i, event] of SCALE_EVENTS.entries()) {
        const before = await target.observed.usedMemory();
        keys += (await writeBitmaps(target.client, target.engine.keys, bitmaps[i]!)).keys;
        memory[event] = (await target.observed.usedMemory()) - before;
      }
      const writeMs = performance.now() - start;
      log(`${label}: ${target.name}: ${keys.toLocaleString('en-US')} keys written in ${(writeMs / 1000).toFixed(1)} s`);
      figures.targets.push({
        name: target.name,
        layout: target.layout,
        cohorts: [],
        eventsPage: undefined,
        yearCount: undefined,
        pages: [],
        funnel: undefined,
        marksPerSecond: 0,
        marking: { marks: 0, seconds: 0, clientCpuSeconds: 0, scriptCalls: 0 },
        memory,
        keys,
        writeMs,
      });
    }
    const expected = SCALE_CASES.map((query) => expectedCohort(product, query));
    let pagesExpected: ExpectedPages | undefined;
    /** The chart pages over HTTP and the funnel on one target. */
    const measurePages = async (target: ScaleTarget, out: SizeFigures['targets'][number], expectedFigures: ExpectedPages) => {
      const app = await startTargetDashboard(target);
      try {
        for (const page of SCALE_PAGES) {
          const m = await attempt(`${target.name}: ${page.label}`, () => measurePage(target, app, page, product, SCALE_RUNS, expectedFigures));
          out.pages.push(m);
          if (m) log(`${label}: ${target.name}: ${page.label}: median ${m.medianMs.toFixed(1)} ms, ${m.scriptCallsPerRun} script calls, longest ${(m.scripts.longestUsec / 1000).toFixed(2)} ms`);
        }
      } finally {
        await app.close();
      }
      out.funnel = await attempt(`${target.name}: funnel`, () => measureFunnel(target, product, SCALE_RUNS, expectedFigures.funnel));
      if (out.funnel) log(`${label}: ${target.name}: funnel median ${out.funnel.medianMs.toFixed(1)} ms, longest ${(out.funnel.scripts.longestUsec / 1000).toFixed(2)} ms`);
    };
    const counts = expectedCounts(product);
    for (const [t, target] of targets.entries()) {
      const out = figures.targets[t]!;
      for (const [c, query] of SCALE_CASES.entries()) {
        const what = `${target.name}: ${caseName(query)}`;
        const m = await attempt(what, async () => ({ query, ...(await measureCohort(target, product, query, SCALE_RUNS, expected[c]!)) }));
        out.cohorts.push(m);
        if (m) {
          log(`${label}: ${what}: median ${m.medianMs.toFixed(1)} ms, ${m.scriptCallsPerRun} script calls, `
            + `longest ${(m.scripts.longestUsec / 1000).toFixed(2)} ms, PING p99 ${m.pingP99Ms.toFixed(1)} ms`);
        }
      }
      out.eventsPage = await attempt(`${target.name}: events page`, () => measureEventsPage(target, product, SCALE_RUNS, counts));
      out.yearCount = await attempt(`${target.name}: year count`, () => measureYearCount(target, product, SCALE_RUNS, counts['user:active']![3]!));
      log(`${label}: ${target.name}: events page median ${out.eventsPage?.medianMs.toFixed(1)} ms, year count ${out.yearCount?.medianMs.toFixed(1)} ms`);
      if (SCALE_PAGE_TARGETS.includes(target.name)) {
        pagesExpected ??= expectedPages(product);
        await measurePages(target, out, pagesExpected);
      }
    }
    // Marking: each target SCALE_MARK_RUNS times, in cycles of A B C C B A against drift.
    const cycle = [...targets.keys(), ...[...targets.keys()].reverse()];
    const order = Array.from({ length: SCALE_MARK_RUNS / 2 }, () => cycle).flat();
    for (const [i, t] of order.entries()) {
      const run = await attempt(`${targets[t]!.name}: markEvent`, () => markRun(targets[t]!, product, SCALE_MARKS / SCALE_MARK_RUNS, SCALE_CALLERS, 1000 + i));
      const sum = figures.targets[t]!.marking;
      sum.marks += run?.marks ?? Number.NaN;
      sum.seconds += run?.seconds ?? Number.NaN;
      sum.clientCpuSeconds += run?.clientCpuSeconds ?? Number.NaN;
      sum.scriptCalls += run?.scriptCalls ?? Number.NaN;
    }
    for (const out of figures.targets) out.marksPerSecond = out.marking.marks / out.marking.seconds;
    log(`${label}: marks/s ${figures.targets.map((f) => `${f.name} ${Math.round(f.marksPerSecond)}`).join(', ')}`);
    return figures;
  } finally {
    await Promise.all(targets.map((target) => target.engine.close()));
    for (const observed of new Set(bases.map((base) => base.observed))) await observed.flush();
  }
}
