import { Cluster } from 'ioredis';
import type { BlockRegistry } from '../../keys/blocks.js';
import { forEachBounded } from '../../redis/bounded.js';
import { CallLimiter } from '../../redis/call-limiter.js';
import { CHAIN_START, cellsCall, readCellsReply, rowBytes, rowUnits, type RowWork, type SegmentKey } from './calls.js';
import { populatedRows } from './populated.js';
import { LongReads } from './long-reads.js';
import { countableLocally, countLocally, countWindowsLocally, MAX_LOCAL_BYTES, MAX_LOCAL_SCAN_BYTES, windowsRead, type SegmentKeys } from './local.js';
import { assembleCohort, type CohortPlan, type CohortResult, type CohortSums } from './plan.js';
import { BlockSegments, evaluateSegment, type BlockSegment } from './segment.js';
import { BitmapistArgumentError } from '../../errors.js';
import { SCRATCH_TTL_MS } from '../../query/evaluator.js';
import type { Expression, Leaf } from '../../query/expression.js';
import type { KeyNames } from '../../keys/key-names.js';
import { runScript, type RedisClient } from '../../redis/scripts.js';

/** The most bytes of bitmaps one cohort may read (its rows' windows times the bitmaps they read): 1 GiB. */
export const MAX_COHORT_BYTES = 2 ** 30;

/** How a cohort's work is cut into script calls. */
export interface CohortLimits {
  /**
   * Microseconds of Redis time one script call may spend before it stops (at its next bitmap read) and lets
   * other clients run; the next call resumes there.
   */
  callBudget: number;
  /** The most keys one script call carries (a bound on its arguments, not a hard cap). */
  maxKeysPerCall: number;
  /** Chains (so script calls) one cohort keeps in flight at once. */
  callsInFlight: number;
  /** See {@link MAX_COHORT_BYTES}. */
  maxBytes: number;
  /**
   * The most bytes of bitmaps a group of blocks' rows may read for its cells to be counted in the process (see
   * `countLocally`); 0: always in Redis.
   */
  localBytes: number;
  /**
   * The most bytes the bitmaps of one first call may hold for it to find their windows and read them at once
   * (see `countLocally`); 0: always find the windows first.
   */
  localScanBytes: number;
}

/** The limits `getCohort` uses: calls of about 2 ms of Redis time, two in flight. */
export const DEFAULT_COHORT_LIMITS: CohortLimits = {
  callBudget: 2_000,
  maxKeysPerCall: 4_000,
  callsInFlight: 2,
  maxBytes: MAX_COHORT_BYTES,
  localBytes: MAX_LOCAL_BYTES,
  localScanBytes: MAX_LOCAL_SCAN_BYTES,
};

/**
 * Runs planned cohorts. Per block in use (per group of blocks on one Redis), a cohort without a segment (or whose
 * segment is one event bitmap) is first offered to `countLocally` (one `read_bitmaps` call, counted in the process
 * when small), and after the windows pass to `countWindowsLocally`. Otherwise: `cohort_windows` calls find the
 * byte range of every row's population (rows without users stop there), then the rows with users are cut into
 * chains of about one call budget each, and each chain runs `cohort_row` calls until done, each resuming where
 * the last one stopped. At most `callsInFlight` chains run at once, and every call goes through the limiter
 * (shared with the instance's other reads), so other clients are served between short calls. With a segment,
 * each block's segment is evaluated (`evaluate`) into a scratch key when its first chain starts, ANDed into
 * every population of the block by `cohort_row`, and deleted after its last chain.
 */
