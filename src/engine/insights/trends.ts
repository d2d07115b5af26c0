import type { Bitmapist } from '../bitmapist.js';
import { BitmapistArgumentError } from '../errors.js';
import type { PeriodEventSet } from '../query/event-set.js';
import { timeGroupUnit, unitTimeGroup, type TimeGroup, type TimeGroupInput } from '../time/periods.js';
import type { UserIdMode } from '../ids/user-ids.js';

/**
 * Caps of {@link trendCounts}: at most `maxEvents` events, and per time group at most `maxPeriods` periods
 * (one count, one script call, per event and period).
 */
export const TREND_LIMITS = {
  maxEvents: 10,
  maxPeriods: { days: 90, weeks: 52, months: 36, years: 10 },
} as const;

/** Cap of {@link activeUsers}: at most `maxDays` days (three counts per day, reading 1 + 7 + 30 bitmaps). */
export const ACTIVE_USERS_LIMITS = { maxDays: 90 } as const;

/** The days a weekly and a monthly active user count looks back over, the day itself included. */
export const ACTIVE_USERS_WINDOWS = { week: 7, month: 30 } as const;

/** Users per period for several events: `dates[i]` is the start of period i, `series[e].counts[i]` its users. */
export interface Trend {
  timeGroup: TimeGroup;
  /** The engine's time zone (IANA name): the periods are its local ones. */
  timeZone: string;
  dates: Date[];
  series: { event: string; counts: number[] }[];
}

/**
 * Daily, weekly and monthly active users of one event. For each day d of the range (`dates[i]` its start):
 * `dau[i]` = users on d; `wau[i]` = users on any of the 7 days ending with d; `mau[i]` = users on any of the 30
 * days ending with d (rolling windows, not calendar weeks or months); `stickiness[i]` = dau / mau (null when
 * mau is 0).
 */
export interface ActiveUsers {
  event: string;
  /** The engine's time zone (IANA name): the days are its local ones. */
  timeZone: string;
  dates: Date[];
  dau: number[];
  wau: number[];
  mau: number[];
  stickiness: (number | null)[];
}

/** Options of {@link trendCounts}. */
export interface TrendOptions {
  timeGroup?: TimeGroupInput;
  /** How many periods, the last one containing `now` (default 30). */
  periods?: number;
  now?: Date;
}

/**
 * Users per period of each event over the `periods` periods ending with the one containing `now` (local
 * periods of the engine). Every count goes through the engine's read limiter.
 */
export async function trendCounts<Mode extends UserIdMode>(bm: Bitmapist<Mode>, events: readonly string[], options: TrendOptions = {}): Promise<Trend> {
  if (!Array.isArray(events) || events.length < 1 || events.length > TREND_LIMITS.maxEvents) {
    throw new BitmapistArgumentError('events', `must name 1 to ${TREND_LIMITS.maxEvents} events`);
  }
  const timeGroup = unitTimeGroup(timeGroupUnit(options.timeGroup ?? 'days') as 'day' | 'week' | 'month' | 'year');
  const periods = options.periods ?? 30;
  checkCount('periods', periods, TREND_LIMITS.maxPeriods[timeGroup]);
  const now = options.now ?? new Date();
  const unit = timeGroupUnit(timeGroup) as 'day' | 'week' | 'month' | 'year';
  const lastSets = events.map((event) => bm[unit](event, now));
  const ranges = lastSets.map((last) => periodRange(last, periods));
  const counts = await Promise.all(ranges.map((range) => Promise.all(range.map((set) => set.count()))));
  return {
    timeGroup,
    timeZone: lastSets[0]!.timeZone.name,
    dates: ranges[0]!.map((set) => set.periodStart),
    series: events.map((event, i) => ({ event, counts: counts[i]! })),
  };
}

/** Daily, weekly and monthly active users of `event` over the `days` days ending with the one containing `now`. */
export async function activeUsers<Mode extends UserIdMode>(
  bm: Bitmapist<Mode>,
  event: string,
  options: { days?: number; now?: Date } = {},
): Promise<ActiveUsers> {
  const days = options.days ?? 30;
  checkCount('days', days, ACTIVE_USERS_LIMITS.maxDays);
  const range = periodRange(bm.day(event, options.now ?? new Date()), days);
  const windowCount = (day: (typeof range)[number], length: number) => {
    const earlier = Array.from({ length: length - 1 }, (_, k) => day.delta(-(k + 1)));
    return day.or(...earlier).count();
  };
  const [dau, wau, mau] = await Promise.all([
    Promise.all(range.map((day) => day.count())),
    Promise.all(range.map((day) => windowCount(day, ACTIVE_USERS_WINDOWS.week))),
    Promise.all(range.map((day) => windowCount(day, ACTIVE_USERS_WINDOWS.month))),
  ]);
  return {
    event,
    timeZone: range[0]!.timeZone.name,
    dates: range.map((day) => day.periodStart),
    dau,
    wau,
    mau,
    stickiness: dau.map((users, i) => (mau[i] === 0 ? null : users / mau[i]!)),
  };
}

/** The `length` periods ending with `last`, oldest first. */
function periodRange<Id>(last: PeriodEventSet<Id>, length: number): PeriodEventSet<Id>[] {
  return Array.from({ length }, (_, i) => last.delta(i - (length - 1)));
}

function checkCount(argument: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new BitmapistArgumentError(argument, `must be a whole number from 1 to ${max}, got ${String(value)}`);
  }
}
