import { toUtc } from '../../engine/time/periods.js';
import { pageAnswer, systemOf, type DashboardRequest } from '../shared/request.js';
import { jsonAnswer, type DashboardResponse } from '../shared/respond.js';
import { eventCounts, eventsRetention, MAX_LISTED_EVENTS } from './data.js';
import { eventsPage } from './page.js';
import { parseEventsQuery } from './query.js';

/** `GET {prefix}/`: every event (up to {@link MAX_LISTED_EVENTS}) with its counts, as a page or JSON. */
export async function eventsRoute(request: DashboardRequest): Promise<DashboardResponse> {
  const query = parseEventsQuery(request.query);
  const { system, engine } = systemOf(request, query.system);
  const all = (await request.names.list(system)).filter((name) => name.startsWith(query.prefix));
  const now = query.now ?? new Date();
  // Periods beyond the `expire` retention read null (their bitmaps are gone), not 0.
  const expired = eventsRetention(engine.expire, now, new Date(), engine.timeZone);
  const events = await eventCounts(engine, all.slice(0, MAX_LISTED_EVENTS), now, expired, request.signal);
  const omitted = Math.max(0, all.length - MAX_LISTED_EVENTS);
  if (query.format === 'json') {
    // The instant counted at: a date's local end of day in the engine's zone (its UTC end of day only in UTC).
    const instant = toUtc(now, 'now', engine.timeZone).toDate();
    return jsonAnswer({ now: instant.toISOString(), events, omitted, ...(expired ? { beyondRetention: expired } : {}) });
  }
  return pageAnswer(request, 'Events', eventsPage({ prefix: request.frame.prefix, events, filter: query.prefix, omitted, now, expired }));
}
