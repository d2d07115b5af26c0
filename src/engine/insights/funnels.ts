import { assertOptionsObject } from '../arguments.js';
import { BitmapistArgumentError } from '../errors.js';
import { assertEventName } from '../keys/names.js';
import type { Expression, Leaf } from '../query/expression.js';
import { BitmapProgram, type Register } from '../query/program.js';
import { periodStart, toUtc } from '../time/periods.js';
import { addPeriods } from '../time/steps.js';
import { periodSuffix } from '../time/suffixes.js';
import { canonicalTimeGroup } from '../time/time-groups.js';
import type { TimeZone } from '../time/time-zone.js';
import { checkCount } from './ranges.js';
import { checkSegment, checkSignal, type InsightSource, type SegmentOption, type SignalOption } from './source.js';

/** The caps of a funnel: 2 to 10 steps; entry periods and the window per time group (defaults too). */
export const FUNNEL_LIMITS = {
  minSteps: 2,
  maxSteps: 10,
  periods: { days: { max: 90, default: 30 }, weeks: { max: 52, default: 30 } },
  window: { days: { max: 90, default: 14 }, weeks: { max: 12, default: 2 } },
} as const;

/** How later steps must follow: in order (`sequential`, the default), or in any order within the window. */
export type FunnelOrder = 'sequential' | 'any';

/** The time groups a funnel counts in. */
export type FunnelTimeGroup = 'days' | 'weeks';

/** Options of `getFunnel`. */
export interface FunnelOptions extends SegmentOption, SignalOption {
  /** `days` (default) or `weeks` (singular forms too). */
  timeGroup?: FunnelTimeGroup | 'day' | 'week';
  /** Entry periods, ending with the one containing `now` (default 30; days 1 to 90, weeks 1 to 52). */
  periods?: number;
  /** Periods after the entry period in which later steps may happen (default 14 days / 2 weeks; days 0 to 90, weeks 0 to 12). */
  window?: number;
  order?: FunnelOrder;
  /** The end of the last entry period (default: now); no period after the one containing it is read. */
  now?: Date;
}

/**
 * A funnel. `dates` are the entry periods' starts (oldest first); `entries[i].counts[k]` the users who entered in
 * period i and reached step k + 1 (`counts[0]`: entered), `complete` false while that period's window reaches
 * past `now`; `steps[k].count` the sum over entry periods; `timeToConvert[j]` the users who reached the last step
 * first in the j-th period after their entry period.
 */
export interface FunnelResult {
  timeGroup: FunnelTimeGroup;
  window: number;
  order: FunnelOrder;
  dates: Date[];
  steps: { event: string; count: number }[];
  entries: { counts: number[]; complete: boolean }[];
  timeToConvert: number[];
  /** The engine's time zone, when it is not UTC. */
  timeZone?: string;
}

/** What a funnel needs from the engine. */
export interface FunnelSource extends InsightSource {
  readonly timeZone: TimeZone;
  /** Runs a program where the users of `population` are (see `ProgramRunner`), summing each count slot. */
  runProgram(program: BitmapProgram, population: readonly Leaf[], limitArgument: string, signal?: AbortSignal): Promise<number[]>;
}

/** The checked options of a funnel, with its entry periods' starts and key suffixes. */
interface FunnelPlan {
  steps: string[];
  timeGroup: FunnelTimeGroup;
  periods: number;
  window: number;
  order: FunnelOrder;
  dates: Date[];
  suffixes: string[];
  segment: Expression | undefined;
  signal: AbortSignal | undefined;
  /** Per entry period: whether its window (through period i + window) is over by `now`, the instant. */
  complete: boolean[];
}

