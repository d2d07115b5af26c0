import { BitmapistArgumentError } from '../../errors.js';
import { chainGroups, type ChainedEvent } from '../../query/chain.js';
import type { Expression, Leaf } from '../../query/expression.js';
import { UTC_ZONE, type TimeZone } from '../../time/time-zone.js';
import { addPeriods } from '../../time/steps.js';
import { periodStart, toUtc } from '../../time/periods.js';
import { periodSuffixes } from '../../time/suffixes.js';
import { timeGroupUnit, type TimeGroupInput } from '../../time/time-groups.js';
import { assertEventName } from '../../keys/names.js';
import { assertIntegerInRange, assertOptionalBoolean, assertOptionsObject } from '../../arguments.js';
import { checkSegment, type InsightSource, type SegmentOption, type SignalOption } from '../source.js';

/**
 * How returning users are counted: `first` counts a user only in the first period they come back,
 * `recurring` in every period they come back, `unbounded` in period j when they come back in j or later.
 */
export type CohortMode = 'first' | 'recurring' | 'unbounded';

/** The most rows or columns a cohort may have. */
export const MAX_COHORT_SIZE = 366;

/**
 * Options of `getCohort`. With `segment`, a row's population is its primary event's users in the segment, so
 * every total and cell counts the segment's users only.
 */
export interface CohortOptions extends SegmentOption, SignalOption {
  /** Events chained onto the secondary event (`and` narrows, `or` widens). */
  additionalEvents?: readonly ChainedEvent[];
  /** `days` (default), `weeks`, `months` or `years`; singular forms are accepted too. */
  timeGroup?: TimeGroupInput;
  /** Rows, ending with the period containing `now` (1..366, default 10). */
  numRows?: number;
  /** Columns: the row's period and the ones after it (1..366, default 10). */
  numCols?: number;
  /** `true` is mode `recurring`, `false` mode `first` (default). */
  withReplacement?: boolean;
  /** How returning users are counted (default `first`). */
  mode?: CohortMode;
  /** The moment the table ends at (default: now). */
  now?: Date;
}

/** A cohort table. `cohort[i][j]` is null for rows with no users and for periods after `now`. */
export interface CohortResult {
  cohort: (number | null)[][];
  /** The start of each row's period: the true instant (UTC midnight by default, local midnight with `timezone`). */
  dates: Date[];
  /** The number of users of each row's primary event. */
  totals: number[];
  /** The engine's `timezone` when it is not UTC (left out for UTC): the zone whose local periods the rows are. */
  timeZone?: string;
}

/** One period of a row: the AND of its groups, each group the OR of its bitmaps. */
export type PeriodPlan = Leaf[][];

/** The plan of one row: its population and the periods its cells read. */
export interface CohortRowPlan {
  date: Date;
  primary: Leaf[];
  /** How many cells are counted; the rest of the row's `numCols` cells are in the future. */
  cells: number;
  periods: PeriodPlan[];
}

/** A whole cohort, planned: pure data, no I/O. */
export interface CohortPlan {
  mode: CohortMode;
  numCols: number;
  rows: CohortRowPlan[];
  /** The segment every population is restricted to (its expression over the engine's bitmaps), if any. */
  segment?: Expression;
}

/** Checks the options and resolves their defaults. */
export function resolveCohortOptions(options: CohortOptions = {}, zone: TimeZone = UTC_ZONE) {
  assertOptionsObject(options);
  const { numRows = 10, numCols = 10, withReplacement, mode } = options;
  assertIntegerInRange(numRows, 'numRows', 1, MAX_COHORT_SIZE);
  assertIntegerInRange(numCols, 'numCols', 1, MAX_COHORT_SIZE);
  assertOptionalBoolean(withReplacement, 'withReplacement');
  if (mode !== undefined && mode !== 'first' && mode !== 'recurring' && mode !== 'unbounded') {
    throw new BitmapistArgumentError('mode', `must be first, recurring or unbounded, got ${JSON.stringify(mode)}`);
  }
  const replacementMode = withReplacement === undefined ? undefined : withReplacement ? 'recurring' : 'first';
  if (mode !== undefined && replacementMode !== undefined && mode !== replacementMode) {
    throw new BitmapistArgumentError('mode', `mode ${mode} contradicts withReplacement: ${withReplacement}`);
  }
  return {
    unit: timeGroupUnit(options.timeGroup ?? 'days'),
    numRows,
    numCols,
    mode: (mode ?? replacementMode ?? 'first') as CohortMode,
    now: toUtc(options.now ?? new Date(), 'now', zone).toDate(),
    additionalEvents: options.additionalEvents ?? [],
  };
}

