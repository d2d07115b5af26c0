import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisContainer } from './redis-container.js';
import { freePort, waitForPing } from './redis-probe.js';
import { REDIS_INSTALL_COMMANDS, redisRuntime } from './redis-runtime.js';

/** A redis-server started by {@link startRedisServer}. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server abruptly (SIGKILL), as a crash would. `start()` brings it back on the same port. */
  kill(): Promise<void>;
  /** Starts the server again on the same port after `kill()`. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** The executable (default `redis-server` from PATH). */
  bin?: string;
  /** The port (default: a free loopback port). */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
}

/** Thrown when no `redis-server` executable can be started and no Docker engine answers. */
export class RedisServerNotFoundError extends Error {
  override name = 'RedisServerNotFoundError';
}

/**
 * Starts a private, non-persistent redis-server on loopback and waits until it answers PING.
 * It is killed when this process exits, whatever happens.
 * Without `options.bin` and without `redis-server` on the PATH, it runs Redis in a Docker container through
 * testcontainers when a Docker engine answers (see `redisRuntime()`); else it throws {@link RedisServerNotFoundError}.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (options.bin === undefined) {
    const runtime = await redisRuntime(['redis-server']);
    if (runtime === 'docker') return startRedisContainer(options);
    if (runtime === undefined) throw new RedisServerNotFoundError(notFound('redis-server'));
  }
  return startLocalRedisServer(options);
}

/** `startRedisServer()` without the Docker fallback: spawns `options.bin` (default `redis-server`). */
export async function startLocalRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = options.bin ?? 'redis-server';
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'bitmapist-redis-'));
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--logfile', '', ...(options.args ?? [])];
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new RedisServerNotFoundError(notFound(bin)) : error));
      proc.once('exit', (code) => reject(new Error(`${bin} exited with code ${code} before it was ready`)));
    });
    exited.catch(() => undefined);
    const polling = new AbortController();
    try {
      await Promise.race([waitForPing(port, polling.signal), exited]);
    } finally {
      polling.abort(); // stop polling a server that exited (it would keep this process busy for 10 s)
    }
  };

  const stopChild = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await gone;
  };
  try {
    await launch();
  } catch (error) {
    // Not found, exited early or never answered: leave no process, listener or directory behind.
    await stopChild('SIGKILL');
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => stopChild('SIGKILL'),
    start: launch,
    async stop() {
      await stopChild('SIGTERM');
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function notFound(bin: string): string {
  return `${bin} was not found on PATH. Install Redis (${REDIS_INSTALL_COMMANDS}), start a Docker engine (Redis then runs ` +
    'in a container through testcontainers), or set REDIS_URL.';
}
