import { BitmapistRegistryError } from '../../engine/errors.js';
import { HeldMarks } from './held-marks.js';
import { IdleWaiters, MAX_TIMER_MS } from './idle-waiters.js';
import { MarkList } from './mark-list.js';
import { PartitionOutages } from './partition-outages.js';
import { settlementOf } from './settlement.js';
import { QueueReports } from './queue-reports.js';
import { isRetryable } from '../../engine/redis/outage.js';
import type { MarkQueueMetrics, MarkQueueOptions, QueuedMark } from './types.js';

export type { MarkQueueMetrics, MarkQueueOptions, QueuedMark } from './types.js';

/** The most marks being written at once (the engine turns those of one tick into script calls of 500). */
export const MAX_IN_FLIGHT = 2000;

/**
 * How long a write may go unanswered before it is *stalled*: it no longer counts against {@link MAX_IN_FLIGHT}
 * (up to {@link MAX_IN_FLIGHT} stalled writes, so that at most twice as many are ever in flight), and its
 * partition's marks wait as in an outage until it is answered (a Cluster master that stopped answering, with no
 * command timeout, holds back only its own blocks).
 */
export const STALLED_WRITE_MS = 1_000;

/** A mark in the queue. */
interface Entry<T> {
  readonly mark: T;
  /** Where its bits are, as last asked: a mapped id is located by its write (or located anew after `forgetUser`). */
  partition: number;
  state: 'waiting' | 'writing' | 'gone';
  /** The list it waits in. */
  list: MarkList<Entry<T>> | undefined;
  /** Dropped while being written: it counts as written if that write succeeds, else as dropped. */
  abandoned: boolean;
  /** Refused in a script call shared with other marks: sent again on its own to tell who was refused. */
  alone: boolean;
  /** When its write was sent. */
  sentAt: number;
  /** Its write has gone unanswered for {@link STALLED_WRITE_MS}. */
  stalled: boolean;
}

const isGone = (entry: { state: Entry<unknown>['state'] }) => entry.state !== 'waiting';

/**
 * A bounded in-memory queue of marks and the writer that drains it, up to {@link MAX_IN_FLIGHT} marks at
 * a time. Marks of a partition whose writes fail wait without being re-sent while one of them probes
 * Redis (see {@link PartitionOutages}), so a dead Cluster master holds back only its own blocks. When
 * full, the oldest mark held is dropped, even one being written. Callers only ever `push`: nothing here
 * makes a request wait.
 */
export class MarkQueue<T extends QueuedMark = QueuedMark> {
  /** Every mark not yet written, dropped or given up. */
  private readonly held = new HeldMarks<Entry<T>>();
  private readonly fresh = new MarkList<Entry<T>>(isGone);
  private readonly alone = new MarkList<Entry<T>>(isGone);
  private readonly outages = new PartitionOutages<Entry<T>>(isGone);
  private inFlight = 0;
  private abandonedInFlight = 0;
  /** The writes in flight, to find the stalled ones; of {@link inFlight}, those stalled. */
  private readonly writing = new Set<Entry<T>>();
  private stalledInFlight = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  private counts = { written: 0, dropped: 0, failed: 0 };
  private pumpScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private finished = false;
  /** Writes sent before `close` gave up that failed after it. */
  private failedAfterClose = 0;
  /** Set by `settleAfterClose`: the writes still pending then are counted as failed, whatever comes of them. */
  private givenUp = false;
  private readonly afterCloseWaiters: (() => void)[] = [];
  private readonly idleWaiters = new IdleWaiters(() => this.held.size);
  /** Told of each mark that leaves the queue (written, refused, dropped or given up), and of close: see {@link settleMarks}. */
  private readonly leaveWatchers = new Set<{ left(entry: Entry<T>): void; done(): void }>();
  private readonly reports: QueueReports;

  constructor(private readonly options: MarkQueueOptions<T>) {
    this.reports = new QueueReports(options.name, options.limit, options.report);
  }

  /** The queue's counters. */
  get metrics(): MarkQueueMetrics {
    return { queued: this.held.size, ...this.counts };
  }

