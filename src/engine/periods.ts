import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import isoWeek from 'dayjs/plugin/isoWeek.js';
import { BitmapistArgumentError } from './errors.js';

dayjs.extend(utc);
dayjs.extend(isoWeek);

/** A granularity a bitmap is kept at. A year has no bitmap of its own: it is the OR of its months. */
export type PeriodUnit = 'hour' | 'day' | 'week' | 'month' | 'year';

/** The time groups a cohort or `getEventData` can use, in their canonical (plural) form. */
export type TimeGroup = 'days' | 'weeks' | 'months' | 'years';

/** Anything `timeGroup` accepts: plural or singular. */
export type TimeGroupInput = TimeGroup | 'day' | 'week' | 'month' | 'year';

const TIME_GROUP_UNITS = new Map<unknown, PeriodUnit>([
  ['days', 'day'],
  ['day', 'day'],
  ['weeks', 'week'],
  ['week', 'week'],
  ['months', 'month'],
  ['month', 'month'],
  ['years', 'year'],
  ['year', 'year'],
]);

/** Maps a `timeGroup` (`'days'` or `'day'`, ...) to its period unit; throws on anything else. */
export function timeGroupUnit(timeGroup: unknown): PeriodUnit {
  const unit = TIME_GROUP_UNITS.get(timeGroup);
  if (unit === undefined) {
    throw new BitmapistArgumentError(
      'timeGroup',
      `unknown time group ${JSON.stringify(timeGroup)}; use days, weeks, months or years`,
    );
  }
  return unit;
}

/** The canonical plural name of a period unit's time group. */
export function unitTimeGroup(unit: Exclude<PeriodUnit, 'hour'>): TimeGroup {
  return `${unit}s` as TimeGroup;
}

/** The years a date may fall in (dayjs misnames ISO weeks before the year 100; bitmapist keys stop at 9999). */
export const MIN_YEAR = 1000;
export const MAX_YEAR = 9999;

/** Checks a date argument and returns it as a UTC dayjs. */
export function toUtc(date: unknown, argument = 'now'): Dayjs {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new BitmapistArgumentError(argument, 'must be a valid Date');
  }
  const utcDate = dayjs.utc(date);
  if (utcDate.year() < MIN_YEAR || utcDate.year() > MAX_YEAR) {
    throw new BitmapistArgumentError(argument, `must fall in the years ${MIN_YEAR} to ${MAX_YEAR} (UTC)`);
  }
  return utcDate;
}

/** The start of the period (UTC) that contains `date`: midnight, ISO Monday, 1st of month, Jan 1. */
export function periodStart(unit: PeriodUnit, date: Date): Date {
  const d = dayjs.utc(date);
  return (unit === 'week' ? d.startOf('isoWeek') : d.startOf(unit)).toDate();
}

/** The start of the period `n` units after (or before, when negative) the period starting at `start`. */
export function addPeriods(unit: PeriodUnit, start: Date, n: number): Date {
  return dayjs.utc(start).add(n, unit).toDate();
}

/** The last millisecond of the period starting at `start`. */
export function periodEnd(unit: PeriodUnit, start: Date): Date {
  return new Date(addPeriods(unit, start, 1).getTime() - 1);
}

/**
 * The bitmapist key suffix of the period containing `date` (UTC, no zero padding):
 * month `2025-1`, ISO week `W2025-1`, day `2025-1-31`, hour `2025-1-31-23`.
 */
export function periodSuffix(unit: Exclude<PeriodUnit, 'year'>, date: Date): string {
  const d = dayjs.utc(date);
  switch (unit) {
    case 'month':
      return `${d.year()}-${d.month() + 1}`;
    case 'week':
      return `W${d.isoWeekYear()}-${d.isoWeek()}`;
    case 'day':
      return `${d.year()}-${d.month() + 1}-${d.date()}`;
    case 'hour':
      return `${d.year()}-${d.month() + 1}-${d.date()}-${d.hour()}`;
  }
}

/** The suffixes that make up a period: one, or the twelve months of a year. */
export function periodSuffixes(unit: PeriodUnit, start: Date): string[] {
  if (unit !== 'year') return [periodSuffix(unit, start)];
  const year = dayjs.utc(start).year();
  return Array.from({ length: 12 }, (_, month) => `${year}-${month + 1}`);
}

/** Whether a key suffix is one bitmapist writes (a period, or `u` for unique). */
export function isEventSuffix(suffix: string): boolean {
  return /^(?:\d+-\d+(?:-\d+(?:-\d+)?)?|W\d+-\d+|u)$/.test(suffix);
}
