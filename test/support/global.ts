/**
 * Mocha global fixtures: find the Redis the tests use, in this order: REDIS_URL; a private redis-server
 * from PATH on a free loopback port; testcontainers when a Docker engine is reachable; else fail at once.
 * The chosen URL is handed to the tests in BITMAPIST_TEST_REDIS_URL.
 */
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { RedisServerNotFoundError, startRedisCluster, startRedisServer } from '../../src/testing/index.js';
import { TEST_KEY_PREFIX } from './redis.js';

let stopServer: (() => Promise<void>) | undefined;
let stopCluster: (() => Promise<void>) | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  await setUpRedis();
  await setUpCluster();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await Promise.all([stopServer?.(), stopCluster?.()]);
}

/**
 * The Redis Cluster of the cluster tests: REDIS_CLUSTER_NODES (`host:port,host:port,...`, an otherwise empty
 * cluster) when set, else three local masters started here. Handed to the tests in BITMAPIST_TEST_CLUSTER_NODES.
 */
async function setUpCluster(): Promise<void> {
  if (process.env.REDIS_CLUSTER_NODES) {
    process.env.BITMAPIST_TEST_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES;
    return;
  }
  const cluster = await startRedisCluster().catch((error: unknown) => {
    throw new Error(
      `The cluster tests could not start a local Redis Cluster (${String(error)}). They need redis-server and ` +
        'redis-cli on PATH (Debian/Ubuntu: apt-get install -y redis-server redis-tools), or REDIS_CLUSTER_NODES.',
    );
  });
  stopCluster = () => cluster.stop();
  process.env.BITMAPIST_TEST_CLUSTER_NODES = cluster.nodes.map((node) => `${node.host}:${node.port}`).join(',');
}

async function setUpRedis(): Promise<void> {
  const external = process.env.REDIS_URL;
  if (external) {
    await refuseForeignData(external);
    process.env.BITMAPIST_TEST_REDIS_URL = external;
    return;
  }
  try {
    const server = await startRedisServer();
    stopServer = () => server.stop();
    process.env.BITMAPIST_TEST_REDIS_URL = server.url;
    process.env.BITMAPIST_TEST_REDIS_OWNED = '1';
    return;
  } catch (error) {
    if (!(error instanceof RedisServerNotFoundError)) throw error;
    if (!dockerReachable()) {
      throw new Error(
        'The tests need Redis and none was found: install redis-server (Debian/Ubuntu: apt-get install -y redis-server; ' +
          'macOS: brew install redis), or set REDIS_URL to an empty database, or start a Docker engine.',
      );
    }
  }
  const { GenericContainer } = await import('testcontainers');
  const container = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  stopServer = async () => void (await container.stop());
  process.env.BITMAPIST_TEST_REDIS_URL = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  process.env.BITMAPIST_TEST_REDIS_OWNED = '1';
}

function dockerReachable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/** Refuses a database that holds keys the tests did not write (they never FLUSHALL a server they did not start). */
export async function refuseForeignData(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
      const foreign = keys.find((key) => !key.startsWith(TEST_KEY_PREFIX));
      if (foreign !== undefined) {
        throw new Error(
          `Refusing to test against ${url}: it holds keys the tests did not write (e.g. ${JSON.stringify(foreign)}). ` +
            'Point REDIS_URL at an empty database, e.g. redis://localhost:6379/15, or unset it to use a private redis-server.',
        );
      }
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
