import type { Bitmapist } from '../../engine/bitmapist.js';
import type { UserIdMode } from '../../engine/ids/user-ids.js';
import { periodCounts } from '../../engine/insights/period-counts.js';
import { periodBeyondRetention, type ExpireOptions } from '../../engine/time/retention.js';
import { periodStart, toUtc } from '../../engine/time/periods.js';
import type { PeriodUnit } from '../../engine/time/time-groups.js';
import type { TimeZone } from '../../engine/time/time-zone.js';

/** The most events the events page counts (4 counts each, a few programs for the whole list); narrow the list with `?prefix=`. */
export const MAX_LISTED_EVENTS = 500;

/**
 * One event's user counts in the current day, ISO week, month and year (the engine's local ones); null for a period beyond the
 * `expire` retention (its bitmaps are gone).
 */
export interface EventCounts {
  name: string;
  day: number | null;
  week: number | null;
  month: number | null;
  year: number | null;
}

/** Per column of the events page (the periods containing `date`): whether it is beyond retention at `now`. */
export interface EventsRetention {
  day: boolean;
  week: boolean;
  month: boolean;
  year: boolean;
}

const COLUMNS = ['day', 'week', 'month', 'year'] as const;

/**
 * Which of the events page's periods containing `date` (the engine's local ones, in `zone`) are beyond retention;
 * undefined when nothing expires.
 */
export function eventsRetention(expire: ExpireOptions | undefined, date: Date, now: Date, zone: TimeZone): EventsRetention | undefined {
  if (expire === undefined) return undefined;
  // The instant the page counts at (a CalendarDay is the end of its local day, as for the counts).
  const instant = toUtc(date, 'now', zone).toDate();
  const beyond = (unit: PeriodUnit) => periodBeyondRetention(expire, unit, periodStart(unit, instant, zone), now, zone);
  return { day: beyond('day'), week: beyond('week'), month: beyond('month'), year: beyond('year') };
}

/**
 * The counts of each event in the periods containing `now` (null for a period beyond retention): a few programs
 * of bounded calls for the whole list, not a call per count.
 */
export async function eventCounts(
  engine: Bitmapist<UserIdMode>,
  names: readonly string[],
  now: Date,
  expired?: EventsRetention,
  signal?: AbortSignal,
): Promise<EventCounts[]> {
  const units = COLUMNS.filter((unit) => !expired?.[unit]);
  const counts = await periodCounts(engine, names, units, now, signal);
  return names.map((name, e) => {
    const row: EventCounts = { name, day: null, week: null, month: null, year: null };
    units.forEach((unit, u) => (row[unit] = counts[e]![u]!));
    return row;
  });
}
