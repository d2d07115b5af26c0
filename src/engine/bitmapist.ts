import { Cluster, Redis } from 'ioredis';
import { RedisBlockRegistry, SINGLE_BLOCK, type BlockRegistry } from './keys/blocks.js';
import { chainGroups, type ChainedEvent } from './query/chain.js';
import { planCohort, type CohortOptions, type CohortResult } from './insights/cohort/plan.js';
import { BitmapistArgumentError, BitmapistConfigError } from './errors.js';
import { CohortRunner } from './insights/cohort/runner.js';
import { RedisAvailability } from './redis/availability.js';
import { CallLimiter, READ_CALLS_IN_FLIGHT } from './redis/call-limiter.js';
import { Evaluator } from './query/evaluator.js';
import { EventSet, PeriodEventSet, periodExpression, type ExpressionEvaluator } from './query/event-set.js';
import { allOf, anyOf } from './query/expression.js';
import { DEFAULT_KEY_PREFIX, KeyNames, ShardedKeyNames } from './keys/key-names.js';
import { deleteEvents, eventNames } from './keys/keyspace.js';
import { forgetUserBits, userBitmaps } from './users/user-bitmaps.js';
import { userMarks, type UserMark } from './users/user-marks.js';
import { ExpiringMarks } from './marking/expiring-marks.js';
import { checkExpireOptions, type ExpireOptions } from './time/retention.js';
import { ExpiryWriter } from './marking/expiry-writer.js';
import { IdMap } from './ids/id-map.js';
import { lifecycle, type LifecycleOptions, type LifecycleResult } from './insights/lifecycle.js';
import { IdModeGuard } from './ids/id-mode.js';
import { TimeZone } from './time/time-zone.js';
import { bothChecks, TimeZoneGuard } from './time/tz-record.js';
import { MappedEvaluator } from './query/mapped-evaluator.js';
import { Marker, type BulkMark, type CheckedMark, type MarkOptions } from './marking/marker.js';
import { assertUserIdMode, DEFAULT_MAX_MAPPED_IDS, mappedIdOf, type AppUserId, type MappedUserId, type UserIdMode } from './ids/user-ids.js';
import { periodStart, toUtc } from './time/periods.js';
import { periodSuffix } from './time/suffixes.js';
import { timeGroupUnit, type PeriodUnit, type TimeGroupInput } from './time/time-groups.js';
import { defineCommands, type RedisClient } from './redis/scripts.js';
import { assertEventName, assertWellFormed } from './keys/names.js';
import { assertIntegerInRange, assertOptionalBoolean } from './arguments.js';
import { assertUserId, DEFAULT_MAX_USER_ID, MAX_BITMAP_USER_ID } from './ids/user-ids.js';

/** The user ids a {@link Bitmapist} of id mode `Mode` takes: integers, or in mapped mode any {@link MappedUserId}. */
export type UserIdOf<Mode extends UserIdMode> = Mode extends 'mapped' ? MappedUserId : number;
/** The ids `ids()` gives in id mode `Mode`: integers, or in mapped mode the app's ids as strings. */
export type IdOf<Mode extends UserIdMode> = Mode extends 'mapped' ? string : number;

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

/** The most dates one `hasEvent` call checks. */
export const MAX_EVENT_CHECK_DATES = 10;

/** Options of `getEventData` and `chainEvents`. */
export interface PeriodOptions {
  timeGroup?: TimeGroupInput;
  now?: Date;
}

/**
 * The engine: marks events as bits in Redis bitmaps and answers set algebra and cohort tables over them,
 * each through preloaded Lua scripts (one round trip per mark or expression, in the sharded layout one per
 * block in use; a cohort in a few calls of bounded work, see CohortRunner).
 */
