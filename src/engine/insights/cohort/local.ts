/**
 * Small cohorts counted in the process. When the bitmaps a group of blocks' rows read are short and, from where
 * their populations' users start, add up to at most a megabyte, one read-only `read_bitmaps` call brings those
 * bytes (one consistent snapshot) and every cell is counted here, 32 bits at a time over the words where the
 * row's population has users: one Redis call of a few dozen commands instead of thousands of BITOPs, and no
 * scratch keys. Bigger groups are counted in Redis.
 */
import type { KeyNames } from '../../keys/key-names.js';
import type { CallLimiter } from '../../redis/call-limiter.js';
import { runScript, type RedisClient } from '../../redis/scripts.js';
import type { Leaf } from '../../query/expression.js';
import type { CohortMode, CohortPlan, CohortSums, PeriodPlan } from './plan.js';

/**
 * The most bytes of bitmaps a group of blocks may bring into the process to be counted there: 1 MiB, about
 * 2 ms of Redis time to copy out and a few more to carry (bigger reads cost more than counting in Redis).
 */
export const MAX_LOCAL_BYTES = 2 ** 20;

/**
 * The most word operations (an AND and a population count of 32 bits) a group's cells may cost in the process,
 * a few milliseconds of CPU: a group over it, once read, is counted in Redis.
 */
export const MAX_LOCAL_WORDS = 4_000_000;

/**
 * The most bytes the bitmaps one `read_bitmaps` call reads may hold (whole, before their windows are taken): 8 MiB,
 * under a millisecond of scanning for their first users. Longer bitmaps are counted in Redis at once.
 */
export const MAX_LOCAL_SCAN_BYTES = 8 * 2 ** 20;

/** The most bitmaps one `read_bitmaps` call reads: a few milliseconds of Redis time at most. */
export const MAX_LOCAL_KEYS = 512;

/** What counting in the process needs of its runner. */
export interface LocalContext {
  redis: RedisClient;
  keys: KeyNames;
  limiter: CallLimiter;
}

/**
 * Counts a cohort's rows in a group of blocks in the process, adding to `sums`, when the bitmaps they read are
 * short ({@link MAX_LOCAL_SCAN_BYTES} per call), the bytes they read from their populations' first users on hold
 * at most `maxBytes`, their cells cost at most {@link MAX_LOCAL_WORDS} and no block reads over
 * {@link MAX_LOCAL_KEYS} bitmaps. Answers false, having added nothing, otherwise (a group may then have been
 * read in part: at most `maxBytes`). A cohort with a segment is not counted here.
 */
export async function countLocally(ctx: LocalContext, plan: CohortPlan, blocks: number[], maxBytes: number, sums: CohortSums): Promise<boolean> {
  // Blocks are read in calls of at most MAX_LOCAL_KEYS bitmaps, the later ones within what the earlier left.
  const calls: Section[][] = [[]];
  let keys = 0;
  for (const block of blocks) {
    const section = new Section(ctx.keys, plan, block);
    if (section.keys.length > MAX_LOCAL_KEYS) return false;
    if (keys + section.keys.length > MAX_LOCAL_KEYS) {
      calls.push([]);
      keys = 0;
    }
    calls.at(-1)!.push(section);
    keys += section.keys.length;
  }
  const counters: Counter[] = [];
  let bytesLeft = maxBytes;
  for (const sections of calls) {
    const counts = sections.flatMap((section) => [section.populations, section.keys.length - section.populations]);
    const names = sections.flatMap((section) => section.keys);
    const reply = await ctx.limiter.run(() => runScript(ctx.redis.bitmapistReadBitmapsBuffer(names.length, ...names, MAX_LOCAL_SCAN_BYTES, bytesLeft, sections.length, ...counts)));
    if (reply[0] !== 1) return false;
    let at = 1;
    for (const section of sections) {
      const lo = reply[at++] as number;
      if (lo < 0) continue;
      const starts = reply.slice(at, (at += section.populations)) as number[];
      const bytes = reply.slice(at, (at += section.keys.length)) as Buffer[];
      for (const bitmap of bytes) bytesLeft -= bitmap.length;
      counters.push(new Counter(plan.mode, section.rows, bytes.map((bitmap, k) => toWords(bitmap, k < starts.length ? starts[k]! - lo : 0))));
    }
  }
  if (counters.reduce((sum, counter) => sum + counter.cost, 0) > MAX_LOCAL_WORDS) return false;
  for (const counter of counters) counter.count(sums);
  return true;
}

/** A row of one block: the positions of its bitmaps among its section's keys. */
interface LocalRow {
  row: number;
  cells: number;
  primary: number[];
  /** Per period (ascending, as planned): its groups, each the positions of the bitmaps it ORs. */
  periods: number[][][];
}

/** A block's bitmaps as `read_bitmaps` reads them (each once, its rows' populations first), and its rows. */
class Section {
  readonly keys: string[] = [];
  readonly populations: number;
  readonly rows: LocalRow[];
  private readonly positions = new Map<string, number>();

