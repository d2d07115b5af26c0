import type { RedisClient } from './scripts.js';
import type { ShardedKeyNames } from './keys.js';

/** Which blocks of user ids hold bitmaps: queries run once per block in use. */
export interface BlockRegistry {
  /** Records that marks were written to these blocks. */
  register(blocks: Iterable<number>): Promise<void>;
  /** The blocks in use, ascending. */
  inUse(): Promise<number[]>;
  /** Forgets what this process believed registered (after the registry was deleted). */
  forget(): void;
}

/** The compatible layout: one block, always in use. */
export const SINGLE_BLOCK: BlockRegistry = {
  register: async () => undefined,
  inUse: async () => [0],
  forget: () => undefined,
};

/** How long a registration is trusted before this process writes it again (self-heals a deleted registry). */
const REGISTRATION_TTL_MS = 60_000;

/**
 * The sharded layout: a Redis set of block numbers, so queries find the blocks in use without scanning the
 * keyspace. Each process adds a block once (and again every minute), not on every mark.
 */
export class RedisBlockRegistry implements BlockRegistry {
  private readonly confirmed = new Map<number, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ShardedKeyNames,
  ) {}

  async register(blocks: Iterable<number>): Promise<void> {
    const now = Date.now();
    const fresh = [...new Set(blocks)].filter((block) => !((this.confirmed.get(block) ?? -Infinity) > now - REGISTRATION_TTL_MS));
    if (fresh.length === 0) return;
    await this.redis.sadd(this.keys.registryKey, ...fresh.map(String));
    for (const block of fresh) this.confirmed.set(block, now);
  }

  async inUse(): Promise<number[]> {
    const members = await this.redis.smembers(this.keys.registryKey);
    return members.map(Number).sort((a, b) => a - b);
  }

  forget(): void {
    this.confirmed.clear();
  }
}
