import { BitmapistIdModeError, BitmapistKeyTypeError, BitmapistLimitError, BitmapistScriptError } from '../errors.js';
import type { KeyNames } from '../keys/key-names.js';
import { runScript, type RedisClient } from '../redis/scripts.js';
import { mappedIdOf } from './user-ids.js';
import { UNGUARDED, type ReadGuard } from '../redis/availability.js';
import { namedReadError } from '../redis/wrong-type.js';

/** How many map shards the sharded layout spreads a prefix's id map over (one in the compatible layout). */
export const MAP_SHARDS = 16;
/** Ids remembered per process by default (least recently used forgotten first). */
export const DEFAULT_ID_CACHE_SIZE = 100_000;
const READ_CHUNK = 1000;
/** Ids forgotten lately that are told apart; past that, every answer asked for before is suspect. */
const MAX_TOUCHED_IDS = 10_000;

/** The keys of one map shard: id -> integer, integer -> id, and its counter. */
export interface MapShardKeys {
  ids: string;
  uids: string;
  seq: string;
}

/** One map shard's part of {@link IdMap.ask}: the positions of its ids among those asked, and its answer. */
export interface ShardAnswer {
  positions: number[];
  /** The integers of its ids, in the order of `positions` (-1: unknown; {@link MAP_FULL}), or the shard's error. */
  integers: Promise<number[]>;
}

/**
 * The id map of mapped mode: each app user id (a string) has a dense integer, its bit offset. The compatible
 * layout keeps one map (`<prefix>~ids`, `<prefix>~uids`, `<prefix>~idseq`); the sharded layout spreads it over
 * {@link MAP_SHARDS} shards (`<prefix>~ids{m<s>}`, ...; an id's shard is a hash of it), each allocating in a
 * stride so no single key is on the path of every first-seen user. Integers are never reused. Ids already seen
 * are remembered in a bounded per-process cache.
 */
