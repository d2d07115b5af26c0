/**
 * The KEYS and ARGV of the two cohort scripts and the reading of their replies: pure code, no I/O.
 * `cohort_windows` finds each row's population range in a block; `cohort_row` works rows' cells in chains of
 * budgeted calls, each call resuming where the previous one stopped.
 */
import type { CohortMode, CohortRowPlan, CohortSums } from './plan.js';
import type { Leaf } from '../../query/expression.js';

/** A period of a row as the script works it: the column it counts (-1: none) and its groups of bitmaps. */
export interface WorkedPeriod {
  column: number;
  groups: Leaf[][];
  /** A small row's: the byte length of its longest bitmap, when the cohort asked for the lengths. */
  length?: number;
}

/** One row's work in one block: the byte range [lo, hi] of its population and its periods in working order. */
export interface RowWork {
  /** The block whose bitmaps it reads (0 in the compatible layout). */
  block: number;
  row: number;
  lo: number;
  hi: number;
  primary: Leaf[];
  periods: WorkedPeriod[];
  /** Whether the population is restricted to a segment (one more window read, see {@link SegmentKey}). */
  segmented?: boolean;
  /** The end (last byte) of the widest population of its block: a small row is worked up to it (see {@link isSmall}). */
  blockHi?: number;
}

/**
 * Rows whose block's populations end within this many bytes (a million ids) are small: worked on the bitmaps
 * themselves, a cell in one BITOP and one BITCOUNT, without the window copies and clock reads that pay off only
 * on long bitmaps.
 */
export const SMALL_ROW_BYTES = 131_072;

/** Whether a row is small (see {@link SMALL_ROW_BYTES}). */
export function isSmall(work: RowWork): boolean {
  return work.blockHi !== undefined && work.blockHi < SMALL_ROW_BYTES;
}

/**
 * The bitmap a row's population is ANDed with (the segment in its block): an event bitmap (read only; missing
 * means empty) or a scratch key of the caller, which must exist (its TTL is renewed each time it is read).
 */
export interface SegmentKey {
  key: string;
  scratch: boolean;
}

/**
 * Where a chain stands: the row (index into its rows) and its stage there (0: not started, 1: in its primaries
 * at `key`, 2: in its periods at `period`, `group`, `key`).
 */
export interface ChainPosition {
  row: number;
  stage: 0 | 1 | 2;
  period: number;
  group: number;
  key: number;
}

/** The start of a chain. */
export const CHAIN_START: ChainPosition = { row: 0, stage: 0, period: 0, group: 1, key: 1 };

/** The order a row's periods are worked in: ascending, or descending in mode `unbounded`. */
export function workedPeriods(mode: CohortMode, row: CohortRowPlan): WorkedPeriod[] {
  const periods = row.periods.map((groups, j) => ({ column: j < row.cells ? j : -1, groups }));
  return mode === 'unbounded' ? periods.reverse() : periods;
}

/** The number of bitmaps a period reads. */
function periodKeys(period: WorkedPeriod): number {
  return period.groups.reduce((sum, group) => sum + group.length, 0);
}

/**
 * Whether a row is worked in place (BITOP on whole bitmaps) rather than on copies of its window: when the
 * population spans over half of its bitmaps, copies would cost more.
 */
export function worksInPlace(work: RowWork): boolean {
  return (work.hi - work.lo + 1) * 2 > work.hi + 1;
}

/** Bytes of bitmaps a row reads at most: every bitmap's window (its start, when worked in place). */
export function rowBytes(work: RowWork): number {
  const keys = work.primary.length + (work.segmented ? 1 : 0) + work.periods.reduce((sum, period) => sum + periodKeys(period), 0);
  if (isSmall(work)) return keys * (work.blockHi! + 1);
  return keys * (worksInPlace(work) ? work.hi + 1 : work.hi - work.lo + 1);
}

/** About how many nanoseconds of Redis time a row costs at most: 1000 per Redis call, 2 per byte copied. */
export function rowUnits(work: RowWork): number {
  // A small row: about 3 Redis calls per period, and BITOP's word-at-a-time pass over its bytes.
  if (isSmall(work)) return 6000 + work.periods.length * 3000 + rowBytes(work) * 0.25;
  const width = worksInPlace(work) ? work.hi + 1 : work.hi - work.lo + 1;
  const groups = work.periods.reduce((sum, period) => sum + period.groups.length, 1);
  return rowBytes(work) * 2.25 + (rowBytes(work) / width) * 3000 + groups * 2000 + work.periods.length * (2000 + width / 2);
}

/** The `cohort_windows` call for the rows from `from`, at most `maxKeys` keys (at least one row). */
export function windowsCall(primaries: string[][], from: number, budget: number, maxKeys: number) {
  const keys: string[] = [];
  const counts: number[] = [];
  for (let r = from; r < primaries.length; r++) {
    const row = primaries[r]!;
    if (counts.length > 0 && keys.length + row.length > maxKeys) break;
    keys.push(...row);
    counts.push(row.length);
  }
  return { keys, args: [budget, counts.length, ...counts] as (string | number)[] };
}

