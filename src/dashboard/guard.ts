import { BitmapistArgumentError, BitmapistWrongTypeError } from '../engine/errors.js';
import { isRetryable } from '../engine/redis/outage.js';
import { CallLimiter } from '../engine/redis/call-limiter.js';
import type { PageFrame } from './shared/layout.js';
import { formatOf, parseQuery, type Query } from './shared/query.js';
import { errorAnswer, type DashboardResponse } from './shared/respond.js';

/** Whether a request may see the dashboard, as the framework's adapter decided (it calls `authorize`). */
export type Access = 'allowed' | 'refused' | 'closed';

/** The 503 message when more pages are asked for at once than a dashboard computes and queues. */
export const BUSY_MESSAGE = 'The bitmapist dashboard is busy: too many pages asked for at once; try again in a moment.';

/** The 409 message when a key this page reads (a bitmap, or the block registry's set) holds another type of value. */
export const WRONG_TYPE_MESSAGE =
  'A key this page reads holds another type of value than it should (a hash, list, set, ... at the name of a bitmap, or ' +
  'something else than a set at the block registry\'s): delete or rename it, then reload (the error reported to the app names it).';

/**
 * The status of a view whose client left before its answer was ready (nobody reads it): 503, and its work
 * stopped at its next Redis call.
 */
export const ABANDONED_STATUS = 503;

/** The message of a view whose client left (see {@link ABANDONED_STATUS}). */
export const ABANDONED_MESSAGE = 'The request was abandoned before its answer was ready.';

/** The 403 message when `authorize(ctx)` refused. */
export const NOT_ALLOWED_MESSAGE = 'You are not allowed to see the bitmapist dashboard.';

/** The 403 message when no `authorize` was given outside development and test. */
export const CLOSED_MESSAGE =
  'The bitmapist dashboard is closed: give koaBitmapist an authorize(ctx) option, ' +
  'or run with NODE_ENV=development to open it to every visitor.';

/**
 * Runs a page's handler behind the access decision, inside the route itself, so that no spelling of the path
 * (case, percent-encoding, slashes, HEAD) reaches the handler without it. A raw query string is parsed only
 * once access is allowed (a refused request costs one look for `format`), in one bounded pass
 * ({@link parseQuery}). Then refused parameters answer 400 naming the parameter, a key of another type at a
 * bitmap's name 409 and an unreachable Redis 503 (both carrying the error, for the app's reports); any other
 * error propagates.
 */
export async function guarded(
  access: Access,
  query: Query | string,
  frame: PageFrame,
  handler: (query: Query) => Promise<DashboardResponse>,
  limiter?: PageLimiter,
  signal?: AbortSignal,
): Promise<DashboardResponse> {
  // The answer's format: read alone from a raw query string that is not (or cannot be) parsed whole.
  let format = typeof query === 'string' ? undefined : query.format;
  const formatNow = () => format ?? (typeof query === 'string' ? formatOf(query) : undefined);
  if (access !== 'allowed') return errorAnswer(frame, formatNow(), 403, access === 'refused' ? NOT_ALLOWED_MESSAGE : CLOSED_MESSAGE);
  try {
    const parsed = typeof query === 'string' ? parseQuery(query) : query;
    format = parsed.format;
    // A view waiting its turn leaves the queue once aborted; a running one stops at its next Redis call.
    const answer = limiter ? limiter.run(() => handler(parsed), signal) : handler(parsed);
    if (answer === undefined) return errorAnswer(frame, formatNow(), 503, BUSY_MESSAGE);
    return await answer;
  } catch (error) {
    if (signal?.aborted) return errorAnswer(frame, formatNow(), ABANDONED_STATUS, ABANDONED_MESSAGE);
    if (error instanceof BitmapistArgumentError) return errorAnswer(frame, formatNow(), 400, error.message, error.argument);
    // Data the page cannot read (a hash or list at a bitmap's name): a conflict with the keyspace, reported to the app.
    if (error instanceof BitmapistWrongTypeError) return { ...errorAnswer(frame, formatNow(), 409, WRONG_TYPE_MESSAGE), error };
    if (!isRetryable(error)) throw error;
    return { ...errorAnswer(frame, formatNow(), 503, 'Redis is unavailable right now; try again in a moment.'), error };
  }
}

/**
 * How many pages one dashboard computes at once, and how many more may wait their turn: each page holds its
 * bitmaps' names and counts while it runs (megabytes for an events page of 500 long names), so the memory of a
 * burst stays bounded; a request beyond both answers 503 at once. An events page loads its 20 sparklines
 * together, so a few views at once stay well within the queue.
 */
export const DASHBOARD_PAGES_IN_FLIGHT = { running: 8, waiting: 256 } as const;

/** Bounds the pages a dashboard computes at once (see {@link DASHBOARD_PAGES_IN_FLIGHT}). */
export class PageLimiter {
  private readonly running: CallLimiter;
  private pending = 0;

  constructor(private readonly limits: { running: number; waiting: number } = DASHBOARD_PAGES_IN_FLIGHT) {
    this.running = new CallLimiter(limits.running);
  }

  /**
   * Runs `page` in its turn, or answers undefined at once when as many pages are running and waiting as allowed.
   * Once `signal` aborts, a page still waiting leaves the queue at once (rejecting with the signal's reason),
   * giving its place to the next request.
   */
  run<T>(page: () => Promise<T>, signal?: AbortSignal): Promise<T> | undefined {
    if (this.pending >= this.limits.running + this.limits.waiting) return undefined;
    this.pending += 1;
    return this.running.run(page, signal).finally(() => {
      this.pending -= 1;
    });
  }
}
