import { BlockCalls, MAX_IDS } from './block-calls.js';
import type { BlockRegistry } from '../keys/blocks.js';
import type { CallLimiter } from '../redis/call-limiter.js';
import { BitmapistLimitError } from '../errors.js';
import type { ExpressionEvaluator } from './event-set.js';
import { hasNot, leavesOf, wholeWhenEmpty, type Expression } from './expression.js';
import type { KeyNames } from '../keys/key-names.js';
import type { RedisClient } from '../redis/scripts.js';
import { assertUserId, MAX_BITMAP_USER_ID } from '../ids/user-ids.js';

export { SCRATCH_TTL_MS } from './block-calls.js';

/** Where an expression is evaluated: blocks read by script calls, and blocks answered without Redis. */
interface BlockPlan {
  /** Blocks with bitmaps of the expression, each with its NOT universe in bytes (-1: its longest bitmap). */
  calls: { block: number; universe: number }[];
  /** Blocks below the end of the universe without any bitmap of the expression, when they count whole. */
  wholeBlocks: number;
  /** The first block past the universe (whole blocks lie below it). */
  end: number;
}

/**
 * Runs expressions: one script call per block with bitmaps (one block in the compatible layout), a few at a
 * time through the instance's {@link CallLimiter}, answers added up. NOT's universe in the sharded layout is
 * the compatible layout's: every id below the end of the longest bitmap read; a block inside it without any
 * bitmap of the expression is answered symbolically (none of it, or all 2^shardBits ids) without a call.
 */
export class Evaluator implements ExpressionEvaluator {
  private readonly calls: BlockCalls;

  constructor(
    redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly registry: BlockRegistry,
    private readonly maxUserId: number,
    private readonly limiter: CallLimiter,
  ) {
    this.calls = new BlockCalls(redis, keys, limiter);
  }

  async evaluateCount(expression: Expression): Promise<number> {
    const plan = await this.plan(expression);
    const counts = await this.limiter.map(plan.calls, ({ block, universe }) => this.calls.value(expression, 'count', block, universe));
    return counts.reduce((sum, count) => sum + count, plan.wholeBlocks * this.blockSize());
  }

  async evaluateHas(expression: Expression, uid: number): Promise<boolean> {
    assertUserId(uid, Math.max(this.maxUserId, MAX_BITMAP_USER_ID));
    const { block, bit } = this.keys.locate(uid);
    if (leavesOf(expression).length === 0) return false; // no bitmap read: NOT's universe is empty
    if (this.keys.blockBytes === undefined) return (await this.calls.value(expression, 'has', block, -1, bit)) === 1;
    const inUse = await this.registry.inUse();
    if (!hasNot(expression)) {
      return inUse.includes(block) && (await this.calls.value(expression, 'has', block, -1, bit)) === 1;
    }
    // NOT covers this block whole when a higher block holds a bitmap of the expression.
    const lengths = await this.lengths(expression, inUse.filter((b) => b >= block));
    const highest = [...lengths].reduce((top, [b, length]) => (length > 0 && b > top ? b : top), -1);
    if (highest < block) return false;
    if (!(lengths.get(block)! > 0)) return wholeWhenEmpty(expression);
    const universe = highest > block ? this.keys.blockBytes : -1;
    return (await this.calls.value(expression, 'has', block, universe, bit)) === 1;
  }

  async evaluateIds(expression: Expression): Promise<number[]> {
    const plan = await this.plan(expression);
    const blockSize = this.blockSize();
    let total = plan.wholeBlocks * blockSize;
    if (total > MAX_IDS) throw new BitmapistLimitError(`ids(): the answer holds more than ${MAX_IDS} ids; use count()`);
    const allowed = () => MAX_IDS - total;
    const answers = await this.limiter.map(plan.calls, async ({ block, universe }) => {
      const ids = await this.calls.ids(expression, block, universe, allowed);
      total += ids.length;
      if (total > MAX_IDS) throw new BitmapistLimitError(`ids(): the answer holds more than ${MAX_IDS} ids; use count()`);
      return ids;
    });
    if (plan.wholeBlocks === 0) return answers.length === 1 ? answers[0]! : answers.flat();
    // Whole blocks are few here (their ids fit in MAX_IDS): walk every block up to the end of the universe.
    const byBlock = new Map(plan.calls.map(({ block }, i) => [block, answers[i]!]));
    const ids: number[] = [];
    for (let block = 0; block < plan.end; block++) {
      const answer = byBlock.get(block);
      if (answer) {
        for (const id of answer) ids.push(id);
      } else {
        const base = this.keys.blockBase(block);
        for (let i = 0; i < blockSize; i++) ids.push(base + i);
      }
    }
    return ids;
  }

  /** Which blocks to call, and with which universe; which blocks count whole without a call. */
  private async plan(expression: Expression): Promise<BlockPlan> {
    const { blockBytes } = this.keys;
    if (leavesOf(expression).length === 0) return { calls: [], wholeBlocks: 0, end: 0 };
    if (blockBytes === undefined) return { calls: [{ block: 0, universe: -1 }], wholeBlocks: 0, end: 1 };
    const inUse = await this.registry.inUse();
    if (!hasNot(expression)) {
      return { calls: inUse.map((block) => ({ block, universe: -1 })), wholeBlocks: 0, end: (inUse.at(-1) ?? -1) + 1 };
    }
    const lengths = await this.lengths(expression, inUse);
    const withData = inUse.filter((block) => lengths.get(block)! > 0);
    const highest = withData.at(-1) ?? -1;
    return {
      calls: withData.map((block) => ({ block, universe: block < highest ? blockBytes : -1 })),
      wholeBlocks: wholeWhenEmpty(expression) && highest > 0 ? highest - (withData.length - 1) : 0,
      end: highest + 1,
    };
  }

  /** The longest bitmap of the expression in each block, in bytes (0: the block has none). */
  private async lengths(expression: Expression, blocks: number[]): Promise<Map<number, number>> {
    const lengths = await this.limiter.map(blocks, (block) => this.calls.value(expression, 'length', block));
    return new Map(blocks.map((block, i) => [block, lengths[i]!]));
  }

  private blockSize(): number {
    return (this.keys.blockBytes ?? 0) * 8;
  }
}