export class CohortRunner {
  private readonly limits: CohortLimits;
  /** Groups whose bitmaps were too long for one `read_bitmaps` call lately: their windows are found first. */
  private readonly longReads = new LongReads();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly registry: BlockRegistry,
    limits: Partial<CohortLimits> = {},
    /** Bounds script calls across everything sharing it (the Bitmapist instance's read calls). */
    private readonly limiter = new CallLimiter(limits.callsInFlight ?? DEFAULT_COHORT_LIMITS.callsInFlight),
  ) {
    this.limits = { ...DEFAULT_COHORT_LIMITS, ...limits };
  }

  /**
   * Computes a planned cohort (only the users of its segment, if it has one); throws
   * {@link BitmapistArgumentError} when it would read over `maxBytes`. Once `signal` aborts, the next call
   * rejects with its reason, unsent (scratch keys are deleted all the same).
   */
  async cohort(plan: CohortPlan, signal?: AbortSignal): Promise<CohortResult> {
    signal?.throwIfAborted();
    const { segment } = plan;
    const groups = blockGroups(await this.registry.inUse(), this.redis instanceof Cluster ? 1 : BLOCKS_PER_GROUP);
    const work: RowWork[][] = [];
    const sums: CohortSums = { totals: [], cells: [] };
    let bytes = 0;
    await forEachBounded(groups.keys(), this.limits.callsInFlight, async (g) => {
      // Without a segment (or with one event bitmap as its segment), a group is counted in the process when its
      // bitmaps are short, or once its windows are known when the bytes within them are few; otherwise in Redis.
      const local = countableLocally(plan) && this.limits.localBytes > 0 ? { redis: this.redis, keys: this.keys, limiter: this.limiter, longReads: this.longReads, signal } : undefined;
      const { localBytes, localScanBytes } = this.limits;
      if (local && localScanBytes > 0 && (await countLocally(local, plan, groups[g]!, { bytes: localBytes, scanBytes: localScanBytes }, sums))) {
        work[g] = [];
        return;
      }
      // A segment that is an expression: evaluated in Redis, then read with the rows when they are few bytes.
      const evaluated = segment !== undefined && !local && localBytes > 0;
      work[g] = await populatedRows({ redis: this.redis, keys: this.keys, limiter: this.limiter, limits: this.limits, signal }, plan, groups[g]!, local !== undefined || evaluated);
      if (local && (await countWindowsLocally(local, plan, work[g]!, localBytes, sums))) {
        work[g] = [];
        return;
      }
      if (evaluated && (await this.countEvaluatedLocally(plan, work[g]!, segment, sums, signal))) {
        work[g] = [];
        return;
      }
      for (const row of work[g]!) {
        if (segment !== undefined) row.segmented = true;
        bytes += rowBytes(row);
      }
    });
    if (bytes > this.limits.maxBytes) {
      throw new BitmapistArgumentError(
        'cohort',
        `would read about ${Math.ceil(bytes / 2 ** 20)} MB of bitmaps, over the limit of ${this.limits.maxBytes / 2 ** 20} MB ` +
          '(MAX_COHORT_BYTES): ask for fewer rows, columns or additional events, or a shorter time group',
      );
    }
    if (segment !== undefined) {
      await this.segmentedChains(plan, work, segment, sums, signal);
      return assembleCohort(plan, sums);
    }
    const chains = function* (this: CohortRunner) {
      for (const rows of work) yield* this.chains(rows);
    };
    await forEachBounded(chains.call(this), this.limits.callsInFlight, (chain) => this.runChain(plan, chain, sums, signal));
    return assembleCohort(plan, sums);
  }

  /**
   * Counts rows in the process when the cohort's segment is an expression: when the rows' windows, the segment's
   * included, are few bytes (see `windowsRead`), the segment is evaluated in each block (`evaluate`, NOT's universe
   * the end of the block's populations, as in Redis), read with the rows' bitmaps in one MULTI, and its scratch
   * keys deleted. Answers false, having added nothing, when the rows are too many bytes: they are then counted
   * in Redis.
   */
  private async countEvaluatedLocally(plan: CohortPlan, rows: RowWork[], segment: Expression, sums: CohortSums, signal?: AbortSignal): Promise<boolean> {
    if (rows.length === 0) return true;
    const universes = new Map<number, number>();
    for (const row of rows) universes.set(row.block, Math.max(universes.get(row.block) ?? 0, row.hi + 1));
    // Sized first with a placeholder for each block's segment, so that a big cohort evaluates nothing.
    const placeholders: SegmentKeys = new Map([...universes.keys()].map((block) => [block, '']));
    if (windowsRead(this.keys, plan, rows, this.limits.localBytes, placeholders) === undefined) return false;
    // Every block's segment at once (the limiter bounds the calls in flight); each one evaluated is deleted after.
    const blocks = [...universes.keys()];
    const evaluated = await Promise.allSettled(blocks.map((block) => evaluateSegment(this.redis, this.keys, this.limiter, segment, block, universes.get(block)!, signal)));
    const held = evaluated.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    try {
      const failed = evaluated.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
      const keys: SegmentKeys = new Map();
      blocks.forEach((block, i) => {
        const known = (evaluated[i] as PromiseFulfilledResult<BlockSegment>).value;
        if (known.kind !== 'none') keys.set(block, known.kind === 'key' ? known.segment.key : undefined);
      });
      const kept = rows.filter((row) => keys.has(row.block));
      const ctx = { redis: this.redis, keys: this.keys, limiter: this.limiter, signal };
      return kept.length === 0 || (await countWindowsLocally(ctx, plan, kept, this.limits.localBytes, sums, keys));
    } finally {
      const scratch = held.flatMap((known) => (known.kind === 'key' ? known.scratch : []));
      if (scratch.length > 0) await this.limiter.run(() => this.redis.unlink(...scratch)).catch(() => undefined);
    }
  }

  /**
   * Runs the chains of a cohort with a segment: each chain first takes the segment of its blocks (NOT's universe
   * in a block: the end of its rows' populations), leaves out the rows of blocks where the segment is empty, and
   * gives `cohort_row` the others' segment keys.
   */
  private async segmentedChains(plan: CohortPlan, work: RowWork[][], segment: Expression, sums: CohortSums, signal?: AbortSignal): Promise<void> {
    const universes = new Map<number, number>();
    for (const row of work.flat()) universes.set(row.block, Math.max(universes.get(row.block) ?? 0, row.hi + 1));
    const chains = work.flatMap((rows) => [...this.chains(rows)]);
    const uses = new Map<number, number>();
    for (const chain of chains) for (const block of new Set(chain.map((row) => row.block))) uses.set(block, (uses.get(block) ?? 0) + 1);
    const segments = new BlockSegments(
      (block) => evaluateSegment(this.redis, this.keys, this.limiter, segment, block, universes.get(block)!, signal),
      uses,
      (keys) => this.limiter.run(() => this.redis.unlink(...keys)),
    );
    try {
      await forEachBounded(chains, this.limits.callsInFlight, async (chain) => {
        const blocks = [...new Set(chain.map((row) => row.block))];
        try {
          const held = new Map<number, BlockSegment>();
          for (const block of blocks) held.set(block, await segments.use(block));
          const rows = chain.filter((row) => held.get(row.block)!.kind !== 'none');
          if (rows.length === 0) return;
          await this.runChain(plan, rows, sums, signal, (block) => {
            const known = held.get(block)!;
            return known.kind === 'key' ? known.segment : undefined;
          });
        } finally {
          for (const block of blocks) await segments.release(block);
        }
      });
    } catch (error) {
      // Not awaited after a failure (Redis may be away; the TTL is the safety net), but after an abort it is there.
      const discarded = segments.discardAll();
      if (signal?.aborted) await discarded;
      throw error;
    }
  }

  /** Cuts a block's rows into chains of about one call budget each (rowUnits estimates nanoseconds). */
  private *chains(rows: RowWork[]): Generator<RowWork[]> {
    let chain: RowWork[] = [];
    let units = 0;
    for (const row of rows) {
      if (chain.length > 0 && units + rowUnits(row) > this.limits.callBudget * 1000) {
        yield chain;
        chain = [];
        units = 0;
      }
      chain.push(row);
      units += rowUnits(row);
    }
    if (chain.length > 0) yield chain;
  }

  /**
   * Runs one chain: `cohort_row` calls, each resuming where the previous one stopped (with `segmentOf`, each row's
   * population ANDed with its block's segment key).
   */
  private async runChain(
    plan: CohortPlan,
    rows: RowWork[],
    sums: CohortSums,
    signal: AbortSignal | undefined,
    segmentOf?: (block: number) => SegmentKey | undefined,
  ): Promise<void> {
    const scratch = this.keys.scratchKeys(5, rows[0]!.block);
    const keyOf = (leaf: Leaf, block: number) => this.keys.eventKey(leaf.event, leaf.suffix, block);
    const limits = { ttlMs: SCRATCH_TTL_MS, budget: this.limits.callBudget, maxKeys: this.limits.maxKeysPerCall };
    let at = CHAIN_START;
    try {
      while (at.row < rows.length) {
        const { keys, args, slices } = cellsCall(plan.mode, rows, at, keyOf, scratch, limits, segmentOf);
        const reply = await this.limiter.run(() => runScript(this.redis.bitmapistCohortRow(keys.length, ...keys, ...args)), signal);
        at = readCellsReply(reply, rows, slices, sums);
      }
    } catch (error) {
      // A chain that failed half-way may have left its state behind: delete it, through the limiter (a silent Redis
      // fails it in bounded time), waited for only after an abort (Redis is there; otherwise its TTL is the safety net).
      const deleted = this.limiter.run(() => this.redis.unlink(...scratch)).catch(() => undefined);
      if (signal?.aborted) await deleted;
      throw error;
    }
  }
}

/**
 * On one Redis a script may read keys of many blocks, so blocks are worked in groups; on a Cluster each block
 * is its own group (a script's keys must share the block's hash slot).
 */
const BLOCKS_PER_GROUP = 64;

function blockGroups(blocks: number[], size: number): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < blocks.length; i += size) groups.push(blocks.slice(i, i + size));
  return groups;
}
