import { Cluster } from 'ioredis';
import { BitmapistOfflineError } from '../errors.js';
import type { RedisClient } from './scripts.js';

/** How long a read may go unanswered before Redis is taken for silent (see {@link RedisAvailability}). */
export const SILENT_AFTER_MS = 2_000;

/** How long after a failed PING a silent Redis is asked again. */
const PROBE_AGAIN_MS = 1_000;

/** What a read checks before it is sent, and how it waits for its answer. */
export interface ReadGuard {
  /** Throws a `BitmapistOfflineError` when reads must not be sent now. */
  check(): void;
  /** Settles as `call` does, or rejects when Redis does not answer it in time. */
  answer<T>(call: Promise<T>): Promise<T>;
}

/** No guard: reads are sent and waited for whatever the client's state (the marking path waits as writes do). */
export const UNGUARDED: ReadGuard = {
  check: () => undefined,
  answer: (call) => call,
};

/**
 * Whether reads may go to Redis: not while the client has lost its connection and not got it back, nor while
 * Redis is *silent*: connected, but a read went unanswered for {@link SILENT_AFTER_MS} (a frozen host, a paused
 * server, a network path that drops everything). Each read sent then would wait for the next reconnection
 * attempt, or for a command timeout (or forever without one), and reads queued behind it (the instance's
 * {@link CallLimiter}) would wait for all of those in turn; failing at once keeps a page of many reads
 * answering in milliseconds while Redis is away. A silent Redis is asked a PING (on a Cluster, every master;
 * again a second after each failure) and counts as back once it answers, or once the client connects anew. Only
 * time connected counts: a client that has never connected yet is not refused, and its first read waits for the
 * connection as usual (it is lost, not silent, while it reconnects).
 */
export class RedisAvailability implements ReadGuard {
  private lost = false;
  private silent = false;
  private disposed = false;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Since when the client has had a connection (TCP up, answered or not); undefined while it has none. */
  private connectedAt: number | undefined;
  /** When Redis last answered the client's ready check (the connection's first answer). */
  private readyAt = 0;
  private readonly onConnect = () => {
    this.connectedAt ??= Date.now();
  };
  private readonly onClose = () => {
    this.lost = true;
    this.connectedAt = undefined;
  };
  private readonly onReady = () => {
    this.lost = false;
    this.readyAt = Date.now();
    this.connectedAt ??= this.readyAt;
    this.heard();
  };

  constructor(private readonly client: RedisClient) {
    if (client.status === 'connect' || client.status === 'ready') this.connectedAt = Date.now();
    client.on('connect', this.onConnect);
    client.on('close', this.onClose);
    client.on('ready', this.onReady);
  }

  /** Whether the client lost its connection and has not got it back, or Redis is silent. */
  get offline(): boolean {
    return this.silent || (this.lost && this.client.status !== 'ready');
  }

  /** Throws a {@link BitmapistOfflineError} while {@link offline}. */
  check(): void {
    if (this.silent) {
      throw new BitmapistOfflineError(`Redis gave no answer to a read within ${SILENT_AFTER_MS} ms: the read was not sent`);
    }
    if (this.offline) {
      throw new BitmapistOfflineError(`Redis is unreachable (the client is ${this.client.status}): the read was not sent`);
    }
  }

  /**
   * Settles as `call` does; when it has had no answer for {@link SILENT_AFTER_MS} counted from the latest of its
   * start, the client's connection (TCP up) and Redis's answer to the client's ready check, rejects with a
   * {@link BitmapistOfflineError} and takes Redis for silent (what becomes of the call later is ignored): time
   * without a connection does not count, nor does the time a slow Redis took to answer the ready check. An
   * answer waiting to be read when the time is up wins: the check runs after the event loop has read its sockets.
   */
  answer<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const started = Date.now();
      let settled = false;
      let timer: NodeJS.Timeout;
      const waitFor = (ms: number) => (timer = setTimeout(() => setImmediate(expired), ms).unref());
      const expired = () => {
        if (settled) return;
        const connected = this.connectedAt === undefined ? 0 : Date.now() - Math.max(started, this.connectedAt, this.readyAt);
        if (connected < SILENT_AFTER_MS) return waitFor(SILENT_AFTER_MS - connected);
        settled = true;
        this.silenced();
        reject(new BitmapistOfflineError(`Redis gave no answer to a read within ${SILENT_AFTER_MS} ms`));
      };
      waitFor(SILENT_AFTER_MS);
      call.then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Stops watching the client. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.probeTimer);
    this.client.off('connect', this.onConnect);
    this.client.off('close', this.onClose);
    this.client.off('ready', this.onReady);
  }

  private silenced(): void {
    if (this.silent || this.disposed) return;
    this.silent = true;
    this.probe();
  }

  /** Asks a silent Redis for a PING (every master of a Cluster) until one is answered (by each). */
  private probe(): void {
    this.probeTimer = undefined;
    if (!this.silent || this.disposed) return;
    const servers = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    Promise.all(servers.map((server) => server.ping())).then(
      () => this.heard(),
      () => {
        // A client ended by its owner is never asked again.
        if (this.silent && !this.disposed && this.client.status !== 'end') this.probeTimer = setTimeout(() => this.probe(), PROBE_AGAIN_MS).unref();
      },
    );
  }

  private heard(): void {
    this.silent = false;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }
}
