import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** A local Redis Cluster started by {@link startRedisCluster}. */
export interface RedisCluster {
  /** The masters, in the order they were created. */
  readonly nodes: { host: string; port: number }[];
  /** The servers behind the nodes (kill / start one to simulate a failure). */
  readonly servers: RedisServer[];
  /** Waits until every master reports `cluster_state:ok`. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** How many masters (default 3). */
  masters?: number;
  /** `cluster-node-timeout` in ms (default 2000). */
  nodeTimeoutMs?: number;
  /** Extra `redis-server` arguments of every node, e.g. `['--appendonly', 'yes']` to survive a kill. */
  args?: string[];
}

/**
 * Starts a Redis Cluster of `masters` nodes (no replicas) on free loopback ports with `redis-server
 * --cluster-enabled yes` and `redis-cli --cluster create`, and waits until it is healthy.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { masters = 3, nodeTimeoutMs = 2000, args = [] } = options;
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await freePort();
    // The cluster bus listens on port + 10000: keep both in range and distinct.
    if (port < 55_000 && !ports.includes(port)) ports.push(port);
  }
  const servers: RedisServer[] = [];
  try {
    for (const port of ports) {
      servers.push(
        await startRedisServer({
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

async function waitForClusterOk(ports: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ports.map((port) => clusterState(port)));
    if (states.every((state) => state === 'ok')) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy after ${timeoutMs} ms: ${states.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function clusterState(port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = (await client.call('CLUSTER', 'INFO')) as string;
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'down';
  } finally {
    client.disconnect();
  }
}
