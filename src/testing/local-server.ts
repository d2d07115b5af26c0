import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPing } from './redis-probe.js';
import { redisNotFound } from './redis-runtime.js';
import { RedisServerNotFoundError, type RedisServer, type RedisServerOptions } from './types.js';

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
        reject(error.code === 'ENOENT' ? new RedisServerNotFoundError(redisNotFound(bin)) : error));
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
