import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { Access } from '../dashboard/guard.js';
import { Dashboard } from '../dashboard/router.js';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../dashboard/shared/assets.js';
import type { DashboardResponse } from '../dashboard/shared/respond.js';
import { emitAppError } from './app-errors.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import type { KoaBitmapist } from './plugin.js';

/** Who may see the dashboard. */
export interface DashboardAccess {
  /** The app's check; a result other than `true` answers 403. */
  authorize?: (ctx: Context) => boolean | Promise<boolean>;
  /** Without `authorize`: serve every visitor (true only when `NODE_ENV` is `development` or `test`). */
  openWithoutAuthorize: boolean;
  /** Who may read `/metrics` (default: `authorize`). */
  authorizeMetrics?: (ctx: Context) => boolean | Promise<boolean>;
}

/** The 403 answers of `/metrics`. */
const METRICS_REFUSED = {
  refused: 'You are not allowed to read the bitmapist metrics.\n',
  closed:
    'The bitmapist metrics are closed: give koaBitmapist an authorize(ctx) or authorizeMetrics(ctx) option, ' +
    'or run with NODE_ENV=development to open them to every visitor.\n',
};

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
 * behind a 503 goes to `app.emit('error', err, ctx)`. `/metrics` answers the plugin's Prometheus text behind
 * `authorizeMetrics(ctx)` (default `authorize(ctx)`), decided inside its route the same way.
 */
export function dashboardRouter(plugin: KoaBitmapist, options: DashboardAccess & { prefix: string }): Router {
  const dashboard = new Dashboard(plugin, options.prefix);
  const router = new Router({ prefix: options.prefix });
  for (const route of dashboard.routes) {
    router.get(route.path, async function bitmapistDashboardRoute(ctx: Context): Promise<void> {
      // A client that leaves before the answer (its connection closed first) stops the view's Redis work.
      const abandoned = new AbortController();
      const onClose = () => {
        if (!ctx.res.writableFinished) abandoned.abort();
      };
      ctx.res.once('close', onClose);
      // Gone already, while a middleware before this route was still at work: its 'close' has been and gone.
      if (ctx.res.closed || ctx.req.socket?.destroyed) abandoned.abort();
      try {
        // The raw query string: Koa's ctx.query costs the square of a repeated name's count, before any decision.
        const response = await route.handle(ctx.querystring, await access(ctx, options), abandoned.signal);
        if (response.error !== undefined) emitAppError(ctx.app, response.error, ctx);
        send(ctx, response);
      } finally {
        ctx.res.off('close', onClose);
      }
    });
  }
  const metricsAccess = { ...options, authorize: options.authorizeMetrics ?? options.authorize };
  router.get('/metrics', async function bitmapistMetricsRoute(ctx: Context): Promise<void> {
    const decision = await access(ctx, metricsAccess);
    setAnswerHeaders(ctx);
    if (decision === 'allowed') {
      ctx.type = PROMETHEUS_CONTENT_TYPE;
      ctx.body = plugin.metricsText();
    } else {
      ctx.status = 403;
      ctx.type = CONTENT_TYPES.text;
      ctx.body = METRICS_REFUSED[decision];
    }
  });
  return router;
}

async function access(ctx: Context, options: DashboardAccess): Promise<Access> {
  if (!options.authorize) return options.openWithoutAuthorize ? 'allowed' : 'closed';
  return (await options.authorize(ctx)) === true ? 'allowed' : 'refused';
}

/**
 * What every dashboard and metrics answer carries: never cached (analytics behind `authorize`), its type
 * never sniffed (a CSV or an SVG is never run as a page, whatever an event name holds), and a policy that lets
 * only the dashboard's own script run.
 */
function setAnswerHeaders(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', DASHBOARD_CONTENT_SECURITY_POLICY);
}

function send(ctx: Context, response: DashboardResponse): void {
  ctx.status = response.status;
  setAnswerHeaders(ctx);
  if (response.attachment !== undefined) ctx.attachment(response.attachment);
  ctx.type = CONTENT_TYPES[response.type];
  ctx.body = response.body;
}
