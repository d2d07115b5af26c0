import { Cluster, Redis } from 'ioredis';
import { bitmapIds } from './bitmap.js';
import { chainGroups, type ChainedEvent } from './chain.js';
import { assembleCohort, cohortRowCall, planCohort, type CohortOptions, type CohortResult } from './cohort.js';
import { BitmapistArgumentError, BitmapistConfigError } from './errors.js';
import { EventSet, PeriodEventSet, periodExpression, type ExpressionEvaluator } from './event-set.js';
import { allOf, anyOf, compileExpression, type Expression } from './expression.js';
import { DEFAULT_KEY_PREFIX, KeyNames } from './keys.js';
import { MarkBatcher, type PendingMark } from './mark-batcher.js';
import { periodStart, periodSuffix, timeGroupUnit, toUtc, type PeriodUnit, type TimeGroupInput } from './periods.js';
import { defineCommands, runScript, type RedisClient } from './scripts.js';
import { assertEventName, assertIntegerInRange, assertOptionalBoolean, assertUserId, MAX_BITMAP_USER_ID } from './validate.js';

/** Options of {@link Bitmapist}. */
export interface BitmapistOptions {
  /**
   * A Redis URL, or a client to use (never closed by us). Default: env `BITMAPIST_REDIS_URL`,
   * else `redis://localhost:6379`.
   */
  redis?: string | Redis | Cluster;
  /** Prefix of every key (default `trackist_`, as Python bitmapist). */
  keyPrefix?: string;
  /** Also keep an hourly bitmap per mark (default false). */
  trackHourly?: boolean;
  /** Also set the event's all-time `_u` bitmap on every mark (default false). */
  trackUnique?: boolean;
  /** The largest user id accepted (default and upper bound 2^32 - 1; a bitmap costs maxUserId / 8 bytes). */
  maxUserId?: number;
}

/** Per-call options of `markEvent` and `unmarkEvent`. */
export interface MarkOptions {
  /** When the event happened (default: now). */
  now?: Date;
  trackHourly?: boolean;
  trackUnique?: boolean;
}

/** One mark of a bulk import. */
export interface BulkMark {
  event: string;
  uid: number;
  now?: Date;
}

/** Options of `getEventData` and `chainEvents`. */
export interface PeriodOptions {
  timeGroup?: TimeGroupInput;
  now?: Date;
}

/** Scratch keys expire after this even if a script died before deleting them. */
const SCRATCH_TTL_MS = 60_000;
/** The most marks in one `mark_many` call: bounds how long one call holds Redis. */
export const MARK_BATCH_SIZE = 500;
const BULK_CALLS_IN_FLIGHT = 4;

/**
 * The engine: marks events as bits in bitmapist-compatible Redis bitmaps, and answers set algebra and
 * cohort tables over them, each through preloaded Lua scripts (one round trip per mark or expression,
 * at most one per cohort row).
 */
export class Bitmapist implements ExpressionEvaluator {
  /** The Redis client (ours or the one passed in). */
  readonly redis: RedisClient;
  /** The key names of this instance's prefix. */
  readonly keys: KeyNames;
  readonly trackHourly: boolean;
  readonly trackUnique: boolean;
  readonly maxUserId: number;
  private readonly ownsClient: boolean;
  private readonly batcher: MarkBatcher;

  constructor(options: BitmapistOptions = {}) {
    const { keyPrefix = DEFAULT_KEY_PREFIX, trackHourly = false, trackUnique = false, maxUserId = MAX_BITMAP_USER_ID } = options;
    if (typeof keyPrefix !== 'string') throw new BitmapistArgumentError('keyPrefix', 'must be a string');
    assertOptionalBoolean(trackHourly, 'trackHourly');
    assertOptionalBoolean(trackUnique, 'trackUnique');
    assertIntegerInRange(maxUserId, 'maxUserId', 0, MAX_BITMAP_USER_ID);
    const redis = options.redis ?? process.env.BITMAPIST_REDIS_URL ?? 'redis://localhost:6379';
    if (typeof redis === 'string') {
      this.redis = new Redis(redis);
      this.ownsClient = true;
    } else if (redis instanceof Redis || redis instanceof Cluster) {
      this.redis = redis;
      this.ownsClient = false;
    } else {
      throw new BitmapistArgumentError('redis', 'must be a Redis URL, an ioredis Redis or an ioredis Cluster');
    }
    if (this.redis instanceof Cluster) {
      throw new BitmapistConfigError(
        'the bitmapist-compatible key layout combines keys of many hash slots and cannot run on Redis Cluster',
      );
    }
    if (this.redis.options.keyPrefix) {
      throw new BitmapistConfigError('use the keyPrefix option of Bitmapist, not the one of the ioredis client');
    }
    defineCommands(this.redis);
    this.keys = new KeyNames(keyPrefix);
    this.trackHourly = trackHourly;
    this.trackUnique = trackUnique;
    this.maxUserId = maxUserId;
    this.batcher = new MarkBatcher((bit, marks) => this.writeMarks(bit, marks), MARK_BATCH_SIZE);
  }

