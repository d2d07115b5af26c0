import { assertOptionsObject } from './arguments.js';
import { BitmapistArgumentError } from './errors.js';
import { RedisBlockRegistry, SINGLE_BLOCK, type BlockRegistry } from './keys/blocks.js';
import { planCohort, type CohortOptions, type CohortResult } from './insights/cohort/plan.js';
import { CohortRunner } from './insights/cohort/runner.js';
import { checkSignal } from './insights/source.js';
import { RedisAvailability, type ReadGuard } from './redis/availability.js';
import { endConnection } from './redis/quit.js';
import { CallLimiter, READ_CALLS_IN_FLIGHT } from './redis/call-limiter.js';
import { Evaluator } from './query/evaluator.js';
import type { ExpressionEvaluator } from './query/event-set.js';
import { ShardedKeyNames, type KeyNames } from './keys/key-names.js';
import { deleteEvents, eventNames, hasEventKeys } from './keys/keyspace.js';
import { exportUser, forgetUser } from './users/user-data.js';
import type { UserMark } from './users/user-marks.js';
import { ExpiringMarks } from './marking/expiring-marks.js';
import type { ExpireOptions } from './time/retention.js';
import { ExpiryWriter } from './marking/expiry-writer.js';
import { IdMap } from './ids/id-map.js';
import { lifecycle, type LifecycleOptions, type LifecycleResult } from './insights/lifecycle.js';
import { IdModeGuard } from './ids/id-mode.js';
import { bothChecks, TimeZoneGuard } from './time/tz-record.js';
import { MappedEvaluator } from './query/mapped-evaluator.js';
import { Marker, type BulkMark, type CheckedMark, type MarkOptions } from './marking/marker.js';
import { mappedIdOf, type AppUserId, type IdOf, type UserIdMode, type UserIdOf } from './ids/user-ids.js';
import { defineCommands, type RedisClient } from './redis/scripts.js';
import { checkOptions, type BitmapistOptions, type EngineSettings } from './options.js';
import { EventSets } from './query/event-sets.js';
import { funnel, type FunnelOptions, type FunnelResult } from './insights/funnels.js';
import type { Leaf } from './query/expression.js';
import type { BitmapProgram } from './query/program.js';
import { ProgramRunner } from './query/program-runner.js';

/**
 * The engine: marks events as bits in Redis bitmaps and answers set algebra and cohort tables over them,
 * each through preloaded Lua scripts (one round trip per mark or expression, in the sharded layout one per
 * block in use; a cohort in a few calls of bounded work, see CohortRunner).
 */
export class Bitmapist<Mode extends UserIdMode = 'integers'> extends EventSets<IdOf<Mode>> {
  /** The Redis client (ours or the one passed in). */
  readonly redis!: RedisClient;
  /** The key names of this instance's prefix and layout. */
  readonly keys!: KeyNames;
  readonly trackHourly!: boolean;
  readonly trackUnique!: boolean;
  readonly maxUserId!: number;
  /** The kind of user ids this instance takes. */
  readonly userIds!: Mode;
  /** Mapped mode's id map (undefined with integer ids): `lookup(id)`, `forget(id)`, `invalidate(id?)`. */
  readonly idMap!: IdMap | undefined;
  /** The checked `expire` option (undefined: nothing expires). */
  readonly expire!: ExpireOptions | undefined;
  private readonly expiring: ExpiringMarks | undefined;
  private readonly ownsClient: boolean;
  private readonly registry!: BlockRegistry;
  private readonly marker: Marker;
  /**
   * Bounds the read script calls this instance has in flight, so Redis keeps answering other clients; fails
   * them at once while Redis is unreachable.
   */
  readonly readLimiter!: CallLimiter;
  private readonly availability!: RedisAvailability;
  private readonly cohorts: CohortRunner;
  private readonly programs: ProgramRunner;

