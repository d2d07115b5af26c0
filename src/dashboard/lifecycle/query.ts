import { BitmapistArgumentError } from '../../engine/errors.js';
import { MAX_LIFECYCLE_PERIODS } from '../../engine/insights/lifecycle.js';
import type { TimeGroup } from '../../engine/time/time-groups.js';
import { eventParam, formatParam, integer, nowParam, systemParam, timeGroupParam, type Format, type Query } from '../shared/query.js';

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
  /** An event whose unique bitmap is the segment shown. */
  segment?: string;
  system?: string;
  format: Format;
}

/** Checks `?event=&timeGroup=&periods=&created=&now=&format=`; throws `BitmapistArgumentError` naming the parameter. */
export function parseLifecycleQuery(query: Query): LifecycleQuery {
  const format = formatParam(query);
  const event = eventParam(query, 'event');
  if (event === undefined && format !== 'html') throw new BitmapistArgumentError('event', 'is required: name an event');
  const created = eventParam(query, 'created');
  const timeGroup = timeGroupParam(query, LIFECYCLE_LIMITS.defaultTimeGroup);
  const periods = integer(query, 'periods', 1, LIFECYCLE_LIMITS.maxPeriods, LIFECYCLE_LIMITS.defaultPeriods);
  const { nowText, now } = nowParam(query);
  return { event, created, timeGroup, periods, nowText, now, segment: eventParam(query, 'segment'), system: systemParam(query), format };
}
