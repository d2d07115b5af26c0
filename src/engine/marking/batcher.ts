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

interface Batch {
  bit: 0 | 1;
  marks: PendingMark[];
  settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Coalesces the marks issued in the same tick into one script call per batch, in issue order, so many
 * concurrent `markEvent` calls cost one round trip together instead of one each.
 */
export class MarkBatcher {
  private batches: Batch[] = [];
  private scheduled = false;

  constructor(
    /** Writes a batch; returns one promise per mark (marks of one block may share one). */
    private readonly write: (bit: 0 | 1, marks: PendingMark[]) => Promise<unknown>[],
    private readonly maxBatch: number,
  ) {}

  /** Queues a mark; resolves once the call that carries it has been answered. */
  add(bit: 0 | 1, mark: PendingMark): Promise<void> {
    let batch = this.batches.at(-1);
    if (batch === undefined || batch.bit !== bit || batch.marks.length >= this.maxBatch) {
      batch = { bit, marks: [], settle: [] };
      this.batches.push(batch);
    }
    const { marks, settle } = batch;
    marks.push(mark);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
    return new Promise<void>((resolve, reject) => settle.push({ resolve, reject }));
  }

  private flush(): void {
    const batches = this.batches;
    this.batches = [];
    this.scheduled = false;
    for (const { bit, marks, settle } of batches) {
      // Each mark settles with its own block's call: in a Cluster with a master down, marks of the other
      // masters' blocks still succeed.
      this.write(bit, marks).forEach((written, i) => written.then(settle[i]!.resolve, settle[i]!.reject));
    }
  }
}
