/**
 * Benchmark 5: the example app's `/` route with `mark('index:visited', ...)` against the same route without
 * it, each in a fresh server process under the same autocannon load (50 connections, 10 s, after a warm-up).
 * Every request carries a new `?uid=`, so every marked request sets a new bit: the bench checks that the
 * marked run stored one bit per answered request and that the unmarked run stored none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { keysUnder, MismatchError } from './redis-stats.js';
import type { BenchRow } from './report.js';
import { ms, rate, summarize } from './timing.js';

const CONNECTIONS = 50;
const DURATION_S = 10;
const WARM_UP_S = 3;
const EVENT = 'index:visited';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const SERVER = fileURLToPath(new URL('./http-server.ts', import.meta.url));

interface LoadResult {
  requestsPerS: number;
  answered: number;
  non2xx: number;
  errors: number;
  latency: { medianMs: number; p95Ms: number };
}

/** Starts the example app in a child process; resolves with its port once it listens. */
async function startServer(ctx: BenchContext, marked: boolean, prefix: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    cwd: REPO,
    env: { ...process.env, NODE_ENV: 'production', BENCH_REDIS_URL: ctx.url, BENCH_KEY_PREFIX: prefix, BENCH_MARKED: marked ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const onLine = (line: string) => {
        const match = pattern.exec(line);
        if (match) {
          lines.off('line', onLine);
          resolve(match);
        }
      };
      lines.on('line', onLine);
      child.once('exit', (code) => reject(new Error(`the example app exited with code ${code}`)));
    });
  const [, port] = await waitFor(/^listening (\d+)$/);
  return {
    port: Number(port),
    async stop() {
      const closed = waitFor(/^closed$/);
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/** Runs autocannon against `/?uid=<n>` with a fresh uid per request. */
async function load(port: number, seconds: number, firstUid: { next: number }): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/?uid=${firstUid.next++}` }) }],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const latency = summarize(latencies);
  return {
    requestsPerS: result['2xx'] / (result.duration || seconds),
    answered: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latency,
  };
}

export async function benchHttp(ctx: BenchContext): Promise<BenchOutput> {
  const results = new Map<boolean, LoadResult>();
  const stored = new Map<boolean, number>();
  const issued = new Map<boolean, number>();
  for (const marked of [false, true]) {
    const prefix = `${ctx.prefix}http_${marked ? 'marked' : 'unmarked'}_`;
    ctx.log(`HTTP ${marked ? 'marked' : 'unmarked'} route: ${WARM_UP_S} s warm-up, ${DURATION_S} s x ${CONNECTIONS} connections`);
    const server = await startServer(ctx, marked, prefix);
    const uids = { next: 1 };
    try {
      await load(server.port, WARM_UP_S, uids);
      const warmUids = uids.next - 1;
      const before = await bitsSet(ctx, prefix);
      const result = await load(server.port, DURATION_S, uids);
      results.set(marked, result);
      await server.stop(); // writes what is still queued
      stored.set(marked, (await bitsSet(ctx, prefix)) - before);
      issued.set(marked, uids.next - 1 - warmUids);
    } catch (error) {
      await server.stop().catch(() => undefined);
      throw error;
    }
  }
  const unmarked = results.get(false)!;
  const marked = results.get(true)!;
  for (const [name, result] of [['unmarked', unmarked], ['marked', marked]] as const) {
    if (result.non2xx > 0 || result.errors > 0) {
      throw new MismatchError(`HTTP ${name}: ${result.non2xx} non-2xx responses and ${result.errors} errors`);
    }
  }
  if (stored.get(false) !== 0) throw new MismatchError(`HTTP unmarked route stored ${stored.get(false)} marks`);
  const markedBits = stored.get(true)!;
  if (markedBits < marked.answered || markedBits > issued.get(true)!) {
    throw new MismatchError(`HTTP marked route: ${markedBits} marks stored for ${marked.answered} answered and ${issued.get(true)} issued requests`);
  }
  const ratio = marked.requestsPerS / unmarked.requestsPerS;
  const row = (name: string, result: LoadResult, note: string): BenchRow => ({
    section: '5. HTTP',
    case: `GET /, ${CONNECTIONS} connections, ${DURATION_S} s`,
    impl: name,
    dataSet: 'n/a',
    rate: `${rate(result.requestsPerS)} req`,
    median: ms(result.latency.medianMs),
    p95: ms(result.latency.p95Ms),
    note,
  });
  return {
    rows: [
      row('marked', marked, `${times(ratio)} of unmarked; ${num(markedBits)} marks stored for ${num(marked.answered)} answered requests`),
      row('unmarked', unmarked, 'same app and route without mark()'),
    ],
    targets: [
      {
        target: 'The marked route keeps at least 90% of the unmarked route\'s requests/s',
        measured: `${(ratio * 100).toFixed(1)}% (${rate(marked.requestsPerS)} vs ${rate(unmarked.requestsPerS)})`,
        met: ratio >= 0.9,
      },
    ],
    notes: [],
  };
}

/** How many users are set in the event's day bitmaps under a prefix (each request has its own uid). */
async function bitsSet(ctx: BenchContext, prefix: string): Promise<number> {
  const days = (await keysUnder(ctx.redis, `${prefix}${EVENT}_`)).filter((key) => /_\d+-\d+-\d+$/.test(key));
  let total = 0;
  for (const key of days) total += await ctx.redis.bitcount(key);
  return total;
}