/**
 * Plans a cohort: which bitmaps each row and cell reads. A `segment` is checked against `engine`, the engine
 * whose bitmaps the cohort reads (refused, naming `segment`, without it).
 */
export function planCohort(
  primary: string,
  secondary: string,
  options: CohortOptions = {},
  zone: TimeZone = UTC_ZONE,
  engine?: InsightSource,
): CohortPlan {
  assertEventName(primary, 'primary');
  const { unit, numRows, numCols, mode, now, additionalEvents } = resolveCohortOptions(options, zone);
  if (options.segment !== undefined && engine === undefined) {
    throw new BitmapistArgumentError('segment', 'needs the engine the cohort reads, to check the set against');
  }
  const segment = engine && checkSegment(options.segment, engine.getEventData(primary, { now }));
  // OR and AND are idempotent: an event twice in a group, or a group twice, would only be read twice.
  const unique = new Map(chainGroups(secondary, additionalEvents, { base: 'secondary', events: 'additionalEvents' }).map((group) => {
    const events = [...new Set(group)];
    return [JSON.stringify([...events].sort()), events] as const;
  }));
  const groups = [...unique.values()];
  const last = periodStart(unit, now, zone);
  // Rows and cells share periods: work each one's start and key suffixes out once (dates are the slow part).
  const periods = new Map<number, { start: Date; suffixes: string[] }>();
  const period = (offset: number) => {
    let known = periods.get(offset);
    if (known === undefined) {
      const start = addPeriods(unit, last, offset, zone);
      known = { start, suffixes: periodSuffixes(unit, start, zone) };
      periods.set(offset, known);
    }
    return known;
  };
  const leaves = (event: string, offset: number): Leaf[] =>
    period(offset).suffixes.map((suffix) => ({ kind: 'leaf', event, suffix }));
  // A year's months after now hold no marks yet: their keys are never sent (the current year reads up to now).
  if (unit === 'year') {
    const current = period(0);
    current.suffixes = current.suffixes.filter((_, month) => addPeriods('month', current.start, month, zone).getTime() <= now.getTime());
  }
  // A period's plan is shared by every row that reads it (a 90x90 cohort reads 180 periods, not 8,190).
  const secondaryPeriods = new Map<number, PeriodPlan>();
  const secondaryPeriod = (offset: number): PeriodPlan => {
    let known = secondaryPeriods.get(offset);
    if (known === undefined) {
      known = groups.map((group) => group.flatMap((event) => leaves(event, offset)));
      secondaryPeriods.set(offset, known);
    }
    return known;
  };
  const rows = Array.from({ length: numRows }, (_, i): CohortRowPlan => {
    const offset = i - (numRows - 1);
    const periodsToNow = numRows - i;
    const cells = Math.min(numCols, periodsToNow);
    const described = mode === 'unbounded' ? periodsToNow : cells;
    return {
      date: period(offset).start,
      primary: leaves(primary, offset),
      cells,
      periods: Array.from({ length: described }, (_, j) => secondaryPeriod(offset + j)),
    };
  });
  return segment === undefined ? { mode, numCols, rows } : { mode, numCols, rows, segment: segment.expression };
}

/** Per row: its population count and the count of each cell, summed over blocks. */
export interface CohortSums {
  totals: number[];
  cells: number[][];
}

/** Turns the summed counts into the table (null for empty rows and future cells). */
export function assembleCohort(plan: CohortPlan, sums: CohortSums): CohortResult {
  const cohort = plan.rows.map((row, i) => {
    const total = sums.totals[i] ?? 0;
    return Array.from({ length: plan.numCols }, (_, j) => (total > 0 && j < row.cells ? (sums.cells[i]?.[j] ?? 0) : null));
  });
  return {
    cohort,
    dates: plan.rows.map((row) => row.date),
    totals: plan.rows.map((_, i) => sums.totals[i] ?? 0),
  };
}
