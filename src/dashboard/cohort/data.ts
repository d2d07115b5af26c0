import type { CohortResult } from '../../engine/insights/cohort/plan.js';
import type { TimeGroup } from '../../engine/time/time-groups.js';
import { TimeZone } from '../../engine/time/time-zone.js';
import { periodBeyondRetention, type ExpireOptions } from '../../engine/time/retention.js';
import { addPeriods } from '../../engine/time/steps.js';
import { timeGroupUnit } from '../../engine/time/time-groups.js';
import { csvDocument } from '../shared/csv.js';
import { localDay } from '../shared/labels.js';

/** Which periods of a cohort are beyond the configured retention: their bitmaps have expired. */
export interface CohortRetention {
  /** Per row: its primary period is beyond retention (its users are gone, its total reads 0). */
  rows: boolean[];
  /** Per cell: its period is beyond retention (the count would read 0, and is null instead). */
  cells: boolean[][];
}

/**
 * Marks the rows and cells of a cohort whose periods are beyond retention, and turns those cells into null
 * (a cell `j` of a row reads the period `j` units after the row's). Returns undefined when nothing expires.
 */
export function applyRetention(result: CohortResult, timeGroup: TimeGroup, expire: ExpireOptions | undefined, now: Date): CohortRetention | undefined {
  if (expire === undefined) return undefined;
  const unit = timeGroupUnit(timeGroup);
  const zone = TimeZone.of(result.timeZone);
  const rows = result.dates.map((date) => periodBeyondRetention(expire, unit, date, now, zone));
  const cells = result.cohort.map((row, i) =>
    row.map((_, j) => periodBeyondRetention(expire, unit, addPeriods(unit, result.dates[i]!, j, zone), now, zone)),
  );
  result.cohort = result.cohort.map((row, i) => row.map((count, j) => (cells[i]![j] || rows[i] ? null : count)));
  return { rows, cells };
}

/** A cohort ready to show: the engine's table with percents, totals and averages added. */
export interface CohortView {
  counts: (number | null)[][];
  /** Each cell as a percent of its row's total (2 decimals); null where the count is null. */
  percents: (number | null)[][];
  dates: Date[];
  totals: number[];
  /** The sum of the row totals. */
  total: number;
  /** Per column, the sum of its counts. */
  colTotals: number[];
  /** Per column, its sum of counts as a percent of the totals of the rows that have a value there (2 decimals). */
  colTotalPercents: (number | null)[];
  /** Per column, the mean of its non-null counts (2 decimals); null for a column of nulls. */
  countAverages: (number | null)[];
  /** Per column, the mean of its non-null percents (2 decimals). */
  percentAverages: (number | null)[];
  timeGroup: TimeGroup;
  numRows: number;
  numCols: number;
  /** With the `expire` option: the rows and cells beyond retention (their cells are null). */
  retention?: CohortRetention;
  /** The engine's time zone when not UTC: row labels and CSV dates are its local dates. */
  timeZone?: string;
}

/** The JSON answer of the cohort page (`?format=json`). Dates are ISO strings of each row's period start. */
export interface CohortJson {
  cohort: (number | null)[][];
  dates: string[];
  totals: number[];
  total: number;
  colTotals: number[];
  averages: (number | null)[];
  timeGroup: TimeGroup;
  asPercent: boolean;
  numRows: number;
  numCols: number;
  /**
   * Only with the `expire` option: per row and per cell, whether its period is beyond the configured
   * retention (its bitmaps expired): such cells are null, not 0, and such rows' totals read 0.
   */
  beyondRetention?: CohortRetention;
  /** Only with a `timezone` other than UTC: the zone whose local periods the rows are. */
  timeZone?: string;
}

/** Adds percents, column totals and averages to an engine cohort. */
export function buildCohortView(result: CohortResult, timeGroup: TimeGroup, numCols: number, retention?: CohortRetention): CohortView {
  const { cohort: counts, dates, totals, timeZone } = result;
  const percents = counts.map((row, i) =>
    row.map((count) => (count === null || !totals[i] ? null : round2((count / totals[i]!) * 100))),
  );
  const exactPercents = counts.map((row, i) => row.map((count) => (count === null || !totals[i] ? null : (count / totals[i]!) * 100)));
  const column = (table: (number | null)[][], j: number) =>
    table.map((row) => row[j]).filter((value): value is number => value !== null && value !== undefined);
  const columns = Array.from({ length: numCols }, (_, j) => j);
  return {
    counts,
    percents,
    dates,
    totals,
    total: sum(totals),
    colTotals: columns.map((j) => sum(column(counts, j))),
    colTotalPercents: columns.map((j) => {
      const base = sum(totals.filter((_, i) => counts[i]?.[j] !== null && counts[i]?.[j] !== undefined));
      return base === 0 ? null : round2((sum(column(counts, j)) / base) * 100);
    }),
    countAverages: columns.map((j) => mean(column(counts, j))),
    percentAverages: columns.map((j) => mean(column(exactPercents, j))),
    timeGroup,
    numRows: counts.length,
    numCols,
    ...(retention ? { retention } : {}),
    ...(timeZone ? { timeZone } : {}),
  };
}

/** The JSON answer, in counts or percents. */
export function cohortJson(view: CohortView, asPercent: boolean): CohortJson {
  return {
    cohort: asPercent ? view.percents : view.counts,
    dates: view.dates.map((date) => date.toISOString()),
    totals: view.totals,
    total: view.total,
    colTotals: view.colTotals,
    averages: asPercent ? view.percentAverages : view.countAverages,
    timeGroup: view.timeGroup,
    asPercent,
    numRows: view.numRows,
    numCols: view.numCols,
    ...(view.retention ? { beyondRetention: view.retention } : {}),
    ...(view.timeZone ? { timeZone: view.timeZone } : {}),
  };
}

/** The CSV answer: `Date,Total,0,1,...`, a line per row (period start as YYYY-MM-DD), blank for null cells. */
export function cohortCsv(view: CohortView, asPercent: boolean): string {
  const header = ['Date', 'Total', ...Array.from({ length: view.numCols }, (_, j) => String(j))];
  const table = asPercent ? view.percents : view.counts;
  return csvDocument(header, table.map((row, i) => [localDay(view.dates[i]!, view.timeZone), view.totals[i], ...row]));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : round2(sum(values) / values.length);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
