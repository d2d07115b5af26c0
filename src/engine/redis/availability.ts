import { BitmapistOfflineError } from '../errors.js';
import type { RedisClient } from './scripts.js';

/**
 * Whether reads may go to Redis: not while the client has lost its connection and not got it back. Each read
 * sent then would wait for the next reconnection attempt (up to a second, or a connect timeout) before
 * failing, and reads queued behind it (the instance's {@link CallLimiter}) would wait for all of those in
 * turn; failing at once keeps a page of many reads answering in milliseconds while Redis is away. A client
 * that has never connected yet is not refused: its first read waits for the connection as usual.
 */
export class RedisAvailability {
  private lost = false;
  private readonly onClose = () => {
    this.lost = true;
  };
  private readonly onReady = () => {
    this.lost = false;
  };

  constructor(private readonly client: RedisClient) {
    client.on('close', this.onClose);
    client.on('ready', this.onReady);
  }

  /** Whether the client lost its connection and has not got it back. */
  get offline(): boolean {
    return this.lost && this.client.status !== 'ready';
  }

  /** Throws a {@link BitmapistOfflineError} while {@link offline}. */
  check(): void {
    if (this.offline) {
      throw new BitmapistOfflineError(`Redis is unreachable (the client is ${this.client.status}): the read was not sent`);
    }
  }

  /** Stops watching the client. */
  dispose(): void {
    this.client.off('close', this.onClose);
    this.client.off('ready', this.onReady);
  }
}
