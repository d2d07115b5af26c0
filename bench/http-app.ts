/**
 * The moving parts of the HTTP benchmark: the example app in a child process (bench/http-server.ts,
 * CPU-profiled, optionally pinned to a core) and one autocannon load slice against it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { BenchContext } from './context.js';

export const CONNECTIONS = 50;
/** The cookie-signing key of both app servers of a run (made here: never a key from the repository). */
const BENCH_APP_KEY = randomBytes(32).toString('base64url');
const SERVER = fileURLToPath(new URL('./http-server.ts', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The request a connection sends next (autocannon keeps one `context` per connection). */
export type NextRequest = (context: Record<string, unknown>) => { path: string; headers?: Record<string, string> };

/** A running example app. */
export interface AppServer {
  port: number;
  /** The CPU time (user + system) it has used so far, in µs. */
  cpu(): Promise<number>;
  /** Stops it once its queued marks are written. */
  stop(): Promise<void>;
}

/** What one load slice measured. */
export interface Slice {
  answered: number;
  seconds: number;
  /** CPU time of the app server and of this process (the load generator) during the slice, in µs. */
  serverCpu: number;
  loadCpu: number;
  non2xx: number;
  errors: number;
  latencies: number[];
}

/**
 * With taskset and 2+ cores, the app gets core 0 and the load generator (this process) and Redis the
 * others, so our own processes do not take turns on the server's core. Returns a description, or
 * undefined when pinning is not possible.
 */
export function pinCores(ctx: BenchContext, redisPid: number | undefined): string | undefined {
  const count = cpus().length;
  if (count < 2 || process.platform !== 'linux') return undefined;
  try {
    const others = `1-${count - 1}`;
    execFileSync('taskset', ['-a', '-p', '-c', others, String(process.pid)], { stdio: 'ignore' });
    if (redisPid !== undefined && ctx.ownsServer) execFileSync('taskset', ['-a', '-p', '-c', others, String(redisPid)], { stdio: 'ignore' });
    return `app server pinned to core 0; autocannon${ctx.ownsServer ? ' and Redis' : ''} to cores ${others} (taskset)`;
  } catch {
    return undefined;
  }
}

/** Gives this process all cores back. */
export function unpinCores(): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
  } catch {
    // nothing was pinned
  }
}

/** Starts the example app (marked or not) in a child process, CPU-profiled into `profileDir`; resolves once it listens. */
export async function startServer(ctx: BenchContext, marked: boolean, prefix: string, pinned: boolean, profileDir: string): Promise<AppServer> {
  const node = [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--import', 'tsx', SERVER];
  const [command, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  const child = spawn(command!, args, {
    cwd: REPO,
    // One APP_KEYS for both servers: each must accept the cookies the marked one signed.
    env: { ...process.env, NODE_ENV: 'production', APP_KEYS: BENCH_APP_KEY, BENCH_REDIS_URL: ctx.url, BENCH_KEY_PREFIX: prefix, BENCH_MARKED: marked ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`the example app exited with code ${code}`)));
  });
  exited.catch(() => undefined);
  const lines = createInterface({ input: child.stdout });
  const waitFor = (pattern: RegExp) =>
    Promise.race([
      exited,
      new Promise<RegExpMatchArray>((resolve) => {
        const onLine = (line: string) => {
          const match = pattern.exec(line);
          if (match) {
            lines.off('line', onLine);
            resolve(match);
          }
        };
        lines.on('line', onLine);
      }),
    ]);
  const [, port] = await waitFor(/^listening (\d+)$/);
  return {
    port: Number(port),
    async cpu() {
      const reply = waitFor(/^cpu (\d+)$/);
      child.kill('SIGUSR2');
      return Number((await reply)[1]);
    },
    async stop() {
      const closed = waitFor(/^closed$/);
      child.kill('SIGTERM');
      await closed;
      await exited.catch(() => undefined); // the profile is written on exit
    },
  };
}

/** One autocannon run. */
export async function load(server: AppServer, seconds: number, next: NextRequest): Promise<Slice> {
  const { port } = server;
  const latencies: number[] = [];
  const serverCpu = await server.cpu();
  const loadCpu = process.cpuUsage();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [{ method: 'GET', setupRequest: (request, context) => ({ ...request, ...next(context as Record<string, unknown>) }) }],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const used = process.cpuUsage(loadCpu);
  return {
    answered: result['2xx'],
    seconds: result.duration || seconds,
    serverCpu: (await server.cpu()) - serverCpu,
    loadCpu: used.user + used.system,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencies,
  };
}