  /** Queues a mark (dropping the oldest one when full) and schedules the writer. */
  push(mark: T): void {
    if (this.closed) {
      this.counts.failed += 1;
      return this.reports.closed(mark.origin?.deref());
    }
    if (this.held.size >= this.options.limit) this.dropOldest(mark.origin);
    const partition = this.options.partition?.(mark) ?? 0;
    const entry: Entry<T> = { mark, partition, state: 'waiting', list: undefined, abandoned: false, alone: false, sentAt: 0, stalled: false };
    this.held.add(entry);
    this.wait(entry, this.fresh);
    this.schedulePump();
  }

  /** The client is ready again: probe every waiting partition at once, and report the next outage again. */
  wake(): void {
    this.reports.outageOver();
    this.outages.retryNow();
    this.schedulePump();
  }

  /** A connection error seen on the client; reported once per outage. */
  connectionFailed(error: unknown): void {
    if (!this.finished) this.reports.unavailable(error);
  }

  /**
   * Waits until each mark held now that `matches` has left the queue (written, refused, dropped or given up), for
   * at most `timeoutMs`: marks queued later and the others are not waited for. Then, with `dropAfterMs` (a
   * number), gives up those still held: one waiting is dropped at once, one being written is abandoned (dropped
   * if that write fails, never sent again) and waited for, at most `dropAfterMs` more. Counted as dropped.
   * Resolves with how many of them are still held, or still being written.
   */
  async settleMarks(matches: (mark: T) => boolean, timeoutMs: number, dropAfterMs?: number): Promise<number> {
    const pending = new Set([...this.held.values()].filter((entry) => matches(entry.mark)));
    await this.leaving(pending, timeoutMs);
    // After close(), which gave up the marks still held (a write in flight is counted when it settles).
    if (dropAfterMs === undefined || this.finished) return pending.size;
    for (const entry of pending) {
      if (!this.held.has(entry)) {
        // Given up meanwhile by another settleMarks: dropped (and counted) there, or abandoned while written.
        if (entry.state !== 'writing') pending.delete(entry);
        continue;
      }
      // One still being written stays pending: it leaves when its write settles.
      if (!this.giveUp(entry)) pending.delete(entry);
    }
    this.checkIdle();
    await this.leaving(pending, dropAfterMs);
    return pending.size;
  }

