import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import isoWeek from 'dayjs/plugin/isoWeek.js';
import { BitmapistArgumentError } from './errors.js';
import { UTC_ZONE, type TimeZone } from './time-zone.js';

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

/**
 * A calendar date given without a time of day (the dashboard's `now=2025-01-31`): a Date at the end of that day
 * in UTC, which an engine with a `timezone` reads as the end of that local day.
 */
export class CalendarDay extends Date {
  constructor(
    readonly year: number,
    /** 1 to 12. */
    readonly month: number,
    readonly day: number,
  ) {
    super(new Date(0).setUTCFullYear(year, month - 1, day) + 86_399_999);
  }
}

/**
 * Checks a date argument and returns it as a UTC dayjs (a {@link CalendarDay}: the end of that day in `zone`).
 */
export function toUtc(date: unknown, argument = 'now', zone: TimeZone = UTC_ZONE): Dayjs {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new BitmapistArgumentError(argument, 'must be a valid Date');
  }
  const utcDate =
    date instanceof CalendarDay && !zone.isUtc
      ? dayjs.utc(zone.fromWall(new Date(0).setUTCFullYear(date.year, date.month - 1, date.day + 1)) - 1)
      : dayjs.utc(date);
  if (utcDate.year() < MIN_YEAR || utcDate.year() > MAX_YEAR) {
    throw new BitmapistArgumentError(argument, `must fall in the years ${MIN_YEAR} to ${MAX_YEAR} (UTC)`);
  }
  return utcDate;
}

/**
 * The start of the period that contains `date` in `zone` (default UTC): local midnight, ISO Monday, 1st of month,
 * Jan 1, as the true instant (a local midnight skipped by a change of offset: the first instant of the day).
 */
export function periodStart(unit: PeriodUnit, date: Date, zone: TimeZone = UTC_ZONE): Date {
  const d = dayjs.utc(zone.toWall(date.getTime()));
  const wall = unit === 'week' ? d.startOf('isoWeek') : d.startOf(unit);
  return new Date(zone.fromWall(wall.valueOf()));
}

/** The start of the period `n` units after (or before, when negative) the period starting at `start`. */
export function addPeriods(unit: PeriodUnit, start: Date, n: number, zone: TimeZone = UTC_ZONE): Date {
  if (zone.isUtc) return dayjs.utc(start).add(n, unit).toDate();
  // A local day whose midnight was skipped starts later than midnight: count from the wall-clock period start.
  const wall = dayjs.utc(zone.toWall(start.getTime()));
  return new Date(zone.fromWall((unit === 'week' ? wall.startOf('isoWeek') : wall.startOf(unit)).add(n, unit).valueOf()));
}

/** The last millisecond of the period starting at `start` (a local day lasts 23, 24 or 25 hours). */
export function periodEnd(unit: PeriodUnit, start: Date, zone: TimeZone = UTC_ZONE): Date {
  return new Date(addPeriods(unit, start, 1, zone).getTime() - 1);
}

/**
 * The bitmapist key suffix of the period containing `date` (local dates of `zone`, default UTC, no zero
 * padding): month `2025-1`, ISO week `W2025-1`, day `2025-1-31`, hour `2025-1-31-23`.
 */
export function periodSuffix(unit: Exclude<PeriodUnit, 'year'>, date: Date, zone: TimeZone = UTC_ZONE): string {
  const d = dayjs.utc(zone.toWall(date.getTime()));
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
export function periodSuffixes(unit: PeriodUnit, start: Date, zone: TimeZone = UTC_ZONE): string[] {
  if (unit !== 'year') return [periodSuffix(unit, start, zone)];
  const year = dayjs.utc(zone.toWall(start.getTime())).year();
  return Array.from({ length: 12 }, (_, month) => `${year}-${month + 1}`);
}

/** Whether a key suffix is one bitmapist writes (a period, or `u` for unique). */
export function isEventSuffix(suffix: string): boolean {
  return /^(?:\d+-\d+(?:-\d+(?:-\d+)?)?|W\d+-\d+|u)$/.test(suffix);
}
