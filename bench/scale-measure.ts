/**
 * The measurements of the scaling benchmark on one target (a layout on a server or a cluster): cohorts,
 * the dashboard's events page through a real Koa app, a year count, and markEvent with 64 callers.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Cluster, Redis } from 'ioredis';
import type { Bitmapist, CohortResult } from '../src/index.js';
import { seededRandom } from '../src/testing/index.js';
import { startDashboard, type DashboardApp } from './dashboard-app.js';
import { MismatchError } from './keyspace.js';
import { SHARD_BITS } from './scale-figures.js';
import { pingWhile, type ObservedNodes, type ScriptCalls } from './scale-nodes.js';
import { assertCohort, type ScaleCohortQuery } from './scale-check.js';
import { activityDays, DAY_MS, LAST_DAY, popcount, signupRange, type ScaleProduct } from './scale-product.js';
import { caseName } from './scale-targets.js';
import { orOf } from './scale-writer.js';
import { percentile, summarize } from './timing.js';

/** A layout on a server or cluster, with the engine that queries it. */
export interface ScaleTarget {
  name: string;
  layout: 'compatible' | 'sharded';
  client: Redis | Cluster;
  keyPrefix: string;
  nodes: { host: string; port: number }[];
  observed: ObservedNodes;
  engine: Bitmapist;
}

/** Timings of a repeated call, with what Redis did meanwhile. */
export interface Measured {
  medianMs: number;
  p95Ms: number;
  runs: number;
  /** Script calls per run. */
  scriptCallsPerRun: number;
  /** Redis script time per run, ms. */
  redisMsPerRun: number;
  scripts: ScriptCalls;
  /** PING round trips from another connection meanwhile: 99th percentile and count. */
  pingP99Ms: number;
  pings: number;
}

/** Runs `task` once to warm up, then `runs` times one after the other, with SLOWLOG, commandstats and PINGs. */
export async function measure<T>(target: ScaleTarget, runs: number, task: () => Promise<T>): Promise<Measured & { last: T }> {
  await task();
  const samples: number[] = [];
  let last: T | undefined;
  const { value: { scripts }, pings } = await pingWhile(target.nodes, () =>
    target.observed.scriptCalls(async () => {
      for (let run = 0; run < runs; run += 1) {
        const start = performance.now();
        last = await task();
        samples.push(performance.now() - start);
      }
    }));
  const latency = summarize(samples);
  return {
    medianMs: latency.medianMs,
    p95Ms: latency.p95Ms,
    runs,
    scriptCallsPerRun: scripts.calls / runs,
    redisMsPerRun: scripts.usec / runs / 1000,
    scripts,
    pingP99Ms: percentile(pings, 0.99),
    pings: pings.length,
    last: last as T,
  };
}

/** One cohort case on one target, checked cell for cell against the computation in Node. */
export async function measureCohort(target: ScaleTarget, product: ScaleProduct, query: ScaleCohortQuery, runs: number, expected: CohortResult) {
  const options = { timeGroup: `${query.unit}s` as const, numRows: query.size, numCols: query.size, mode: query.mode, now: product.now };
  const result = await measure(target, runs, () => target.engine.getCohort('user:signed_up', 'user:active', options));
  const cells = assertCohort(`${target.name}: ${caseName(query)}`, result.last, expected);
  return { ...result, cells };
}

/** The counts the events page shows for each event, computed in Node. */
export function expectedCounts(product: ScaleProduct): Record<string, number[]> {
  const lastDate = new Date(LAST_DAY * DAY_MS);
  const weekStart = LAST_DAY - ((lastDate.getUTCDay() + 6) % 7);
  const monthStart = Date.UTC(lastDate.getUTCFullYear(), lastDate.getUTCMonth(), 1) / DAY_MS;
  const yearStart = Date.UTC(lastDate.getUTCFullYear(), 0, 1) / DAY_MS;
  const starts = [LAST_DAY, weekStart, monthStart, yearStart];
  const counts: Record<string, number[]> = {};
  counts['user:signed_up'] = starts.map((from) => {
    const [lo, hi] = signupRange(product, from, LAST_DAY + 1);
    return hi - lo;
  });
  for (const [event, bitmaps] of [['user:active', product.active], ['user:purchased', product.purchased]] as const) {
    counts[event] = starts.map((from) => popcount(orOf(activityDays(product, bitmaps, from, LAST_DAY + 1)) ?? Buffer.alloc(0)));
  }
  return counts;
}

/** `GET /bitmapist/?format=json` through a real Koa app with the plugin, its counts checked. */
export async function measureEventsPage(target: ScaleTarget, product: ScaleProduct, runs: number, expected: Record<string, number[]>) {
  const app = await startTargetDashboard(target);
  const url = app.url('/', { format: 'json', now: product.now.toISOString() });
  try {
    const result = await measure(target, runs, () =>
      app.getJson<{ events: { name: string; day: number; week: number; month: number; year: number }[] }>(url));
    const shown = Object.fromEntries(result.last.events.map((e) => [e.name, [e.day, e.week, e.month, e.year]]));
    if (!isDeepStrictEqual(shown, expected)) {
      throw new MismatchError(`${target.name}: events page ${JSON.stringify(shown)} differs from the counts computed in Node ${JSON.stringify(expected)}`);
    }
    return result;
  } finally {
    await app.close();
  }
}

/** A real Koa app with the plugin on a target's client, prefix and layout. */
export function startTargetDashboard(target: ScaleTarget): Promise<DashboardApp> {
  return startDashboard({ redis: target.client, keyPrefix: target.keyPrefix, layout: target.layout, shardBits: SHARD_BITS });
}

/** `year('user:active').count()`, checked. */
export async function measureYearCount(target: ScaleTarget, product: ScaleProduct, runs: number, expected: number) {
  const result = await measure(target, runs, () => target.engine.year('user:active', product.now).count());
  if (result.last !== expected) throw new MismatchError(`${target.name}: year count ${result.last}, computed in Node ${expected}`);
  return result;
}

/** What one run of {@link markRun} measured. */
export interface MarkRun {
  marks: number;
  seconds: number;
  /** CPU time of this process (the client) meanwhile, in seconds. */
  clientCpuSeconds: number;
  /** Script calls Redis ran (every server). */
  scriptCalls: number;
}

/** `count` marks at random ids through `markEvent` from `callers` concurrent callers. */
export async function markRun(target: ScaleTarget, product: ScaleProduct, count: number, callers: number, seed: number): Promise<MarkRun> {
  const random = seededRandom(seed);
  const uids = Array.from({ length: count }, () => Math.floor(random() * product.users));
  let next = 0;
  const before = await target.observed.commandStats();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next < uids.length) await target.engine.markEvent('bench:marked', uids[next++]!, { now: product.now });
  }));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const scriptCalls = await target.observed.scriptCallsSince(before);
  return { marks: count, seconds, clientCpuSeconds: (used.user + used.system) / 1e6, scriptCalls };
}
