import { Cluster, Redis } from 'ioredis';
import { assertIntegerInRange, assertKnownOptions, assertOptionalBoolean, assertOptionsObject } from './arguments.js';
import { BitmapistArgumentError, BitmapistConfigError } from './errors.js';
import { assertUserIdMode, DEFAULT_MAX_MAPPED_IDS, DEFAULT_MAX_USER_ID, MAX_BITMAP_USER_ID, type UserIdMode } from './ids/user-ids.js';
import { DEFAULT_KEY_PREFIX, KeyNames, ShardedKeyNames } from './keys/key-names.js';
import { assertWellFormed } from './keys/names.js';
import type { RedisClient } from './redis/scripts.js';
import { checkExpireOptions, type ExpireOptions } from './time/retention.js';
import { TimeZone } from './time/time-zone.js';

/** Options of {@link Bitmapist}. */
export interface BitmapistOptions<Mode extends UserIdMode = 'integers'> {
  /**
   * A Redis URL, or an ioredis `Redis` or `Cluster` to use (never closed by us). Default: env
   * `BITMAPIST_REDIS_URL`, else `redis://localhost:6379`. A `Cluster` needs `layout: 'sharded'`.
   */
  redis?: string | Redis | Cluster;
  /** Prefix of every key (default `trackist_`, as Python bitmapist). */
  keyPrefix?: string;
  /** Also keep an hourly bitmap per mark (default false). */
  trackHourly?: boolean;
  /** Also set the event's all-time `_u` bitmap on every mark (default false). */
  trackUnique?: boolean;
  /**
   * The largest user id accepted. Compatible layout: default 2^24 - 1 (16,777,215; a bitmap costs up to
   * maxUserId / 8 bytes, 2 MB at the default), at most 2^32 - 1. Sharded layout: default 2^32 - 1, at most
   * 2^53 - 1 (a bitmap costs at most one block, 2^shardBits / 8 bytes).
   */
  maxUserId?: number;
  /**
   * `compatible` (default): Python bitmapist's keys, on one Redis. `sharded`: `<prefix>{<block>}<event>_<suffix>`
   * with block = uid >> shardBits, for Redis Cluster and huge ids; not readable by Python bitmapist.
   */
  layout?: 'compatible' | 'sharded';
  /** Sharded layout: log2 of the ids per block (8..32, default 20: blocks of 1,048,576 ids, 128 KB bitmaps). */
  shardBits?: number;
  /**
   * `integers` (default): user ids are integers, the bit offsets themselves (Python bitmapist's ids).
   * `mapped`: any string of 1 to 256 characters, number or bigint; each new id gets the next dense integer,
   * kept in an id map under the prefix. A prefix holds one kind: the other kind is refused.
   */
  userIds?: Mode;
  /** Mapped mode: the most ids the map hands integers to (default 2^24, at most maxUserId + 1). */
  maxMappedIds?: number;
  /**
   * How long bitmaps are kept, per granularity: seconds after the end of each key's period, e.g.
   * `{ hour: 2 * 86400, day: 90 * 86400 }`. Each bitmap gets its expiry (EXPIREAT NX) right after this process
   * first writes it. Left out (the default): nothing expires and no EXPIRE command is sent. `unique` never expires.
   */
  expire?: ExpireOptions;
  /**
   * The IANA time zone whose local periods (hour, day, ISO week, month, year) the keys name, e.g.
   * `'Europe/Berlin'` (default `'UTC'`, Python bitmapist's own). A non-UTC zone is recorded in
   * `<prefix>~timezone` at the first write; a writer with another zone is refused (`BitmapistTimeZoneError`).
   */
  timezone?: string;
}


/** The options of a {@link Bitmapist}, checked, with their defaults, and its client. */
export interface EngineSettings {
  redis: RedisClient;
  /** Whether the engine opened the client (and closes it). */
  ownsClient: boolean;
  keys: KeyNames;
  trackHourly: boolean;
  trackUnique: boolean;
  maxUserId: number;
  userIds: UserIdMode;
  maxMappedIds: number;
  expire: ExpireOptions | undefined;
  timeZone: TimeZone;
}

