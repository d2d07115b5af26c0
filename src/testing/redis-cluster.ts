import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedisClusterContainer } from './redis-container.js';
import { freeClusterPorts, waitForClusterOk } from './redis-probe.js';
import { REDIS_INSTALL_COMMANDS, redisRuntime } from './redis-runtime.js';
import { startLocalRedisServer } from './local-server.js';
import { RedisServerNotFoundError, type RedisCluster, type RedisClusterOptions, type RedisServer } from './types.js';

const run = promisify(execFile);

/**
 * Starts a Redis Cluster of `masters` nodes (no replicas) on free loopback ports with `redis-server
 * --cluster-enabled yes` and `redis-cli --cluster create`, and waits until it is healthy.
 * Without `redis-server` and `redis-cli` on the PATH, it runs the nodes in one Docker container through
 * testcontainers when a Docker engine on this machine answers; else it throws {@link RedisServerNotFoundError}.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const runtime = await redisRuntime(['redis-server', 'redis-cli']);
  if (runtime === 'docker') return startRedisClusterContainer(options);
  if (runtime === undefined) {
    throw new RedisServerNotFoundError(
      `redis-server and redis-cli are not both on PATH and no Docker engine answers. Install Redis (${REDIS_INSTALL_COMMANDS}) ` +
        'or start a Docker engine (the cluster then runs in a container through testcontainers).',
    );
  }
  const { masters = 3, nodeTimeoutMs = 2000, args = [] } = options;
  const ports = await freeClusterPorts(masters);
  const servers: RedisServer[] = [];
  try {
    for (const port of ports) {
      servers.push(
        await startLocalRedisServer({
          port,
          args: [
            '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
            '--cluster-node-timeout', String(nodeTimeoutMs),
            // Serve the slots of the masters that are up while another one is down.
            '--cluster-require-full-coverage', 'no',
            ...args,
          ],
        }),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterOk(ports, 20_000);
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    servers,
    waitUntilHealthy: (timeoutMs = 20_000) => waitForClusterOk(ports, timeoutMs),
    stop: async () => void (await Promise.all(servers.map((server) => server.stop()))),
  };
}
