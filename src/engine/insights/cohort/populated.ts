/**
 * The first pass of a cohort: `cohort_windows` calls find where each row's users are, leave out the rows without
 * any, and (when the cohort reads few bitmaps) ask every bitmap's length, with which small rows leave missing
 * bitmaps out and are told how long each period's bitmaps are.
 */
import type { KeyNames } from '../../keys/key-names.js';
import type { CallLimiter } from '../../redis/call-limiter.js';
import { runScript, type RedisClient } from '../../redis/scripts.js';
import type { Leaf } from '../../query/expression.js';
import { isSmall, SMALL_ROW_BYTES, windowsCall, workedPeriods, type RowWork } from './calls.js';
import type { CohortPlan } from './plan.js';

/** The most bitmap lengths a cohort asks for with its first `cohort_windows` call. */
const MAX_LENGTHS_ASKED = 1000;

/** What the pass needs of its runner. */
export interface WindowsContext {
  redis: RedisClient;
  keys: KeyNames;
  limiter: CallLimiter;
  limits: { callBudget: number; maxKeysPerCall: number };
  /** The cohort's: once aborted, the next call rejects with its reason, unsent. */
  signal?: AbortSignal;
}

/** Byte lengths by block, event and suffix: the plan's strings hash once, where a key built per lookup would not. */
type Lengths = Map<number, Map<string, Map<string, number>>>;

/**
 * The rows with users in a group of blocks, with their population's byte range (`cohort_windows` calls; a row of
 * each block counts as a row of the call). Rows of short bitmaps are not scanned for their first user (their
 * range starts at 0) unless `scanAll`: a cohort that may still be counted in the process reads only from there.
 */
export async function populatedRows(ctx: WindowsContext, plan: CohortPlan, blocks: number[], scanAll = false): Promise<RowWork[]> {
  const keyOf = (leaf: Leaf, block: number) => ctx.keys.eventKey(leaf.event, leaf.suffix, block);
  const rows = blocks.flatMap((block) => plan.rows.map((row, index) => ({ block, index, row })));
  const primaries = rows.map(({ block, row }) => row.primary.map((leaf) => keyOf(leaf, block)));
  // The lengths of the bitmaps the cells read, asked with the first call when they are few: small rows leave
  // the missing ones out (BITOP would go byte by byte over them) and are worked up to the longest.
  const read = new Map<string, Leaf>();
  for (const row of plan.rows) {
    for (const leaf of [...(row.primary.length > 1 ? row.primary : []), ...row.periods.flat(2)]) read.set(`${leaf.event}\u0000${leaf.suffix}`, leaf);
  }
  let asked = read.size * blocks.length > MAX_LENGTHS_ASKED;
  const others = asked ? [] : blocks.flatMap((block) => [...read.values()].map((leaf) => keyOf(leaf, block)));
  const lengths: Lengths = new Map();
  const lengthOf = (leaf: Leaf, block: number) => lengths.get(block)?.get(leaf.event)?.get(leaf.suffix) ?? 0;
  const populated: RowWork[] = [];
  for (let from = 0; from < primaries.length; ) {
    const ask = !asked;
    const { keys, args } = windowsCall(primaries, from, ctx.limits.callBudget, ctx.limits.maxKeysPerCall - (ask ? others.length : 0));
    if (!scanAll) args.push('small', SMALL_ROW_BYTES);
    if (ask) args.push('lengths', others.length);
    const reply = await ctx.limiter.run(() => runScript(ctx.redis.bitmapistCohortWindows(keys.length + (ask ? others.length : 0), ...keys, ...(ask ? others : []), ...args)), ctx.signal);
    const done = reply[0]!;
    if (ask) {
      let i = 1 + 2 * done;
      for (const block of blocks) {
        const byEvent = new Map<string, Map<string, number>>();
        lengths.set(block, byEvent);
        for (const leaf of read.values()) {
          const bySuffix = byEvent.get(leaf.event) ?? new Map<string, number>();
          byEvent.set(leaf.event, bySuffix);
          bySuffix.set(leaf.suffix, reply[i++]!);
        }
      }
    }
    asked = true;
    for (let r = 0; r < done; r++) {
      const [lo, hi] = [reply[1 + 2 * r]!, reply[2 + 2 * r]!];
      const { block, index, row } = rows[from + r]!;
      if (lo >= 0) populated.push({ block, row: index, lo, hi, primary: row.primary, periods: workedPeriods(plan.mode, row) });
    }
    from += Math.max(done, 1);
  }
  // Each block's widest population (and longest bitmap read, when known): small rows are worked up to it.
  const blockHi = new Map<number, number>();
  for (const row of populated) blockHi.set(row.block, Math.max(blockHi.get(row.block) ?? 0, row.hi));
  for (const block of lengths.size > 0 ? blocks : []) {
    for (const leaf of read.values()) {
      const length = lengthOf(leaf, block);
      if (blockHi.has(block) && length - 1 > blockHi.get(block)!) blockHi.set(block, length - 1);
    }
  }
  for (const row of populated) {
    row.blockHi = blockHi.get(row.block);
    if (!isSmall(row) || lengths.size === 0) continue;
    // Missing primaries are left out (the row has at least one bitmap with users). A group without a bitmap
    // empties its period (groups are ANDed): the script then does no BITOP for it.
    if (row.primary.length > 1) row.primary = row.primary.filter((leaf) => lengthOf(leaf, row.block) !== 0);
    row.periods = row.periods.map((period) => {
      let length = 0;
      const groups = period.groups.map((group) =>
        group.filter((leaf) => {
          const bytes = lengthOf(leaf, row.block);
          length = Math.max(length, bytes);
          return bytes !== 0;
        }),
      );
      return { ...period, groups: groups.some((group) => group.length === 0) ? [] : groups, length };
    });
  }
  return populated;
}
