import { BitmapistUnavailableError, MarkQueueOverflowError, MarksNotWrittenError } from './errors.js';
import { isRetryable } from './retryable.js';
import { RingBuffer } from './ring-buffer.js';

/** One mark waiting to be written. `now` is when it was issued, so a late write lands in the right period. */
export interface QueuedMark {
  event: string;
  uid: number;
  now: Date;
  trackHourly?: boolean;
  trackUnique?: boolean;
  /** The request that issued the mark, if it is still alive when an error is reported. */
  origin?: WeakRef<object>;
}

/** Counters of a mark queue (summed over systems on the plugin). */
export interface MarkQueueMetrics {
  /** Marks waiting or being written now. */
  queued: number;
  /** Marks written to Redis. */
  written: number;
  /** Oldest marks dropped because the queue was full. */
  dropped: number;
  /** Marks given up: refused by Redis, unwritten when `close()` timed out, or issued after `close()`. */
  failed: number;
}

/** What a {@link MarkQueue} needs: a writer and somewhere to report errors. */
export interface MarkQueueOptions {
  /** The system name, for messages. */
  name: string;
  /** The most marks kept waiting; beyond it the oldest are dropped. */
  limit: number;
  write(mark: QueuedMark): Promise<unknown>;
  report(error: Error, origin?: object): void;
}

/** The most marks taken per drain round (the engine turns them into script calls of 500 marks). */
export const DRAIN_BATCH = 2000;
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;
/**
 * A bounded in-memory queue of marks and the one drainer that writes them, one round at a time, retrying
 * with backoff while Redis is away. Callers only ever `push`: nothing here makes a request wait.
 */
export class MarkQueue {
  private readonly buffer: RingBuffer<QueuedMark>;
  private inFlight = 0;
  private counts = { written: 0, dropped: 0, failed: 0 };
  private scheduled = false;
  private draining = false;
  private closed = false;
  private finished = false;
  private outage = false;
  private overflowing = false;
  private lateReported = false;
  private wakeUp: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: MarkQueueOptions) {
    this.buffer = new RingBuffer(options.limit);
  }

  /** The queue's counters. */
  get metrics(): MarkQueueMetrics {
    return { queued: this.buffer.length + this.inFlight, ...this.counts };
  }

  /** Queues a mark (dropping the oldest one when full) and schedules the drainer. */
  push(mark: QueuedMark): void {
    if (this.closed) {
      this.counts.failed += 1;
      if (!this.lateReported) {
        this.lateReported = true;
        const message = `koa-bitmapist: system "${this.options.name}" is closed; marks issued after close() are not written`;
        this.options.report(new MarksNotWrittenError(message), mark.origin?.deref());
      }
      return;
    }
    if (this.buffer.push(mark)) this.noteDropped(1, mark.origin);
    if (!this.scheduled && !this.draining) {
      this.scheduled = true;
      setImmediate(() => void this.drain());
    }
  }

  /** The client is ready again: retry at once, and report the next outage again. */
  wake(): void {
    this.outage = false;
    this.wakeUp?.();
  }

  /** A connection error seen on the client; reported once per outage. */
  connectionFailed(error: unknown): void {
    this.noteUnavailable(error);
  }

  /** Resolves once nothing is waiting or in flight, or after `timeoutMs`, with the number of marks still pending. */
  idle(timeoutMs = Number.POSITIVE_INFINITY): Promise<number> {
    const pending = () => this.buffer.length + this.inFlight;
    if (pending() === 0 && !this.scheduled) return Promise.resolve(0);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== done);
        resolve(pending());
      };
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
      this.idleWaiters.push(done);
    });
  }

  /** Stops accepting marks, drains for at most `timeoutMs`, then gives up the rest; resolves with how many. */
  async close(timeoutMs: number): Promise<number> {
    this.closed = true;
    await this.idle(timeoutMs);
    this.finished = true;
    const unwritten = this.buffer.clear() + this.inFlight;
    this.inFlight = 0;
    this.counts.failed += unwritten;
    this.wakeUp?.();
    return unwritten;
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    this.draining = true;
    let backoffMs = MIN_BACKOFF_MS;
    while (this.buffer.length > 0 && !this.finished) {
      const batch = this.buffer.shift(DRAIN_BATCH);
      this.inFlight = batch.length;
      const results = await Promise.allSettled(batch.map((mark) => this.write(mark)));
      if (this.finished) return;
      this.inFlight = 0;
      const retry: QueuedMark[] = [];
      const refused: { mark: QueuedMark; error: unknown }[] = [];
      let retryError: unknown;
      const sortOut = (mark: QueuedMark, error: unknown) => {
        if (!isRetryable(error)) return refused.push({ mark, error });
        retryError ??= error;
        retry.push(mark);
      };
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') this.counts.written += 1;
        else sortOut(batch[i]!, result.reason);
      });
      // One script call carries many marks, so one bad mark fails its neighbours: retry them one by one.
      const again = batch.length > 1 ? refused.splice(0) : [];
      for (const { mark } of again) {
        try {
          await this.write(mark);
          this.counts.written += 1;
        } catch (error) {
          sortOut(mark, error);
        }
        if (this.finished) return;
      }
      for (const { mark, error } of refused) this.refuse(error, mark);
      if (retry.length === 0) {
        backoffMs = MIN_BACKOFF_MS;
        continue;
      }
      this.noteUnavailable(retryError, retry[0]!.origin?.deref());
      const evicted = this.buffer.unshift(retry);
      if (evicted > 0) this.noteDropped(evicted, retry[0]!.origin);
      await this.backoff(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
    this.draining = false;
    if (this.buffer.length === 0) {
      this.overflowing = false;
      this.outage = false;
      for (const waiter of [...this.idleWaiters]) waiter();
    }
  }

  private write(mark: QueuedMark): Promise<unknown> {
    try {
      return this.options.write(mark);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wakeUp = done;
    });
  }

  private refuse(error: unknown, mark: QueuedMark): void {
    this.counts.failed += 1;
    const message = `koa-bitmapist: Redis refused the mark ${JSON.stringify(mark.event)} of user ${mark.uid}`;
    this.options.report(new MarksNotWrittenError(message, { cause: error }), mark.origin?.deref());
  }

  private noteUnavailable(error: unknown, origin?: object): void {
    if (this.outage || this.finished) return;
    this.outage = true;
    const reason = error instanceof Error ? error.message : String(error);
    const message =
      `koa-bitmapist: Redis of system "${this.options.name}" is unavailable (${reason}); ` +
      `marks wait in memory (up to ${this.options.limit}) and are written when it is back`;
    this.options.report(new BitmapistUnavailableError(message, { cause: error }), origin);
  }

  private noteDropped(count: number, origin?: WeakRef<object>): void {
    this.counts.dropped += count;
    if (this.overflowing) return;
    this.overflowing = true;
    const message =
      `koa-bitmapist: the mark queue of system "${this.options.name}" is full (${this.options.limit} marks); ` +
      'dropping the oldest marks until Redis catches up (see metrics.dropped)';
    this.options.report(new MarkQueueOverflowError(message), origin?.deref());
  }
}
