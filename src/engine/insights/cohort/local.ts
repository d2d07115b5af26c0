/**
 * Cohorts counted in the process, each cell 32 bits at a time over the words where its row's population has
 * users (`counter.ts`): no BITOP, no scratch key, nothing written here (an expression segment is evaluated into
 * a scratch key by the runner first). The bitmaps come one of two ways, within at
 * most a megabyte:
 * - `countLocally`: short bitmaps, read from their populations' first users on by one `read_bitmaps` call per
 *   group of blocks (one consistent snapshot, a few dozen commands instead of thousands of BITOPs);
 * - `countWindowsLocally`: long bitmaps, once the windows pass has found the rows' ranges, by one MULTI of
 *   GETRANGEs over just those ranges.
 * Bigger cohorts are counted in Redis.
 */
import { namedReadError } from '../../redis/wrong-type.js';
import type { KeyNames } from '../../keys/key-names.js';
import type { CallLimiter } from '../../redis/call-limiter.js';
import { runScript, type RedisClient } from '../../redis/scripts.js';
import type { Leaf } from '../../query/expression.js';
import type { CohortPlan, CohortSums, PeriodPlan } from './plan.js';
import { Counter, EMPTY, toWords, type LocalRow } from './counter.js';
import type { RowWork } from './calls.js';
import type { LongReads } from './long-reads.js';

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

/** How many times the bytes it reads the process may hold (bitmaps line up from their block's first user). */
const HELD_PER_BYTE_READ = 4;

/** The most bitmaps one `read_bitmaps` call reads: a few milliseconds of Redis time at most. */
export const MAX_LOCAL_KEYS = 512;

/** What counting in the process needs of its runner. */
export interface LocalContext {
  redis: RedisClient;
  keys: KeyNames;
  limiter: CallLimiter;
  /** The reads refused as too long lately: not asked again (see {@link LongReads}). */
  longReads?: LongReads;
  /** The cohort's: once aborted, the next call rejects with its reason, unsent. */
  signal?: AbortSignal;
}

/**
 * Counts a cohort's rows in a group of blocks in the process, adding to `sums`, when the bitmaps they read are
 * short (`limits.scanBytes` per call, {@link MAX_LOCAL_SCAN_BYTES} by default), the bytes they read from their
 * populations' first users on hold at most `limits.bytes`, their cells cost at most {@link MAX_LOCAL_WORDS}
 * and no block reads over {@link MAX_LOCAL_KEYS} bitmaps; what it holds (each bitmap from its block's first user)
 * stays within 4 times `limits.bytes`. Answers false, having added nothing, otherwise (a group may then have been
 * read in part: at most `limits.bytes`). A segment is read like any bitmap when it is one event bitmap (see
 * {@link localSegment}).
 */
export async function countLocally(
  ctx: LocalContext,
  plan: CohortPlan,
  blocks: number[],
  limits: { bytes: number; scanBytes: number },
  sums: CohortSums,
): Promise<boolean> {
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
  let bytesLeft = limits.bytes;
  // What the process holds: each bitmap from its section's lo (zeros before its start).
  let held = 0;
  for (const sections of calls) {
    const counts = sections.flatMap((section) => [section.populations, section.keys.length - section.populations]);
    const names = sections.flatMap((section) => section.keys);
    if (ctx.longReads?.has(names)) return false;
    const reply = await ctx.limiter.run(() => runScript(ctx.redis.bitmapistReadBitmapsBuffer(names.length, ...names, limits.scanBytes, bytesLeft, sections.length, ...counts)), ctx.signal);
    if (reply[0] !== 1) {
      ctx.longReads?.add(names);
      return false;
    }
    let at = 1;
    for (const section of sections) {
      const lo = reply[at++] as number;
      if (lo < 0) continue;
      const starts = reply.slice(at, (at += section.populations)) as number[];
      const bytes = reply.slice(at, (at += section.keys.length)) as Buffer[];
      const words = bytes.map((bitmap, k) => toWords(bitmap, k < starts.length ? starts[k]! - lo : 0));
      for (const [k, bitmap] of bytes.entries()) [bytesLeft, held] = [bytesLeft - bitmap.length, held + words[k]!.byteLength];
      if (held > HELD_PER_BYTE_READ * limits.bytes) return false;
      counters.push(new Counter(plan.mode, section.rows, words));
    }
  }
  if (counters.reduce((sum, counter) => sum + counter.cost, 0) > MAX_LOCAL_WORDS) return false;
  for (const counter of counters) counter.count(sums);
  return true;
}

/**
 * The segment key of each block of a cohort whose segment is an expression, evaluated in Redis beforehand: the
 * key to AND every population of the block with, or undefined when the segment holds every user the block's
 * rows can have (nothing to AND). Blocks where it holds no user have no rows left to count.
 */
export type SegmentKeys = Map<number, string | undefined>;

/** The sections one MULTI reads for `countWindowsLocally`, each bitmap over the ranges of the rows reading it. */
interface WindowsRead {
  sections: Map<number, { section: Section; rows: LocalRow[]; ranges: Map<number, [number, number]>; base: number }>;
}

/**
 * What `countWindowsLocally` would read for `rows`, or undefined when it is over `maxBytes` (or holds over 4 times
 * that, or costs over {@link MAX_LOCAL_WORDS}). With `segments`, each block's segment key is read like any
 * bitmap over its rows' ranges (the key names matter only once read: a placeholder sizes the read before the
 * segment is evaluated).
 */
