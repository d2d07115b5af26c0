import type { CohortResult } from '../../engine/insights/cohort/plan.js';
import { beyondRetention, type ExpireOptions } from '../../engine/time/retention.js';
import { addPeriods, periodStart, type PeriodUnit, type TimeGroup } from '../../engine/time/periods.js';
import { TimeZone, UTC_ZONE } from '../../engine/time/time-zone.js';

/** Which periods of a cohort are beyond the configured retention: their bitmaps have expired. */
export interface CohortRetention {
  /** Per row: its primary period is beyond retention (its users are gone, its total reads 0). */
  rows: boolean[];
  /** Per cell: its period is beyond retention (the count would read 0, and is null instead). */
  cells: boolean[][];
}

const UNITS: Record<TimeGroup, PeriodUnit> = { days: 'day', weeks: 'week', months: 'month', years: 'year' };

/**
 * Whether the period of `unit` starting at `start` is beyond retention at `now` (the real clock: expiry is
 * about when bitmaps were deleted, not about the date a page looks at). A year, the OR of its months, is
 * beyond retention once its last month is.
 */
export function periodBeyondRetention(expire: ExpireOptions | undefined, unit: PeriodUnit, start: Date, now: Date, zone: TimeZone = UTC_ZONE): boolean {
  if (unit === 'year') return beyondRetention(expire, 'month', addPeriods('month', periodStart('year', start, zone), 11, zone), now, zone);
  return beyondRetention(expire, unit, start, now, zone);
}

/**
 * Marks the rows and cells of a cohort whose periods are beyond retention, and turns those cells into null
 * (a cell `j` of a row reads the period `j` units after the row's). Returns undefined when nothing expires.
 */
export function applyRetention(result: CohortResult, timeGroup: TimeGroup, expire: ExpireOptions | undefined, now: Date): CohortRetention | undefined {
  if (expire === undefined) return undefined;
  const unit = UNITS[timeGroup];
  const zone = TimeZone.of(result.timeZone);
  const rows = result.dates.map((date) => periodBeyondRetention(expire, unit, date, now, zone));
  const cells = result.cohort.map((row, i) =>
    row.map((_, j) => periodBeyondRetention(expire, unit, addPeriods(unit, result.dates[i]!, j, zone), now, zone)),
  );
  result.cohort = result.cohort.map((row, i) => row.map((count, j) => (cells[i]![j] || rows[i] ? null : count)));
  return { rows, cells };
}

/** Per column of the events page (the periods containing `date`): whether it is beyond retention at `now`. */
export interface EventsRetention {
  day: boolean;
  week: boolean;
  month: boolean;
  year: boolean;
}

/** Which of the events page's periods containing `date` are beyond retention; undefined when nothing expires. */
export function eventsRetention(expire: ExpireOptions | undefined, date: Date, now: Date): EventsRetention | undefined {
  if (expire === undefined) return undefined;
  const beyond = (unit: PeriodUnit) => periodBeyondRetention(expire, unit, periodStart(unit, date), now);
  return { day: beyond('day'), week: beyond('week'), month: beyond('month'), year: beyond('year') };
}