export class Bitmapist<Mode extends UserIdMode = 'integers'> {
  /** The Redis client (ours or the one passed in). */
  readonly redis: RedisClient;
  /** The key names of this instance's prefix and layout. */
  readonly keys: KeyNames;
  readonly trackHourly: boolean;
  readonly trackUnique: boolean;
  readonly maxUserId: number;
  /** The kind of user ids this instance takes. */
  readonly userIds: Mode;
  /** Mapped mode's id map (undefined with integer ids): `lookup(id)`, `forget(id)`, `invalidate(id?)`. */
  readonly idMap: IdMap | undefined;
  /** The checked `expire` option (undefined: nothing expires). */
  readonly expire: ExpireOptions | undefined;
  /** The time zone of this instance's periods (`timeZone.name`: `'UTC'` by default). */
  readonly timeZone: TimeZone;
  private readonly expiring: ExpiringMarks | undefined;
  private readonly ownsClient: boolean;
  private readonly registry: BlockRegistry;
  private readonly marker: Marker;
  private readonly evaluator: ExpressionEvaluator<IdOf<Mode>>;
  /**
   * Bounds the read script calls this instance has in flight, so Redis keeps answering other clients; fails
   * them at once while Redis is unreachable.
   */
  readonly readLimiter: CallLimiter;
  private readonly availability: RedisAvailability;
  private readonly cohorts: CohortRunner;

  constructor(options?: BitmapistOptions<Mode>);
  constructor(options?: BitmapistOptions);
  constructor(options: BitmapistOptions<UserIdMode> = {}) {
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
    const keys = layout === 'sharded' ? new ShardedKeyNames(keyPrefix, shardBits) : new KeyNames(keyPrefix);
    const userIds = options.userIds ?? 'integers';
    assertUserIdMode(userIds);
    const maxMappedIds = options.maxMappedIds ?? Math.min(DEFAULT_MAX_MAPPED_IDS, maxUserId + 1);
    assertIntegerInRange(maxMappedIds, 'maxMappedIds', 1, maxUserId + 1);
    const expire = checkExpireOptions(options.expire);
    const timeZone = TimeZone.of(options.timezone);

    const redis = options.redis ?? process.env.BITMAPIST_REDIS_URL ?? 'redis://localhost:6379';
    if (typeof redis === 'string') {
      this.redis = new Redis(redis);
      // Connection errors reach callers as rejected calls; without a listener ioredis would also log each one.
      this.redis.on('error', () => undefined);
      this.ownsClient = true;
    } else if (redis instanceof Redis || redis instanceof Cluster) {
      this.redis = redis;
      this.ownsClient = false;
    } else {
      throw new BitmapistArgumentError('redis', 'must be a Redis URL, an ioredis Redis or an ioredis Cluster');
    }
    if (this.redis instanceof Cluster && layout !== 'sharded') {
      throw new BitmapistConfigError(
        "the bitmapist-compatible key layout combines keys of many hash slots and cannot run on Redis Cluster: use layout: 'sharded'",
      );
    }
    if (this.redis.options.keyPrefix) {
      throw new BitmapistConfigError('use the keyPrefix option of Bitmapist, not the one of the ioredis client');
    }
    defineCommands(this.redis);
    this.availability = new RedisAvailability(this.redis);
    this.readLimiter = new CallLimiter(READ_CALLS_IN_FLIGHT, () => this.availability.check());
    this.keys = keys;
    this.trackHourly = trackHourly;
    this.trackUnique = trackUnique;
    this.maxUserId = maxUserId;
    this.userIds = userIds as Mode;
    this.idMap = userIds === 'mapped' ? new IdMap(this.redis, keys, maxMappedIds - 1) : undefined;
    this.registry = keys instanceof ShardedKeyNames ? new RedisBlockRegistry(this.redis, keys) : SINGLE_BLOCK;
    this.timeZone = timeZone;
    const idGuard = new IdModeGuard(this.redis, keys, userIds);
    const guard = Object.assign(bothChecks(idGuard, new TimeZoneGuard(this.redis, keys, timeZone)), { modeKey: idGuard.modeKey });
    this.marker = new Marker(this.redis, keys, this.registry, { trackHourly, trackUnique, maxUserId, timeZone }, guard, this.idMap);
    const evaluator = new Evaluator(this.redis, keys, this.registry, maxUserId, this.readLimiter);
    this.evaluator = (this.idMap ? new MappedEvaluator(evaluator, this.idMap) : evaluator) as unknown as ExpressionEvaluator<IdOf<Mode>>;
    this.cohorts = new CohortRunner(this.redis, keys, this.registry, {}, this.readLimiter);
    this.expire = expire;
    this.expiring = expire && new ExpiringMarks(new ExpiryWriter(this.redis, keys, expire, timeZone), (uid) => this.blockOf(uid), trackHourly, !this.idMap);
  }