export class IdMap {
  /** The number of map shards. */
  readonly shards: number;
  /** The key recording which kind of ids the prefix holds. */
  readonly modeKey: string;
  private readonly cache = new Map<string, number>();
  /** Moves on when a forget begins or ends and on each invalidation: an answer asked for before may be stale. */
  private forgets = 0;
  /** The ids forgotten (or invalidated) lately, with the value `forgets` took then. */
  private readonly touched = new Map<string, number>();
  /** Answers asked for before this are all suspect (every id was invalidated, or `touched` started over). */
  private floor = 0;
  /** The ids being forgotten, with how many forgets of each are on their way. */
  private readonly forgetting = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    /** The largest integer that may be handed out. */
    readonly maxInteger: number,
    private readonly cacheSize = DEFAULT_ID_CACHE_SIZE,
    /** Checked before {@link lookup} and {@link idsOf} read the map (a throw fails the read without sending it), and waits for them. */
    private readonly guard: ReadGuard = UNGUARDED,
  ) {
    this.shards = keys.layout === 'sharded' ? MAP_SHARDS : 1;
    this.modeKey = `${keys.prefix}~idmode`;
  }

  /** The keys of map shard `shard`. */
  shardKeys(shard: number): MapShardKeys {
    const p = this.keys.prefix;
    if (this.shards === 1) return { ids: `${p}~ids`, uids: `${p}~uids`, seq: `${p}~idseq` };
    const tag = `{m${shard}}`;
    return { ids: `${p}~ids${tag}`, uids: `${p}~uids${tag}`, seq: `${p}~idseq${tag}` };
  }

  /** The map shard of an id (FNV-1a of its UTF-16 code units): fixed forever for a given id. */
  shardOf(id: string): number {
    if (this.shards === 1) return 0;
    let hash = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % this.shards;
  }

  /** The integer of an id if this process has seen it recently (no I/O). */
  cached(id: string): number | undefined {
    const integer = this.cache.get(id);
    if (integer !== undefined) {
      this.cache.delete(id);
      this.cache.set(id, integer);
    }
    return integer;
  }

  /** Taken before asking Redis for integers, and handed back to {@link rememberAnswer} with the answer. */
  get epoch(): number {
    return this.forgets;
  }

  /**
   * Remembers an integer Redis answered for an id when asked at `epoch`, unless the id was forgotten (or
   * invalidated) while the question was out, or is being forgotten: the answer may be a forgotten integer, and
   * remembered it would have later marks of the id write that integer, which no read, export or erasure finds.
   * Answers for other ids are remembered as usual, so an erasure job does not slow the marks of everyone else.
   */
  rememberAnswer(epoch: number, id: string, integer: number): void {
    if (epoch < this.floor || (this.touched.get(id) ?? -1) > epoch || this.forgetting.has(id)) return;
    this.remember(id, integer);
  }

  /** Notes that an id's answers asked for until now may be stale. */
  private touch(id: string): void {
    this.forgets += 1;
    if (this.touched.size >= MAX_TOUCHED_IDS && !this.touched.has(id)) {
      this.touched.clear();
      this.floor = this.forgets;
    }
    this.touched.delete(id);
    this.touched.set(id, this.forgets);
  }

  /** The integer of an id if this process has seen it recently, as {@link cached} without marking it as used. */
  peek(id: string): number | undefined {
    return this.cache.get(id);
  }

  /** Remembers an id's integer. */
  remember(id: string, integer: number): void {
    this.cache.delete(id);
    this.cache.set(id, integer);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Drops an id (or, without one, every id) from this process's cache, e.g. after another process forgot it. */
  invalidate(uid?: unknown): void {
    if (uid === undefined) {
      this.cache.clear();
      this.floor = ++this.forgets;
      this.touched.clear();
      return;
    }
    const id = mappedIdOf(uid);
    this.cache.delete(id);
    this.touch(id);
  }

  /**
   * The integer of a user id, or undefined when it was never marked (or was forgotten). Allocates nothing. A
   * read: while the engine finds Redis unreachable, an id not cached rejects at once (`BitmapistOfflineError`).
   */
  async lookup(uid: unknown): Promise<number | undefined> {
    return this.find(mappedIdOf(uid), this.guard);
  }

  /** @internal {@link lookup} for the marking path, which waits for Redis as its writes do. */
  async lookupForWrite(uid: unknown): Promise<number | undefined> {
    return this.find(mappedIdOf(uid), UNGUARDED);
  }

  private async find(id: string, guard: ReadGuard): Promise<number | undefined> {
    const known = this.cached(id);
    if (known !== undefined) return known;
    guard.check();
    const epoch = this.forgets;
    const key = this.shardKeys(this.shardOf(id)).ids;
    const value = await guard.answer(this.redis.hget(key, id)).catch((error: unknown) => this.readFailure(error, key));
    if (value === null) return undefined;
    this.rememberAnswer(epoch, id, Number(value));
    return Number(value);
  }

  /**
   * Removes a user id's map entries (its integer is never handed out again) and drops it from the cache.
   * Resolves to the integer it had, or undefined when it had none. Its bits are left to `forgetUser`.
   */
  async forget(uid: unknown): Promise<number | undefined> {
    const id = mappedIdOf(uid);
    this.cache.delete(id);
    this.touch(id);
    this.forgetting.set(id, (this.forgetting.get(id) ?? 0) + 1);
    try {
      const keys = this.shardKeys(this.shardOf(id));
      const value = await this.redis.hget(keys.ids, id);
      if (value === null) return undefined;
      await this.redis.multi().hdel(keys.ids, id).hdel(keys.uids, value).exec();
      return Number(value);
    } finally {
      const left = this.forgetting.get(id)! - 1;
      if (left === 0) this.forgetting.delete(id);
      else this.forgetting.set(id, left);
      this.touch(id);
    }
  }

  /**
   * Asks the map shards for the integers of ids (canonical strings), allocating those not seen yet when
   * `allocate`: one script call per map shard involved, each answering on its own (-1: an unknown id), so a
   * Cluster master that does not answer holds back only the ids of its own shards. A shard's call fails on its
   * own too: a refusal (a key of the wrong type, another id mode) allocates nothing of that shard. A new id past
   * the cap is answered {@link MAP_FULL}, and not allocated (the new ids before it in the call that fit are).
   * The answers are not remembered: the caller hands them to {@link rememberAnswer} (with the {@link epoch} it
   * took before asking) once it has sent what depends on them, so a later mark of one of these ids is not
   * written from the cache ahead of them.
   */
  ask(ids: readonly string[], allocate: boolean): ShardAnswer[] {
    const byShard = new Map<number, number[]>();
    ids.forEach((id, i) => {
      const shard = this.shardOf(id);
      const list = byShard.get(shard);
      if (list) list.push(i);
      else byShard.set(shard, [i]);
    });
    return [...byShard].map(([shard, positions]) => ({
      positions,
      integers: this.askShard(shard, positions.map((i) => ids[i]!), allocate),
    }));
  }

  private async askShard(shard: number, ids: string[], allocate: boolean): Promise<number[]> {
    const keys = this.shardKeys(shard);
    const call = this.redis.bitmapistMapIds(
      3, keys.ids, keys.uids, keys.seq, allocate ? 1 : 0, this.shards, shard, this.maxInteger, ...ids,
    );
    return (await idMapCall(call, [keys.ids, keys.uids, keys.seq])).map(Number);
  }

  /** The app ids of integers, in the same order (undefined for an integer no id holds any more). */
  /** A read of the map that failed: a key of another type than a hash as a `BitmapistWrongTypeError` naming it. */
  private async readFailure(error: unknown, key: string): Promise<never> {
    throw await namedReadError(error, this.redis, [key], 'hash');
  }

  async idsOf(integers: readonly number[]): Promise<(string | undefined)[]> {
    const result: (string | undefined)[] = new Array(integers.length);
    const byShard = new Map<number, number[]>();
    integers.forEach((integer, i) => {
      const shard = integer % this.shards;
      const list = byShard.get(shard);
      if (list) list.push(i);
      else byShard.set(shard, [i]);
    });
    for (const [shard, positions] of byShard) {
      const { uids } = this.shardKeys(shard);
      for (let start = 0; start < positions.length; start += READ_CHUNK) {
        const chunk = positions.slice(start, start + READ_CHUNK);
        this.guard.check();
        const values = await this.guard
          .answer(this.redis.hmget(uids, ...chunk.map((i) => String(integers[i]))))
          .catch((error: unknown) => this.readFailure(error, uids));
        chunk.forEach((position, j) => (result[position] = values[j] ?? undefined));
      }
    }
    return result;
  }
}