export function windowsRead(keys: KeyNames, plan: CohortPlan, rows: RowWork[], maxBytes: number, segments?: SegmentKeys): WindowsRead | undefined {
  const sections: WindowsRead['sections'] = new Map();
  let words = 0;
  for (const work of rows) {
    let known = sections.get(work.block);
    if (known === undefined) {
      known = { section: new Section(keys, plan, work.block, segments && { key: segments.get(work.block) }), rows: [], ranges: new Map(), base: Infinity };
      sections.set(work.block, known);
    }
    const row = known.section.rows[work.row]!;
    known.rows.push(row);
    const start = work.lo - (work.lo % 4);
    known.base = Math.min(known.base, start);
    for (const k of [...row.primary, ...(row.segment === undefined ? [] : [row.segment]), ...row.periods.flat(2)]) {
      const range = known.ranges.get(k);
      known.ranges.set(k, range === undefined ? [start, work.hi + 1] : [Math.min(range[0], start), Math.max(range[1], work.hi + 1)]);
    }
    words += Math.ceil((work.hi - work.lo + 1) / 4) * (plan.mode === 'unbounded' ? row.periods.length : row.cells);
  }
  // What is read, and what is held (every bitmap of a block from the block's base, so that words line up).
  let bytes = 0;
  let held = 0;
  for (const { ranges, base } of sections.values()) {
    for (const [start, end] of ranges.values()) [bytes, held] = [bytes + end - start, held + end - base];
  }
  if (bytes > maxBytes || held > HELD_PER_BYTE_READ * maxBytes || words > MAX_LOCAL_WORDS) return undefined;
  return { sections };
}

/**
 * Counts rows of long bitmaps in the process, adding to `sums`, once the windows pass has found where their
 * populations are (`rows`: the rows with users, each with its range [lo, hi] in its block): when the bytes their
 * cells read within those ranges (each bitmap over the ranges of the rows reading it) hold at most `maxBytes`
 * and cost at most {@link MAX_LOCAL_WORDS}, one MULTI of GETRANGEs reads them (with `segments`, each block's
 * segment key too). Answers false, having read and added nothing, otherwise.
 */
export async function countWindowsLocally(
  ctx: LocalContext,
  plan: CohortPlan,
  rows: RowWork[],
  maxBytes: number,
  sums: CohortSums,
  segments?: SegmentKeys,
): Promise<boolean> {
  const read = windowsRead(ctx.keys, plan, rows, maxBytes, segments);
  if (read === undefined) return false;
  const { sections } = read;
  const multi = ctx.redis.multi();
  for (const { section, ranges } of sections.values()) for (const [k, [start, end]] of ranges) multi.getrangeBuffer(section.keys[k]!, start, end - 1);
  const replies = await ctx.limiter.run(() => multi.exec(), ctx.signal);
  // EXEC answers null only for a transaction aborted by WATCH, which this one never sets: never a partial answer.
  if (replies === null) throw new Error('the MULTI of a cohort read was aborted');
  let reply = 0;
  const counters: Counter[] = [];
  for (const { section, rows: blockRows, ranges, base } of sections.values()) {
    const bitmaps: Uint32Array[] = section.keys.map(() => EMPTY);
    for (const [k, [start]] of ranges) {
      const [error, bytes] = replies[reply++]!;
      if (error) throw await namedReadError(error, ctx.redis, [section.keys[k]!]);
      bitmaps[k] = toWords(bytes as Buffer, start - base);
    }
    counters.push(new Counter(plan.mode, blockRows, bitmaps));
  }
  for (const counter of counters) counter.count(sums);
  return true;
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
    /** The block's segment key when the segment is an expression evaluated beforehand (undefined key: none to AND). */
    evaluated?: { key: string | undefined },
  ) {
    const primaries = plan.rows.map((row) => row.primary.map((leaf) => this.position(leaf)));
    this.populations = this.keys.length;
    const leaf = localSegment(plan);
    const segmentKey = evaluated ? evaluated.key : leaf && this.names.eventKey(leaf.event, leaf.suffix, this.block);
    const segment = segmentKey === undefined ? undefined : this.positionOf(segmentKey);
    // Rows share their periods' plans: each period's positions are worked out once.
    const periods = new Map<PeriodPlan, number[][]>();
    this.rows = plan.rows.map((row, index) => ({
      row: index,
      cells: row.cells,
      primary: primaries[index]!,
      ...(segment === undefined ? {} : { segment }),
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
    return this.positionOf(this.names.eventKey(leaf.event, leaf.suffix, this.block));
  }

  private positionOf(key: string): number {
    let known = this.positions.get(key);
    if (known === undefined) {
      known = this.keys.length;
      this.positions.set(key, known);
      this.keys.push(key);
    }
    return known;
  }
}

/**
 * The segment a cohort's read takes as it is: none, or a single event bitmap (read in the same call, ANDed into
 * every population); undefined also for an expression, which the runner evaluates in Redis first (once the
 * windows are known) and hands to `countWindowsLocally` as `SegmentKeys`.
 */
function localSegment(plan: CohortPlan): Leaf | undefined {
  return plan.segment?.kind === 'leaf' ? plan.segment : undefined;
}

/**
 * Whether a cohort may be read and counted in the process as planned, with no scratch key: without a segment, or
 * with one event bitmap as its segment (an expression segment is first evaluated: see `CohortRunner`).
 */
export function countableLocally(plan: CohortPlan): boolean {
  return plan.segment === undefined || localSegment(plan) !== undefined;
}
