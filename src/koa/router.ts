import { Router } from '@koa/router';
import type { Context, Next } from 'koa';
import { BitmapistArgumentError } from '../engine/errors.js';
import { emitAppError } from './app-errors.js';
import { cohortPage } from './cohort-page.js';
import { buildCohortView, cohortCsv, cohortJson } from './cohort-table.js';
import { EventNameCache } from './event-names.js';
import { eventsPage, type EventCounts } from './events-page.js';
import { errorBody, layout } from './html.js';
import type { KoaBitmapist } from './plugin.js';
import { parseCohortQuery, parseEventsQuery } from './query.js';
import { isRetryable } from './retryable.js';

/** The most events the events page counts (4 script calls each); narrow the list with `?prefix=`. */
export const MAX_LISTED_EVENTS = 500;

/** Options of {@link dashboardRouter}. */
export interface DashboardOptions {
  prefix: string;
  authorize?: (ctx: Context) => boolean | Promise<boolean>;
  production: boolean;
}

/**
 * The dashboard: `GET {prefix}/` lists every event with its counts, `GET {prefix}/cohort` is the cohort
 * form and heat map (`?format=json|csv` for the data). Bad parameters answer 400, an unauthorized
 * request 403, and an unreachable Redis 503; never a 500 for anything the request says.
 */
export function dashboardRouter(plugin: KoaBitmapist, options: DashboardOptions): Router {
  const { prefix } = options;
  const router = new Router({ prefix });
  const names = new EventNameCache(plugin);

  router.use(async function bitmapistAuthorize(ctx: Context, next: Next) {
    const allowed = options.authorize ? await options.authorize(ctx) : !options.production;
    if (allowed !== true) {
      const message = options.authorize
        ? 'You are not allowed to see the bitmapist dashboard.'
        : 'The bitmapist dashboard is disabled in production until the app gives koaBitmapist an authorize(ctx) option.';
      return respondError(ctx, 403, message, prefix);
    }
    await next();
  });

  router.get('/', guarded(prefix, async function bitmapistEvents(ctx: Context) {
    const query = parseEventsQuery(ctx.query);
    const engine = plugin.system(query.system);
    const all = await engine.getEventNames({ prefix: query.prefix });
    const now = query.now ?? new Date();
    const events = await Promise.all(
      all.slice(0, MAX_LISTED_EVENTS).map(async (name): Promise<EventCounts> => {
        const [day, week, month, year] = await Promise.all(
          [engine.day(name, now), engine.week(name, now), engine.month(name, now), engine.year(name, now)].map((set) => set.count()),
        );
        return { name, day: day!, week: week!, month: month!, year: year! };
      }),
    );
    const omitted = Math.max(0, all.length - MAX_LISTED_EVENTS);
    ctx.set('Cache-Control', 'no-store');
    if (query.format === 'json') ctx.body = { now: now.toISOString(), events, omitted };
    else ctx.body = eventsPage({ prefix, events, filter: query.prefix, omitted, now });
  }));

  router.get('/cohort', guarded(prefix, async function bitmapistCohort(ctx: Context) {
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
    ]);
    const result = await plugin.getCohort(query.primary, query.secondary, {
      system,
      additionalEvents: query.additional,
      timeGroup: query.timeGroup,
      numRows: query.rows,
      numCols: query.cols,
      mode: query.mode,
      now: query.now,
    });
    const view = buildCohortView(result, query.timeGroup, query.cols);
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
  return router;
}

/** Turns refused parameters into 400 and an unreachable Redis into 503 (reported to the app); the rest propagates. */
function guarded(prefix: string, handler: (ctx: Context) => Promise<void>) {
  return async function bitmapistGuarded(ctx: Context): Promise<void> {
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
function respondError(ctx: Context, status: number, message: string, prefix: string, parameter?: string): void {
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