/** The options a {@link Bitmapist} takes: any other is refused, naming it. */
const BITMAPIST_OPTIONS = [
  'redis', 'keyPrefix', 'trackHourly', 'trackUnique', 'maxUserId', 'layout', 'shardBits', 'userIds', 'maxMappedIds', 'expire', 'timezone',
] as const satisfies readonly (keyof BitmapistOptions)[];
/** Compiles only while every option of the interface is in the list (a new one must be added there). */
const BITMAPIST_OPTIONS_COMPLETE: Exclude<keyof BitmapistOptions, (typeof BITMAPIST_OPTIONS)[number]> extends never ? true : never = true;

/**
 * Checks the options of a {@link Bitmapist} (a {@link BitmapistArgumentError} or {@link BitmapistConfigError}
 * naming the first refused one), applies their defaults, and opens the client from a URL.
 */
export function checkOptions(options: BitmapistOptions<UserIdMode>): EngineSettings {
  // A URL or a client passed alone is a mistake to name, not a default connection to another server.
  assertOptionsObject(options);
  assertKnownOptions(options, BITMAPIST_OPTIONS, 'Bitmapist');
  const { keyPrefix = DEFAULT_KEY_PREFIX, trackHourly = false, trackUnique = false, layout = 'compatible', shardBits = 20 } = options;
  if (typeof keyPrefix !== 'string') throw new BitmapistArgumentError('keyPrefix', 'must be a string');
  assertWellFormed(keyPrefix, 'keyPrefix');
  assertOptionalBoolean(trackHourly, 'trackHourly');
  assertOptionalBoolean(trackUnique, 'trackUnique');
  if (layout !== 'compatible' && layout !== 'sharded') {
    throw new BitmapistArgumentError('layout', `must be 'compatible' or 'sharded', got ${JSON.stringify(layout)}`);
  }
  const maxUserId = options.maxUserId ?? (layout === 'sharded' ? MAX_BITMAP_USER_ID : DEFAULT_MAX_USER_ID);
  assertIntegerInRange(maxUserId, 'maxUserId', 0, layout === 'sharded' ? Number.MAX_SAFE_INTEGER : MAX_BITMAP_USER_ID);
  assertIntegerInRange(shardBits, 'shardBits', 8, 32);
  const keys = layout === 'sharded' ? new ShardedKeyNames(keyPrefix, shardBits) : new KeyNames(keyPrefix);
  const userIds = options.userIds ?? 'integers';
  assertUserIdMode(userIds);
  const maxMappedIds = options.maxMappedIds ?? Math.min(DEFAULT_MAX_MAPPED_IDS, maxUserId + 1);
  assertIntegerInRange(maxMappedIds, 'maxMappedIds', 1, maxUserId + 1);
  const expire = checkExpireOptions(options.expire);
  const timeZone = TimeZone.of(options.timezone);

  const redis = options.redis ?? process.env.BITMAPIST_REDIS_URL ?? 'redis://localhost:6379';
  let client: RedisClient;
  let ownsClient = false;
  if (typeof redis === 'string') {
    client = new Redis(redis);
    // Connection errors reach callers as rejected calls; without a listener ioredis would also log each one.
    client.on('error', () => undefined);
    ownsClient = true;
  } else if (redis instanceof Redis || redis instanceof Cluster) {
    client = redis;
  } else {
    throw new BitmapistArgumentError('redis', 'must be a Redis URL, an ioredis Redis or an ioredis Cluster');
  }
  if (client instanceof Cluster && layout !== 'sharded') {
    throw new BitmapistConfigError(
      "the bitmapist-compatible key layout combines keys of many hash slots and cannot run on Redis Cluster: use layout: 'sharded'",
    );
  }
  if (client.options.keyPrefix) {
    throw new BitmapistConfigError('use the keyPrefix option of Bitmapist, not the one of the ioredis client');
  }
  return { redis: client, ownsClient, keys, trackHourly, trackUnique, maxUserId, userIds, maxMappedIds, expire, timeZone };
}
