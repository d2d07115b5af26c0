import { bitmapIds } from './bitmap.js';
import type { BlockRegistry } from './blocks.js';
import type { ExpressionEvaluator } from './event-set.js';
import { compileExpression, type Expression } from './expression.js';
import type { KeyNames } from './keys.js';
import { runScript, type RedisClient } from './scripts.js';
import { assertUserId, MAX_BITMAP_USER_ID } from './validate.js';

/** Scratch keys expire after this even if a script died before deleting them. */
export const SCRATCH_TTL_MS = 60_000;

type Output = 'count' | 'has' | 'bitmap' | 'length';

/**
 * Runs expressions: one script call per block in use (one block in the compatible layout),
 * blocks in parallel, answers added up.
 */
export class Evaluator implements ExpressionEvaluator {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly registry: BlockRegistry,
    private readonly maxUserId: number,
  ) {}

  async evaluateCount(expression: Expression): Promise<number> {
    const counts = await this.perBlock(expression, 'count');
    return counts.reduce((sum, [, count]) => sum + (count as number), 0);
  }

  async evaluateHas(expression: Expression, uid: number): Promise<boolean> {
    assertUserId(uid, Math.max(this.maxUserId, MAX_BITMAP_USER_ID));
    const { block, bit } = this.keys.locate(uid);
    const universes = hasNot(expression) ? await this.universes(expression, await this.registry.inUse(), block) : undefined;
    const universe = universes?.get(block) ?? -1;
    return (await this.evaluate(expression, 'has', block, bit, universe)) === 1;
  }

  async evaluateIds(expression: Expression): Promise<number[]> {
    const bitmaps = await this.perBlock(expression, 'bitmap');
    return bitmaps.flatMap(([block, bitmap]) => bitmapIds(bitmap as Buffer, this.keys.blockBase(block)));
  }

  private async perBlock(expression: Expression, output: Output): Promise<[number, number | Buffer][]> {
    const blocks = await this.registry.inUse();
    const universes = await this.universes(expression, blocks);
    return Promise.all(
      blocks.map(async (block): Promise<[number, number | Buffer]> => [
        block,
        await this.evaluate(expression, output, block, 0, universes.get(block) ?? -1),
      ]),
    );
  }

  /**
   * The NOT universe of each block, so that sharded answers equal compatible ones: NOT covers every id below
   * the end of the longest bitmap read, i.e. whole blocks below the highest block with data, part of that
   * block, and nothing above it. Costs one extra call per block, only for expressions with a NOT.
   */
  private async universes(expression: Expression, inUse: number[], extraBlock?: number): Promise<Map<number, number>> {
    const universes = new Map<number, number>();
    const { blockBytes } = this.keys;
    if (blockBytes === undefined || !hasNot(expression)) return universes;
    const lengths = new Map(
      await Promise.all(inUse.map(async (block) => [block, (await this.evaluate(expression, 'length', block)) as number] as const)),
    );
    const highest = Math.max(-1, ...[...lengths].filter(([, length]) => length > 0).map(([block]) => block));
    // A block with no bitmaps (only `has` asks about one) lies under NOT too when it is below the highest.
    for (const block of extraBlock === undefined ? inUse : [...inUse, extraBlock]) {
      universes.set(block, block < highest ? blockBytes : block === highest ? lengths.get(block)! : 0);
    }
    return universes;
  }

  private evaluate(expression: Expression, output: Output, block: number, bit = 0, universe = -1): Promise<number | Buffer> {
    const compiled = compileExpression(expression, (event, suffix) => this.keys.eventKey(event, suffix, block));
    const keys = [...compiled.keys, ...this.keys.scratchKeys(compiled.depth, block)];
    const args = [compiled.keys.length, output, bit, SCRATCH_TTL_MS, universe, ...compiled.program];
    return runScript(this.redis.bitmapistEvaluateBuffer(keys.length, ...keys, ...args));
  }
}

function hasNot(expression: Expression): boolean {
  switch (expression.kind) {
    case 'leaf':
      return false;
    case 'not':
      return true;
    default:
      return expression.operands.some(hasNot);
  }
}
