import { settleAll } from '../../engine/redis/bounded.js';
import { trendCounts } from '../../engine/insights/trends.js';
import { pageAnswer, systemOf, type DashboardRequest } from '../shared/request.js';
import { csvAnswer, jsonAnswer, type DashboardResponse } from '../shared/respond.js';
import { segmentOf } from '../shared/segments.js';
import { breakdownTrend, trendsCsv, trendsJson, trendView } from './data.js';
import { trendsPage } from './page.js';
import { parseTrendsQuery } from './query.js';

/**
 * `GET {prefix}/trends`: users per period of up to 10 events, as an SVG line chart with its table, JSON or CSV
 * (without events: the form); with `segment` only its users count, with `breakdown` one line per event and
 * segment (within `segment` when both are given). Unknown events, and segments without a unique bitmap, answer 400.
 */
export async function trendsRoute(request: DashboardRequest): Promise<DashboardResponse> {
  const query = parseTrendsQuery(request.query);
  const { system, engine } = systemOf(request, query.system);
  const prefix = request.frame.prefix;
  if (query.events.length === 0) return pageAnswer(request, 'Trends', trendsPage({ prefix, query, eventNames: await request.names.list(system) }));
  await request.names.assertKnown(system, query.events.map((event): [string, string] => ['event', event]), query.now);
  const segment = query.segment === undefined ? undefined : await segmentOf(engine, query.segment, 'segment');
  const breakdown = [];
  for (const event of query.breakdown) breakdown.push({ event, set: await segmentOf(engine, event, 'breakdown') });
  const options = { timeGroup: query.timeGroup, periods: query.periods, now: query.now ?? new Date(), signal: request.signal };
  const counted =
    breakdown.length === 0
      ? await trendCounts(engine, query.events, { ...options, segment })
      : breakdownTrend(
          await settleAll(
            breakdown.map(async ({ event, set }) => ({
              segment: event,
              trend: await trendCounts(engine, query.events, { ...options, segment: segment ? set.and(segment) : set }),
            })),
          ),
        );
  const trend = { ...trendView(counted, engine.expire, new Date()), ...(query.segment === undefined ? {} : { segment: query.segment }) };
  if (query.format === 'json') return jsonAnswer(trendsJson(trend));
  if (query.format === 'csv') return csvAnswer(`trends-${query.timeGroup}.csv`, trendsCsv(trend));
  return pageAnswer(request, 'Trends', trendsPage({ prefix, query, trend, eventNames: await request.names.list(system) }));
}
