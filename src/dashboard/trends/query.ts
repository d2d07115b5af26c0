import { BitmapistArgumentError } from '../../engine/errors.js';
import { timeGroupUnit, unitTimeGroup, type TimeGroup } from '../../engine/time/periods.js';
import { ACTIVE_USERS_LIMITS, TREND_LIMITS } from '../../engine/insights/trends.js';
import { checkName, integer, list, oneOf, parseNow, shown, single, TIME_GROUP_NAMES, type Format, type Query } from '../shared/query.js';

/** What the trends and active-users pages show when a parameter is not given. */
export const CHART_DEFAULTS = { timeGroup: 'days', periods: 30, days: 30 } as const;

/** The trends page's parameters, checked. `events` is empty only on the bare HTML form. */
export interface TrendsQuery {
  events: string[];
  timeGroup: TimeGroup;
  periods: number;
  nowText: string;
  now?: Date;
  system?: string;
  format: Format;
}

/** The active-users page's parameters, checked. `event` is absent only on the bare HTML form. */
export interface ActiveUsersQuery {
  event?: string;
  days: number;
  nowText: string;
  now?: Date;
  system?: string;
  format: Format;
}

/** Checks `?event=a&event=b&timeGroup=&periods=&now=&format=`; throws `BitmapistArgumentError` naming the parameter. */
export function parseTrendsQuery(query: Query): TrendsQuery {
  const format = oneOf(query, 'format', ['html', 'json', 'csv'] as const, 'html');
  const events = list(query.event).filter((name) => name !== '');
  events.forEach((name) => checkName(name, 'event'));
  if (events.length > TREND_LIMITS.maxEvents) {
    throw new BitmapistArgumentError('event', `at most ${TREND_LIMITS.maxEvents} events, got ${events.length}`);
  }
  if (events.length === 0 && format !== 'html') throw new BitmapistArgumentError('event', 'is required: name an event');
  const rawTimeGroup = single(query, 'timeGroup') || CHART_DEFAULTS.timeGroup;
  if (!TIME_GROUP_NAMES.includes(rawTimeGroup)) {
    throw new BitmapistArgumentError('timeGroup', `must be days, weeks, months or years, got ${shown(rawTimeGroup)}`);
  }
  const timeGroup = unitTimeGroup(timeGroupUnit(rawTimeGroup) as 'day' | 'week' | 'month' | 'year');
  const maxPeriods = TREND_LIMITS.maxPeriods[timeGroup];
  const nowText = single(query, 'now') ?? '';
  return {
    events: [...new Set(events)],
    timeGroup,
    periods: integer(query, 'periods', 1, maxPeriods, Math.min(CHART_DEFAULTS.periods, maxPeriods)),
    nowText,
    now: nowText === '' ? undefined : parseNow(nowText),
    system: single(query, 'system') || undefined,
    format,
  };
}

/** Checks `?event=a&days=&now=&format=`; throws `BitmapistArgumentError` naming the parameter. */
export function parseActiveUsersQuery(query: Query): ActiveUsersQuery {
  const format = oneOf(query, 'format', ['html', 'json', 'csv'] as const, 'html');
  const event = single(query, 'event') || undefined;
  if (event !== undefined) checkName(event, 'event');
  if (event === undefined && format !== 'html') throw new BitmapistArgumentError('event', 'is required: name an event');
  const nowText = single(query, 'now') ?? '';
  return {
    event,
    days: integer(query, 'days', 1, ACTIVE_USERS_LIMITS.maxDays, CHART_DEFAULTS.days),
    nowText,
    now: nowText === '' ? undefined : parseNow(nowText),
    system: single(query, 'system') || undefined,
    format,
  };
}

/** Checks the sparkline image's `?event=&now=`; throws `BitmapistArgumentError` naming the parameter. */
export function parseSparklineQuery(query: Query): { event: string; now?: Date; system?: string } {
  const event = single(query, 'event') || undefined;
  if (event === undefined) throw new BitmapistArgumentError('event', 'is required: name an event');
  checkName(event, 'event');
  const nowText = single(query, 'now') ?? '';
  return { event, now: nowText === '' ? undefined : parseNow(nowText), system: single(query, 'system') || undefined };
}
