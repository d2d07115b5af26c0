import type { ExpireOptions } from '../../engine/time/retention.js';
import type { ActiveUsers, Trend } from '../../engine/insights/trends.js';
import { ACTIVE_USERS_WINDOWS } from '../../engine/insights/trends.js';
import { periodBeyondRetention } from '../shared/expired.js';

/** A trend as the dashboard shows it: a count is null when its period is beyond the `expire` retention. */
export interface TrendView extends Omit<Trend, 'series'> {
  series: { event: string; counts: (number | null)[] }[];
}

/** Active users as the dashboard shows them: a figure is null when a day it reads is beyond retention. */
export interface ActiveUsersView extends Omit<ActiveUsers, 'dau' | 'wau' | 'mau' | 'stickiness'> {
  dau: (number | null)[];
  wau: (number | null)[];
  mau: (number | null)[];
  stickiness: (number | null)[];
}

const UNITS = { days: 'day', weeks: 'week', months: 'month', years: 'year' } as const;
const DAY_MS = 86_400_000;

/** Turns the counts of periods beyond retention (at the clock `now`) into null; unchanged without `expire`. */
export function trendView(trend: Trend, expire: ExpireOptions | undefined, now: Date): TrendView {
  if (expire === undefined) return trend;
  const beyond = trend.dates.map((date) => periodBeyondRetention(expire, UNITS[trend.timeGroup], date, now));
  return { ...trend, series: trend.series.map((s) => ({ event: s.event, counts: s.counts.map((count, i) => (beyond[i] ? null : count)) })) };
}

/**
 * Turns into null each DAU whose day, each WAU / MAU whose oldest day (6 / 29 days before) is beyond
 * retention, and the stickiness of a day whose DAU or MAU is null; unchanged without `expire`.
 */
export function activeUsersView(active: ActiveUsers, expire: ExpireOptions | undefined, now: Date): ActiveUsersView {
  if (expire === undefined) return active;
  // Noon of the day, then whole days back: always inside the wanted local day, whatever the DST.
  const beyond = (date: Date, daysBack: number) =>
    periodBeyondRetention(expire, 'day', new Date(date.getTime() + DAY_MS / 2 - daysBack * DAY_MS), now);
  const dau = active.dau.map((n, i) => (beyond(active.dates[i]!, 0) ? null : n));
  const wau = active.wau.map((n, i) => (beyond(active.dates[i]!, ACTIVE_USERS_WINDOWS.week - 1) ? null : n));
  const mau = active.mau.map((n, i) => (beyond(active.dates[i]!, ACTIVE_USERS_WINDOWS.month - 1) ? null : n));
  const stickiness = active.stickiness.map((s, i) => (dau[i] === null || mau[i] === null ? null : s));
  return { ...active, dau, wau, mau, stickiness };
}
