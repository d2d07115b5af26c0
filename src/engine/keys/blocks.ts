import { BitmapistRegistryError, BitmapistWrongTypeError } from '../errors.js';
import type { ShardedKeyNames } from './key-names.js';
import { isReplyError, isTransientReply } from '../redis/replies.js';
import type { RedisClient } from '../redis/scripts.js';
import { UNGUARDED, type ReadGuard } from '../redis/availability.js';
import { findWrongTypeKey } from '../redis/wrong-type.js';

/** Which blocks of user ids hold bitmaps: queries run once per block in use. */
export interface BlockRegistry {
  /** Records that marks were written to (or cleared in) these blocks. */
  register(blocks: Iterable<number>): Promise<void>;
  /** The blocks in use, ascending. */
  inUse(): Promise<number[]>;
  /**
   * The sharded layout's registry key, which a mark script on one server adds its blocks to itself
   * (lua/mark_many.lua; a refusal is named by {@link registryRefusal}). Undefined for the compatible layout.
   */
  readonly key?: string;
}

/** The error of a registry that refused blocks (its Redis reply, e.g. `WRONGTYPE`, is the `cause`). */
export function registryRefusal(key: string, blocks: Iterable<number | string>, cause: Error): BitmapistRegistryError {
  const message = `the block registry ${JSON.stringify(key)} refused blocks ${[...blocks].join(', ')}: ${cause.message}`;
  return new BitmapistRegistryError(message, { cause });
}

/** The compatible layout: one block, always in use. */
export const SINGLE_BLOCK: BlockRegistry = {
  register: async () => undefined,
  inUse: async () => [0],
};

/**
 * The sharded layout: a Redis set of block numbers, so queries find the blocks in use without scanning the
 * keyspace. Every write batch adds its blocks (one SADD sent along with the batch's script calls on a Cluster;
 * inside its one script call on one server), so the registry heals at the next write after a
 * `deleteAllEvents` of another process.
 */
export class RedisBlockRegistry implements BlockRegistry {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    keys: ShardedKeyNames,
    /** Checked before {@link inUse} reads the registry (a throw fails the read without sending it), and waits for it. */
    private readonly guard: ReadGuard = UNGUARDED,
  ) {
    this.key = keys.registryKey;
  }

  /**
   * Adds the blocks. A reply that is not transient (e.g. `WRONGTYPE`: a foreign key of another type at the
   * registry's name) rejects with a {@link BitmapistRegistryError}; connection errors pass through.
   */
  async register(blocks: Iterable<number>): Promise<void> {
    const members = [...new Set(blocks)].map(String);
    if (members.length === 0) return;
    try {
      await this.redis.sadd(this.key, ...members);
    } catch (error) {
      if (isReplyError(error) && !isTransientReply(error.message)) throw registryRefusal(this.key, members, error);
      throw error;
    }
  }

  /**
   * The blocks registered, ascending. A registry of another type than a set (`WRONGTYPE`) rejects with a
   * {@link BitmapistWrongTypeError} naming it: no read can know which blocks hold bitmaps.
   */
  async inUse(): Promise<number[]> {
    this.guard.check();
    let members: string[];
    try {
      members = await this.guard.answer(this.redis.smembers(this.key));
    } catch (error) {
      if (isReplyError(error) && error.message.startsWith('WRONGTYPE')) {
        const type = (await findWrongTypeKey(this.redis, [this.key], 'set'))?.type;
        throw new BitmapistWrongTypeError(`the block registry ${this.key} holds another type of value than a set: delete or rename it (${error.message})`, { cause: error, key: this.key, type });
      }
      throw error;
    }
    return members.map(Number).sort((a, b) => a - b);
  }
}