/** The integer the id map scripts answer for a new id past the cap (the map, or its shard, is full). */
export const MAP_FULL = -2;

/** The error of a mark whose new id found the map full (`MAP_FULL`): nothing of that mark is written. */
export function mapFullError(maxInteger: number): BitmapistLimitError {
  return new BitmapistLimitError(`the id map is full (the largest integer it hands out is ${maxInteger}): a new id's mark was not written`);
}

/**
 * Runs an id map script call: `BITMAPIST_IDMODE` becomes a {@link BitmapistIdModeError}, `BITMAPIST_WRONGTYPE`
 * a {@link BitmapistKeyTypeError} naming `keys[i - 1]`.
 */
export async function idMapCall<T>(call: Promise<T>, keys: readonly string[]): Promise<T> {
  try {
    return await runScript(call);
  } catch (error) {
    if (!(error instanceof BitmapistScriptError) || !(error.cause instanceof Error)) throw error;
    const [code, ...rest] = error.cause.message.split(' ');
    if (code === 'BITMAPIST_IDMODE') {
      throw new BitmapistIdModeError(`the prefix holds ${rest[0] ?? 'other'} user ids, not mapped ones: nothing was written`);
    }
    if (code === 'BITMAPIST_WRONGTYPE') throw new BitmapistKeyTypeError(keys[Number(rest[0]) - 1] ?? '?', rest[1] ?? 'unknown');
    throw error;
  }
}
