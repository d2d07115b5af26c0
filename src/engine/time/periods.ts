import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import { BitmapistArgumentError } from '../errors.js';
import { UTC_ZONE, type TimeZone } from './time-zone.js';
import type { PeriodUnit } from './time-groups.js';

dayjs.extend(utc);

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
  const time = timeOf(date);
  if (Number.isNaN(time)) {
    throw new BitmapistArgumentError(argument, 'must be a valid Date');
  }
  const utcDate =
    date instanceof CalendarDay && !zone.isUtc
      ? dayjs.utc(zone.fromWall(new Date(0).setUTCFullYear(date.year, date.month - 1, date.day + 1)) - 1)
      : dayjs.utc(time);
  if (utcDate.year() < MIN_YEAR || utcDate.year() > MAX_YEAR) {
    throw new BitmapistArgumentError(argument, `must fall in the years ${MIN_YEAR} to ${MAX_YEAR} (UTC)`);
  }
  checkLocalYear(utcDate.valueOf(), argument, zone);
  return utcDate;
}

/** The first and the first refused millisecond of the years {@link MIN_YEAR} to {@link MAX_YEAR}. */
export const MIN_TIME = new Date(0).setUTCFullYear(MIN_YEAR, 0, 1);
export const END_TIME = new Date(0).setUTCFullYear(MAX_YEAR + 1, 0, 1);

/**
 * Refuses an instant (ms, inside the UTC years) whose local date in `zone` falls outside them: its keys would
 * name the year 999 or 10000, which no read accepts and Python's dates cannot hold.
 */
export function checkLocalYear(time: number, argument: string, zone: TimeZone): void {
  if (zone.isUtc) return;
  const wall = zone.toWall(time);
  if (!(wall >= MIN_TIME && wall < END_TIME)) {
    throw new BitmapistArgumentError(argument, `must fall in the years ${MIN_YEAR} to ${MAX_YEAR} in UTC and in the time zone ${zone.name}`);
  }
}

/**
 * The instant a Date holds, in ms (NaN for anything else, or an invalid Date): read from the Date itself, not
 * through a `getTime` a subclass may have overridden (the date library reads the Date itself too).
 */
export function timeOf(date: unknown): number {
  return date instanceof Date ? Date.prototype.getTime.call(date) : Number.NaN;
}

const HOUR_MS = 3_600_000;
/** Milliseconds in a day of 24 hours. */
export const DAY_MS = 86_400_000;

/** Units of a fixed local length: their periods are plain arithmetic on wall times (1970-01-05 was a Monday). */
export const FIXED_UNITS: Partial<Record<PeriodUnit, { length: number; origin: number }>> = {
  hour: { length: HOUR_MS, origin: 0 },
  day: { length: DAY_MS, origin: 0 },
  week: { length: 7 * DAY_MS, origin: 4 * DAY_MS },
};

/** The wall time (ms whose UTC fields are the local ones) the period of `unit` containing `wall` begins at. */
export function wallPeriodStart(unit: PeriodUnit, wall: number): number {
  const fixed = FIXED_UNITS[unit];
  if (fixed === undefined) return dayjs.utc(wall).startOf(unit).valueOf();
  const into = (wall - fixed.origin) % fixed.length;
  return wall - (into < 0 ? into + fixed.length : into);
}

/**
 * The start of the period that contains `date` in `zone` (default UTC): local midnight, ISO Monday, 1st of month,
 * Jan 1, as the true instant (a local midnight skipped by a change of offset: the first instant of the day).
 */
export function periodStart(unit: PeriodUnit, date: Date, zone: TimeZone = UTC_ZONE): Date {
  return new Date(zone.fromWall(wallPeriodStart(unit, zone.toWall(date.getTime()))));
}

