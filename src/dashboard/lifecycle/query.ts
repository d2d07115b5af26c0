import { BitmapistArgumentError } from '../../engine/errors.js';
import { MAX_LIFECYCLE_PERIODS } from '../../engine/insights/lifecycle.js';
import { timeGroupUnit, unitTimeGroup, type TimeGroup } from '../../engine/time/periods.js';
import { checkName, integer, oneOf, parseNow, shown, single, TIME_GROUP_NAMES, type Format, type Query } from '../shared/query.js';

/** The lifecycle page's caps and defaults: `periods` from 1 to 90 (30 when absent), days by default. */
export const LIFECYCLE_LIMITS = { maxPeriods: MAX_LIFECYCLE_PERIODS, defaultPeriods: 30, defaultTimeGroup: 'days' } as const;

/** The lifecycle page's parameters, checked. `event` is absent only on the bare HTML form. */
export interface LifecycleQuery {
  event?: string;
  /** The event that marks a user's creation ('' / absent: new means first seen in the range). */
  created?: string;
  timeGroup: TimeGroup;
  periods: number;
  /** The `now` parameter as given ('' when absent) and as a date. */
  nowText: string;
  now?: Date;
  system?: string;
  format: Format;
}

/** Checks `?event=&timeGroup=&periods=&created=&now=&format=`; throws `BitmapistArgumentError` naming the parameter. */
export function parseLifecycleQuery(query: Query): LifecycleQuery {
  const format = oneOf(query, 'format', ['html', 'json', 'csv'] as const, 'html');
  const event = single(query, 'event') || undefined;
  if (event !== undefined) checkName(event, 'event');
  if (event === undefined && format !== 'html') throw new BitmapistArgumentError('event', 'is required: name an event');
  const created = single(query, 'created') || undefined;
  if (created !== undefined) checkName(created, 'created');
  const rawTimeGroup = single(query, 'timeGroup') || LIFECYCLE_LIMITS.defaultTimeGroup;
  // Checked against the list first: a name such as `constructor` is not a time group.
  if (!TIME_GROUP_NAMES.includes(rawTimeGroup)) {
    throw new BitmapistArgumentError('timeGroup', `must be days, weeks, months or years, got ${shown(rawTimeGroup)}`);
  }
  const nowText = single(query, 'now') ?? '';
  return {
    event,
    created,
    timeGroup: unitTimeGroup(timeGroupUnit(rawTimeGroup) as 'day' | 'week' | 'month' | 'year'),
    periods: integer(query, 'periods', 1, LIFECYCLE_LIMITS.maxPeriods, LIFECYCLE_LIMITS.defaultPeriods),
    nowText,
    now: nowText === '' ? undefined : parseNow(nowText),
    system: single(query, 'system') || undefined,
    format,
  };
}
