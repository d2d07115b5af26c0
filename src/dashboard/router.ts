import { Router } from '@koa/router';
import type { Context } from 'koa';
import { registerTrendRoutes } from './trends/route.js';
import { cohortPage } from './cohort/page.js';
import { buildCohortView, cohortCsv, cohortJson } from './cohort/data.js';
import { dashboardRoute, type DashboardAccess } from './guard.js';
import { EventNameCache } from './shared/event-names.js';
import { respondLifecycle } from './lifecycle/page.js';
import { eventsPage, type EventCounts } from './events/page.js';
import type { KoaBitmapist } from '../koa/plugin.js';
import { parseCohortQuery, parseEventsQuery } from './shared/query.js';
import { applyRetention, eventsRetention } from './shared/expired.js';

/** The most events the events page counts (4 script calls each); narrow the list with `?prefix=`. */
export const MAX_LISTED_EVENTS = 500;

/** Options of {@link dashboardRouter}. */
export interface DashboardOptions extends DashboardAccess {
  prefix: string;
}

/**
 * The dashboard: `GET {prefix}/` lists every event with its counts, `GET {prefix}/cohort` is the cohort
 * form and heat map (`?format=json|csv` for the data), `GET {prefix}/lifecycle` one event's lifecycle chart.
 * Every route checks access itself (403), bad parameters answer 400 and an unreachable Redis 503; never a 500
 * for anything the request says.
 */
export function dashboardRouter(plugin: KoaBitmapist, options: DashboardOptions): Router {
  const { prefix } = options;
  const router = new Router({ prefix });
  const names = new EventNameCache(plugin);
  const route = (handler: (ctx: Context) => Promise<void>) => dashboardRoute(prefix, options, handler);

  router.get('/', route(async function bitmapistEvents(ctx: Context) {
    const query = parseEventsQuery(ctx.query);
    const system = query.system ?? plugin.defaultSystem;
    const engine = plugin.system(system);
    const all = (await names.list(system)).filter((name) => name.startsWith(query.prefix));
    const now = query.now ?? new Date();
    // Periods beyond the `expire` retention read null (their bitmaps are gone), not 0.
    const expired = eventsRetention(engine.expire, now, new Date());
    const events = await Promise.all(
      all.slice(0, MAX_LISTED_EVENTS).map(async (name): Promise<EventCounts> => {
        const [day, week, month, year] = await Promise.all(
          [engine.day(name, now), engine.week(name, now), engine.month(name, now), engine.year(name, now)].map((set) =>
            expired?.[set.unit as keyof typeof expired] ? null : set.count(),
          ),
        );
        return { name, day: day!, week: week!, month: month!, year: year! };
      }),
    );
    const omitted = Math.max(0, all.length - MAX_LISTED_EVENTS);
    ctx.set('Cache-Control', 'no-store');
    if (query.format === 'json') ctx.body = { now: now.toISOString(), events, omitted, ...(expired ? { beyondRetention: expired } : {}) };
    else ctx.body = eventsPage({ prefix, events, filter: query.prefix, omitted, now, expired });
  }));

  router.get('/cohort', route(async function bitmapistCohort(ctx: Context) {
    const query = parseCohortQuery(ctx.query);
    const system = query.system ?? plugin.defaultSystem;
    plugin.system(system);
    const eventNames = await names.list(system);
    const form = { prefix, query, eventNames, systems: plugin.systemNames, defaultSystem: plugin.defaultSystem };
    ctx.set('Cache-Control', 'no-store');
    if (query.primary === undefined || query.secondary === undefined) {
      ctx.body = cohortPage(form);
      return;
    }
    await names.assertKnown(system, [
      ['primary', query.primary],
      ['secondary', query.secondary],
      ...query.additional.map((event): [string, string] => ['additional', event.name]),
    ], query.now);
    const result = await plugin.getCohort(query.primary, query.secondary, {
      system,
      additionalEvents: query.additional,
      timeGroup: query.timeGroup,
      numRows: query.rows,
      numCols: query.cols,
      mode: query.mode,
      now: query.now,
    });
    const retention = applyRetention(result, query.timeGroup, plugin.system(system).expire, new Date());
    const view = buildCohortView(result, query.timeGroup, query.cols, retention);
    const asPercent = query.display === 'percent';
    if (query.format === 'json') {
      ctx.body = cohortJson(view, asPercent);
    } else if (query.format === 'csv') {
      ctx.attachment(`cohort-${query.timeGroup}.csv`);
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = cohortCsv(view, asPercent);
    } else {
      ctx.body = cohortPage({ ...form, view });
    }
  }));
  router.get('/lifecycle', route(async function bitmapistLifecycle(ctx: Context) {
    await respondLifecycle(ctx, plugin, names, prefix);
  }));
  registerTrendRoutes(router, { prefix, plugin, names, route });
  return router;
}
