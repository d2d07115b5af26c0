import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import isoWeek from 'dayjs/plugin/isoWeek.js';
import { BitmapistArgumentError } from '../errors.js';
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

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Units of a fixed local length: their periods are plain arithmetic on wall times (1970-01-05 was a Monday). */
const FIXED_UNITS: Partial<Record<PeriodUnit, { length: number; origin: number }>> = {
  hour: { length: HOUR_MS, origin: 0 },
  day: { length: DAY_MS, origin: 0 },
  week: { length: 7 * DAY_MS, origin: 4 * DAY_MS },
};

/** The wall time (ms whose UTC fields are the local ones) the period of `unit` containing `wall` begins at. */
function wallPeriodStart(unit: PeriodUnit, wall: number): number {
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

/**
 * The start of the period `n` periods after (before, when negative) the period starting at `start`: `n` times
 * the next period (the one containing the instant after the end), or `-n` times the previous one (containing
 * the instant before the start). A period a change of offset skips whole (02:00 when clocks go from 02:00 to
 * 03:00, Apia's 30 Dec 2011) is not counted and never returned. Outside UTC, hours and days read the zone's
 * offset once per period on the way (cached per UTC hour).
 */
export function addPeriods(unit: PeriodUnit, start: Date, n: number, zone: TimeZone = UTC_ZONE): Date {
  if (zone.isUtc) return dayjs.utc(start).add(n, unit).toDate();
  // A local day whose midnight was skipped starts later than midnight: count from the wall-clock period start.
  const wall = wallPeriodStart(unit, zone.toWall(start.getTime()));
  const length = FIXED_UNITS[unit]?.length;
  if (length === undefined) return new Date(zone.fromWall(dayjs.utc(wall).add(n, unit).valueOf()));
  // Offsets lie within a day of UTC, so a change skips less than two days: never a whole week, month or year.
  if (length >= 2 * DAY_MS) return new Date(zone.fromWall(wall + n * length));
  return new Date(stepOver(unit, length, wall, n, zone));
}

/**
 * The start of the hour or day `n` periods from the one beginning at the wall time `wall`: a jump by wall-clock
 * arithmetic, less the periods skipped on the way; then the periods still owed, from there (skips are rare).
 */
function stepOver(unit: PeriodUnit, length: number, wall: number, n: number, zone: TimeZone): number {
  let time = zone.fromWall(wall);
  let steps = n;
  while (steps !== 0) {
    const direction = Math.sign(steps);
    const target = wall + steps * length;
    // The first instant of `target`; for a skipped one, the change of offset after it (the start of the next).
    let landed = zone.fromWall(target);
    if (direction < 0 && wallPeriodStart(unit, zone.toWall(landed)) !== target) landed -= 1;
    const landedWall = wallPeriodStart(unit, zone.toWall(landed));
    const landedTime = zone.fromWall(landedWall);
    const [from, to, low, high] = direction > 0 ? [time, landedTime, wall, landedWall] : [landedTime, time, landedWall, wall];
    // At least one: the period landed on exists.
    steps -= direction * Math.max(1, (high - low) / length - skippedPeriods(length, from, to, low, high, zone));
    wall = landedWall;
    time = landedTime;
  }
  return time;
}

/** How many periods of `length`, strictly between the wall times `low` and `high`, changes in (from, to] skip. */
function skippedPeriods(length: number, from: number, to: number, low: number, high: number, zone: TimeZone): number {
  let skipped = 0;
  for (const change of zone.changesForward(from, to, length)) {
    const first = Math.max(Math.ceil((change.at + change.before) / length) * length, low + length);
    const end = Math.min(Math.floor((change.at + change.after) / length) * length, high);
    if (end > first) skipped += (end - first) / length;
  }
  return skipped;
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
