import type { FunnelOptions } from '../../engine/insights/funnels.js';
import { pageAnswer, systemOf, type DashboardRequest } from '../shared/request.js';
import { csvAnswer, jsonAnswer, type DashboardResponse } from '../shared/respond.js';
import { segmentOf } from '../shared/segments.js';
import { funnelCsv, funnelJson, funnelView } from './data.js';
import { funnelsPage } from './page.js';
import { parseFunnelsQuery } from './query.js';

/**
 * `GET {prefix}/funnels`: where users drop off between 2 to 10 steps, as a page (bars of the steps, the time to
 * convert, the entry periods), JSON or CSV; with `segment` only its users count, with `breakdown` one funnel per
 * segment (within `segment` when both are given). Every parameter is checked, and each named event must exist,
 * before any bitmap is read.
 */
export async function funnelsRoute(request: DashboardRequest): Promise<DashboardResponse> {
  const query = parseFunnelsQuery(request.query);
  const { system, engine } = systemOf(request, query.system);
  const prefix = request.frame.prefix;
  if (query.steps.length < 2) return pageAnswer(request, 'Funnels', funnelsPage({ prefix, query, eventNames: await request.names.list(system) }));
  await request.names.assertKnown(system, query.steps.map((step): [string, string] => ['step', step]), query.now);
  const segment = query.segment === undefined ? undefined : await segmentOf(engine, query.segment, 'segment');
  const breakdown = [];
  for (const event of query.breakdown) breakdown.push({ event, set: await segmentOf(engine, event, 'breakdown') });
  const options: FunnelOptions = { timeGroup: query.timeGroup, periods: query.periods, window: query.window, order: query.order, now: query.now, signal: request.signal };
  const result = await engine.getFunnel(query.steps, { ...options, segment });
  const parts = [];
  for (const { event, set } of breakdown) {
    parts.push({ segment: event, result: await engine.getFunnel(query.steps, { ...options, segment: segment ? set.and(segment) : set }) });
  }
  const view = funnelView(result, query.segment, parts);
  if (query.format === 'json') return jsonAnswer(funnelJson(view));
  if (query.format === 'csv') return csvAnswer(`funnel-${query.timeGroup}.csv`, funnelCsv(view));
  return pageAnswer(request, 'Funnels', funnelsPage({ prefix, query, view, eventNames: await request.names.list(system) }));
}
