import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Bitmapist, type BitmapistOptions } from '../../src/index.js';

/** Every key a test writes starts with this (the guard in global.ts accepts only these). */
export const TEST_KEY_PREFIX = 'bmtest_';

/** The URL of the test Redis chosen by the global fixtures. */
export function testRedisUrl(): string {
  const url = process.env.BITMAPIST_TEST_REDIS_URL;
  if (!url) throw new Error('BITMAPIST_TEST_REDIS_URL is unset: run the tests through mocha (npm test)');
  return url;
}

/** A key prefix unique to one test. */
export function uniquePrefix(label = ''): string {
  return `${TEST_KEY_PREFIX}${label}${randomBytes(4).toString('hex')}_`;
}

/** A plain client on the test Redis. */
export function testClient(): Redis {
  return new Redis(testRedisUrl());
}

/** Every key under a prefix (SCAN). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  // SCAN may return a key twice (while Redis rehashes its table): a set, not a list.
  return [...new Set(keys)].sort();
}

/** Deletes every key under a prefix. */
export async function deleteUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.unlink(...keys);
}

/**
 * A Bitmapist on the test Redis with a prefix of its own, plus a raw client; `cleanup()` deletes what the
 * test wrote and closes both.
 */
export function testBitmapist(options: BitmapistOptions = {}) {
  const prefix = uniquePrefix();
  const raw = testClient();
  const bm = new Bitmapist({ redis: testRedisUrl(), keyPrefix: prefix, ...options });
  return {
    bm,
    raw,
    prefix,
    keys: () => keysUnder(raw, prefix),
    async cleanup() {
      // Closed first: a zoned instance records its zone from its creation on (GET, SCAN, SET NX), and a record set
      // after the delete would outlive the test.
      await bm.close();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    },
  };
}

/** The nodes of the test Redis Cluster chosen by the global fixtures. */
export function testClusterNodes(): { host: string; port: number }[] {
  const nodes = process.env.BITMAPIST_TEST_CLUSTER_NODES;
  if (!nodes) throw new Error('BITMAPIST_TEST_CLUSTER_NODES is unset: run the tests through mocha (npm test)');
  return nodes.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host: host!, port: Number(port) };
  });
}

/** Calls of one command Redis has run, those of scripts included (INFO commandstats). */
export async function commandCalls(redis: { info(section: string): Promise<string> }, command: string): Promise<number> {
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(await redis.info('commandstats'));
  return match ? Number(match[1]) : 0;
}