/** Checks a funnel's arguments (before any bitmap is read) and works out its periods. */
export function planFunnel(steps: unknown, options: FunnelOptions, source: Pick<FunnelSource, 'timeZone' | 'getEventData'>): FunnelPlan {
  if (!Array.isArray(steps) || steps.length < FUNNEL_LIMITS.minSteps || steps.length > FUNNEL_LIMITS.maxSteps) {
    throw new BitmapistArgumentError('steps', `must name ${FUNNEL_LIMITS.minSteps} to ${FUNNEL_LIMITS.maxSteps} events`);
  }
  // An index loop, not forEach: a sparse array's holes are steps too (refused), never skipped.
  for (let i = 0; i < steps.length; i++) assertEventName(steps[i], `steps[${i}]`);
  assertOptionsObject(options);
  const timeGroup = canonicalTimeGroup(options.timeGroup ?? 'days');
  if (timeGroup !== 'days' && timeGroup !== 'weeks') throw new BitmapistArgumentError('timeGroup', `must be days or weeks, got ${timeGroup}`);
  const periods = options.periods ?? FUNNEL_LIMITS.periods[timeGroup].default;
  checkCount('periods', periods, FUNNEL_LIMITS.periods[timeGroup].max);
  const window = options.window ?? FUNNEL_LIMITS.window[timeGroup].default;
  if (!Number.isInteger(window) || window < 0 || window > FUNNEL_LIMITS.window[timeGroup].max) {
    throw new BitmapistArgumentError('window', `must be a whole number from 0 to ${FUNNEL_LIMITS.window[timeGroup].max}, got ${String(window)}`);
  }
  const order = options.order ?? 'sequential';
  if (order !== 'sequential' && order !== 'any') throw new BitmapistArgumentError('order', `must be sequential or any, got ${JSON.stringify(order)}`);
  const zone = source.timeZone;
  const unit = timeGroup === 'days' ? 'day' : 'week';
  const now = toUtc(options.now ?? new Date(), 'now', zone).toDate();
  const last = periodStart(unit, now, zone);
  const dates = Array.from({ length: periods }, (_, i) => addPeriods(unit, last, i - (periods - 1), zone));
  // A window is over once its last instant (just before the period after it starts) is at or before now.
  const complete = dates.map((date) => addPeriods(unit, date, window + 1, zone).getTime() - 1 <= now.getTime());
  // `now` itself, not its period's start: the first ISO week of the year 1000 starts in 999, before any date taken.
  const segment = checkSegment(options.segment, source.getEventData(steps[0] as string, { timeGroup, now }))?.expression;
  const signal = checkSignal(options.signal);
  return { steps: steps as string[], timeGroup, periods, window, order, dates, suffixes: dates.map((date) => periodSuffix(unit, date, zone)), segment, signal, complete };
}

/**
 * A funnel over period-level data (see README, "Funnels"): one program run where the first step's users are, all
 * of its set work in Redis. The periods are worked in order: each period's entrants (first step 1 in the range,
 * in the segment), the users whose window is open, and per step the running union of those who reached it.
 */
export async function funnel(source: FunnelSource, steps: unknown, options: FunnelOptions = {}): Promise<FunnelResult> {
  const plan = planFunnel(steps, options, source);
  const { program, slots } = funnelProgram(plan);
  const population = plan.suffixes.map((suffix): Leaf => ({ kind: 'leaf', event: plan.steps[0]!, suffix }));
  const sums = await source.runProgram(program, population, 'funnel', plan.signal);
  const entries = slots.entries.map((row, e) => ({ counts: row.map((slot) => sums[slot]!), complete: plan.complete[e]! }));
  return {
    timeGroup: plan.timeGroup,
    window: plan.window,
    order: plan.order,
    dates: plan.dates,
    steps: plan.steps.map((event, k) => ({ event, count: entries.reduce((sum, entry) => sum + entry.counts[k]!, 0) })),
    entries,
    timeToConvert: slots.timeToConvert.map((slot) => sums[slot]!),
    ...(source.timeZone.isUtc ? {} : { timeZone: source.timeZone.name }),
  };
}

