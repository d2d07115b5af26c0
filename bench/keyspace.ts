/** The bench's keys: listing, deleting, sizing, and comparing ours with the naive ones. */
import type { Redis } from 'ioredis';

/** Every key under a prefix (SCAN, never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/** Deletes every key under a prefix. */
export async function deleteUnder(redis: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
  return keys.length;
}

/** Sum of `MEMORY USAGE` over every key under a prefix. */
export async function memoryUnder(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  const keys = await keysUnder(redis, prefix);
  let bytes = 0;
  for (const key of keys) bytes += (await redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0;
  return { keys: keys.length, bytes };
}

/**
 * Checks that two prefixes hold exactly the same bitmaps (same key names after the prefix, same bytes).
 * Throws a {@link MismatchError} naming the first difference.
 */
export async function assertSameBitmaps(redis: Redis, ours: string, naive: string, what: string): Promise<number> {
  const oursKeys = (await keysUnder(redis, ours)).map((key) => key.slice(ours.length));
  const naiveKeys = (await keysUnder(redis, naive)).map((key) => key.slice(naive.length));
  if (oursKeys.join('\n') !== naiveKeys.join('\n')) {
    const missing = naiveKeys.filter((key) => !oursKeys.includes(key)).slice(0, 3);
    const extra = oursKeys.filter((key) => !naiveKeys.includes(key)).slice(0, 3);
    throw new MismatchError(`${what}: key sets differ (ours lacks ${JSON.stringify(missing)}, has extra ${JSON.stringify(extra)})`);
  }
  for (const key of oursKeys) {
    const [a, b] = await Promise.all([redis.getBuffer(ours + key), redis.getBuffer(naive + key)]);
    if (a === null || b === null || !a.equals(b)) throw new MismatchError(`${what}: bitmap ${key} differs`);
  }
  return oursKeys.length;
}

/** Our result differs from the naive one: the bench must fail. */
export class MismatchError extends Error {
  override name = 'MismatchError';
}