  /**
   * False while the client has lost its connection to Redis and not got it back: reads then fail at once with a
   * `BitmapistOfflineError` instead of waiting for a reconnection attempt (a client that never connected yet
   * counts as reachable: its first read waits for the connection).
   */
  get reachable(): boolean {
    return !this.availability.offline;
  }

  /** Marks that `uid` did `event`: sets its bit in the month, ISO week and day bitmaps (and hour, unique). */
  async markEvent(event: string, uid: UserIdOf<Mode>, options: MarkOptions = {}): Promise<void> {
    return this.writeMark(this.marker.check(event, uid, options), 1);
  }

  /** Clears what `markEvent` with the same arguments set. */
  async unmarkEvent(event: string, uid: UserIdOf<Mode>, options: MarkOptions = {}): Promise<void> {
    return this.writeMark(this.marker.check(event, uid, options), 0);
  }

  /**
   * Checks a mark once, as `markEvent` would (a {@link BitmapistArgumentError} for a bad argument; `now` defaults
   * to the time of the call), for {@link writeMark} to write later, e.g. from a queue. The user id may be given
   * as apps hold ids: with integer ids also a bigint or a string of digits.
   */
  prepareMark(event: string, uid: AppUserId, options: MarkOptions = {}): CheckedMark {
    return this.marker.check(event, uid, options, true);
  }

  /** Writes (or with `bit` 0 clears) a mark checked by {@link prepareMark}, without checking it again. */
  async writeMark(mark: CheckedMark, bit: 0 | 1 = 1): Promise<void> {
    await this.marker.write(bit, mark);
    await this.expiring?.marked(mark.event, this.marker.blockOf(mark), mark.time, mark.hourly);
  }

  /** The block of a checked mark's bits (the mark queue keeps the marks of one block together). */
  blockOfMark(mark: CheckedMark): number | undefined {
    return this.marker.blockOf(mark);
  }

  /** Marks `uid` in the event's all-time unique bitmap only. */
  async markUnique(event: string, uid: UserIdOf<Mode>): Promise<void> {
    return this.marker.markUnique(1, event, uid);
  }

  /** Clears `uid` from the event's all-time unique bitmap. */
  async unmarkUnique(event: string, uid: UserIdOf<Mode>): Promise<void> {
    return this.marker.markUnique(0, event, uid);
  }

  /**
   * Bulk import: writes many marks (an iterable or async iterable of `{ event, uid, now? }`) in batches of at
   * most `MARK_BATCH_SIZE` per script call. Every mark of a batch is checked before the batch is written; an
   * array is checked whole before anything is written. Resolves to the number of marks written.
   */
  async markEvents(marks: Iterable<BulkMark<UserIdOf<Mode>>> | AsyncIterable<BulkMark<UserIdOf<Mode>>>): Promise<number> {
    if (this.expiring) return this.expiring.markMany((stamped) => this.marker.markEvents(stamped), marks);
    return this.marker.markEvents(marks);
  }

  /** The users who did `event` in the hour containing `date`. */
  hour(event: string, date: Date = new Date()): PeriodEventSet<IdOf<Mode>> {
    return this.periodSet(event, 'hour', date);
  }

  /** The users who did `event` on the (local, default UTC) day containing `date`. */
  day(event: string, date: Date = new Date()): PeriodEventSet<IdOf<Mode>> {
    return this.periodSet(event, 'day', date);
  }

  /** The users who did `event` in the ISO week containing `date`. */
  week(event: string, date: Date = new Date()): PeriodEventSet<IdOf<Mode>> {
    return this.periodSet(event, 'week', date);
  }

  /** The users who did `event` in the month containing `date`. */
  month(event: string, date: Date = new Date()): PeriodEventSet<IdOf<Mode>> {
    return this.periodSet(event, 'month', date);
  }

