import { pageAnswer, systemOf, type DashboardRequest } from '../shared/request.js';
import { segmentOf } from '../shared/segments.js';
import { csvAnswer, jsonAnswer, type DashboardResponse } from '../shared/respond.js';
import { lifecycleCsv, lifecycleJson, lifecycleRetention } from './data.js';
import { lifecyclePage } from './page.js';
import { parseLifecycleQuery } from './query.js';

/**
 * `GET {prefix}/lifecycle`: the bare form, or one event's lifecycle as a chart, JSON or CSV. Unknown events
 * answer 400.
 */
export async function lifecycleRoute(request: DashboardRequest): Promise<DashboardResponse> {
  const query = parseLifecycleQuery(request.query);
  const { system, engine } = systemOf(request, query.system);
  const eventNames = await request.names.list(system);
  const prefix = request.frame.prefix;
  if (query.event === undefined) return pageAnswer(request, 'Lifecycle', lifecyclePage({ prefix, query, eventNames }));
  const created: [string, string][] = query.created ? [['created', query.created]] : [];
  await request.names.assertKnown(system, [['event', query.event], ...created], query.now);
  const segment = query.segment === undefined ? undefined : await segmentOf(engine, query.segment, 'segment');
  const lifecycle = await engine.getLifecycle(query.event, { timeGroup: query.timeGroup, periods: query.periods, now: query.now, created: query.created, segment, signal: request.signal });
  const result = engine.timeZone.isUtc ? lifecycle : { ...lifecycle, timeZone: engine.timeZone.name };
  const beyond = lifecycleRetention(result, engine.expire, new Date());
  if (query.format === 'json') return jsonAnswer({ ...lifecycleJson(result, beyond), ...(query.segment === undefined ? {} : { segment: query.segment }) });
  if (query.format === 'csv') return csvAnswer(`lifecycle-${query.timeGroup}.csv`, lifecycleCsv(result, beyond));
  return pageAnswer(request, 'Lifecycle', lifecyclePage({ prefix, query, eventNames, result, beyond }));
}
