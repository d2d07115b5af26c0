/**
 * Counting a cohort's cells in the process, on bitmaps held as 32-bit words: the byte order inside a word does
 * not matter, as every bitmap is read alike. Pure code, no I/O.
 */
import type { CohortMode, CohortSums } from './plan.js';

/** A row of one block: the positions of its bitmaps among its section's keys. */
export interface LocalRow {
  row: number;
  cells: number;
  primary: number[];
  /** The position of the segment's bitmap the population is ANDed with, if any. */
  segment?: number;
  /** Per period (ascending, as planned): its groups, each the positions of the bitmaps it ORs. */
  periods: number[][][];
}

/** A bitmap without users. */
export const EMPTY = new Uint32Array(0);

/** Bytes read from byte `offset` of a section's window, as the window's 32-bit words (zeros before them). */
export function toWords(bytes: Buffer, offset: number): Uint32Array {
  const words = new Uint32Array(Math.ceil((offset + bytes.length) / 4));
  new Uint8Array(words.buffer).set(bytes, offset);
  return words;
}

/** Counts the rows of one block on its bitmaps (the byte order inside a word does not matter: all are alike). */
export class Counter {
  private readonly populations: Uint32Array[];
  /** Per row: the runs of the population's words holding users, as [start, end) pairs of word indices. */
  private readonly occupied: Int32Array[];
  /** Each period's users (the AND of its groups, each the OR of its bitmaps), by its plan. */
  private readonly periods = new Map<number[][], Uint32Array>();

  constructor(
    private readonly mode: CohortMode,
    private readonly rows: LocalRow[],
    private readonly bitmaps: Uint32Array[],
  ) {
    this.populations = rows.map((row) => {
      const users = union(row.primary.map((k) => bitmaps[k]!));
      return row.segment === undefined ? users : intersection(users, bitmaps[row.segment]!);
    });
    this.occupied = this.populations.map(occupiedRuns);
  }

  /** Word operations the cells cost: each population's occupied words times the periods it is counted in. */
  get cost(): number {
    return this.rows.reduce((sum, row, r) => sum + runWords(this.occupied[r]!) * (this.mode === 'unbounded' ? row.periods.length : row.cells), 0);
  }

  /**
   * Adds each row's population count and cells. `recurring` counts the population's users in each period;
   * `first` only in the first period they are in (the population loses them there); `unbounded` in any period
   * from the column's to now (periods are worked from now back, their users ORed up).
   */
  count(sums: CohortSums): void {
    this.rows.forEach((row, r) => {
      const runs = this.occupied[r]!;
      if (runs.length === 0) return;
      const population = this.populations[r]!;
      const total = bitCountIn(population, runs);
      sums.totals[row.row] = (sums.totals[row.row] ?? 0) + total;
      const cells = (sums.cells[row.row] ??= []);
      const counts = this.mode === 'unbounded' ? this.unbounded(row, population, runs) : this.forward(row, population, runs);
      counts.forEach((count, column) => (cells[column] = (cells[column] ?? 0) + count));
    });
  }

  private forward(row: LocalRow, population: Uint32Array, runs: Int32Array): number[] {
    const first = this.mode === 'first';
    const left = first ? population.slice() : population;
    const counts: number[] = [];
    for (let p = 0; p < row.cells; p++) {
      const users = this.period(row.periods[p]!);
      let count = 0;
      for (let i = 0; i < runs.length; i += 2) {
        const end = Math.min(runs[i + 1]!, users.length);
        if (first) {
          for (let w = runs[i]!; w < end; w++) {
            const both = left[w]! & users[w]!;
            if (both === 0) continue;
            count += bitCount(both);
            left[w] = left[w]! ^ both;
          }
        } else {
          for (let w = runs[i]!; w < end; w++) count += bitCount(left[w]! & users[w]!);
        }
        if (end < runs[i + 1]!) break;
      }
      counts.push(count);
    }
    return counts;
  }

  private unbounded(row: LocalRow, population: Uint32Array, runs: Int32Array): number[] {
    const seen = new Uint32Array(population.length);
    const counts: number[] = [];
    for (let p = row.periods.length - 1; p >= 0; p--) {
      const users = this.period(row.periods[p]!);
      for (let i = 0; i < runs.length; i += 2) {
        const end = Math.min(runs[i + 1]!, users.length);
        for (let w = runs[i]!; w < end; w++) seen[w] = seen[w]! | (population[w]! & users[w]!);
        if (end < runs[i + 1]!) break;
      }
      if (p >= row.cells) continue;
      counts[p] = bitCountIn(seen, runs);
    }
    return counts;
  }

  private period(groups: number[][]): Uint32Array {
    if (groups.length === 1 && groups[0]!.length === 1) return this.bitmaps[groups[0]![0]!]!;
    let known = this.periods.get(groups);
    if (known === undefined) {
      known = groups.map((group) => union(group.map((k) => this.bitmaps[k]!))).reduce(intersection);
      this.periods.set(groups, known);
    }
    return known;
  }
}

/** The OR of bitmaps (the bitmap itself when alone). */
function union(bitmaps: Uint32Array[]): Uint32Array {
  if (bitmaps.length === 1) return bitmaps[0]!;
  const result = new Uint32Array(Math.max(0, ...bitmaps.map((bitmap) => bitmap.length)));
  for (const bitmap of bitmaps) for (let w = 0; w < bitmap.length; w++) result[w] = result[w]! | bitmap[w]!;
  return result;
}

/** The AND of two bitmaps, as long as the shorter one. */
function intersection(a: Uint32Array, b: Uint32Array): Uint32Array {
  const result = new Uint32Array(Math.min(a.length, b.length));
  for (let w = 0; w < result.length; w++) result[w] = a[w]! & b[w]!;
  return result;
}

/**
 * The runs of words holding users, ascending, as [start, end) pairs of word indices: a population of consecutive
 * ids is one run, walked without an index per word.
 */
function occupiedRuns(bitmap: Uint32Array): Int32Array {
  const runs: number[] = [];
  for (let w = 0; w < bitmap.length; w++) {
    if (bitmap[w] === 0) continue;
    const start = w;
    while (w < bitmap.length && bitmap[w] !== 0) w++;
    runs.push(start, w);
  }
  return Int32Array.from(runs);
}

/** The users of `words` within `runs`. */
function bitCountIn(words: Uint32Array, runs: Int32Array): number {
  let count = 0;
  for (let i = 0; i < runs.length; i += 2) for (let w = runs[i]!; w < runs[i + 1]!; w++) count += bitCount(words[w]!);
  return count;
}

/** The number of words in runs. */
function runWords(runs: Int32Array): number {
  let words = 0;
  for (let i = 0; i < runs.length; i += 2) words += runs[i + 1]! - runs[i]!;
  return words;
}

/** The number of 1 bits of a 32-bit word. */
function bitCount(word: number): number {
  let x = word - ((word >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