  /** The users who did `event` in the year containing `date`: the OR of its twelve months (as Python bitmapist). */
  year(event: string, date: Date = new Date()): PeriodEventSet<IdOf<Mode>> {
    return this.periodSet(event, 'year', date);
  }

  /** The users ever marked with `markUnique` (or `trackUnique`) for `event`. */
  unique(event: string): EventSet<IdOf<Mode>> {
    assertEventName(event);
    return new EventSet(this.evaluator, { kind: 'leaf', event, suffix: 'u' });
  }

  /** The users who did `event` in the period of `timeGroup` (default days) containing `now`. */
  getEventData(event: string, options: PeriodOptions = {}): PeriodEventSet<IdOf<Mode>> {
    return this.periodSet(event, timeGroupUnit(options.timeGroup ?? 'days'), options.now ?? new Date());
  }

  /**
   * `base` chained with `events` in the period containing `now`: OR binds to its predecessor, then AND
   * left to right (`A && B || C && D` is `A && (B || C) && D`). The list is not modified.
   */
  chainEvents(base: string, events: readonly ChainedEvent[], options: PeriodOptions = {}): EventSet<IdOf<Mode>> {
    const unit = timeGroupUnit(options.timeGroup ?? 'days');
    const start = periodStart(unit, toUtc(options.now ?? new Date(), 'now', this.timeZone).toDate(), this.timeZone);
    const groups = chainGroups(base, events);
    const expression = allOf(groups.map((group) => anyOf(group.map((event) => periodExpression(event, unit, start, this.timeZone)))));
    return new EventSet(this.evaluator, expression);
  }

  /**
   * A cohort table: for each period's users of `primary`, how many did `secondary` in the periods after.
   * Throws {@link BitmapistArgumentError} (argument `cohort`) when it would read over `MAX_COHORT_BYTES`.
   */
  async getCohort(primary: string, secondary: string, options: CohortOptions = {}): Promise<CohortResult> {
    const result = await this.cohorts.cohort(planCohort(primary, secondary, options, this.timeZone));
    if (!this.timeZone.isUtc) result.timeZone = this.timeZone.name;
    return result;
  }

  /**
   * The lifecycle of `event` over the last `periods` periods: each period's active users split into new,
   * returning and resurrecting, and the dormant ones who left (see {@link LifecycleResult}); 3 or 4 bounded
   * counts per period. Throws {@link BitmapistArgumentError} (argument `periods`) outside 1..MAX_LIFECYCLE_PERIODS.
   */
  async getLifecycle(event: string, options: LifecycleOptions = {}): Promise<LifecycleResult> {
    return lifecycle(this, event, options);
  }

  /**
   * Whether `event` has a bitmap among its all-time unique bitmap and the day, ISO week and month bitmaps of the
   * periods containing each of `dates` (default: now; at most {@link MAX_EVENT_CHECK_DATES}): a check for an
   * event just marked that never scans the keyspace nor reads a bitmap (one EXISTS per block in use).
   */
  async hasEvent(event: string, dates: readonly Date[] = [new Date()]): Promise<boolean> {
    assertEventName(event);
    if (!Array.isArray(dates) || dates.length > MAX_EVENT_CHECK_DATES) {
      throw new BitmapistArgumentError('dates', `must be an array of at most ${MAX_EVENT_CHECK_DATES} dates`);
    }
    const suffixes = new Set(['u']);
    for (const date of dates) {
      const instant = toUtc(date, 'dates', this.timeZone).toDate();
      for (const unit of ['day', 'week', 'month'] as const) suffixes.add(periodSuffix(unit, instant, this.timeZone));
    }
    // EXISTS, one command per block in use (a block's keys share one Cluster slot): no bitmap is read.
    const blocks = await this.registry.inUse();
    const found = await this.readLimiter.map(blocks, (block) => this.redis.exists(...[...suffixes].map((suffix) => this.keys.eventKey(event, suffix, block))));
    return found.some((count) => count > 0);
  }

