/** A description of the machine the bench ran on, for BENCHMARKS.md. */
import { cpus, freemem, release, totalmem, type } from 'node:os';
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
    'Client, load generator, HTTP server and Redis share the same cores.',
  ];
}
