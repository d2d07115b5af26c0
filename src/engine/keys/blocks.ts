import { BitmapistRegistryError } from '../errors.js';
import type { ShardedKeyNames } from './key-names.js';
import { isReplyError, isTransientReply } from '../redis/replies.js';
import type { RedisClient } from '../redis/scripts.js';

/** Which blocks of user ids hold bitmaps: queries run once per block in use. */
export interface BlockRegistry {
  /** Records that marks were written to (or cleared in) these blocks. */
  register(blocks: Iterable<number>): Promise<void>;
  /** The blocks in use, ascending. */
  inUse(): Promise<number[]>;
}

/** The compatible layout: one block, always in use. */
export const SINGLE_BLOCK: BlockRegistry = {
  register: async () => undefined,
  inUse: async () => [0],
};

/**
 * The sharded layout: a Redis set of block numbers, so queries find the blocks in use without scanning the
 * keyspace. Every write batch adds its blocks (one SADD, sent along with the batch's script calls), so the
 * registry heals at the next write after a `deleteAllEvents` of another process.
 */
export class RedisBlockRegistry implements BlockRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ShardedKeyNames,
  ) {}

  /**
   * Adds the blocks. A reply that is not transient (e.g. `WRONGTYPE`: a foreign key of another type at the
   * registry's name) rejects with a {@link BitmapistRegistryError}; connection errors pass through.
   */
  async register(blocks: Iterable<number>): Promise<void> {
    const members = [...new Set(blocks)].map(String);
    if (members.length === 0) return;
    try {
      await this.redis.sadd(this.keys.registryKey, ...members);
    } catch (error) {
      if (isReplyError(error) && !isTransientReply(error.message)) {
        const message = `the block registry ${JSON.stringify(this.keys.registryKey)} refused blocks ${members.join(', ')}: ${error.message}`;
        throw new BitmapistRegistryError(message, { cause: error });
      }
      throw error;
    }
  }

  async inUse(): Promise<number[]> {
    const members = await this.redis.smembers(this.keys.registryKey);
    return members.map(Number).sort((a, b) => a - b);
  }
}
