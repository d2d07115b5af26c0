/** The settings of the scaling benchmark (benchmark 7) and the figures it reports. */
import type { ScaleCohortQuery } from './scale-check.js';
import type { MarkRun, Measured } from './scale-measure.js';
import type { PageMeasured } from './scale-pages.js';

/** The product sizes of a full run. */
export const SCALE_SIZES = [100_000, 1_000_000, 10_000_000];
/** Timed runs of each cohort and of the events page and year count (after one warm-up run). */
export const SCALE_RUNS = 15;
/** Marks per target for the marking rate, in {@link SCALE_MARK_RUNS} equal runs. */
export const SCALE_MARKS = 300_000;
/**
 * Runs per target of the marking rate, in cycles of A B C C B A: a run lasts about half a second, and on two
 * shared cores two runs of the same code differ by up to 1.5x, so the rate is the pooled one of six runs spread
 * over the same stretch of time for every target.
 */
export const SCALE_MARK_RUNS = 6;
export const SCALE_CALLERS = 64;
export const SHARD_BITS = 20;
/**
 * Days of `user:active` and `user:purchased`: enough for the 90-day pages (active users read 29 days more for the
 * first day's MAU; the lifecycle one day more).
 */
export const SCALE_ACTIVE_DAYS = 120;
/** The targets the chart pages and the funnel are measured on (by name). */
export const SCALE_PAGE_TARGETS: readonly string[] = ['compatible, one server', 'sharded, one server'];

/** The cohorts asked on every target: 30x30 days, 12x12 weeks, 3x3 months, each in every mode. */
export const SCALE_CASES: ScaleCohortQuery[] = (
  [['day', 30], ['week', 12], ['month', 3]] as const
).flatMap(([unit, size]) => (['first', 'recurring', 'unbounded'] as const).map((mode) => ({ unit, size, mode })));

/** What one target measured at one size. */
export interface TargetFigures {
  name: string;
  layout: 'compatible' | 'sharded';
  /** Each case of {@link SCALE_CASES}, or undefined when it failed (see `failures`). */
  cohorts: ((Measured & { query: ScaleCohortQuery; cells: number }) | undefined)[];
  eventsPage: Measured | undefined;
  yearCount: Measured | undefined;
  /** The chart pages over HTTP (empty on a target not in {@link SCALE_PAGE_TARGETS}; undefined: failed). */
  pages: (PageMeasured | undefined)[];
  /** The funnel of {@link SCALE_PAGE_TARGETS}' targets (undefined: not measured here, or failed). */
  funnel: PageMeasured | undefined;
  marksPerSecond: number;
  /** The marking runs of this target, added up. */
  marking: MarkRun;
  /** `used_memory` growth while writing each event, bytes. */
  memory: Record<string, number>;
  keys: number;
  writeMs: number;
}

/** One size of the product and what every target measured. */
export interface SizeFigures {
  users: number;
  signups: number;
  activeUserDays: number;
  purchases: number;
  buildMs: number;
  targets: TargetFigures[];
  /** Wrong answers and errors: any fails the bench. */
  failures: string[];
}

/** The whole scaling section. */
export interface ScaleFigures {
  /** The machine, its Redis, and its load at the start and end of the section. */
  machine: string[];
  builderCheck: string;
  sizes: SizeFigures[];
  durationS: number;
}

