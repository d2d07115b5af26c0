import type { KeyNames } from '../keys/key-names.js';
import { periodStart, type PeriodUnit } from '../time/periods.js';
import type { TimeZone } from '../time/time-zone.js';

/** The granularities a bitmap of a user is kept at: the periods, and the all-time unique bitmap. */
export type MarkGranularity = 'month' | 'week' | 'day' | 'hour' | 'unique';

/** One bitmap that holds a user (see `exportUser`): which event, at which granularity, for which period. */
export interface UserMark {
  event: string;
  granularity: MarkGranularity;
  /**
   * bitmapist's name of the period, its key suffix (local dates of the engine's time zone, no zero padding):
   * month `2025-1`, ISO week `W2025-5`, day `2025-1-31`, hour `2025-1-31-23`; `u` for unique.
   */
  period: string;
  /** The first instant of the period (absent for unique). */
  start?: Date;
}

const ORDER: Record<MarkGranularity, number> = { unique: 0, month: 1, week: 2, day: 3, hour: 4 };
const DAY_MS = 86_400_000;

/**
 * The marks of the bitmaps `found` (keys of `keys`' prefix), sorted by event, then granularity (unique, month,
 * week, day, hour), then period start.
 */
export function userMarks(found: readonly string[], keys: KeyNames, zone: TimeZone): UserMark[] {
  const marks: UserMark[] = [];
  for (const key of new Set(found)) {
    const event = keys.eventOf(key);
    if (event === undefined) continue;
    const period = key.slice(key.lastIndexOf('_') + 1);
    marks.push({ event, ...periodOfSuffix(period, zone) });
  }
  return marks.sort(
    (a, b) =>
      (a.event < b.event ? -1 : a.event > b.event ? 1 : 0) ||
      ORDER[a.granularity] - ORDER[b.granularity] ||
      (a.start?.getTime() ?? 0) - (b.start?.getTime() ?? 0),
  );
}

/** The granularity and period start a key suffix names (see `periodSuffix`), in `zone`. */
export function periodOfSuffix(suffix: string, zone: TimeZone): Pick<UserMark, 'granularity' | 'period' | 'start'> {
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

function located(granularity: Exclude<PeriodUnit, 'year'>, period: string, wall: number, zone: TimeZone) {
  return { granularity, period, start: periodStart(granularity, new Date(zone.fromWall(wall)), zone) };
}

/** Midnight UTC of a date (any year: `Date.UTC` would read years 0 to 99 as 1900 to 1999). */
function utcWall(year: number, month: number, day: number): number {
  return new Date(0).setUTCFullYear(year, month - 1, day);
}
