import { Cluster } from 'ioredis';
import type { BlockRegistry } from '../keys/blocks.js';
import { BitmapistArgumentError } from '../errors.js';
import type { IdMap } from '../ids/id-map.js';
import type { IdModeGuard } from '../ids/id-mode.js';
import type { KeyNames } from '../keys/key-names.js';
import { MarkBatcher, type Linger, type PendingMark } from './batcher.js';
import { MarkKeyCache, markTime } from './mark-keys.js';
import { writeMarkCall, type MarkCallRefusals } from './writer.js';
import { NodeMarkWriter } from './node-writer.js';
import { onePipelinePerNode } from './pipelines.js';
import { writeInBatches } from './bulk.js';
import { writeMappedBatch } from './mapped-writer.js';
import { AskingWriter } from './asking-writer.js';
import type { RedisClient } from '../redis/scripts.js';
import type { TimeZone } from '../time/time-zone.js';
import { checkAppUserId, mappedIdOf, type MappedUserId } from '../ids/user-ids.js';
import { assertEventName } from '../keys/names.js';
import { assertOptionalBoolean, assertOptionsObject } from '../arguments.js';
import { assertUserId } from '../ids/user-ids.js';

/** Per-call options of `markEvent` and `unmarkEvent`. */
export interface MarkOptions {
  /** When the event happened (default: now). */
  now?: Date;
  trackHourly?: boolean;
  trackUnique?: boolean;
}

/** One mark of a bulk import (`Id`: `number`, or in mapped mode any {@link MappedUserId}). */
export interface BulkMark<Id = number> {
  event: string;
  uid: Id;
  now?: Date;
}

/**
 * A mark checked once (`Bitmapist.prepareMark`): its keys and bit are known, so it can be written (and, after an
 * outage, written again) without another check.
 */
export interface CheckedMark {
  readonly event: string;
  /** The user id as checked: the integer, or in mapped mode the id's canonical string. */
  readonly uid: number | string;
  /** When the event happened, in ms. */
  readonly time: number;
  /** Whether it sets an hour bitmap too. */
  readonly hourly: boolean;
  /** @internal The keys and bit to write. */
  readonly pending: PendingMark;
}

/** The most marks in one `mark_many` call: bounds how long one call holds Redis. */
export const MARK_BATCH_SIZE = 500;
/**
 * How marks wait for company on a Cluster (see `MarkBatcher`), where each master is a script call of its own:
 * while a batch is in flight, new marks wait until it is answered, at most 2 ms. So callers who each await their
 * mark keep meeting in one batch (64 callers over 3 masters: about 21 marks per call), instead of drifting
 * apart as each master's reply releases a third of them.
 */
export const CLUSTER_LINGER: Readonly<Linger> = { maxMs: 2, maxInFlight: 1 };
const BULK_CALLS_IN_FLIGHT = 4;

