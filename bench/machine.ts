/** A description of the machine the bench ran on, for BENCHMARKS.md. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import type { Redis } from 'ioredis';
import { serverInfo } from './redis-stats.js';

export async function describeMachine(redis: Redis, ownsServer: boolean): Promise<string[]> {
  const cpu = cpus();
  const server = await serverInfo(redis);
  return [
    `CPU: ${cpu.length} cores, ${cpu[0]?.model.trim() ?? 'unknown model'}`,
    `Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at start)`,
    `OS: ${type()} ${release()}`,
    `Node ${process.version}`,
    `Redis ${server.version} (${server.allocator}), ${ownsServer ? 'a private redis-server started by the bench on loopback, no persistence' : 'the server at REDIS_URL'}`,
    'The bench, its Redis and the HTTP app share these cores (the HTTP benchmark pins the app to a core of its own, see below).',
  ];
}

/**
 * How busy the machine was: load averages and, on Linux, CPU pressure (the share of time some task waited
 * for a CPU). Timings on a busy machine are slower and noisier: BENCHMARKS.md records this at start and end.
 */
export function machineLoad(): string {
  const [one, five] = loadavg();
  let pressure = '';
  try {
    const some = /^some avg10=([\d.]+) avg60=([\d.]+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    if (some) pressure = `, CPU pressure ${some[1]}% (10 s) / ${some[2]}% (60 s)`;
  } catch {
    // not Linux, or no PSI
  }
  return `load average ${one!.toFixed(2)} (1 min) / ${five!.toFixed(2)} (5 min)${pressure}`;
}

/** The commit the engine was measured at, and whether the working tree had changes. */
export function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain').split('\n').filter(Boolean).length;
    return `Code: commit ${git('rev-parse', '--short', 'HEAD')}${changed > 0 ? ` with ${changed} files changed in the working tree` : ''}`;
  } catch {
    return 'Code: not a git checkout';
  }
}