  /** Resolves once every mark of `pending` has left the queue (each taken out of it then), or after `timeoutMs`. */
  private leaving(pending: Set<Entry<T>>, timeoutMs: number): Promise<void> {
    if (pending.size === 0 || this.finished) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const watcher = {
        done: () => {
          clearTimeout(timer);
          this.leaveWatchers.delete(watcher);
          resolve();
        },
        left: (entry: Entry<T>) => {
          if (pending.delete(entry) && pending.size === 0) watcher.done();
        },
      };
      // Node's timers take at most MAX_TIMER_MS (a longer one fires at once): longer is forever.
      const timer = Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS ? setTimeout(watcher.done, timeoutMs) : undefined;
      this.leaveWatchers.add(watcher);
    });
  }

  /** Resolves once nothing is waiting or in flight, or after `timeoutMs`, with the number of marks still queued. */
  idle(timeoutMs = Number.POSITIVE_INFINITY): Promise<number> {
    // Once closed nothing is queued any more: the writes still in flight are `settleAfterClose`'s.
    return this.isIdle() || this.finished ? Promise.resolve(0) : this.idleWaiters.wait(timeoutMs);
  }

  /**
   * Stops accepting marks, drains for at most `timeoutMs`, then gives up the marks not sent; resolves with how
   * many (counted as failed). A mark being written then is counted when its write settles (written, or failed;
   * dropped if it was dropped meanwhile), as Redis may still apply it, or by {@link settleAfterClose}.
   * Pending `idle` waits resolve, with the number of marks not written then (given up, or still being written).
   */
  async close(timeoutMs: number): Promise<number> {
    this.closed = true;
    await this.idle(timeoutMs);
    this.finished = true;
    clearTimeout(this.timer);
    clearTimeout(this.stallTimer);
    let unsent = 0;
    let unwritten = 0;
    for (const watcher of [...this.leaveWatchers]) watcher.done();
    for (const entry of this.held.clear()) {
      unwritten += 1;
      if (entry.state === 'writing') continue;
      entry.state = 'gone';
      unsent += 1;
    }
    this.counts.failed += unsent;
    this.fresh.clear();
    this.alone.clear();
    this.outages.clear();
    // A flush still waiting learns how many marks were not written (given up, or still being written): not 0.
    this.idleWaiters.notifyIdle(unwritten);
    return unsent;
  }

  /** Sends what may be sent: marks of partitions that are up, and the probes that are due. */
  private pump(): void {
    this.pumpScheduled = false;
    if (this.finished) return;
    if (this.alone.size > 0) {
      // A suspect goes alone: nothing else may share its script call (a stalled one went long ago), and it needs a place.
      if (this.inFlight > this.stalledInFlight || this.active >= MAX_IN_FLIGHT) return;
      const suspect = this.alone.shift();
      if (suspect) return this.send(suspect);
    }
    const now = Date.now();
    const room = () => this.active < MAX_IN_FLIGHT;
    this.outages.release(now, room, (entry) => this.send(entry));
    for (let entry; room() && (entry = this.fresh.shift()); ) {
      const waiting = this.outages.waitingList(entry.partition);
      if (waiting) this.wait(entry, waiting);
      else this.send(entry);
    }
    clearTimeout(this.timer);
    const probeAt = this.outages.nextProbeAt();
    if (probeAt !== Number.POSITIVE_INFINITY) {
      this.timer = setTimeout(() => this.schedulePump(), Math.max(0, probeAt - now));
      this.timer.unref();
    }
    this.checkIdle();
  }

  private send(entry: Entry<T>): void {
    entry.state = 'writing';
    entry.list = undefined;
    entry.sentAt = Date.now();
    this.inFlight += 1;
    this.writing.add(entry);
    this.stallTimer ??= this.stallCheckIn(STALLED_WRITE_MS);
    let written: Promise<unknown>;
    try {
      written = this.options.write(entry.mark);
    } catch (error) {
      written = Promise.reject(error);
    }
    written.then(
      () => this.settled(entry, false),
      (error: unknown) => this.settled(entry, true, error),
    );
  }

  /** The writes in flight that take a place: all but the stalled ones, of which at most MAX_IN_FLIGHT give theirs back. */
  private get active(): number {
    return this.inFlight - Math.min(this.stalledInFlight, MAX_IN_FLIGHT);
  }

  /**
   * Looks for stalled writes in `ms`, once the event loop has read its sockets: after a long synchronous block, an
   * answer waiting to be read settles its write first (a timer alone runs before the sockets are read).
   */
  private stallCheckIn(ms: number): NodeJS.Timeout {
    return setTimeout(() => setImmediate(() => this.findStalled()), ms).unref();
  }

  /**
   * Marks the writes unanswered for {@link STALLED_WRITE_MS} as stalled, and their partitions down: their marks
   * wait, and one of them probes, as after a failure; the stalled write's own answer brings the partition back
   * up (or down for good, as a failure). Runs while writes are in flight.
   */
  private findStalled(): void {
    this.stallTimer = undefined;
    if (this.finished) return;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.writing) {
      if (entry.stalled) continue;
      if (now - entry.sentAt < STALLED_WRITE_MS) {
        next = Math.min(next, entry.sentAt + STALLED_WRITE_MS);
        continue;
      }
      entry.stalled = true;
      this.stalledInFlight += 1;
      this.outages.stalled(entry.partition, now);
      this.reports.unavailable(new Error(`a write got no answer within ${STALLED_WRITE_MS} ms`), entry.mark.origin?.deref());
    }
    if (next !== Number.POSITIVE_INFINITY) this.stallTimer = this.stallCheckIn(next - now);
    this.schedulePump();
  }

  /** A write has settled: it is no longer in flight. */
  private landed(entry: Entry<T>): void {
    this.inFlight -= 1;
    if (entry.abandoned) this.abandonedInFlight -= 1;
    this.writing.delete(entry);
    if (entry.stalled) {
      entry.stalled = false;
      this.stalledInFlight -= 1;
      this.outages.unstalled(entry.partition);
    }
  }

  private settled(entry: Entry<T>, failed: boolean, error?: unknown): void {
    if (this.finished) return this.settledAfterClose(entry, failed);
    this.landed(entry);
    const settlement = settlementOf(failed, error, entry);
    const partition = this.options.partition?.(entry.mark) ?? entry.partition;
    if (partition !== entry.partition) {
      // The write located the mark elsewhere. A mark queued unlocated (a negative partition) that got located had
      // its id map answer, which is all that partition stands for; otherwise what came of it says nothing about the
      // partition it was queued in.
      if (entry.partition < 0) this.outages.succeeded(entry.partition, entry);
      else this.outages.left(entry.partition, entry);
      entry.partition = partition;
    }
    if (failed && isRetryable(error)) {
      const waiting = this.outages.failed(entry.partition, entry, Date.now());
      this.reports.unavailable(error, entry.mark.origin?.deref());
      if (settlement === 'outage') {
        entry.alone = false;
        this.wait(entry, waiting);
      }
    } else {
      // Redis answered: the partition is up.
      this.outages.succeeded(entry.partition, entry);
      if (!this.outages.anyDown) this.reports.outageOver();
    }
    if (error instanceof BitmapistRegistryError) this.reports.registryRefused(error);
    else if (!failed) this.reports.registryOver();
    if (settlement === 'written') {
      this.counts.written += 1;
      this.forget(entry);
    } else if (settlement === 'dropped') {
      this.counts.dropped += 1;
      entry.state = 'gone';
      this.left(entry);
    } else if (settlement === 'refused') {
      this.counts.failed += 1;
      this.forget(entry);
      this.reports.refused(error, entry.mark);
    } else if (settlement === 'alone') {
      entry.alone = true;
      this.wait(entry, this.alone);
    }
    this.schedulePump();
  }

  /** A write sent before `close` gave up, settled after it (and before `settleAfterClose` gave up): counted once. */
  private settledAfterClose(entry: Entry<T>, failed: boolean): void {
    if (this.givenUp) return;
    this.landed(entry);
    entry.state = 'gone';
    if (!failed) this.counts.written += 1;
    else if (entry.abandoned) this.counts.dropped += 1;
    else {
      this.counts.failed += 1;
      this.failedAfterClose += 1;
    }
    if (this.inFlight === 0) {
      for (const waiter of this.afterCloseWaiters.splice(0)) waiter();
      this.idleWaiters.notifyIdle();
    }
  }

  /**
   * After `close`: waits until the writes it had sent have settled, or `timeoutMs`, and resolves with how many of
   * them were not written: those that failed, and those still pending then (counted as failed, or as dropped for
   * a mark dropped meanwhile; what becomes of them later is not counted again).
   */
  async settleAfterClose(timeoutMs: number): Promise<number> {
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.afterCloseWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.givenUp) return 0;
    this.givenUp = true;
    const pending = this.inFlight - this.abandonedInFlight;
    this.counts.failed += pending;
    this.counts.dropped += this.abandonedInFlight;
    this.inFlight = this.abandonedInFlight = this.stalledInFlight = 0;
    this.writing.clear();
    this.idleWaiters.notifyIdle();
    return this.failedAfterClose + pending;
  }

  /** Drops the oldest mark held to make room for a new one. */
  private dropOldest(origin?: WeakRef<object>): void {
    this.giveUp(this.held.oldest()!);
    this.reports.overflowing(origin?.deref());
  }

  /**
   * Takes a held mark out of the queue, counted as dropped: one waiting at once; one being written is abandoned
   * (counted when its write settles: written if it succeeds, else dropped) and true is returned.
   */
  private giveUp(entry: Entry<T>): boolean {
    this.held.delete(entry);
    if (entry.state === 'writing') {
      entry.abandoned = true;
      this.abandonedInFlight += 1;
      return true;
    }
    entry.state = 'gone';
    entry.list?.noteGone();
    entry.list = undefined;
    this.counts.dropped += 1;
    this.left(entry);
    return false;
  }

  private wait(entry: Entry<T>, list: MarkList<Entry<T>>): void {
    entry.state = 'waiting';
    entry.list = list;
    list.push(entry);
  }

  private forget(entry: Entry<T>): void {
    entry.state = 'gone';
    this.held.delete(entry);
    this.left(entry);
    this.checkIdle();
  }

  /** A mark has left the queue: tells those waiting for it ({@link settleMarks}). */
  private left(entry: Entry<T>): void {
    if (this.leaveWatchers.size === 0) return;
    for (const watcher of [...this.leaveWatchers]) watcher.left(entry);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.finished) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private isIdle(): boolean {
    return this.held.size === 0 && this.inFlight === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    this.reports.overflowOver();
    this.idleWaiters.notifyIdle();
  }
}
