import { BitmapistArgumentError } from '../../engine/errors.js';
import { ACTIVE_USERS_LIMITS } from '../../engine/insights/active-users.js';
import { CHART_DEFAULTS, eventParam, formatParam, integer, nowParam, systemParam, type Format, type Query } from '../shared/query.js';

/** The active-users page's parameters, checked. `event` is absent only on the bare HTML form. */
export interface ActiveUsersQuery {
  event?: string;
  days: number;
  nowText: string;
  now?: Date;
  /** An event whose unique bitmap is the segment shown. */
  segment?: string;
  system?: string;
  format: Format;
}

/** Checks `?event=a&days=&now=&format=`; throws `BitmapistArgumentError` naming the parameter. */
export function parseActiveUsersQuery(query: Query): ActiveUsersQuery {
  const format = formatParam(query);
  const event = eventParam(query, 'event');
  if (event === undefined && format !== 'html') throw new BitmapistArgumentError('event', 'is required: name an event');
  const days = integer(query, 'days', 1, ACTIVE_USERS_LIMITS.maxDays, CHART_DEFAULTS.days);
  const { nowText, now } = nowParam(query);
  return { event, days, nowText, now, segment: eventParam(query, 'segment'), system: systemParam(query), format };
}
