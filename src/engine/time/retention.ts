import { BitmapistArgumentError } from '../errors.js';
import { addPeriods } from './steps.js';
import { periodStart } from './periods.js';
import type { PeriodUnit } from './time-groups.js';
import { UTC_ZONE, type TimeZone } from './time-zone.js';

/** The granularities that can expire (`unique` never does). */
export const EXPIRING_UNITS = ['hour', 'day', 'week', 'month'] as const;
/** A granularity that can expire. */
export type ExpiringUnit = (typeof EXPIRING_UNITS)[number];

/**
 * How long each granularity's bitmaps are kept: seconds after the end of the key's period (0: at its end).
 * A granularity left out never expires; `unique` never expires.
 */
export type ExpireOptions = Partial<Record<ExpiringUnit, number>>;

/** The longest retention accepted, in seconds (100 years). */
export const MAX_EXPIRE_SECONDS = 100 * 366 * 86_400;

/** Checks the `expire` option; returns undefined when nothing expires. */
export function checkExpireOptions(expire: unknown): ExpireOptions | undefined {
  if (expire === undefined) return undefined;
  if (expire === null || typeof expire !== 'object' || Array.isArray(expire)) {
    throw new BitmapistArgumentError('expire', 'must be an object like { day: 7776000 } (seconds after the end of each period)');
  }
  const checked: ExpireOptions = {};
  for (const [unit, seconds] of Object.entries(expire)) {
    if (!(EXPIRING_UNITS as readonly string[]).includes(unit)) {
      throw new BitmapistArgumentError(`expire.${unit}`, `unknown granularity; use ${EXPIRING_UNITS.join(', ')} (unique never expires)`);
    }
    if (seconds === undefined) continue;
    if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_EXPIRE_SECONDS) {
      throw new BitmapistArgumentError(`expire.${unit}`, `must be a whole number of seconds in [0, ${MAX_EXPIRE_SECONDS}], got ${String(seconds)}`);
    }
    checked[unit as ExpiringUnit] = seconds;
  }
  return Object.keys(checked).length > 0 ? checked : undefined;
}

/** The Unix time (seconds) a bitmap of `unit` holding `date` expires at: its (local) period's end plus `seconds`. */
export function expiresAt(unit: ExpiringUnit, date: Date, seconds: number, zone: TimeZone = UTC_ZONE): number {
  return addPeriods(unit, periodStart(unit, date, zone), 1, zone).getTime() / 1000 + seconds;
}

/**
 * Whether the period of `unit` containing `date` is beyond the configured retention at `now`: its bitmaps have
 * expired (or would have, had they existed). False for a granularity that never expires.
 */
export function beyondRetention(expire: ExpireOptions | undefined, unit: ExpiringUnit, date: Date, now: Date, zone: TimeZone = UTC_ZONE): boolean {
  const seconds = expire?.[unit];
  return seconds !== undefined && expiresAt(unit, date, seconds, zone) * 1000 <= now.getTime();
}

/**
 * Whether the period of `unit` starting at `start` is beyond retention at `now` (the real clock: expiry is
 * about when bitmaps were deleted, not about the date a page looks at). A year, the OR of its months, is
 * beyond retention once its last month is.
 */
export function periodBeyondRetention(expire: ExpireOptions | undefined, unit: PeriodUnit, start: Date, now: Date, zone: TimeZone): boolean {
  if (unit === 'year') return beyondRetention(expire, 'month', addPeriods('month', periodStart('year', start, zone), 11, zone), now, zone);
  return beyondRetention(expire, unit, start, now, zone);
}
