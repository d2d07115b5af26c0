/**
 * Mocha global fixtures: find the Redis the tests use, in this order: REDIS_URL; a private redis-server
 * from PATH on a free loopback port; else fail at once with the install instruction. A missing Chromium
 * (for the browser test) stops the run at once too.
 * The chosen URL is handed to the tests in BITMAPIST_TEST_REDIS_URL.
 */
// The dashboard serves without authorize(ctx) only in development and test: the suite is a test.
process.env.NODE_ENV ??= 'test';
import { Redis } from 'ioredis';
import { RedisServerNotFoundError, startRedisCluster, startRedisServer } from '../../src/testing/index.js';
import { findChromium } from '../browser/find-chromium.js';
import { TEST_KEY_PREFIX } from './redis.js';

let stopServer: (() => Promise<void>) | undefined;
let stopCluster: (() => Promise<void>) | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  findChromium(); // the browser test needs it: stop now, with the install instruction, not after the whole suite
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
  } catch (error) {
    if (!(error instanceof RedisServerNotFoundError)) throw error;
    throw new Error(
      'The tests need Redis and none was found: install redis-server (Debian/Ubuntu: apt-get install -y redis-server; ' +
        'macOS: brew install redis), or set REDIS_URL to an empty database.',
    );
  }
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
