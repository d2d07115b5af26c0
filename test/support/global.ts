/**
 * Mocha global fixtures: find the Redis the tests use, in this order: REDIS_URL; a private redis-server
 * from PATH on a free loopback port; else Redis in a Docker container through testcontainers when a Docker
 * engine answers. The cluster tests likewise: REDIS_CLUSTER_NODES; redis-server and redis-cli on PATH; Docker.
 * Before anything starts, whatever is missing (Redis, the cluster, Chromium for the browser test) stops the run
 * at once, every missing piece named with its install command in one error.
 * The chosen URL is handed to the tests in BITMAPIST_TEST_REDIS_URL.
 */
// The dashboard serves without authorize(ctx) only in development and test: the suite is a test.
process.env.NODE_ENV ??= 'test';
import { Redis } from 'ioredis';
import { redisRuntime, startRedisCluster, startRedisServer } from '../../src/testing/index.js';
import { REDIS_INSTALL_COMMANDS } from '../../src/testing/redis-runtime.js';
import { ChromiumNotFoundError, findChromium } from '../browser/find-chromium.js';
import { TEST_KEY_PREFIX } from './redis.js';

let stopServer: (() => Promise<void>) | undefined;
let stopCluster: (() => Promise<void>) | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  const missing = await missingPieces();
  if (missing.length > 0) throw new Error(`The tests cannot run. Missing:\n- ${missing.join('\n- ')}`);
  await setUpRedis();
  await setUpCluster();
}

/** What the suite needs and cannot find, each with its install command (none of it is started here). */
async function missingPieces(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const missing: string[] = [];
  const docker = ' (Redis then runs in a container through testcontainers)';
  if (!env.REDIS_URL && (await redisRuntime(['redis-server'], env)) === undefined) {
    missing.push(
      `The tests need Redis and none was found: install redis-server (${REDIS_INSTALL_COMMANDS}), start a Docker ` +
        `engine${docker}, or set REDIS_URL to an empty database (and REDIS_CLUSTER_NODES to an empty cluster).`,
    );
  } else if (!env.REDIS_CLUSTER_NODES && (await redisRuntime(['redis-server', 'redis-cli'], env)) === undefined) {
    missing.push(
      `The cluster tests need redis-server and redis-cli and they were not found: install them (${REDIS_INSTALL_COMMANDS}), ` +
        `start a Docker engine${docker}, or set REDIS_CLUSTER_NODES to an empty cluster.`,
    );
  }
  try {
    findChromium(env);
  } catch (error) {
    if (!(error instanceof ChromiumNotFoundError)) throw error;
    missing.push(`${error.name}: ${error.message}`);
  }
  return missing;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await Promise.all([stopServer?.(), stopCluster?.()]);
}

/**
 * The Redis Cluster of the cluster tests: REDIS_CLUSTER_NODES (`host:port,host:port,...`, an otherwise empty
 * cluster) when set, else three masters started here (from PATH, or in Docker). Handed to the tests in
 * BITMAPIST_TEST_CLUSTER_NODES.
 */
async function setUpCluster(): Promise<void> {
  if (process.env.REDIS_CLUSTER_NODES) {
    process.env.BITMAPIST_TEST_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES;
    return;
  }
  const cluster = await startRedisCluster().catch((error: unknown) => {
    throw new Error(
      `The cluster tests could not start a Redis Cluster (${String(error)}). They need redis-server and redis-cli ` +
        `on PATH (${REDIS_INSTALL_COMMANDS}), a Docker engine on this machine, or REDIS_CLUSTER_NODES.`,
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
  const server = await startRedisServer();
  stopServer = () => server.stop();
  process.env.BITMAPIST_TEST_REDIS_URL = server.url;
  process.env.BITMAPIST_TEST_REDIS_OWNED = '1';
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
