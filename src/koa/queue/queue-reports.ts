import { BitmapistUnavailableError, MarkQueueOverflowError, MarksNotWrittenError } from '../errors.js';
import type { QueuedMark } from './types.js';

/**
 * What a mark queue tells the app, through `report` (the plugin's `app.emit('error')`): an outage and
 * an overflow once each until they are over, marks issued after close() once, every refused mark, a refused
 * block registration once until a registration succeeds again.
 */
export class QueueReports {
  private outage = false;
  private overflow = false;
  private late = false;
  private registry = false;

  constructor(
    private readonly name: string,
    private readonly limit: number,
    private readonly report: (error: Error, origin?: object) => void,
  ) {}

  /** Redis failed; reported once until {@link outageOver}. */
  unavailable(error: unknown, origin?: object): void {
    if (this.outage) return;
    this.outage = true;
    const reason = error instanceof Error ? error.message : String(error);
    const message =
      `koa-bitmapist: Redis of system "${this.name}" is unavailable (${reason}); ` +
      `marks wait in memory (up to ${this.limit}) and are written when it is back`;
    this.report(new BitmapistUnavailableError(message, { cause: error }), origin);
  }

  outageOver(): void {
    this.outage = false;
  }

  /** The queue dropped marks; reported once until {@link overflowOver}. */
  overflowing(origin?: object): void {
    if (this.overflow) return;
    this.overflow = true;
    const message =
      `koa-bitmapist: the mark queue of system "${this.name}" is full (${this.limit} marks); ` +
      'dropping the oldest marks until Redis catches up (see metrics.dropped)';
    this.report(new MarkQueueOverflowError(message), origin);
  }

  overflowOver(): void {
    this.overflow = false;
  }

  /** A mark arrived after close(); reported once. */
  closed(origin?: object): void {
    if (this.late) return;
    this.late = true;
    const message = `koa-bitmapist: system "${this.name}" is closed; marks issued after close() are not written`;
    this.report(new MarksNotWrittenError(message), origin);
  }

  /** The block registry refused a registration (the marks' bits were written); reported once until {@link registryOver}. */
  registryRefused(error: Error): void {
    if (this.registry) return;
    this.registry = true;
    this.report(error);
  }

  /** A mark was written and registered cleanly: report the next registry failure again. */
  registryOver(): void {
    this.registry = false;
  }

  /** Redis refused a mark for good. */
  refused(error: unknown, mark: QueuedMark): void {
    const message = `koa-bitmapist: Redis refused the mark ${JSON.stringify(mark.event)} of user ${mark.uid}`;
    this.report(new MarksNotWrittenError(message, { cause: error }), mark.origin?.deref());
  }
}
