import { pageAnswer, systemOf, type DashboardRequest } from '../shared/request.js';
import { segmentOf } from '../shared/segments.js';
import { csvAnswer, jsonAnswer, type DashboardResponse } from '../shared/respond.js';
import { applyRetention, buildCohortView, cohortCsv, cohortJson } from './data.js';
import { cohortPage } from './page.js';
import { parseCohortQuery } from './query.js';

/**
 * `GET {prefix}/cohort`: the cohort form and, when events are named, the heat map with its retention curves,
 * or the cohort as JSON or CSV. Unknown events answer 400.
 */
export async function cohortRoute(request: DashboardRequest): Promise<DashboardResponse> {
  const query = parseCohortQuery(request.query);
  const { system, engine } = systemOf(request, query.system);
  const eventNames = await request.names.list(system);
  const { host } = request;
  const form = { prefix: request.frame.prefix, query, eventNames, systems: host.systemNames, defaultSystem: host.defaultSystem };
  if (query.primary === undefined || query.secondary === undefined) return pageAnswer(request, 'Cohorts', cohortPage(form));
  const additional = query.additional.map((event): [string, string] => ['additional', event.name]);
  await request.names.assertKnown(system, [['primary', query.primary], ['secondary', query.secondary], ...additional], query.now);
  const segment = query.segment === undefined ? undefined : await segmentOf(engine, query.segment, 'segment');
  const result = await engine.getCohort(query.primary, query.secondary, {
    segment,
    additionalEvents: query.additional,
    timeGroup: query.timeGroup,
    numRows: query.rows,
    numCols: query.cols,
    mode: query.mode,
    now: query.now,
    signal: request.signal,
  });
  const retention = applyRetention(result, query.timeGroup, engine.expire, new Date());
  const view = buildCohortView(result, query.timeGroup, query.cols, retention);
  const asPercent = query.display === 'percent';
  if (query.format === 'json') return jsonAnswer({ ...cohortJson(view, asPercent), ...(query.segment === undefined ? {} : { segment: query.segment }) });
  if (query.format === 'csv') return csvAnswer(`cohort-${query.timeGroup}.csv`, cohortCsv(view, asPercent));
  return pageAnswer(request, 'Cohorts', cohortPage({ ...form, view }));
}
