import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { Access } from '../dashboard/guard.js';
import { Dashboard } from '../dashboard/router.js';
import type { DashboardResponse } from '../dashboard/shared/respond.js';
import { emitAppError } from './app-errors.js';
import type { KoaBitmapist } from './plugin.js';

/** Who may see the dashboard. */
export interface DashboardAccess {
  /** The app's check; a result other than `true` answers 403. */
  authorize?: (ctx: Context) => boolean | Promise<boolean>;
  /** Without `authorize`: serve every visitor (true only when `NODE_ENV` is `development` or `test`). */
  openWithoutAuthorize: boolean;
}

const CONTENT_TYPES: Record<DashboardResponse['type'], string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  svg: 'image/svg+xml',
  text: 'text/plain; charset=utf-8',
};

/**
 * The Koa adapter of the dashboard: a `@koa/router` with a GET (and HEAD) route per dashboard page, each
 * deciding access with `authorize(ctx)` inside the route itself, then sending the page's answer. An outage
 * behind a 503 goes to `app.emit('error', err, ctx)`.
 */
export function dashboardRouter(plugin: KoaBitmapist, options: DashboardAccess & { prefix: string }): Router {
  const dashboard = new Dashboard(plugin, options.prefix);
  const router = new Router({ prefix: options.prefix });
  for (const route of dashboard.routes) {
    router.get(route.path, async function bitmapistDashboardRoute(ctx: Context): Promise<void> {
      const response = await route.handle(ctx.query, await access(ctx, options));
      if (response.error !== undefined) emitAppError(ctx.app, response.error, ctx);
      send(ctx, response);
    });
  }
  return router;
}

async function access(ctx: Context, options: DashboardAccess): Promise<Access> {
  if (!options.authorize) return options.openWithoutAuthorize ? 'allowed' : 'closed';
  return (await options.authorize(ctx)) === true ? 'allowed' : 'refused';
}

function send(ctx: Context, response: DashboardResponse): void {
  ctx.status = response.status;
  ctx.set('Cache-Control', 'no-store');
  if (response.attachment !== undefined) ctx.attachment(response.attachment);
  ctx.type = CONTENT_TYPES[response.type];
  ctx.body = response.body;
}