  /**
   * Every event name with at least one bitmap under this prefix, sorted. Uses SCAN, never KEYS; on a Cluster,
   * waits until the client is ready and scans every master of the slot map, rejecting with a
   * `BitmapistScanError` when one cannot be scanned. Names starting with `bitop_` (Python bitmapist's scratch
   * keys) are left out.
   */
  async getEventNames(options: { prefix?: string } = {}): Promise<string[]> {
    this.availability.check();
    return eventNames(this.redis, this.keys, options.prefix ?? '');
  }

  /**
   * Deletes every bitmap (and stray scratch key) of this prefix, then the sharded layout's block registry;
   * keys that are not strings and keys of other prefixes are left alone. Refuses an empty `keyPrefix`. On a
   * Cluster every master is scanned before the first delete: if one cannot be, it rejects with a
   * `BitmapistScanError` and deletes nothing.
   */
  async deleteAllEvents(): Promise<number> {
    return deleteEvents(this.redis, this.keys);
  }

  /**
   * Forgets a user (right to erasure): clears `uid`'s bit in every bitmap of this prefix (every event and
   * period, unique included) and resolves to the number of bitmaps that changed. Safe while other processes
   * mark: it only ever clears this one bit and never grows a bitmap. Works in batches of `FORGET_BATCH_SIZE`
   * keys per script call; the sharded layout scans only the user's block. In mapped mode it then removes the
   * id's map entries (its integer is never handed out again; an unknown id resolves to 0 and changes nothing).
   */
  async forgetUser(uid: UserIdOf<Mode>): Promise<number> {
    if (!this.idMap) {
      assertUserId(uid, this.maxUserId);
      return forgetUserBits(this.redis, this.keys, this.keys.locate(uid));
    }
    // Mapped ids: the bits first, then the map entries, so that a failure leaves the id findable to retry.
    const integer = await this.idMap.lookup(uid);
    if (integer === undefined) return 0;
    const changed = await forgetUserBits(this.redis, this.keys, this.keys.locate(integer));
    await this.idMap.forget(uid);
    return changed;
  }

  /**
   * What this prefix holds about a user (right of access): every `{ event, granularity, period, start }` whose
   * bitmap holds the user's bit, unique included, sorted by event, granularity and period. Found as
   * `forgetUser` finds the bitmaps (bounded SCAN, batches of `FORGET_BATCH_SIZE` per script call) and read with
   * GETBIT: nothing is written and no bitmap grows. A mapped id never marked holds nothing (`[]`).
   */
  async exportUser(uid: UserIdOf<Mode>): Promise<UserMark[]> {
    let integer: number | undefined;
    if (this.idMap) integer = await this.idMap.lookup(uid);
    else {
      assertUserId(uid, this.maxUserId);
      integer = uid;
    }
    if (integer === undefined) return [];
    return userMarks(await userBitmaps(this.redis, this.keys, this.keys.locate(integer)), this.keys, this.timeZone);
  }

  /** The block of a user's bits once marked (see ExpiringMarks), undefined for a mapped id that has none. */
  private blockOf(uid: unknown): number | undefined | Promise<number | undefined> {
    if (!this.idMap) return typeof uid === 'number' && Number.isSafeInteger(uid) && uid >= 0 ? this.keys.locate(uid).block : undefined;
    const known = this.idMap.cached(mappedIdOf(uid));
    if (known !== undefined) return this.keys.locate(known).block;
    return this.idMap.lookup(uid).then((integer) => (integer === undefined ? undefined : this.keys.locate(integer).block));
  }

  /** Closes the Redis connection if this instance opened it (a client passed in is left open). */
  async close(): Promise<void> {
    this.availability.dispose();
    if (!this.ownsClient || this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      // Connecting or reconnecting (Redis is away): QUIT would wait for a server that may never come back.
      this.redis.disconnect();
      return;
    }
    const ended = new Promise((resolve) => this.redis.once('end', resolve));
    await this.redis.quit().catch(() => this.redis.disconnect());
    await ended;
  }

  private periodSet(event: string, unit: PeriodUnit, date: Date): PeriodEventSet<IdOf<Mode>> {
    assertEventName(event);
    const start = periodStart(unit, toUtc(date, 'date', this.timeZone).toDate(), this.timeZone);
    return new PeriodEventSet(this.evaluator, event, unit, start, this.timeZone);
  }
}
