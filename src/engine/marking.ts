import type { BlockRegistry } from './blocks.js';
import { BitmapistArgumentError } from './errors.js';
import type { KeyNames } from './keys.js';
import { MarkBatcher, type PendingMark } from './mark-batcher.js';
import { MarkKeyCache, markTime } from './mark-keys.js';
import { writeBlock } from './mark-writer.js';
import type { RedisClient } from './scripts.js';
import { assertEventName, assertOptionalBoolean, assertUserId } from './validate.js';

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

/** The most marks in one `mark_many` call: bounds how long one call holds Redis. */
export const MARK_BATCH_SIZE = 500;
const BULK_CALLS_IN_FLIGHT = 4;

/** Writes marks: validates them, names their keys, and sends them through the mark scripts. */
export class Marker {
  private readonly batcher = new MarkBatcher((bit, marks) => this.writeMarks(bit, marks), MARK_BATCH_SIZE);
  private readonly keyCache: MarkKeyCache;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly registry: BlockRegistry,
    private readonly defaults: { trackHourly: boolean; trackUnique: boolean; maxUserId: number },
  ) {
    this.keyCache = new MarkKeyCache(keys);
  }

  /** Sets (bit 1) or clears (bit 0) one mark; marks issued in the same tick share one script call. */
  mark(bit: 0 | 1, event: string, uid: number, options: MarkOptions = {}): Promise<void> {
    return this.batcher.add(bit, this.pendingMark(event, uid, options));
  }

  /** Sets or clears a user in an event's all-time unique bitmap only. */
  markUnique(bit: 0 | 1, event: string, uid: number): Promise<void> {
    assertEventName(event);
    assertUserId(uid, this.defaults.maxUserId);
    const { block, bit: offset } = this.keys.locate(uid);
    return this.batcher.add(bit, { keys: [this.keys.eventKey(event, 'u', block)], uid: offset, block });
  }

  /** Bulk import; see `Bitmapist.markEvents`. */
  async markEvents(marks: Iterable<BulkMark> | AsyncIterable<BulkMark>): Promise<number> {
    if (marks === null || typeof marks !== 'object' || !(Symbol.iterator in marks || Symbol.asyncIterator in marks)) {
      throw new BitmapistArgumentError('marks', 'must be an iterable or async iterable of { event, uid, now? }');
    }
    const toPending = (mark: BulkMark, index: number): PendingMark => {
      if (mark === null || typeof mark !== 'object') {
        throw new BitmapistArgumentError(`marks[${index}]`, 'must be { event, uid, now? }');
      }
      return this.pendingMark(mark.event, mark.uid, { now: mark.now });
    };
    const checked = Array.isArray(marks) ? marks.map(toPending) : undefined;
    const inFlight = new Set<Promise<unknown>>();
    let written = 0;
    let failure: { error: unknown } | undefined;
    let batch: PendingMark[] = [];
    const send = async () => {
      const pending = batch;
      batch = [];
      // Each mark settles on its own (a refused one does not fail the rest of its call): count what landed.
      const call = Promise.allSettled(this.writeMarks(1, pending)).then((results) => {
        for (const result of results) {
          if (result.status === 'fulfilled') written += 1;
          else failure ??= { error: result.reason };
        }
      });
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
      if (inFlight.size >= BULK_CALLS_IN_FLIGHT) await Promise.race(inFlight);
      // Stop sending at the first failure; the calls already sent are awaited below.
      if (failure) throw failure.error;
    };
    let index = 0;
    try {
      if (checked) {
        for (let start = 0; start < checked.length; start += MARK_BATCH_SIZE) {
          batch = checked.slice(start, start + MARK_BATCH_SIZE);
          await send();
        }
      } else if (Symbol.iterator in marks) {
        // A plain loop: `for await` would cost a promise per mark.
        for (const mark of marks) {
          batch.push(toPending(mark, index++));
          if (batch.length >= MARK_BATCH_SIZE) await send();
        }
      } else {
        for await (const mark of marks) {
          batch.push(toPending(mark, index++));
          if (batch.length >= MARK_BATCH_SIZE) await send();
        }
      }
      if (batch.length > 0) await send();
    } finally {
      await Promise.allSettled(inFlight);
    }
    if (failure) throw failure.error;
    return written;
  }

  private pendingMark(event: string, uid: number, options: MarkOptions): PendingMark {
    assertEventName(event);
    assertUserId(uid, this.defaults.maxUserId);
    if (options === null || typeof options !== 'object') throw new BitmapistArgumentError('options', 'must be an object');
    const time = markTime(options.now ?? new Date());
    assertOptionalBoolean(options.trackHourly, 'trackHourly');
    assertOptionalBoolean(options.trackUnique, 'trackUnique');
    const { block, bit } = this.keys.locate(uid);
    const hourly = options.trackHourly ?? this.defaults.trackHourly;
    const unique = options.trackUnique ?? this.defaults.trackUnique;
    return { keys: this.keyCache.markKeys(event, block, time, hourly, unique), uid: bit, block };
  }

  /**
   * Writes marks with one script call per block (the compatible layout has one block), and registers their
   * blocks with one SADD sent along; returns one promise per mark. A mark rejects with its block's call
   * error, with a {@link BitmapistKeyTypeError} when one of its keys is not a bitmap (nothing of it written,
   * the other marks of the call are), or with the registration's error (its bits are written).
   */
  private writeMarks(bit: 0 | 1, marks: PendingMark[]): Promise<void>[] {
    const byBlock = new Map<number, PendingMark[]>();
    for (const mark of marks) {
      const group = byBlock.get(mark.block);
      if (group) group.push(mark);
      else byBlock.set(mark.block, [mark]);
    }
    // An unmark registers too: in the compatible layout it creates a zero-filled key that widens NOT.
    const registered = this.registry.register(byBlock.keys());
    registered.catch(() => undefined);
    const maxBit = this.keys.blockBytes === undefined ? this.defaults.maxUserId : this.keys.blockBytes * 8 - 1;
    const settled = new Map<number, Map<readonly string[], Promise<void>>>();
    for (const [block, group] of byBlock) {
      const refusals = writeBlock(this.redis, bit, group, maxBit);
      const byKeys = new Map<readonly string[], Promise<void>>();
      for (const { keys } of group) {
        if (byKeys.has(keys)) continue;
        const done = refusals.then((refused) => {
          const refusal = refused.get(keys);
          if (refusal) throw refusal;
          return registered;
        });
        byKeys.set(keys, done);
      }
      settled.set(block, byKeys);
    }
    return marks.map((mark) => settled.get(mark.block)!.get(mark.keys)!);
  }
}
