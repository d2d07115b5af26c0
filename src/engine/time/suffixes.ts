import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import isoWeek from 'dayjs/plugin/isoWeek.js';
import { DAY_MS, periodStart } from './periods.js';
import { UTC_ZONE, type TimeZone } from './time-zone.js';
import type { PeriodUnit } from './time-groups.js';

dayjs.extend(utc);
dayjs.extend(isoWeek);

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

/**
 * The bitmapist suffixes of one UTC day (days since 1970-01-01): month `2025-1`, ISO week `W2025-1`, day
 * `2025-1-31`. Equal to `periodSuffix` for every date `toUtc` accepts.
 */
export function daySuffixes(day: number): { month: string; week: string; day: string } {
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  const month = `${year}-${date.getUTCMonth() + 1}`;
  const thursday = new Date((day + 3 - ((date.getUTCDay() + 6) % 7)) * DAY_MS);
  const isoYear = thursday.getUTCFullYear();
  const yearStart = new Date(0).setUTCFullYear(isoYear, 0, 1);
  const week = 1 + Math.floor((thursday.getTime() - yearStart) / (7 * DAY_MS));
  return { month, week: `W${isoYear}-${week}`, day: `${month}-${date.getUTCDate()}` };
}

/** What a key suffix names: the granularity, the suffix itself, and the period's first instant (none for unique). */
export interface SuffixPeriod {
  granularity: Exclude<PeriodUnit, 'year'> | 'unique';
  /** The suffix: month `2025-1`, ISO week `W2025-5`, day `2025-1-31`, hour `2025-1-31-23`, `u` for unique. */
  period: string;
  start?: Date;
}

/** The granularity and period start a key suffix names (see `periodSuffix`), in `zone`. */
export function periodOfSuffix(suffix: string, zone: TimeZone): SuffixPeriod {
  if (suffix === 'u') return { granularity: 'unique', period: suffix };
  const week = /^W(\d+)-(\d+)$/.exec(suffix);
  if (week) {
    // ISO week 1 is the week holding January 4th.
    const january4 = utcWall(Number(week[1]), 1, 4);
    const monday = january4 - ((new Date(january4).getUTCDay() + 6) % 7) * DAY_MS;
    return located('week', suffix, monday + (Number(week[2]) - 1) * 7 * DAY_MS, zone);
  }
  const [year, month, day, hour] = suffix.split('-').map(Number) as [number, number, number?, number?];
  if (hour !== undefined) return located('hour', suffix, utcWall(year, month, day!) + hour * 3_600_000, zone);
  if (day !== undefined) return located('day', suffix, utcWall(year, month, day), zone);
  return located('month', suffix, utcWall(year, month, 1), zone);
}

function located(granularity: Exclude<PeriodUnit, 'year'>, period: string, wall: number, zone: TimeZone): SuffixPeriod {
  return { granularity, period, start: periodStart(granularity, new Date(zone.fromWall(wall)), zone) };
}

/** Midnight UTC of a date (any year: `Date.UTC` would read years 0 to 99 as 1900 to 1999). */
function utcWall(year: number, month: number, day: number): number {
  return new Date(0).setUTCFullYear(year, month - 1, day);
}
