import { activeUsers } from '../../engine/insights/active-users.js';
import { pageAnswer, systemOf, type DashboardRequest } from '../shared/request.js';
import { segmentOf } from '../shared/segments.js';
import { csvAnswer, jsonAnswer, type DashboardResponse } from '../shared/respond.js';
import { activeUsersCsv, activeUsersFileName, activeUsersJson, activeUsersView } from './data.js';
import { activeUsersPage } from './page.js';
import { parseActiveUsersQuery } from './query.js';

/**
 * `GET {prefix}/active`: DAU, WAU, MAU and stickiness of one event, as SVG charts with their table, JSON or
 * CSV (without an event: the form). An unknown event answers 400.
 */
export async function activeUsersRoute(request: DashboardRequest): Promise<DashboardResponse> {
  const query = parseActiveUsersQuery(request.query);
  const { system, engine } = systemOf(request, query.system);
  const prefix = request.frame.prefix;
  if (query.event === undefined) return pageAnswer(request, 'Active users', activeUsersPage({ prefix, query, eventNames: await request.names.list(system) }));
  await request.names.assertKnown(system, [['event', query.event]], query.now);
  const segment = query.segment === undefined ? undefined : await segmentOf(engine, query.segment, 'segment');
  const counted = await activeUsers(engine, query.event, { days: query.days, now: query.now ?? new Date(), segment, signal: request.signal });
  const active = { ...activeUsersView(counted, engine.expire, new Date()), ...(query.segment === undefined ? {} : { segment: query.segment }) };
  if (query.format === 'json') return jsonAnswer(activeUsersJson(active));
  if (query.format === 'csv') return csvAnswer(activeUsersFileName(query.event), activeUsersCsv(active));
  return pageAnswer(request, 'Active users', activeUsersPage({ prefix, query, active, eventNames: await request.names.list(system) }));
}
