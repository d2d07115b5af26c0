import { settleAll } from '../redis/bounded.js';
import { assertOptionsObject } from '../arguments.js';
import { BitmapistArgumentError } from '../errors.js';
import { checkCount, periodRange } from './ranges.js';
import { timeGroupUnit, unitTimeGroup, type TimeGroup, type TimeGroupInput } from '../time/time-groups.js';
import { BitmapProgram } from '../query/program.js';
import { checkSegment, checkSignal, countPeriod, type InsightSource, type SegmentOption, type SignalOption } from './source.js';

/**
 * Caps of {@link trendCounts}: at most `maxEvents` events, and per time group at most `maxPeriods` periods
 * (one count per event and period, each event's counts one program).
 */
export const TREND_LIMITS = {
  maxEvents: 10,
  maxPeriods: { days: 90, weeks: 52, months: 36, years: 10 },
} as const;

/** Users per period for several events: `dates[i]` is the start of period i, `series[e].counts[i]` its users. */
export interface Trend {
  timeGroup: TimeGroup;
  /** The engine's time zone (IANA name): the periods are its local ones. */
  timeZone: string;
  dates: Date[];
  series: { event: string; counts: number[] }[];
}

/** Options of {@link trendCounts}. */
export interface TrendOptions extends SegmentOption, SignalOption {
  timeGroup?: TimeGroupInput;
  /** How many periods, the last one containing `now` (default 30, or the time group's cap when smaller). */
  periods?: number;
  now?: Date;
}

/**
 * Users per period of each event over the `periods` periods ending with the one containing `now` (local
 * periods of the engine), only users of `segment` when given. Each event's counts are one program of bounded calls:
 * a period's bitmap counted in place (BITCOUNT), a year's months ORed first, the segment ANDed in.
 */
export async function trendCounts<Id>(bm: InsightSource<Id>, events: readonly string[], options: TrendOptions = {}): Promise<Trend> {
  if (!Array.isArray(events) || events.length < 1 || events.length > TREND_LIMITS.maxEvents) {
    throw new BitmapistArgumentError('events', `must name 1 to ${TREND_LIMITS.maxEvents} events`);
  }
  assertOptionsObject(options);
  const timeGroup = unitTimeGroup(timeGroupUnit(options.timeGroup ?? 'days') as 'day' | 'week' | 'month' | 'year');
  // Default 30, or the time group's cap when smaller (10 years), as the dashboard's trends page.
  const periods = options.periods ?? Math.min(30, TREND_LIMITS.maxPeriods[timeGroup]);
  checkCount('periods', periods, TREND_LIMITS.maxPeriods[timeGroup]);
  const now = options.now ?? new Date();
  const unit = timeGroupUnit(timeGroup) as 'day' | 'week' | 'month' | 'year';
  // Array.from, not map: a sparse array's holes are refused as event names, never skipped.
  const lastSets = Array.from(events, (event) => bm.getEventData(event, { timeGroup: unit, now }));
  const segment = checkSegment(options.segment, lastSets[0]!);
  const signal = checkSignal(options.signal);
  const ranges = lastSets.map((last) => periodRange(last, periods));
  // One program per event, run side by side: Redis works on one while the other's reply travels.
  const series = await settleAll(ranges.map(async (range) => {
    const p = new BitmapProgram();
    const segmentRegister = segment && p.register();
    if (segmentRegister !== undefined) p.expression(segmentRegister, segment!.expression);
    const work = p.register();
    const slots = range.map((set) => {
      const slot = p.slot();
      countPeriod(p, set.expression, slot, work, segmentRegister);
      return slot;
    });
    const sums = await bm.runProgram(p, undefined, 'periods', signal);
    return slots.map((slot) => sums[slot]!);
  }));
  return {
    timeGroup,
    timeZone: lastSets[0]!.timeZone.name,
    dates: ranges[0]!.map((set) => set.periodStart),
    series: events.map((event, i) => ({ event, counts: series[i]! })),
  };
}
