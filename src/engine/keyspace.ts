import { Cluster, type Redis } from 'ioredis';
import type { BlockRegistry } from './blocks.js';
import { BitmapistArgumentError } from './errors.js';
import type { KeyNames } from './keys.js';
import type { RedisClient } from './scripts.js';

/** Every key matching a pattern, with SCAN (on every master of a Cluster), never KEYS. */
export async function* scanKeys(redis: RedisClient, pattern: string): AsyncGenerator<string> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    for await (const batch of node.scanStream({ match: pattern, count: 1000 })) yield* batch as string[];
  }
}

/** Sorted event names with at least one bitmap under the prefix. */
export async function eventNames(redis: RedisClient, keys: KeyNames, prefix: string): Promise<string[]> {
  if (typeof prefix !== 'string') throw new BitmapistArgumentError('prefix', 'must be a string');
  const names = new Set<string>();
  for await (const key of scanKeys(redis, keys.scanPattern(prefix))) {
    const event = keys.eventOf(key);
    if (event !== undefined && event.startsWith(prefix)) names.add(event);
  }
  return [...names].sort();
}

/** Deletes the prefix's bitmaps, stray scratch keys and block registry; returns how many keys went. */
export async function deleteEvents(redis: RedisClient, keys: KeyNames, registry: BlockRegistry): Promise<number> {
  let deleted = 0;
  let doomed: string[] = [];
  const unlink = async () => {
    // In a Cluster one UNLINK may only name keys of one slot: send them one by one (pipelined by ioredis).
    const counts = redis instanceof Cluster ? await Promise.all(doomed.map((key) => redis.unlink(key))) : doomed.length > 0 ? [await redis.unlink(...doomed)] : [];
    deleted += counts.reduce((sum, n) => sum + n, 0);
    doomed = [];
  };
  for await (const key of scanKeys(redis, keys.scanPattern())) {
    if (keys.eventOf(key) !== undefined || keys.isScratchKey(key)) doomed.push(key);
    if (doomed.length >= 500) await unlink();
  }
  await unlink();
  if ('registryKey' in keys) {
    await redis.unlink(keys.registryKey as string);
    registry.forget();
  }
  return deleted;
}
