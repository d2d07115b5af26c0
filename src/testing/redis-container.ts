import type { StartedTestContainer } from 'testcontainers';
import { freeClusterPorts, freePort, waitForClusterOk, waitForPing } from './redis-probe.js';
import { REDIS_INSTALL_COMMANDS } from './redis-runtime.js';
import type { RedisCluster, RedisClusterOptions, RedisServer, RedisServerOptions } from './types.js';

/** The image of the Redis containers (Debian based: it has `sh` and `redis-cli`). */
export const REDIS_IMAGE = 'redis:7';

/** testcontainers is not installed, finds no working Docker engine, or Redis in its container cannot start. */
export class RedisContainerError extends Error {
  override name = 'RedisContainerError';
}

/** One redis-server of a container: its port (the same inside and on the host) and its command line. */
interface ContainerNode {
  port: number;
  argv: string[];
}

/**
 * Starts redis-server in a `redis:7` container through testcontainers (loaded only now), on the same port
 * inside the container and on the host, and waits until it answers PING from here.
 */
export async function startRedisContainer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const node = { port, argv: redisArgv(port, options.args ?? []) };
  const container = await startContainer([node]);
  const host = container.getHost() === 'localhost' ? '127.0.0.1' : container.getHost();
  await waitForPing(port, undefined, 10_000, host).catch(async (error: unknown) => {
    await container.stop();
    throw new RedisContainerError(`Redis in the container does not answer on ${host}:${port}: ${messageOf(error)}`, { cause: error });
  });
  return { ...serverOf(container, host, node), stop: async () => void (await container.stop()) };
}

/**
 * Starts a Redis Cluster of `masters` nodes in one container: every node listens on the same port inside the
 * container and on the host and announces 127.0.0.1, so its address works from here and from the other nodes
 * (whose cluster bus stays inside the container). That needs the Docker engine on this machine.
 */
export async function startRedisClusterContainer(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { masters = 3, nodeTimeoutMs = 2000, args = [] } = options;
  const ports = await freeClusterPorts(masters);
  const nodes = ports.map((port) => ({
    port,
    argv: redisArgv(port, [
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
      '--cluster-require-full-coverage', 'no', '--cluster-announce-ip', '127.0.0.1', ...args,
    ]),
  }));
  const container = await startContainer(nodes);
  const instead = `Set REDIS_CLUSTER_NODES to a cluster you run, or install redis-server and redis-cli (${REDIS_INSTALL_COMMANDS}).`;
  try {
    if (!['localhost', '127.0.0.1', '::1'].includes(container.getHost())) {
      throw new RedisContainerError(
        `The Docker engine is not on this machine (its ports are on ${container.getHost()}), so the addresses a ` +
          `Redis Cluster in a container announces (127.0.0.1) do not reach it. ${instead}`,
      );
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await exec(container, `redis-cli --cluster create ${addresses.join(' ')} --cluster-replicas 0 --cluster-yes`);
    await waitForClusterOk(ports, 20_000).catch((error: unknown) => {
      throw new RedisContainerError(
        `The Redis Cluster in the container is not reachable at 127.0.0.1:${ports.join(', ')} (${messageOf(error)}). ${instead}`,
      );
    });
  } catch (error) {
    await container.stop();
    throw error;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    servers: nodes.map((node) => serverOf(container, '127.0.0.1', node)),
    waitUntilHealthy: (timeoutMs = 20_000) => waitForClusterOk(ports, timeoutMs),
    stop: async () => void (await container.stop()),
  };
}

async function startContainer(nodes: ContainerNode[]): Promise<StartedTestContainer> {
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch (error) {
    throw new RedisContainerError(
      'A Docker engine answers, but the testcontainers package cannot be loaded (npm install --save-dev testcontainers@11): ' +
        messageOf(error),
      { cause: error },
    );
  }
  const { GenericContainer, Wait } = testcontainers;
  // The servers run in the background under sh; their logs are the container's.
  const script = [...nodes.map(({ port, argv }) => `mkdir -p /data/${port} && ${shellLine(argv)} &`), 'exec sleep infinity'].join('\n');
  try {
    return await new GenericContainer(REDIS_IMAGE)
      .withCommand(['sh', '-c', script])
      .withExposedPorts(...nodes.map(({ port }) => ({ container: port, host: port })))
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections', nodes.length))
      .start();
  } catch (error) {
    throw new RedisContainerError(`testcontainers could not start ${REDIS_IMAGE} in Docker: ${messageOf(error)}`, { cause: error });
  }
}

/** The {@link RedisServer} of one node: `kill()` SIGKILLs its process, `start()` runs it again, daemonized. */
function serverOf(container: StartedTestContainer, host: string, { port, argv }: ContainerNode): RedisServer {
  return {
    port,
    url: `redis://${host}:${port}`,
    kill: () =>
      exec(container, `kill -9 "$(cat /data/${port}/redis.pid)"; while redis-cli -p ${port} ping >/dev/null 2>&1; do sleep 0.05; done`),
    async start() {
      await exec(container, `${shellLine(argv)} --daemonize yes`);
      await waitForPing(port, undefined, 10_000, host);
    },
    stop: () => exec(container, `redis-cli -p ${port} shutdown nosave >/dev/null 2>&1 || true`),
  };
}

function redisArgv(port: number, args: string[]): string[] {
  return ['redis-server', '--port', String(port), '--dir', `/data/${port}`, '--pidfile', `/data/${port}/redis.pid`,
    '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...args];
}

async function exec(container: StartedTestContainer, script: string): Promise<void> {
  const { exitCode, output } = await container.exec(['sh', '-c', script]);
  if (exitCode !== 0) throw new RedisContainerError(`\`${script}\` failed in the Redis container (exit ${exitCode}): ${output.trim()}`);
}

function shellLine(argv: string[]): string {
  return argv.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