  constructor(
    private readonly names: KeyNames,
    plan: CohortPlan,
    private readonly block: number,
  ) {
    const primaries = plan.rows.map((row) => row.primary.map((leaf) => this.position(leaf)));
    this.populations = this.keys.length;
    // Rows share their periods' plans: each period's positions are worked out once.
    const periods = new Map<PeriodPlan, number[][]>();
    this.rows = plan.rows.map((row, index) => ({
      row: index,
      cells: row.cells,
      primary: primaries[index]!,
      periods: row.periods.map((period) => {
        let known = periods.get(period);
        if (known === undefined) {
          known = period.map((group) => group.map((leaf) => this.position(leaf)));
          periods.set(period, known);
        }
        return known;
      }),
    }));
  }

  private position(leaf: Leaf): number {
    const key = this.names.eventKey(leaf.event, leaf.suffix, this.block);
    let known = this.positions.get(key);
    if (known === undefined) {
      known = this.keys.length;
      this.positions.set(key, known);
      this.keys.push(key);
    }
    return known;
  }
}

/** Bytes read from byte `offset` of a section's window, as the window's 32-bit words (zeros before them). */
function toWords(bytes: Buffer, offset: number): Uint32Array {
  const words = new Uint32Array(Math.ceil((offset + bytes.length) / 4));
  new Uint8Array(words.buffer).set(bytes, offset);
  return words;
}

/** Counts the rows of one block on its bitmaps (the byte order inside a word does not matter: all are alike). */
class Counter {
  private readonly populations: Uint32Array[];
  /** Per row: the indices of the population's words holding users. */
  private readonly occupied: Int32Array[];
  /** Each period's users (the AND of its groups, each the OR of its bitmaps), by its plan. */
  private readonly periods = new Map<number[][], Uint32Array>();

  constructor(
    private readonly mode: CohortMode,
    private readonly rows: LocalRow[],
    private readonly bitmaps: Uint32Array[],
  ) {
    this.populations = rows.map((row) => union(row.primary.map((k) => bitmaps[k]!)));
    this.occupied = this.populations.map(occupiedWords);
  }

  /** Word operations the cells cost: each population's occupied words times the periods it is counted in. */
  get cost(): number {
    return this.rows.reduce((sum, row, r) => sum + this.occupied[r]!.length * (this.mode === 'unbounded' ? row.periods.length : row.cells), 0);
  }

  /**
   * Adds each row's population count and cells. `recurring` counts the population's users in each period;
   * `first` only in the first period they are in (the population loses them there); `unbounded` in any period
   * from the column's to now (periods are worked from now back, their users ORed up).
   */
  count(sums: CohortSums): void {
    this.rows.forEach((row, r) => {
      const occupied = this.occupied[r]!;
      if (occupied.length === 0) return;
      const population = this.populations[r]!;
      let total = 0;
      for (const w of occupied) total += bitCount(population[w]!);
      sums.totals[row.row] = (sums.totals[row.row] ?? 0) + total;
      const cells = (sums.cells[row.row] ??= []);
      const counts = this.mode === 'unbounded' ? this.unbounded(row, population, occupied) : this.forward(row, population, occupied);
      counts.forEach((count, column) => (cells[column] = (cells[column] ?? 0) + count));
    });
  }

  private forward(row: LocalRow, population: Uint32Array, occupied: Int32Array): number[] {
    const first = this.mode === 'first';
    const left = first ? population.slice() : population;
    const counts: number[] = [];
    for (let p = 0; p < row.cells; p++) {
      const users = this.period(row.periods[p]!);
      let count = 0;
      for (const w of occupied) {
        if (w >= users.length) break;
        const both = left[w]! & users[w]!;
        if (both === 0) continue;
        count += bitCount(both);
        if (first) left[w] = left[w]! ^ both;
      }
      counts.push(count);
    }
    return counts;
  }

  private unbounded(row: LocalRow, population: Uint32Array, occupied: Int32Array): number[] {
    const seen = new Uint32Array(population.length);
    const counts: number[] = [];
    for (let p = row.periods.length - 1; p >= 0; p--) {
      const users = this.period(row.periods[p]!);
      for (const w of occupied) {
        if (w >= users.length) break;
        seen[w] = seen[w]! | (population[w]! & users[w]!);
      }
      if (p >= row.cells) continue;
      let count = 0;
      for (const w of occupied) count += bitCount(seen[w]!);
      counts[p] = count;
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

/** The ascending indices of the words holding users. */
function occupiedWords(bitmap: Uint32Array): Int32Array {
  let n = 0;
  for (let w = 0; w < bitmap.length; w++) if (bitmap[w] !== 0) n++;
  const occupied = new Int32Array(n);
  n = 0;
  for (let w = 0; w < bitmap.length; w++) if (bitmap[w] !== 0) occupied[n++] = w;
  return occupied;
}

/** The number of 1 bits of a 32-bit word. */
function bitCount(word: number): number {
  let x = word - ((word >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
