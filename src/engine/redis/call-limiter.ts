import { UNGUARDED, type ReadGuard } from './availability.js';
import { settleAll } from './bounded.js';

/** How many read script calls one Bitmapist instance keeps in flight at most (see {@link CallLimiter}). */
export const READ_CALLS_IN_FLIGHT = 2;

/** A call waiting its turn with a signal: how it gets its place, or is refused it. */
interface Waiter {
  handOver: () => void;
  reject: (reason: unknown) => void;
}

/**
 * A small semaphore for Redis script calls. Redis runs the commands pipelined on one connection back to back,
 * so hundreds of calls sent at once make every other client wait for all of them; with at most a few in
 * flight, another client waits for at most a few calls. Calls beyond the limit wait their turn, in order.
 */
export class CallLimiter {
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  /** The calls waiting with each signal, and the one listener that takes them out of the queue on its abort. */
  private readonly bySignal = new Map<AbortSignal, { group: Set<Waiter>; leave: () => void }>();

  constructor(
    /** The most calls running at once (at least 1). */
    readonly maxInFlight: number = READ_CALLS_IN_FLIGHT,
    /**
     * Checked right before each call starts (after its wait): a throw fails the call without sending it, so
     * calls queued behind a failing one fail at once (the engine's guard throws while Redis is unreachable or
     * silent); each call of {@link run} is waited for through it (a silent Redis fails it in bounded time).
     */
    private readonly guard: ReadGuard = UNGUARDED,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be an integer >= 1');
  }

  /**
   * Runs `call` once fewer than `maxInFlight` calls are running; resolves or rejects as it does. With `signal`
   * (the work's, e.g. a dashboard view whose client may leave), an abort rejects with its reason, unsent: at
   * once while the call waits its turn (its place goes to the next one), or when its turn comes.
   */
  async run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.inFlight >= this.maxInFlight) {
      await this.turn(signal);
    } else {
      this.inFlight += 1;
    }
    try {
      signal?.throwIfAborted();
      this.guard.check();
      return await this.guard.answer(call());
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight -= 1;
    }
  }

  /** Waits for a running call to hand over its place; rejects (without one) when `signal` aborts first. */
  private turn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal === undefined) {
        this.waiting.push(resolve);
        return;
      }
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      // One abort listener per signal, however many of its calls wait (a page may queue hundreds).
      let waiters = this.bySignal.get(signal);
      if (waiters === undefined) {
        const group = new Set<Waiter>();
        const leave = () => {
          this.bySignal.delete(signal);
          // One pass over the queue, however many of its calls leave.
          const leaving = new Set([...group].map((waiter) => waiter.handOver));
          this.waiting = this.waiting.filter((handOver) => !leaving.has(handOver));
          for (const waiter of group) waiter.reject(signal.reason);
        };
        waiters = { group, leave };
        this.bySignal.set(signal, waiters);
        signal.addEventListener('abort', leave, { once: true });
      }
      const { group, leave } = waiters;
      const waiter: Waiter = {
        handOver: () => {
          group.delete(waiter);
          if (group.size === 0) {
            this.bySignal.delete(signal);
            signal.removeEventListener('abort', leave);
          }
          resolve();
        },
        reject,
      };
      group.add(waiter);
      this.waiting.push(waiter.handOver);
    });
  }

  /**
   * Runs `task` for every item, at most `maxInFlight` items at a time (a task that makes several calls keeps
   * its partial state, e.g. scratch keys, for a few items only), and resolves to the results in order. The guard
   * is checked before each task starts, as before each call of {@link run} (a task's own calls are waited for
   * through {@link run}, or as it sees fit).
   */
  async map<T, R>(items: readonly T[], task: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < items.length && !failed) {
        const index = next++;
        try {
          signal?.throwIfAborted();
          this.guard.check();
          results[index] = await task(items[index]!);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    // The tasks in flight when one fails finish (and clean up) before the failure is reported.
    await settleAll(Array.from({ length: Math.min(this.maxInFlight, items.length) }, worker));
    return results;
  }
}