  constructor(options?: BitmapistOptions<Mode>);
  constructor(options?: BitmapistOptions);
  constructor(options: BitmapistOptions<UserIdMode> = {}) {
    const settings = checkOptions(options);
    const { redis, keys, trackHourly, trackUnique, maxUserId, userIds, expire, timeZone } = settings;
    const parts = readParts(settings);
    super(parts.evaluator as unknown as ExpressionEvaluator<IdOf<Mode>>, timeZone);
    Object.assign(this, { redis, keys, trackHourly, trackUnique, maxUserId, userIds, expire }, parts);
    this.ownsClient = settings.ownsClient;
    const idGuard = new IdModeGuard(redis, keys, userIds);
    const guard = Object.assign(bothChecks(idGuard, new TimeZoneGuard(redis, keys, timeZone)), { modeKey: idGuard.modeKey });
    this.marker = new Marker(redis, keys, this.registry, { trackHourly, trackUnique, maxUserId, timeZone }, guard, this.idMap);
    this.cohorts = new CohortRunner(redis, keys, this.registry, {}, this.readLimiter);
    this.programs = new ProgramRunner(redis, keys, this.registry, this.readLimiter);
    this.expiring = expire && new ExpiringMarks(new ExpiryWriter(redis, keys, expire, timeZone), (uid) => this.blockOf(uid), trackHourly, !this.idMap);
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
  markEvent(event: string, uid: UserIdOf<Mode>, options: MarkOptions = {}): Promise<void> {
    return this.checkAndWrite(1, event, uid, options);
  }

  /** Clears what `markEvent` with the same arguments set. */
  unmarkEvent(event: string, uid: UserIdOf<Mode>, options: MarkOptions = {}): Promise<void> {
    return this.checkAndWrite(0, event, uid, options);
  }

  /**
   * Checks a mark once, as `markEvent` would (a {@link BitmapistArgumentError} for a bad argument; `now` defaults
   * to the time of the call), for {@link writeMark} to write later, e.g. from a queue. The user id may be given
   * as apps hold ids: with integer ids also a bigint or a string of digits.
   */
  prepareMark(event: string, uid: AppUserId, options: MarkOptions = {}): CheckedMark {
    return new PreparedMark(this, this.marker.check(event, uid, options, true));
  }

  /**
   * Writes (or with `bit` 0 clears) a mark checked by {@link prepareMark}, without checking it again. The mark
   * queue's path for every mark: like `markEvent`, no async frame. Anything but a mark this instance prepared
   * rejects with a {@link BitmapistArgumentError} naming `mark`, and writes nothing: a look-alike object could
   * otherwise name any key.
   */
  writeMark(mark: CheckedMark, bit: 0 | 1 = 1): Promise<void> {
    if (!PreparedMark.ownedBy(mark, this)) return Promise.reject(new BitmapistArgumentError('mark', 'must be a mark this instance prepared (prepareMark)'));
    if (bit !== 0 && bit !== 1) return Promise.reject(new BitmapistArgumentError('bit', `must be 0 or 1, got ${String(bit)}`));
    return this.written(bit, this.marker.current(mark));
  }

  /**
   * `markEvent` and `unmarkEvent`: a bad argument rejects (nothing is thrown), and the mark's promise is its
   * call's, with no async frames around it: at tens of thousands of marks a second, each would cost a turn of
   * the microtask queue per mark.
   */
  private checkAndWrite(bit: 0 | 1, event: string, uid: UserIdOf<Mode>, options: MarkOptions): Promise<void> {
    let mark: CheckedMark;
    try {
      mark = this.marker.check(event, uid, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.written(bit, mark);
  }

  /** Writes a checked mark, then records its expiry (when marks expire); a throw becomes the rejection. */
  private written(bit: 0 | 1, mark: CheckedMark): Promise<void> {
    const since = this.expiring?.epoch ?? 0;
    let write: Promise<void>;
    try {
      write = this.marker.write(bit, mark);
    } catch (error) {
      return Promise.reject(error);
    }
    const expiring = this.expiring;
    if (!expiring) return write;
    return write.then(() => expiring.marked(mark.event, this.marker.writtenBlock(mark), mark.time, mark.hourly, bit, since));
  }

  /**
   * Where a checked mark's write goes, for the mark queue (which holds back the marks of a partition whose writes
   * fail): its block (one Cluster slot), or for a mapped id not located yet a negative number, `-1 - its map
   * shard`. Once the mark's write has located the id, its block.
   */
  partitionOfMark(mark: CheckedMark): number {
    return this.marker.partitionOf(mark);
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

  /**
   * A cohort table: for each period's users of `primary` (in `options.segment`, when given), how many did
   * `secondary` in the periods after. Throws {@link BitmapistArgumentError} (argument `cohort`) when it would
   * read over `MAX_COHORT_BYTES`, naming `segment` for a segment that is not an EventSet of this instance.
   */
  async getCohort(primary: string, secondary: string, options: CohortOptions = {}): Promise<CohortResult> {
    const result = await this.cohorts.cohort(planCohort(primary, secondary, options, this.timeZone, this), checkSignal(options.signal));
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
   * A funnel of 2 to 10 `steps` (event names): per entry period, how many users did step 1 there for the first
   * time, and how many of them went on to each later step within `window` periods (in order, or in any order);
   * see {@link FunnelResult}. One program of bounded calls where step 1's users are, all set work in Redis.
   */
  async getFunnel(steps: readonly string[], options: FunnelOptions = {}): Promise<FunnelResult> {
    return funnel(this, steps, options);
  }

  /** @internal Runs a bitmap program where the users of `population` are, or on whole bitmaps (insights use it). */
  runProgram(program: BitmapProgram, population: readonly Leaf[] | undefined, limitArgument: string, signal?: AbortSignal): Promise<number[]> {
    return this.programs.run(program, population, limitArgument, signal);
  }

  /**
   * Whether `event` has a bitmap among its all-time unique bitmap and the day, ISO week and month bitmaps of the
   * periods containing each of `dates` (default: now; at most `MAX_EVENT_CHECK_DATES`): a check for an
   * event just marked that never scans the keyspace nor reads a bitmap (one EXISTS per block in use).
   */
  async hasEvent(event: string, dates: readonly Date[] = [new Date()]): Promise<boolean> {
    const { redis, keys, timeZone, readLimiter, registry } = this;
    return hasEventKeys({ redis, keys, timeZone, readLimiter, blocksInUse: () => registry.inUse() }, event, dates);
  }

  /**
   * Every event name with at least one bitmap under this prefix, sorted. Uses SCAN, never KEYS; on a Cluster,
   * waits until the client is ready and scans every master of the slot map, rejecting with a
   * `BitmapistScanError` when one cannot be scanned. Names starting with `bitop_` (Python bitmapist's scratch
   * keys) are left out.
   */
  async getEventNames(options: { prefix?: string } = {}): Promise<string[]> {
    assertOptionsObject(options);
    return eventNames(this.redis, this.keys, options.prefix ?? '', this.availability);
  }

  /**
   * Deletes every bitmap (and stray scratch key) of this prefix, then the sharded layout's block registry;
   * keys that are not strings and keys of other prefixes are left alone. Refuses an empty `keyPrefix`. On a
   * Cluster every master is scanned before the first delete: if one cannot be, it rejects with a
   * `BitmapistScanError` and deletes nothing.
   */
  async deleteAllEvents(): Promise<number> {
    this.expiring?.deleted();
    try {
      return await deleteEvents(this.redis, this.keys, () => this.availability.check());
    } finally {
      // Even when it failed half-way: some keys may be gone.
      this.expiring?.deleted();
    }
  }

  /**
   * Forgets a user (right to erasure): clears `uid`'s bit in every bitmap of this prefix (every event and
   * period, unique included) and resolves to the number of bitmaps that changed. Safe while other processes
   * mark: it only ever clears this one bit and never grows a bitmap. Works in batches of `FORGET_BATCH_SIZE`
   * keys per script call; the sharded layout scans only the user's block. In mapped mode it then removes the
   * id's map entries (its integer is never handed out again; an unknown id resolves to 0 and changes nothing).
   */
  async forgetUser(uid: UserIdOf<Mode>): Promise<number> {
    return forgetUser(this, uid);
  }

  /**
   * What this prefix holds about a user (right of access): every `{ event, granularity, period, start }` whose
   * bitmap holds the user's bit, unique included, sorted by event, granularity and period. Found as
   * `forgetUser` finds the bitmaps (bounded SCAN, batches of `FORGET_BATCH_SIZE` per script call) and read with
   * GETBIT: nothing is written and no bitmap grows. A mapped id never marked holds nothing (`[]`).
   */
  async exportUser(uid: UserIdOf<Mode>): Promise<UserMark[]> {
    return exportUser(this, uid);
  }

  /** @internal How reads wait for their answers: a silent Redis fails them in bounded time (see {@link reachable}). */
  get readGuard(): ReadGuard {
    return this.availability;
  }

  /** @internal Throws a `BitmapistOfflineError` while Redis is unreachable (see {@link reachable}). */
  assertReachable(): void {
    this.availability.check();
  }

  /** The block of a user's bits once marked (see ExpiringMarks), undefined for a mapped id that has none. */
  private blockOf(uid: unknown): number | undefined | Promise<number | undefined> {
    if (!this.idMap) return typeof uid === 'number' && Number.isSafeInteger(uid) && uid >= 0 ? this.keys.locate(uid).block : undefined;
    const known = this.idMap.cached(mappedIdOf(uid));
    if (known !== undefined) return this.keys.locate(known).block;
    return this.idMap.lookupForWrite(uid).then((integer) => (integer === undefined ? undefined : this.keys.locate(integer).block));
  }

  /** Closes the Redis connection if this instance opened it (a client passed in is left open). */
  async close(): Promise<void> {
    this.availability.dispose();
    if (this.ownsClient) await endConnection(this.redis);
  }
}

/** The read side of an engine: its client's availability, its read limiter, its blocks, ids and evaluator. */
function readParts(settings: EngineSettings) {
  const { redis, keys, maxUserId, userIds, maxMappedIds } = settings;
  defineCommands(redis);
  const availability = new RedisAvailability(redis);
  const readLimiter = new CallLimiter(READ_CALLS_IN_FLIGHT, availability);
  const idMap = userIds === 'mapped' ? new IdMap(redis, keys, maxMappedIds - 1, undefined, availability) : undefined;
  const registry: BlockRegistry = keys instanceof ShardedKeyNames ? new RedisBlockRegistry(redis, keys, availability) : SINGLE_BLOCK;
  const integers = new Evaluator(redis, keys, registry, maxUserId, readLimiter);
  return { availability, readLimiter, idMap, registry, evaluator: idMap ? new MappedEvaluator(integers, idMap) : integers };
}

/**
 * A mark `prepareMark` handed out, branded with the instance that prepared it in a private field: no look-alike
 * object, nor another instance's mark, passes {@link PreparedMark.ownedBy} (cheaper per mark than a WeakSet).
 */
class PreparedMark implements CheckedMark {
  readonly #owner: object;
  readonly event: string;
  readonly uid: number | string;
  readonly time: number;
  readonly hourly: boolean;
  readonly pending: CheckedMark['pending'];

  constructor(owner: object, mark: CheckedMark) {
    this.#owner = owner;
    this.event = mark.event;
    this.uid = mark.uid;
    this.time = mark.time;
    this.hourly = mark.hourly;
    this.pending = mark.pending;
  }

  /** Whether `mark` is a mark `owner` prepared. */
  static ownedBy(mark: unknown, owner: object): mark is CheckedMark {
    return typeof mark === 'object' && mark !== null && #owner in mark && (mark as PreparedMark).#owner === owner;
  }
}
