import type { Context } from 'koa';
import { BitmapistArgumentError } from '../engine/errors.js';
import { emitAppError } from '../koa/app-errors.js';
import { errorBody, layout } from './shared/html.js';
import { isRetryable } from '../engine/redis/outage.js';

/** Who may see the dashboard. */
export interface DashboardAccess {
  /** The app's check; a result other than `true` answers 403. */
  authorize?: (ctx: Context) => boolean | Promise<boolean>;
  /** Without `authorize`: serve every visitor (true only when `NODE_ENV` is `development` or `test`). */
  openWithoutAuthorize: boolean;
}

/** The 403 message when `authorize(ctx)` refused. */
export const NOT_ALLOWED_MESSAGE = 'You are not allowed to see the bitmapist dashboard.';

/** The 403 message when no `authorize` was given outside development and test. */
export const CLOSED_MESSAGE =
  'The bitmapist dashboard is closed: give koaBitmapist an authorize(ctx) option, ' +
  'or run with NODE_ENV=development to open it to every visitor.';

/**
 * Wraps a dashboard route handler: the access check runs first, inside the route itself, so that no
 * spelling of the path (case, percent-encoding, slashes, HEAD) can reach the handler without it. Then
 * refused parameters answer 400 and an unreachable Redis 503 (reported to the app); the rest propagates.
 */
export function dashboardRoute(prefix: string, access: DashboardAccess, handler: (ctx: Context) => Promise<void>) {
  return async function bitmapistDashboardRoute(ctx: Context): Promise<void> {
    const allowed = access.authorize ? await access.authorize(ctx) : access.openWithoutAuthorize;
    if (allowed !== true) return respondError(ctx, 403, access.authorize ? NOT_ALLOWED_MESSAGE : CLOSED_MESSAGE, prefix);
    try {
      await handler(ctx);
    } catch (error) {
      if (error instanceof BitmapistArgumentError) return respondError(ctx, 400, error.message, prefix, error.argument);
      if (!isRetryable(error)) throw error;
      emitAppError(ctx.app, error, ctx);
      respondError(ctx, 503, 'Redis is unavailable right now; try again in a moment.', prefix);
    }
  };
}

/** An error answer in the format the request asked for (JSON, plain text for CSV, else an HTML page). */
export function respondError(ctx: Context, status: number, message: string, prefix: string, parameter?: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  const format = ctx.query.format;
  if (format === 'json') {
    ctx.body = parameter === undefined ? { error: message } : { error: message, parameter };
  } else if (format === 'csv') {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `${message}\n`;
  } else {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = layout({ title: 'Error', prefix, active: 'cohort', body: errorBody(status, message, prefix) });
  }
}
