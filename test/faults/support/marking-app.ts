import Koa from 'koa';
import { koaBitmapist, mark, type KoaBitmapist, type KoaBitmapistOptions } from '../../../src/koa/index.js';
import { collectErrors, quiet, serve } from '../../koa/support.js';
import type { RequestRecord } from './load.js';

/**
 * redis-server arguments that make a SIGKILL lose nothing Redis acknowledged (AOF, fsync on every write):
 * the fault tests check what the plugin loses, not what a non-persistent Redis forgets when it dies.
 */
export const DURABLE_REDIS_ARGS = ['--appendonly', 'yes', '--appendfsync', 'always'];

/**
 * The latency bound of a marking request while Redis is killed and restarted under load (README, "What
 * happens when Redis is down"). Measured on a 2-core machine with 50 clients in a closed loop, with Redis
 * up or down alike: p99 45-130 ms and max 90-300 ms on a machine shared with other work; p99 400-520 ms
 * and max 620-830 ms with two busy processes competing for both cores. The time is queueing behind the
 * other 49 clients, not Redis: a request that waited on Redis would take the whole 3 s outage.
 */
export const LOAD_REQUEST_BOUND_MS = 2_000;

/**
 * A Koa app on a real HTTP server that marks `visit` (with the all-time unique bitmap, so checks do not
 * depend on the day) for `GET /?uid=N`, answers `ok`, and records every uid it marked, in issue order,
 * and the most marks its queue held right after any of them (`stats.peakQueued`: exact, not sampled,
 * since only a new mark makes the queue grow).
 */
export async function markingApp(options: KoaBitmapistOptions) {
  const app = new Koa();
  const errors = collectErrors(app);
  const issued: number[] = [];
  const stats = { peakQueued: 0 };
  const bitmapist: KoaBitmapist = koaBitmapist(app, { logger: quiet, trackUnique: true, disableRouter: true, ...options });
  app.use(async function observeQueue(_ctx, next) {
    await next();
    stats.peakQueued = Math.max(stats.peakQueued, bitmapist.metrics.queued);
  });
  app.use(
    mark('visit', (ctx) => {
      const uid = Number(ctx.query.uid);
      issued.push(uid);
      return uid;
    }),
  );
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  const server = await serve(app);
  return {
    app,
    bitmapist,
    errors,
    issued,
    stats,
    server,
    /** How many errors of a class the app reported. */
    reported: (type: new (...args: never[]) => Error) => errors.filter((e) => e.error instanceof type).length,
  };
}

/**
 * Watches the marks issued until now (written or queued) being written: `ms()` is the time from this call
 * until the last of them was written (the queue writes oldest first), or NaN while some are not.
 */
export function watchBacklog(bitmapist: KoaBitmapist) {
  const { written, queued } = bitmapist.metrics;
  const backlog = written + queued;
  const since = Date.now();
  let drainedAt = Number.NaN;
  const timer = setInterval(() => {
    if (bitmapist.metrics.written < backlog) return;
    drainedAt = Date.now();
    clearInterval(timer);
  }, 2);
  return { backlog, ms: () => drainedAt - since, stop: () => clearInterval(timer) };
}

/** Resolves once `condition()` holds; rejects after `timeoutMs` (a "did not hang" check). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Latency figures of some requests, in ms. */
export function latencies(requests: RequestRecord[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = requests.map((r) => r.ms).sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: round(sorted.at(-1) ?? 0) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Ascending numbers. */
export const ascending = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
