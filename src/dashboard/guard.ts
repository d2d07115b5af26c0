import { BitmapistArgumentError } from '../engine/errors.js';
import { isRetryable } from '../engine/redis/outage.js';
import type { PageFrame } from './shared/layout.js';
import { formatOf, parseQuery, type Query } from './shared/query.js';
import { errorAnswer, type DashboardResponse } from './shared/respond.js';

/** Whether a request may see the dashboard, as the framework's adapter decided (it calls `authorize`). */
export type Access = 'allowed' | 'refused' | 'closed';

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
 * ({@link parseQuery}). Then refused parameters answer 400 naming the parameter and an unreachable Redis 503
 * (carrying the error, for the app's reports); any other error propagates.
 */
export async function guarded(
  access: Access,
  query: Query | string,
  frame: PageFrame,
  handler: (query: Query) => Promise<DashboardResponse>,
): Promise<DashboardResponse> {
  const format = typeof query === 'string' ? formatOf(query) : query.format;
  if (access !== 'allowed') return errorAnswer(frame, format, 403, access === 'refused' ? NOT_ALLOWED_MESSAGE : CLOSED_MESSAGE);
  try {
    return await handler(typeof query === 'string' ? parseQuery(query) : query);
  } catch (error) {
    if (error instanceof BitmapistArgumentError) return errorAnswer(frame, format, 400, error.message, error.argument);
    if (!isRetryable(error)) throw error;
    return { ...errorAnswer(frame, format, 503, 'Redis is unavailable right now; try again in a moment.'), error };
  }
}