/** The funnel's program and the count slot of each figure. */
function funnelProgram(plan: FunnelPlan): { program: BitmapProgram; slots: { entries: number[][]; timeToConvert: number[] } } {
  const { steps, periods, window, order, suffixes } = plan;
  const p = new BitmapProgram();
  const n = steps.length;
  const slots = {
    entries: Array.from({ length: periods }, () => Array.from({ length: n }, () => p.slot())),
    timeToConvert: Array.from({ length: window + 1 }, () => p.slot()),
  };
  const [seen, entered, closed, open, work, pair, fresh, all] = Array.from({ length: 8 }, () => p.register());
  // reached[k]: users who reached step k + 1 (sequential) or did it inside their window (any order); reached[0] is `entered`.
  const reached = [entered!, ...Array.from({ length: n - 1 }, () => p.register())];
  const loads = steps.map(() => p.register());
  // The entrants of the last window + 2 periods (older ones are in `closed`).
  const cohorts = Array.from({ length: window + 2 }, () => p.register());
  const cohort = (e: number) => cohorts[e % cohorts.length]!;
  const segment = plan.segment && p.register();
  for (const register of [seen!, entered!, closed!, all!, ...reached.slice(1)]) p.zero(register);
  if (segment !== undefined) p.expression(segment, plan.segment!);

  const close = (e: number) => {
    const mine = cohort(e);
    if (order === 'sequential') {
      for (let k = 1; k < n; k++) {
        p.and(pair!, reached[k]!, mine);
        p.count(pair!, slots.entries[e]![k]!);
      }
      return;
    }
    p.and(pair!, mine, reached[1]!);
    p.count(pair!, slots.entries[e]![1]!);
    for (let k = 2; k < n; k++) {
      p.and(pair!, pair!, reached[k]!);
      p.count(pair!, slots.entries[e]![k]!);
    }
  };

  for (let t = 0; t < periods; t++) {
    steps.forEach((event, k) => p.load(loads[k]!, event, suffixes[t]!));
    // Entrants: step 1 now and in no earlier entry period (first entry only), in the segment.
    const entrants = cohort(t);
    p.andNot(entrants, loads[0]!, seen!);
    if (segment !== undefined) p.and(entrants, entrants, segment);
    p.or(seen!, seen!, loads[0]!);
    p.or(entered!, entered!, entrants);
    p.count(entrants, slots.entries[t]![0]!);
    if (t - window - 1 >= 0) p.or(closed!, closed!, cohort(t - window - 1));
    p.andNot(open!, entered!, closed!);
    stepUpdates(p, order, { reached, loads, open: open!, work: work!, fresh: fresh!, all: all! });
    // Time to convert: who reached the last step first now, by entry period.
    p.unlessEmpty(fresh!, () => {
      for (let e = Math.max(0, t - window); e <= t; e++) {
        p.and(pair!, fresh!, cohort(e));
        p.count(pair!, slots.timeToConvert[t - e]!);
      }
    });
    if (t - window >= 0) close(t - window);
  }
  for (let e = Math.max(0, periods - window); e < periods; e++) close(e);
  return { program: p, slots };
}

/** One period's progress of every step; `fresh` gets who reached the last step first in this period. */
function stepUpdates(
  p: BitmapProgram,
  order: FunnelOrder,
  r: { reached: Register[]; loads: Register[]; open: Register; work: Register; fresh: Register; all: Register },
): void {
  const n = r.loads.length;
  if (order === 'sequential') {
    // Two steps in one period count as in order: step k advances from step k - 1 as reached in this period.
    for (let k = 1; k < n; k++) {
      p.and(r.work, r.reached[k - 1]!, r.loads[k]!);
      p.and(r.work, r.work, r.open);
      if (k === n - 1) p.andNot(r.fresh, r.work, r.reached[k]!);
      p.or(r.reached[k]!, r.reached[k]!, r.work);
    }
    return;
  }
  // Any order: each later step done in some period of the user's window; the last step is reached once all are.
  for (let k = 1; k < n; k++) {
    p.and(r.work, r.loads[k]!, r.open);
    p.or(r.reached[k]!, r.reached[k]!, r.work);
  }
  p.and(r.work, r.reached[1]!, r.reached[Math.min(2, n - 1)]!);
  for (let k = 3; k < n; k++) p.and(r.work, r.work, r.reached[k]!);
  p.andNot(r.fresh, r.work, r.all);
  p.or(r.all, r.all, r.work);
}
