import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { activeUsers, trendCounts } from '../../engine/insights/trends.js';
import { activeUsersView, trendView } from './data.js';
import { activeUsersCsv, activeUsersFileName, activeUsersJson, activeUsersPage } from '../active-users/page.js';
import type { EventNameCache } from '../shared/event-names.js';
import type { KoaBitmapist } from '../../koa/plugin.js';
import { trendsCsv, trendsJson, trendsPage } from './page.js';
import { eventSparkline, SPARKLINE_LIMITS } from '../events/sparkline.js';
import { sparkline } from '../charts/line.js';
import { parseActiveUsersQuery, parseSparklineQuery, parseTrendsQuery } from './query.js';

/** What {@link registerTrendRoutes} needs from the dashboard router. */
export interface ChartRouteContext {
  prefix: string;
  plugin: KoaBitmapist;
  names: EventNameCache;
  /** Wraps a handler in the dashboard's access check and error answers (`dashboardRoute`). */
  route: (handler: (ctx: Context) => Promise<void>) => (ctx: Context) => Promise<void>;
}

/**
 * Adds `GET /trends` (users per period of up to 10 events) and `GET /active` (DAU, WAU, MAU and stickiness of
 * one event), each as an HTML page with SVG charts, `?format=json` or `?format=csv`, and `GET /sparkline` (an
 * SVG image of one event's last days, shown on the events page). Unknown events answer 400.
 */
export function registerTrendRoutes(router: Router, { prefix, plugin, names, route }: ChartRouteContext): void {
  router.get('/trends', route(async function bitmapistTrends(ctx: Context) {
    const query = parseTrendsQuery(ctx.query);
    const system = query.system ?? plugin.defaultSystem;
    const engine = plugin.system(system);
    ctx.set('Cache-Control', 'no-store');
    if (query.events.length === 0) {
      ctx.body = trendsPage({ prefix, query, eventNames: await names.list(system) });
      return;
    }
    await names.assertKnown(system, query.events.map((event): [string, string] => ['event', event]), query.now);
    const counted = await trendCounts(engine, query.events, { timeGroup: query.timeGroup, periods: query.periods, now: query.now ?? new Date() });
    const trend = trendView(counted, engine.expire, new Date());
    if (query.format === 'json') ctx.body = trendsJson(trend);
    else if (query.format === 'csv') {
      ctx.attachment(`trends-${query.timeGroup}.csv`);
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = trendsCsv(trend);
    } else ctx.body = trendsPage({ prefix, query, trend, eventNames: await names.list(system) });
  }));

  router.get('/active', route(async function bitmapistActiveUsers(ctx: Context) {
    const query = parseActiveUsersQuery(ctx.query);
    const system = query.system ?? plugin.defaultSystem;
    const engine = plugin.system(system);
    ctx.set('Cache-Control', 'no-store');
    if (query.event === undefined) {
      ctx.body = activeUsersPage({ prefix, query, eventNames: await names.list(system) });
      return;
    }
    await names.assertKnown(system, [['event', query.event]], query.now);
    const counted = await activeUsers(engine, query.event, { days: query.days, now: query.now ?? new Date() });
    const active = activeUsersView(counted, engine.expire, new Date());
    if (query.format === 'json') ctx.body = activeUsersJson(active);
    else if (query.format === 'csv') {
      ctx.attachment(activeUsersFileName(query.event));
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = activeUsersCsv(active);
    } else ctx.body = activeUsersPage({ prefix, query, active, eventNames: await names.list(system) });
  }));

  router.get('/sparkline', route(async function bitmapistSparkline(ctx: Context) {
    const query = parseSparklineQuery(ctx.query);
    const system = query.system ?? plugin.defaultSystem;
    const engine = plugin.system(system);
    await names.assertKnown(system, [['event', query.event]], query.now);
    const counts = await eventSparkline(engine, query.event, query.now ?? new Date());
    const label = `${query.event}: users per day over the last ${SPARKLINE_LIMITS.days} days: ${counts.map((n) => n ?? 'expired').join(', ')}`;
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'image/svg+xml';
    ctx.body = sparkline(counts, label).value;
  }));
}
