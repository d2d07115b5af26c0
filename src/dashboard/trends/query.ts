import { BitmapistArgumentError } from '../../engine/errors.js';
import { TREND_LIMITS } from '../../engine/insights/trends.js';
import type { TimeGroup } from '../../engine/time/time-groups.js';
import { CHART_DEFAULTS, eventParam, eventsParam, MAX_BREAKDOWN_SEGMENTS, formatParam, integer, nowParam, systemParam, timeGroupParam, type Format, type Query } from '../shared/query.js';

/** The trends page's parameters, checked. `events` is empty only on the bare HTML form. */
export interface TrendsQuery {
  events: string[];
  timeGroup: TimeGroup;
  periods: number;
  nowText: string;
  now?: Date;
  /** An event whose unique bitmap is the segment shown. */
  segment?: string;
  /** Events whose unique bitmaps split each event's line, one series per event and segment. */
  breakdown: string[];
  system?: string;
  format: Format;
}

/** Checks `?event=a&event=b&timeGroup=&periods=&now=&format=`; throws `BitmapistArgumentError` naming the parameter. */
export function parseTrendsQuery(query: Query): TrendsQuery {
  const format = formatParam(query);
  const events = eventsParam(query, 'event', TREND_LIMITS.maxEvents);
  if (events.length === 0 && format !== 'html') throw new BitmapistArgumentError('event', 'is required: name an event');
  const timeGroup = timeGroupParam(query, CHART_DEFAULTS.timeGroup);
  const maxPeriods = TREND_LIMITS.maxPeriods[timeGroup];
  const periods = integer(query, 'periods', 1, maxPeriods, Math.min(CHART_DEFAULTS.periods, maxPeriods));
  const { nowText, now } = nowParam(query);
  const segment = eventParam(query, 'segment');
  const breakdown = eventsParam(query, 'breakdown', MAX_BREAKDOWN_SEGMENTS);
  return { events, timeGroup, periods, nowText, now, segment, breakdown, system: systemParam(query), format };
}
