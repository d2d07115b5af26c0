import type { Trend } from '../../engine/insights/trends.js';
import { periodBeyondRetention, type ExpireOptions } from '../../engine/time/retention.js';
import { timeGroupUnit } from '../../engine/time/time-groups.js';
import { TimeZone } from '../../engine/time/time-zone.js';
import { csvDocument } from '../shared/csv.js';
import { localDay } from '../shared/labels.js';
import { nullBeyond } from '../shared/expired.js';

/** One line of a trend: an event's users per period (in a breakdown: those of one segment). */
export interface TrendSeries {
  event: string;
  /** The breakdown segment of this line, if any. */
  segment?: string;
  counts: (number | null)[];
}

/** A trend as the dashboard shows it: a count is null when its period is beyond the `expire` retention. */
export interface TrendView extends Omit<Trend, 'series'> {
  series: TrendSeries[];
  /** The segment shown (an event whose unique users alone count), if any. */
  segment?: string;
}

/** The name of a line: its event, and its segment in a breakdown. */
export function seriesName(series: { event: string; segment?: string }): string {
  return series.segment === undefined ? series.event : `${series.event} · ${series.segment}`;
}

/** The lines of a breakdown: each event's line of each segment's trend, event by event. */
export function breakdownTrend(parts: readonly { segment: string; trend: Trend }[]): Trend & { series: TrendSeries[] } {
  const first = parts[0]!.trend;
  const series = first.series.flatMap((_, e) => parts.map(({ segment, trend }) => ({ event: trend.series[e]!.event, segment, counts: trend.series[e]!.counts })));
  return { ...first, series };
}

/** Turns the counts of periods beyond retention (at the clock `now`) into null; unchanged without `expire`. */
export function trendView(trend: Trend & { series: TrendSeries[] }, expire: ExpireOptions | undefined, now: Date): TrendView {
  if (expire === undefined) return trend;
  const zone = TimeZone.of(trend.timeZone);
  const beyond = trend.dates.map((date) => periodBeyondRetention(expire, timeGroupUnit(trend.timeGroup), date, now, zone));
  return { ...trend, series: trend.series.map((s) => ({ ...s, counts: nullBeyond(s.counts, beyond) })) };
}

/**
 * The trends JSON answer: `{ timeGroup, timeZone, dates, series: [{ event, segment?, counts }], segment? }`, dates
 * as ISO instants (`segment` of a series: its breakdown segment; at the top: the segment shown).
 */
export function trendsJson(trend: TrendView): object {
  const answer = { timeGroup: trend.timeGroup, timeZone: trend.timeZone, dates: trend.dates.map((d) => d.toISOString()), series: trend.series };
  return trend.segment === undefined ? answer : { ...answer, segment: trend.segment };
}

/**
 * The trends CSV answer: `Date,<event>,...` (in a breakdown one column per event and segment, `<event> · <segment>`)
 * then a line per period (the local date of its start; blank beyond retention).
 */
export function trendsCsv(trend: TrendView): string {
  const rows = trend.dates.map((date, i) => [localDay(date, trend.timeZone), ...trend.series.map((s) => s.counts[i])]);
  return csvDocument(['Date', ...trend.series.map(seriesName)], rows);
}
