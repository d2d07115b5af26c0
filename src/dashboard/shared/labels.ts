import type { TimeGroup } from '../../engine/time/time-groups.js';
import { TimeZone } from '../../engine/time/time-zone.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The local date and time of `date` in `timeZone` (default UTC) as a Date whose UTC fields are the local ones. */
export function localDate(date: Date, timeZone?: string): Date {
  return timeZone === undefined ? date : new Date(TimeZone.of(timeZone).toWall(date.getTime()));
}

/** The local date of `date` in `timeZone` (default UTC) as `YYYY-MM-DD`: how the CSV answers label periods. */
export function localDay(date: Date, timeZone?: string): string {
  return localDate(date, timeZone).toISOString().slice(0, 10);
}

/** A period's label: `Mon 3 Mar 2025`, `Week of 3 Mar 2025`, `Mar 2025` or `2025` (UTC, or the local date in `timeZone`). */
export function periodLabel(instant: Date, timeGroup: TimeGroup, timeZone?: string): string {
  const date = localDate(instant, timeZone);
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
  switch (timeGroup) {
    case 'days':
      return `${WEEKDAYS[date.getUTCDay()]} ${day}`;
    case 'weeks':
      return `Week of ${day}`;
    case 'months':
      return `${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
    case 'years':
      return String(date.getUTCFullYear());
  }
}

/** A short axis label: `14 Feb` for days and weeks, `Feb 2025` for months, `2025` for years (local dates). */
export function axisLabel(instant: Date, timeGroup: TimeGroup, timeZone?: string): string {
  const date = localDate(instant, timeZone);
  const month = MONTHS[date.getUTCMonth()]!;
  if (timeGroup === 'years') return String(date.getUTCFullYear());
  if (timeGroup === 'months') return `${month} ${date.getUTCFullYear()}`;
  return `${date.getUTCDate()} ${month}`;
}

/** A column's heading of a cohort: `Day 0`, `Week 3`, ... */
export function columnLabel(j: number, timeGroup: TimeGroup): string {
  const unit = { days: 'Day', weeks: 'Week', months: 'Month', years: 'Year' }[timeGroup];
  return `${unit} ${j}`;
}

/**
 * A period start as the charts label it, in the data's time zone: `2025-03-01` for days and weeks (the ISO
 * week's Monday), `2025-03` for months, `2025` for years.
 */
export function chartDateLabel(date: Date, timeGroup: TimeGroup, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = `${part('year')}-${part('month')}-${part('day')}`;
  return timeGroup === 'months' ? day.slice(0, 7) : timeGroup === 'years' ? day.slice(0, 4) : day;
}

/** A percent as shown: one decimal, e.g. `60.0%`. */
export function formatPercent(percent: number): string {
  return `${percent.toFixed(1)}%`;
}
