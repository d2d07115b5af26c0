import { MarkList } from './mark-list.js';

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;

/** A partition whose writes failed: its marks wait, and one of them probes Redis after a backoff. */
interface Outage<T> {
  parked: MarkList<T>;
  down: boolean;
  probe: T | undefined;
  backoffMs: number;
  retryAt: number;
  /** Its writes still in flight that went unanswered too long: the outage lasts at least until they are answered. */
  stalls: number;
}

/**
 * The partitions of a mark queue whose writes failed or stalled (a partition is one Redis node's share of the
 * marks: one block, one Cluster slot). A failing partition goes *down*: its marks wait in its own list, not
 * re-sent, and a single mark probes it after a backoff that doubles from 50 ms to 2 s; the first write
 * that succeeds brings it back *up*, and its waiting marks go out again, oldest first. A partition with a
 * write unanswered too long goes down the same way, and stays known at least until that write is answered.
 */
export class PartitionOutages<T> {
  private readonly outages = new Map<number, Outage<T>>();
  private downCount = 0;

  constructor(private readonly isGone: (item: T) => boolean) {}

  /** Whether some partition is down. */
  get anyDown(): boolean {
    return this.downCount > 0;
  }

  /** Where a mark of `partition` must wait because the partition is down; undefined when it may be sent. */
  waitingList(partition: number): MarkList<T> | undefined {
    const outage = this.outages.get(partition);
    return outage?.down ? outage.parked : undefined;
  }

  /**
   * A write of `partition` failed with a retryable error: the partition goes down (or, after a failed
   * probe, waits twice as long). Returns the list where the mark waits.
   */
  failed(partition: number, item: T, now: number): MarkList<T> {
    const outage = this.outageOf(partition);
    const probed = this.settleProbe(outage, item);
    if (!outage.down) {
      this.goDown(outage, now);
    } else if (probed) {
      outage.backoffMs = Math.min(outage.backoffMs * 2, MAX_BACKOFF_MS);
      outage.retryAt = now + outage.backoffMs;
    }
    return outage.parked;
  }

  /**
   * A write of `partition` has gone unanswered too long: the partition goes down as after a failure (its marks
   * wait, one probes after the backoff), but the write is still in flight: its answer settles it.
   */
  stalled(partition: number, now: number): void {
    const outage = this.outageOf(partition);
    outage.stalls += 1;
    if (!outage.down) this.goDown(outage, now);
  }

  /** A stalled write of `partition` was answered (what came of it is told by `failed` or `succeeded`). */
  unstalled(partition: number): void {
    const outage = this.outages.get(partition);
    if (outage !== undefined) outage.stalls -= 1;
  }

  /** A write of `partition` succeeded (or failed for good): the partition is up. */
  succeeded(partition: number, item: T): void {
    const outage = this.outages.get(partition);
    if (outage === undefined) return;
    this.settleProbe(outage, item);
    if (outage.down) {
      outage.down = false;
      this.downCount -= 1;
    }
  }

  /**
   * A mark written as one of `partition`'s turned out to be another's (its write located it): if it was the
   * partition's probe, another mark probes it, when its backoff is over. Up or down, the partition stays so.
   */
  left(partition: number, item: T): void {
    const outage = this.outages.get(partition);
    if (outage !== undefined) this.settleProbe(outage, item);
  }

  /** The client reconnected: every partition that is down is probed at once. */
  retryNow(): void {
    for (const outage of this.outages.values()) {
      outage.retryAt = 0;
      outage.backoffMs = MIN_BACKOFF_MS;
    }
  }

  /**
   * Hands out what may be written now while `room()`: the waiting marks of partitions that are up again,
   * and one probe of each partition that is down and done with its backoff. Forgets empty outages.
   */
  release(now: number, room: () => boolean, send: (item: T) => void): void {
    for (const [partition, outage] of this.outages) {
      if (!outage.down) {
        for (let item; room() && (item = outage.parked.shift()) !== undefined; ) send(item);
      } else if (outage.probe === undefined && outage.retryAt <= now && room()) {
        outage.probe = outage.parked.shift();
        if (outage.probe !== undefined) send(outage.probe);
      }
      if (outage.probe === undefined && outage.parked.size === 0 && outage.stalls === 0) {
        if (outage.down) this.downCount -= 1;
        this.outages.delete(partition);
      }
    }
  }

  /** When the next probe is due (infinity when none is waiting). */
  nextProbeAt(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const outage of this.outages.values()) {
      if (outage.down && outage.probe === undefined && outage.parked.size > 0) at = Math.min(at, outage.retryAt);
    }
    return at;
  }

  /** Forgets everything. */
  clear(): void {
    this.outages.clear();
    this.downCount = 0;
  }

  private outageOf(partition: number): Outage<T> {
    let outage = this.outages.get(partition);
    if (outage === undefined) {
      outage = { parked: new MarkList(this.isGone), down: false, probe: undefined, backoffMs: MIN_BACKOFF_MS, retryAt: 0, stalls: 0 };
      this.outages.set(partition, outage);
    }
    return outage;
  }

  private goDown(outage: Outage<T>, now: number): void {
    outage.down = true;
    this.downCount += 1;
    outage.backoffMs = MIN_BACKOFF_MS;
    outage.retryAt = now + outage.backoffMs;
  }

  private settleProbe(outage: Outage<T>, item: T): boolean {
    if (outage.probe !== item) return false;
    outage.probe = undefined;
    return true;
  }
}
