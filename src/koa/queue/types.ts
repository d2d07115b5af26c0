/**
 * What a mark queue holds: a mark already checked (it carries its time, so a late write lands in the right
 * period); `event` and `uid` name it in reports.
 */
export interface QueuedMark {
  readonly event: string;
  readonly uid: number | string;
  /** The request that issued the mark, if it is still alive when an error is reported. */
  readonly origin?: WeakRef<object>;
}

/** Counters of a mark queue (summed over systems on the plugin). */
export interface MarkQueueMetrics {
  /** Marks waiting or being written now; never more than `queueLimit` per system. */
  queued: number;
  /** Marks written to Redis. */
  written: number;
  /** Oldest marks dropped because the queue was full (one being written when dropped counts here only if that write fails). */
  dropped: number;
  /** Marks given up: refused by Redis, unwritten when `close()` timed out, or issued after `close()`. */
  failed: number;
}

/** What a {@link MarkQueue} needs: a writer, somewhere to report errors, and how marks share fate. */
export interface MarkQueueOptions<T extends QueuedMark = QueuedMark> {
  /** The system name, for messages. */
  name: string;
  /** The most marks held (waiting or being written); beyond it the oldest are dropped. */
  limit: number;
  write(mark: T): Promise<unknown>;
  report(error: Error, origin?: object): void;
  /**
   * The partition of a mark: marks of one partition live on one Redis node (the engine's block, one
   * Cluster hash slot). A failing partition waits and is probed on its own while the others keep flowing.
   * A negative partition holds marks not located yet (their write first asks where they go, e.g. a mapped id's
   * map shard): once a write has located a mark, the partition is asked again, and the mark moves. Default: a
   * single partition.
   */
  partition?(mark: T): number;
}