  /** Marks that `uid` did `event`: sets its bit in the month, ISO week and day bitmaps (and hour, unique). */
  markEvent(event: string, uid: number, options: MarkOptions = {}): Promise<void> {
    return this.batcher.add(1, this.pendingMark(event, uid, options));
  }

  /** Clears what `markEvent` with the same arguments set. */
  unmarkEvent(event: string, uid: number, options: MarkOptions = {}): Promise<void> {
    return this.batcher.add(0, this.pendingMark(event, uid, options));
  }

  /** Marks `uid` in the event's all-time unique bitmap only. */
  markUnique(event: string, uid: number): Promise<void> {
    return this.batcher.add(1, this.uniqueMark(event, uid));
  }

  /** Clears `uid` from the event's all-time unique bitmap. */
  unmarkUnique(event: string, uid: number): Promise<void> {
    return this.batcher.add(0, this.uniqueMark(event, uid));
  }

  /**
   * Bulk import: writes many marks (an iterable or async iterable) in batches of at most
   * {@link MARK_BATCH_SIZE} per script call. Every mark of a batch is checked before the batch is written;
   * an array is checked whole before anything is written. Resolves to the number of marks written.
   */
  async markEvents(marks: Iterable<BulkMark> | AsyncIterable<BulkMark>): Promise<number> {
    const toPending = (mark: BulkMark, index: number): PendingMark => {
      if (mark === null || typeof mark !== 'object') {
        throw new BitmapistArgumentError(`marks[${index}]`, 'must be { event, uid, now? }');
      }
      return this.pendingMark(mark.event, mark.uid, { now: mark.now });
    };
    const source = Array.isArray(marks) ? marks.map(toPending) : marks;
    const inFlight = new Set<Promise<unknown>>();
    let written = 0;
    let batch: PendingMark[] = [];
    const send = async () => {
      const pending = batch;
      batch = [];
      const call = this.writeMarks(1, pending).then(() => {
        written += pending.length;
      });
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call)).catch(() => undefined);
      if (inFlight.size >= BULK_CALLS_IN_FLIGHT) await Promise.race(inFlight);
    };
    let index = 0;
    try {
      for await (const mark of source as AsyncIterable<BulkMark | PendingMark>) {
        batch.push(Array.isArray(marks) ? (mark as PendingMark) : toPending(mark as BulkMark, index));
        index += 1;
        if (batch.length >= MARK_BATCH_SIZE) await send();
      }
      if (batch.length > 0) await send();
    } finally {
      await Promise.allSettled(inFlight);
    }
    await Promise.all(inFlight);
    return written;
  }

  /** The users who did `event` in the hour containing `date`. */
  hour(event: string, date: Date = new Date()): PeriodEventSet {
    return this.periodSet(event, 'hour', date);
  }

  /** The users who did `event` on the UTC day containing `date`. */
  day(event: string, date: Date = new Date()): PeriodEventSet {
    return this.periodSet(event, 'day', date);
  }

  /** The users who did `event` in the ISO week containing `date`. */
  week(event: string, date: Date = new Date()): PeriodEventSet {
    return this.periodSet(event, 'week', date);
  }

  /** The users who did `event` in the month containing `date`. */
  month(event: string, date: Date = new Date()): PeriodEventSet {
    return this.periodSet(event, 'month', date);
  }

  /** The users who did `event` in the year containing `date` (the OR of its twelve months). */
  year(event: string, date: Date = new Date()): PeriodEventSet {
    return this.periodSet(event, 'year', date);
  }

  /** The users ever marked with `markUnique` (or `trackUnique`) for `event`. */
  unique(event: string): EventSet {
    assertEventName(event);
    return new EventSet(this, { kind: 'leaf', event, suffix: 'u' });
  }

  /** The users who did `event` in the period of `timeGroup` (default days) containing `now`. */
  getEventData(event: string, options: PeriodOptions = {}): PeriodEventSet {
    return this.periodSet(event, timeGroupUnit(options.timeGroup ?? 'days'), options.now ?? new Date());
  }

  /**
   * `base` chained with `events` in the period containing `now`: OR binds to its predecessor, then AND
   * left to right (`A && B || C && D` is `A && (B || C) && D`). The list is not modified.
   */
  chainEvents(base: string, events: readonly ChainedEvent[], options: PeriodOptions = {}): EventSet {
    const unit = timeGroupUnit(options.timeGroup ?? 'days');
    const start = periodStart(unit, toUtc(options.now ?? new Date()).toDate());
    const groups = chainGroups(base, events);
    const expression = allOf(groups.map((group) => anyOf(group.map((event) => periodExpression(event, unit, start)))));
    return new EventSet(this, expression);
  }

  /** A cohort table: for each period's users of `primary`, how many did `secondary` in the periods after. */
  async getCohort(primary: string, secondary: string, options: CohortOptions = {}): Promise<CohortResult> {
    const plan = planCohort(primary, secondary, options);
    const replies = await Promise.all(
      plan.rows.map((row) => {
        const { keys, args } = cohortRowCall(
          plan.mode,
          row,
          (leaf) => this.keys.eventKey(leaf.event, leaf.suffix),
          this.keys.scratchKeys(4),
          SCRATCH_TTL_MS,
        );
        return runScript(this.redis.bitmapistCohortRow(keys.length, ...keys, ...args));
      }),
    );
    return assembleCohort(plan, replies);
  }

  /** Every event name with at least one bitmap under this prefix, sorted. Uses SCAN, never KEYS. */
  async getEventNames(options: { prefix?: string } = {}): Promise<string[]> {
    const { prefix = '' } = options;
    if (typeof prefix !== 'string') throw new BitmapistArgumentError('prefix', 'must be a string');
    const names = new Set<string>();
    for await (const key of this.scanKeys(this.keys.scanPattern(prefix))) {
      const event = this.keys.eventOf(key);
      if (event !== undefined && event.startsWith(prefix)) names.add(event);
    }
    return [...names].sort();
  }

  /** Deletes every bitmap (and stray scratch key) of this prefix; other keys are left alone. */
  async deleteAllEvents(): Promise<number> {
    let deleted = 0;
    let doomed: string[] = [];
    const unlink = async () => {
      if (doomed.length > 0) deleted += await this.redis.unlink(...doomed);
      doomed = [];
    };
    for await (const key of this.scanKeys(this.keys.scanPattern())) {
      if (this.keys.eventOf(key) !== undefined || this.keys.isScratchKey(key)) doomed.push(key);
      if (doomed.length >= 500) await unlink();
    }
    await unlink();
    return deleted;
  }

  /** Closes the Redis connection if this instance opened it (a client passed in is left open). */
  async close(): Promise<void> {
    if (!this.ownsClient || this.redis.status === 'end') return;
    const ended = new Promise((resolve) => this.redis.once('end', resolve));
    await this.redis.quit().catch(() => this.redis.disconnect());
    await ended;
  }

  /** @internal */
  async evaluateCount(expression: Expression): Promise<number> {
    return (await this.evaluate(expression, 'count')) as number;
  }

  /** @internal */
  async evaluateHas(expression: Expression, uid: number): Promise<boolean> {
    assertUserId(uid, MAX_BITMAP_USER_ID);
    return (await this.evaluate(expression, 'has', uid)) === 1;
  }

  /** @internal */
  async evaluateIds(expression: Expression): Promise<number[]> {
    return bitmapIds((await this.evaluate(expression, 'bitmap')) as Buffer);
  }

  private async evaluate(expression: Expression, output: 'count' | 'has' | 'bitmap', uid = 0): Promise<number | Buffer> {
    const compiled = compileExpression(expression, (event, suffix) => this.keys.eventKey(event, suffix));
    const keys = [...compiled.keys, ...this.keys.scratchKeys(compiled.depth)];
    const args = [compiled.keys.length, output, uid, SCRATCH_TTL_MS, -1, ...compiled.program];
    return runScript(this.redis.bitmapistEvaluateBuffer(keys.length, ...keys, ...args));
  }

  private periodSet(event: string, unit: PeriodUnit, date: Date): PeriodEventSet {
    assertEventName(event);
    const start = periodStart(unit, toUtc(date, 'date').toDate());
    return new PeriodEventSet(this, event, unit, start);
  }

  private pendingMark(event: string, uid: number, options: MarkOptions): PendingMark {
    assertEventName(event);
    assertUserId(uid, this.maxUserId);
    if (options === null || typeof options !== 'object') throw new BitmapistArgumentError('options', 'must be an object');
    const now = toUtc(options.now ?? new Date()).toDate();
    assertOptionalBoolean(options.trackHourly, 'trackHourly');
    assertOptionalBoolean(options.trackUnique, 'trackUnique');
    const units: Exclude<PeriodUnit, 'year'>[] = ['month', 'week', 'day'];
    if (options.trackHourly ?? this.trackHourly) units.push('hour');
    const keys = units.map((unit) => this.keys.eventKey(event, periodSuffix(unit, now)));
    if (options.trackUnique ?? this.trackUnique) keys.push(this.keys.eventKey(event, 'u'));
    return { keys, uid };
  }

  private uniqueMark(event: string, uid: number): PendingMark {
    assertEventName(event);
    assertUserId(uid, this.maxUserId);
    return { keys: [this.keys.eventKey(event, 'u')], uid };
  }

  private writeMarks(bit: 0 | 1, marks: PendingMark[]): Promise<number> {
    if (marks.length === 1) {
      const [{ keys, uid }] = marks as [PendingMark];
      return runScript(this.redis.bitmapistMark(keys.length, ...keys, uid, bit, this.maxUserId));
    }
    const keys = marks.flatMap((mark) => mark.keys);
    const args = marks.flatMap((mark) => [mark.uid, mark.keys.length]);
    return runScript(this.redis.bitmapistMarkMany(keys.length, ...keys, bit, this.maxUserId, marks.length, ...args));
  }

  private async *scanKeys(pattern: string): AsyncGenerator<string> {
    const stream = (this.redis as Redis).scanStream({ match: pattern, count: 1000 });
    for await (const batch of stream) yield* batch as string[];
  }
}