/** Writes marks: validates them, names their keys, and sends them through the mark scripts. */
export class Marker {
  private readonly batcher: MarkBatcher;
  private readonly keyCache: MarkKeyCache;
  private readonly modeKeyInScript: string | undefined;
  /** On a Cluster, where a script's declared keys share one hash slot: writes each master's blocks together. */
  private readonly nodeWriter: NodeMarkWriter | undefined;
  /**
   * Settles once the batches waiting for the id mode check are sent: a later batch waits behind them, though the
   * check has passed meanwhile (it would overtake them).
   */
  private guardQueue: Promise<void> | undefined;
  /** Mapped ids in the sharded layout: marks wait for their map shards' answers, each id's in issue order. */
  private readonly asking: AskingWriter | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly registry: BlockRegistry,
    private readonly defaults: { trackHourly: boolean; trackUnique: boolean; maxUserId: number; timeZone?: TimeZone },
    /** The id mode check (with the time zone check: `ready` and `check()` cover both). */
    private readonly guard: Pick<IdModeGuard, 'modeKey' | 'ready' | 'check'>,
    /** The id map in mapped mode, undefined with integer ids. */
    private readonly idMap?: IdMap,
  ) {
    this.nodeWriter = redis instanceof Cluster ? new NodeMarkWriter(redis) : undefined;
    const linger = this.nodeWriter ? CLUSTER_LINGER : undefined;
    this.batcher = new MarkBatcher((bit, marks) => this.writeMarks(bit, marks), MARK_BATCH_SIZE, linger);
    this.keyCache = new MarkKeyCache(keys, defaults.timeZone);
    if (idMap && keys.blockBytes !== undefined) {
      this.asking = new AskingWriter({
        idMap,
        guard,
        place: (mark, integer) => {
          const { block, bit } = keys.locate(integer);
          Object.assign(mark, { keys: mark.keysOf!(block), uid: bit, block });
        },
        writeResolved: (bit, marks) => this.writeResolved(bit, marks),
        lingerMs: linger?.maxMs,
      });
    }
    // Integer ids in the compatible layout: the mark scripts check the id mode marker on every call.
    this.modeKeyInScript = keys.blockBytes === undefined && !idMap ? guard.modeKey : undefined;
  }

  /**
   * Checks a mark and names its keys, stamping `now` when absent. `appIds`: the user id may be given as apps
   * hold ids (`checkAppUserId`: a bigint or a string of digits with integer ids), else as the engine takes it.
   */
  check(event: string, uid: unknown, options: MarkOptions = {}, appIds = false): CheckedMark {
    assertEventName(event);
    const id = appIds ? checkAppUserId(uid, { userIds: this.idMap ? 'mapped' : 'integers', maxUserId: this.defaults.maxUserId }) : this.checkedId(uid);
    assertOptionsObject(options);
    const time = markTime(options.now ?? new Date(), 'now', this.defaults.timeZone);
    assertOptionalBoolean(options.trackHourly, 'trackHourly');
    assertOptionalBoolean(options.trackUnique, 'trackUnique');
    const hourly = options.trackHourly ?? this.defaults.trackHourly;
    const unique = options.trackUnique ?? this.defaults.trackUnique;
    const pending = this.located(id, (block) => this.keyCache.markKeys(event, block, time, hourly, unique));
    return { event, uid: id, time, hourly, pending };
  }

  /** Sets (bit 1) or clears (bit 0) a checked mark; marks issued in the same tick share one script call. */
  write(bit: 0 | 1, mark: CheckedMark): Promise<void> {
    return this.batcher.add(bit, mark.pending);
  }

  /**
   * The block a mark's write wrote (the write locates a mapped id in the mark itself): undefined for a mapped id it
   * did not locate (an unmark of an id never seen).
   */
  writtenBlock(mark: CheckedMark): number | undefined {
    if (mark.pending.block >= 0) return mark.pending.block;
    return this.keys.blockBytes === undefined ? 0 : undefined;
  }

  /**
   * The mark queue's partition of a checked mark: the block it would be written to now ({@link blockOf}), or for a
   * mapped id not located yet `-1 - its map shard` (that shard's node must answer before the mark is located).
   */
  partitionOf(mark: CheckedMark): number {
    const block = this.blockOf(mark);
    if (block !== undefined) return block;
    return -1 - this.idMap!.shardOf(mark.pending.id!);
  }

  /**
   * The block a checked mark would be written to now, as far as this process knows (no I/O, nothing moved in the
   * id cache): a mapped id's integer as cached now, so that after `forgetUser` the id's new integer once its
   * write has located it; else where the mark was located; undefined for a mapped id never located.
   */
  blockOf(mark: CheckedMark): number | undefined {
    if (this.keys.blockBytes === undefined) return 0;
    const { pending } = mark;
    const integer = pending.id === undefined ? undefined : this.idMap!.peek(pending.id);
    if (integer !== undefined) return this.keys.locate(integer).block;
    return pending.block >= 0 ? pending.block : undefined;
  }

  /** Sets or clears a user in an event's all-time unique bitmap only. */
  markUnique(bit: 0 | 1, event: string, uid: MappedUserId): Promise<void> {
    assertEventName(event);
    return this.batcher.add(bit, this.located(this.checkedId(uid), (block) => [this.keys.eventKey(event, 'u', block)]));
  }

  /** Bulk import; see `Bitmapist.markEvents`. */
  async markEvents(marks: Iterable<BulkMark<unknown>> | AsyncIterable<BulkMark<unknown>>): Promise<number> {
    if (marks === null || typeof marks !== 'object' || !(Symbol.iterator in marks || Symbol.asyncIterator in marks)) {
      throw new BitmapistArgumentError('marks', 'must be an iterable or async iterable of { event, uid, now? }');
    }
    const toPending = (mark: BulkMark<unknown>, index: number): PendingMark => {
      if (mark === null || typeof mark !== 'object') {
        throw new BitmapistArgumentError(`marks[${index}]`, 'must be { event, uid, now? }');
      }
      try {
        return this.check(mark.event, mark.uid, { now: mark.now }).pending;
      } catch (error) {
        // Named by its path, as `marks[3].uid`, so that the refused one of thousands can be found.
        if (!(error instanceof BitmapistArgumentError)) throw error;
        throw new BitmapistArgumentError(`marks[${index}].${error.argument}`, error.message.slice(error.argument.length + 2));
      }
    };
    // The marks and unmarks issued before the import are sent before it: it lands after them, in issue order.
    this.batcher.sendQueued();
    return writeInBatches(marks, toPending, (batch) => this.writeMarks(1, batch), MARK_BATCH_SIZE, BULK_CALLS_IN_FLIGHT);
  }

  /** Checks a user id: an integer id in range, or a mapped id as its canonical string. */
  private checkedId(uid: unknown): number | string {
    if (this.idMap) return mappedIdOf(uid);
    assertUserId(uid, this.defaults.maxUserId);
    return uid;
  }

  /** A mark of a checked user id (see {@link checkedId}) with keys named per block. */
  private located(id: number | string, keysOf: (block: number) => readonly string[]): PendingMark {
    if (typeof id === 'number') {
      const { block, bit } = this.keys.locate(id);
      return { keys: keysOf(block), uid: bit, block };
    }
    const integer = this.idMap!.cached(id);
    if (integer === undefined) return { keys: this.keys.blockBytes === undefined ? keysOf(0) : [], uid: -1, block: -1, id, keysOf };
    const { block, bit } = this.keys.locate(integer);
    return { keys: keysOf(block), uid: bit, block, id, keysOf };
  }

  /**
   * A checked mark as it is to be written now. With integer ids, the mark itself. With mapped ids, located again
   * unless this process still knows its id at the integer it holds: an id forgotten since (`forgetUser`) gets a
   * new integer when marked (an unmark then clears nothing), instead of the old one, which no read, export or
   * erasure would find any more.
   */
  current(mark: CheckedMark): CheckedMark {
    const { pending } = mark;
    if (pending.id === undefined || pending.keysOf === undefined) return mark;
    if (pending.uid >= 0) {
      const integer = this.idMap!.cached(pending.id);
      if (integer !== undefined) {
        const { block, bit } = this.keys.locate(integer);
        if (block === pending.block && bit === pending.uid) return mark;
      }
    }
    return { ...mark, pending: this.located(pending.id, pending.keysOf) };
  }

  /**
   * Writes a batch once this process may write in its id mode and the integers of its mapped ids are known:
   * the compatible layout finds or allocates them in the mark's own script call; the sharded layout asks the
   * map shards (one call each) and marks as they answer ({@link AskingWriter}). An unmark of an id never seen has
   * nothing to clear.
   */
  private writeMarks(bit: 0 | 1, marks: PendingMark[]): Promise<void>[] {
    if (this.asking) return this.asking.write(bit, marks);
    const send = (): Promise<void>[] => {
      if (marks.every((mark) => mark.uid >= 0)) return this.writeResolved(bit, marks);
      const refusals = writeMappedBatch(this.redis, this.idMap!, bit, marks);
      return marks.map((_, i) =>
        refusals.then((refused) => {
          if (refused[i]) throw refused[i];
        }),
      );
    };
    // Sent in this turn when it may, unless an earlier batch still waits for the check: it goes after that one.
    if (this.guard.ready && this.guardQueue === undefined) return send();
    // Every waiting batch shares the check's one attempt, and is sent once the batches before it are.
    const before = this.guardQueue ?? Promise.resolve();
    const sent = this.guard.check().then(() => before).then(send);
    const queue = sent.then(
      () => undefined,
      () => undefined,
    );
    this.guardQueue = queue;
    void queue.then(() => {
      if (this.guardQueue === queue) this.guardQueue = undefined;
    });
    return marks.map((_, i) => sent.then((results) => results[i]));
  }

  /**
   * Writes marks in one script call that also registers their blocks (one server), or on a Cluster in one call
   * per master ({@link NodeMarkWriter}), the calls to one master in one write, with one SADD of their blocks sent
   * along (the registry is in a slot of its own); returns one promise per mark. A mark rejects with its call's
   * error, with a {@link BitmapistKeyTypeError} when one of its keys is not a bitmap (nothing of it written, the
   * other marks of the call are), or with the registration's error (its bits are written).
   */
  private writeResolved(bit: 0 | 1, marks: PendingMark[]): Promise<void>[] {
    // On a Cluster the marks are grouped by block (each block's keys share a slot); one server needs only the blocks.
    const byBlock = new Map<number, PendingMark[]>();
    const blockSet = new Set<number>();
    for (const mark of marks) {
      blockSet.add(mark.block);
      if (!this.nodeWriter) continue;
      const group = byBlock.get(mark.block);
      if (group) group.push(mark);
      else byBlock.set(mark.block, [mark]);
    }
    const blocks = [...blockSet];
    const maxBit = this.keys.blockBytes === undefined ? this.defaults.maxUserId : this.keys.blockBytes * 8 - 1;
    const settled = new Map<readonly string[], Promise<void>>();
    const settle = (group: readonly PendingMark[], refusals: Promise<MarkCallRefusals>, registered?: Promise<void>) => {
      for (const { keys } of group) {
        if (settled.has(keys)) continue;
        settled.set(keys, refusals.then((refused) => {
          const refusal = refused.keys.get(keys) ?? refused.registry;
          if (refusal) throw refusal;
          return registered;
        }));
      }
    };
    if (this.nodeWriter) {
      onePipelinePerNode(this.redis as Cluster, () => {
        // An unmark registers too: in the compatible layout it creates a zero-filled key that widens NOT.
        const registered = this.registry.register(blocks);
        registered.catch(() => undefined);
        const groups = [...byBlock.values()];
        this.nodeWriter!.write(bit, groups, maxBit).forEach((refusals, i) => settle(groups[i]!, refusals, registered));
      });
    } else {
      // One server: the call registers the blocks itself when the layout keeps a registry.
      const key = this.registry.key;
      const registered = key === undefined ? this.registry.register(blocks) : undefined;
      registered?.catch(() => undefined);
      const options = { modeKey: this.modeKeyInScript, registry: key === undefined ? undefined : { key, blocks } };
      settle(marks, writeMarkCall(this.redis, bit, marks, maxBit, options), registered);
    }
    return marks.map((mark) => settled.get(mark.keys)!);
  }
}
