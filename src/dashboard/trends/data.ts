import type { Trend } from '../../engine/insights/trends.js';
import { periodBeyondRetention, type ExpireOptions } from '../../engine/time/retention.js';
import { timeGroupUnit } from '../../engine/time/time-groups.js';
import { TimeZone } from '../../engine/time/time-zone.js';
import { csvDocument } from '../shared/csv.js';
import { nullBeyond } from '../shared/expired.js';

/** A trend as the dashboard shows it: a count is null when its period is beyond the `expire` retention. */
export interface TrendView extends Omit<Trend, 'series'> {
  series: { event: string; counts: (number | null)[] }[];
}

/** Turns the counts of periods beyond retention (at the clock `now`) into null; unchanged without `expire`. */
export function trendView(trend: Trend, expire: ExpireOptions | undefined, now: Date): TrendView {
  if (expire === undefined) return trend;
  const zone = TimeZone.of(trend.timeZone);
  const beyond = trend.dates.map((date) => periodBeyondRetention(expire, timeGroupUnit(trend.timeGroup), date, now, zone));
  return { ...trend, series: trend.series.map((s) => ({ event: s.event, counts: nullBeyond(s.counts, beyond) })) };
}

/** The trends JSON answer: `{ timeGroup, timeZone, dates, series: [{ event, counts }] }`, dates as ISO instants. */
export function trendsJson(trend: TrendView): object {
  return { timeGroup: trend.timeGroup, timeZone: trend.timeZone, dates: trend.dates.map((d) => d.toISOString()), series: trend.series };
}

/** The trends CSV answer: `Date,<event>,...` then a line per period (its start, ISO instant; blank beyond retention). */
export function trendsCsv(trend: TrendView): string {
  const rows = trend.dates.map((date, i) => [date.toISOString(), ...trend.series.map((s) => s.counts[i])]);
  return csvDocument(['Date', ...trend.series.map((s) => s.event)], rows);
}
