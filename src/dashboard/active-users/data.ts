import { ACTIVE_USERS_WINDOWS, type ActiveUsers } from '../../engine/insights/active-users.js';
import { periodBeyondRetention, type ExpireOptions } from '../../engine/time/retention.js';
import { TimeZone } from '../../engine/time/time-zone.js';
import { csvDocument } from '../shared/csv.js';
import { localDay } from '../shared/labels.js';

/** Active users as the dashboard shows them: a figure is null when a day it reads is beyond retention. */
export interface ActiveUsersView extends Omit<ActiveUsers, 'dau' | 'wau' | 'mau' | 'stickiness'> {
  dau: (number | null)[];
  wau: (number | null)[];
  mau: (number | null)[];
  stickiness: (number | null)[];
  /** The segment shown (an event whose unique users alone count), if any. */
  segment?: string;
}

const DAY_MS = 86_400_000;

/**
 * Turns into null each DAU whose day, each WAU / MAU whose oldest day (6 / 29 days before) is beyond
 * retention, and the stickiness of a day whose DAU or MAU is null; unchanged without `expire`.
 */
export function activeUsersView(active: ActiveUsers, expire: ExpireOptions | undefined, now: Date): ActiveUsersView {
  if (expire === undefined) return active;
  const zone = TimeZone.of(active.timeZone);
  // Noon of the day, then whole days back: always inside the wanted local day, whatever the DST.
  const beyond = (date: Date, daysBack: number) =>
    periodBeyondRetention(expire, 'day', new Date(date.getTime() + DAY_MS / 2 - daysBack * DAY_MS), now, zone);
  const dau = active.dau.map((n, i) => (beyond(active.dates[i]!, 0) ? null : n));
  const wau = active.wau.map((n, i) => (beyond(active.dates[i]!, ACTIVE_USERS_WINDOWS.week - 1) ? null : n));
  const mau = active.mau.map((n, i) => (beyond(active.dates[i]!, ACTIVE_USERS_WINDOWS.month - 1) ? null : n));
  const stickiness = active.stickiness.map((s, i) => (dau[i] === null || mau[i] === null ? null : s));
  return { ...active, dau, wau, mau, stickiness };
}

/** Stickiness rounded for display and answers: a ratio with four decimals (0.1234 = 12.34%). */
export function roundedRatio(ratio: number | null): number | null {
  return ratio === null ? null : Math.round(ratio * 10_000) / 10_000;
}

/** The active-users JSON answer: `{ event, timeZone, dates, dau, wau, mau, stickiness }` (stickiness = dau / mau, 4 decimals). */
export function activeUsersJson(active: ActiveUsersView): object {
  return { ...active, dates: active.dates.map((d) => d.toISOString()), stickiness: active.stickiness.map(roundedRatio) };
}

/**
 * The active-users CSV answer: `Date,DAU,WAU,MAU,Stickiness` then a line per day, by its local date (blank
 * stickiness when MAU is 0, blank figures beyond retention).
 */
export function activeUsersCsv(active: ActiveUsersView): string {
  const rows = active.dates.map((date, i) => [localDay(date, active.timeZone), active.dau[i], active.wau[i], active.mau[i], roundedRatio(active.stickiness[i]!)]);
  return csvDocument(['Date', 'DAU', 'WAU', 'MAU', 'Stickiness'], rows);
}

/** The CSV file name of one event's active users. */
export function activeUsersFileName(event: string): string {
  return `active-users-${event.replace(/[^\w.-]+/g, '_').slice(0, 60)}.csv`;
}
