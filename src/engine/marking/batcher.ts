/**
 * One mark ready to write: its bitmap keys, the user's bit offset in them, and the block they belong to. In
 * mapped mode it also carries the app's id; until the id's integer is known, `uid` and `block` are -1 and
 * `keysOf` names the keys once the block is known (the compatible layout's keys are those of block 0).
 */
export interface PendingMark {
  keys: readonly string[];
  uid: number;
  block: number;
  id?: string;
  keysOf?: (block: number) => readonly string[];
}

/** Marks of one bit written together, with how to settle each. */
interface Batch {
  bit: 0 | 1;
  marks: PendingMark[];
  settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** The timers of a batcher with a linger (tests pass their own clock). */
export interface LingerTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(run: () => void): unknown;
}

/**
 * How long marks may wait for company, after Kafka's `linger.ms` and Nagle: while `maxInFlight` batches are in
 * flight, new marks wait until one of them is answered, or `maxMs` after the first of them arrived, whichever
 * comes first. Otherwise (and for a full batch) they go at the next turn of the event loop, with every mark
 * issued in that turn.
 */
export interface Linger {
  maxMs: number;
  maxInFlight: number;
  timers?: LingerTimers;
}

const NODE_TIMERS: LingerTimers = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setImmediate: (run) => setImmediate(run),
};

/**
 * Coalesces marks into batches of at most `maxBatch`, in issue order (a new batch whenever the bit changes), so
 * many concurrent `markEvent` calls cost one round trip together instead of one each. Without a linger, a batch
 * holds the marks issued in the same tick. With one (on a Cluster, where each block is a call of its own), a
 * batch holds the marks of a turn of the event loop, or of the time its predecessors were in flight (at most
 * `linger.maxMs`): callers that each await their mark would otherwise drift apart, each master's replies
 * releasing a few of them at a time, into calls of one or two marks.
 */
export class MarkBatcher {
  private batches: Batch[] = [];
  /** A flush is due at the next microtask (or turn of the event loop, with a linger). */
  private scheduled = false;
  private lingerTimer: unknown;
  /** Batches written whose marks are not all settled (counted with a linger only). */
  private inFlight = 0;
  private readonly timers: LingerTimers;

  constructor(
    /** Writes a batch; returns one promise per mark (marks of one call may share one). */
    private readonly write: (bit: 0 | 1, marks: PendingMark[]) => Promise<unknown>[],
    private readonly maxBatch: number,
    private readonly linger?: Linger,
  ) {
    this.timers = linger?.timers ?? NODE_TIMERS;
  }

  /** Queues a mark; resolves once the call that carries it has been answered. */
  add(bit: 0 | 1, mark: PendingMark): Promise<void> {
    let batch = this.batches.at(-1);
    if (batch === undefined || batch.bit !== bit || batch.marks.length >= this.maxBatch) {
      batch = { bit, marks: [], settle: [] };
      this.batches.push(batch);
    }
    const { marks, settle } = batch;
    marks.push(mark);
    this.schedule(marks.length >= this.maxBatch);
    return new Promise<void>((resolve, reject) => settle.push({ resolve, reject }));
  }

  /** Sends the marks queued so far at once, so that a write issued after them (a bulk import) cannot overtake them. */
  sendQueued(): void {
    if (this.batches.length > 0) this.flush();
  }

  /** Schedules the next flush: at the next microtask, or with a linger when it lets the marks go. */
  private schedule(full: boolean): void {
    if (this.scheduled || this.batches.length === 0) return;
    if (!this.linger) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    } else if (this.inFlight < this.linger.maxInFlight || full) {
      this.scheduled = true;
      this.timers.setImmediate(() => this.flush());
    } else {
      this.lingerTimer ??= this.timers.setTimeout(() => {
        this.lingerTimer = undefined;
        this.flush();
      }, this.linger.maxMs);
    }
  }

  private flush(): void {
    const batches = this.batches;
    this.batches = [];
    this.scheduled = false;
    if (this.lingerTimer !== undefined) this.timers.clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const { bit, marks, settle } of batches) {
      // Each mark settles with its own block's call: in a Cluster with a master down, marks of the other
      // masters' blocks still succeed.
      const written = this.write(bit, marks);
      written.forEach((done, i) => done.then(settle[i]!.resolve, settle[i]!.reject));
      if (!this.linger) continue;
      this.inFlight += 1;
      const { maxInFlight } = this.linger;
      // Marks that share keys share their call's promise: waiting for each distinct one is enough.
      void Promise.allSettled(new Set(written)).then(() => {
        this.inFlight -= 1;
        if (this.inFlight < maxInFlight) this.schedule(false);
      });
    }
  }
}
