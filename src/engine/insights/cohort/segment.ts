import type { SegmentKey } from './calls.js';
import { BlockCalls, SCRATCH_TTL_MS } from '../../query/block-calls.js';
import type { Expression } from '../../query/expression.js';
import type { KeyNames } from '../../keys/key-names.js';
import type { CallLimiter } from '../../redis/call-limiter.js';
import type { RedisClient } from '../../redis/scripts.js';

/**
 * A cohort's segment in one block: `all` (it holds every user the block's rows can have: nothing to AND), `none`
 * (no user: the block's rows are empty), or the bitmap to AND each row's population with.
 */
export type BlockSegment = { kind: 'all' } | { kind: 'none' } | { kind: 'key'; segment: SegmentKey; scratch: string[] };

/**
 * Evaluates a segment in one block with the `evaluate` script (output `bitmap`, resumed until done), leaving its
 * bitmap in a scratch key of the block (TTL {@link SCRATCH_TTL_MS}) unless it is a single event bitmap, read as
 * is. `universe` (bytes) is NOT's universe: at least the end of every row's population in the block, so that
 * a population's user is in `b.not()` exactly when not in `b`, as in `set.and(segment)`.
 */
export async function evaluateSegment(
  redis: RedisClient,
  keys: KeyNames,
  limiter: CallLimiter,
  expression: Expression,
  block: number,
  universe: number,
  signal?: AbortSignal,
): Promise<BlockSegment> {
  if (expression.kind === 'leaf') {
    return { kind: 'key', segment: { key: keys.eventKey(expression.event, expression.suffix, block), scratch: false }, scratch: [] };
  }
  const done = await new BlockCalls(redis, keys, limiter, signal).bitmap(expression, block, universe);
  const { ref, scratch } = done;
  if (ref === 'F') return { kind: 'all' };
  if (done.count === 0 || ref === 'E') {
    if (ref === 'S') await limiter.run(() => redis.unlink(...scratch));
    return { kind: 'none' };
  }
  if (ref.startsWith('k')) return { kind: 'key', segment: { key: done.leaves[Number(ref.slice(1)) - 1]!, scratch: false }, scratch: [] };
  // 'B': a small result came back in the reply (and its scratch key is gone): put it back for cohort_row.
  if (ref === 'B') await limiter.run(() => redis.set(scratch[0]!, done.bytes!, 'PX', SCRATCH_TTL_MS), signal);
  return { kind: 'key', segment: { key: scratch[0]!, scratch: true }, scratch };
}

/**
 * The segment of each block a cohort's chains work, evaluated when the first chain needing it starts and deleted
 * when the last one ends (`uses`: how many chains read each block), so only the blocks being worked hold one.
 */
export class BlockSegments {
  private readonly held = new Map<number, Promise<BlockSegment>>();

  constructor(
    private readonly evaluate: (block: number) => Promise<BlockSegment>,
    private readonly uses: Map<number, number>,
    private readonly discardKeys: (keys: string[]) => Promise<unknown>,
  ) {}

  /** The segment of a block, evaluated on first use. */
  use(block: number): Promise<BlockSegment> {
    let segment = this.held.get(block);
    if (segment === undefined) {
      segment = this.evaluate(block);
      this.held.set(block, segment);
    }
    return segment;
  }

  /** A chain reading `block` has ended: after the last one, its scratch key is deleted. */
  async release(block: number): Promise<void> {
    const left = (this.uses.get(block) ?? 1) - 1;
    this.uses.set(block, left);
    if (left > 0) return;
    const segment = this.held.get(block);
    this.held.delete(block);
    await this.discard(segment);
  }

  /** Deletes every scratch key still held (after a failure; not awaited then, the TTL is the safety net). */
  async discardAll(): Promise<void> {
    const segments = [...this.held.values()];
    this.held.clear();
    await Promise.all(segments.map((segment) => this.discard(segment)));
  }

  private async discard(segment: Promise<BlockSegment> | undefined): Promise<void> {
    const known = await segment?.catch(() => undefined);
    if (known?.kind === 'key' && known.scratch.length > 0) await this.discardKeys(known.scratch).catch(() => undefined);
  }
}