/** One row's part of a `cohort_row` call: the stage it starts at and which periods it carries. */
interface Slice {
  row: number;
  stage: number;
  from: number;
  count: number;
}

/**
 * The next `cohort_row` call of a chain, from its position: as many rows and periods as `maxKeys` allows (at
 * least one period), the chain's scratch keys last. With `segmentOf` (a cohort with a segment), each row's
 * population is ANDed with its block's segment key (undefined: the segment holds every user of the block):
 * ARGV ends with 'segment' and a kind per row, and the rows' segment keys come before the scratch keys.
 */
export function cellsCall(
  mode: CohortMode,
  rows: RowWork[],
  at: ChainPosition,
  keyOf: (leaf: Leaf, block: number) => string,
  scratch: string[],
  limits: { ttlMs: number; budget: number; maxKeys: number },
  segmentOf?: (block: number) => SegmentKey | undefined,
) {
  const keys: string[] = [];
  const args: (string | number)[] = [mode, limits.ttlMs, limits.budget, 0];
  const slices: Slice[] = [];
  for (let r = at.row; r < rows.length; r++) {
    const work = rows[r]!;
    const stage = r === at.row ? at.stage : 0;
    const from = stage === 2 ? at.period : 0;
    const small = isSmall(work);
    // A small row's population may be its primary bitmap itself: its primaries come with every call.
    const primaries = stage < 2 || small ? work.primary.length : 0;
    if (slices.length > 0 && keys.length + primaries > limits.maxKeys) break;
    const header = args.length;
    const inPlace = small || worksInPlace(work);
    const lo = inPlace ? 0 : work.lo;
    const hi = small ? work.blockHi! : work.hi;
    args.push(stage, primaries, lo, hi, stage === 2 ? at.group : 1, stage === 0 ? 1 : at.key, 0, 0, small ? 2 : inPlace ? 1 : 0);
    if (primaries > 0) for (const leaf of work.primary) keys.push(keyOf(leaf, work.block));
    let p = from;
    for (; p < work.periods.length; p++) {
      const period = work.periods[p]!;
      if (p > from && keys.length + periodKeys(period) > limits.maxKeys) break;
      args.push(period.column >= 0 ? 1 : 0, period.groups.length, ...period.groups.map((group) => group.length));
      for (const group of period.groups) for (const leaf of group) keys.push(keyOf(leaf, work.block));
    }
    args[header + 6] = p === work.periods.length ? 1 : 0;
    args[header + 7] = p - from;
    slices.push({ row: r, stage, from, count: p - from });
    if (p < work.periods.length || keys.length >= limits.maxKeys) break;
  }
  args[3] = slices.length;
  if (segmentOf) {
    args.push('segment');
    for (const slice of slices) {
      const segment = segmentOf(rows[slice.row]!.block);
      args.push(segment === undefined ? 0 : segment.scratch ? 2 : 1);
      if (segment !== undefined) keys.push(segment.key);
    }
  }
  // The periods' lengths, when every row of the call is small and has them: the script pads ahead of them.
  const sent = slices.map((slice) => rows[slice.row]!.periods.slice(slice.from, slice.from + slice.count));
  if (slices.every((slice) => isSmall(rows[slice.row]!)) && sent.every((periods) => periods.every((period) => period.length !== undefined))) {
    args.push('lengths', ...sent.flatMap((periods) => periods.map((period) => period.length!)));
  }
  keys.push(...scratch);
  return { keys, args, slices };
}

/**
 * Adds a `cohort_row` reply to the sums and returns the chain's next position (`row === rows.length`: done).
 */
export function readCellsReply(reply: number[], rows: RowWork[], slices: Slice[], sums: CohortSums): ChainPosition {
  const [stopRow, stopStage, stopPeriod, stopGroup, stopKey] = reply as [number, 0 | 1 | 2, number, number, number];
  let value = 5;
  for (let s = 0; s < slices.length && s < stopRow; s++) {
    const slice = slices[s]!;
    const work = rows[slice.row]!;
    const stopped = s === stopRow - 1;
    if (stopped && stopStage < 2) return { row: slice.row, stage: stopStage, period: 0, group: 1, key: stopKey };
    if (slice.stage < 2) sums.totals[work.row] = (sums.totals[work.row] ?? 0) + reply[value++]!;
    const finished = stopped ? stopPeriod - 1 : slice.count;
    for (let p = slice.from; p < slice.from + finished; p++) {
      const column = work.periods[p]!.column;
      if (column < 0) continue;
      const cells = (sums.cells[work.row] ??= []);
      cells[column] = (cells[column] ?? 0) + reply[value++]!;
    }
    if (stopped) return { row: slice.row, stage: 2, period: slice.from + finished, group: stopGroup, key: stopKey };
  }
  return { ...CHAIN_START, row: slices.at(-1)!.row + 1 };
}
