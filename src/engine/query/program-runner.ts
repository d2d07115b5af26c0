import { BitmapistArgumentError } from '../errors.js';
import type { BlockRegistry } from '../keys/blocks.js';
import type { KeyNames } from '../keys/key-names.js';
import type { CallLimiter } from '../redis/call-limiter.js';
import { runScript, type RedisClient } from '../redis/scripts.js';
import { SCRATCH_TTL_MS } from './block-calls.js';
import type { Leaf } from './expression.js';
import type { BitmapProgram } from './program.js';

/** How a program's work is cut into script calls, and how much scratch memory it may take. */
export interface ProgramLimits {
  /** Microseconds of Redis time one call may spend before it stops (at its next instruction). */
  callBudget: number;
  /** The most bytes of registers a program may hold at once (its registers times its window). */
  maxBytes: number;
}

/** The limits programs run with by default: calls of about 2 ms of Redis time, at most 512 MB of registers. */
export const DEFAULT_PROGRAM_LIMITS: ProgramLimits = { callBudget: 2_000, maxBytes: 2 ** 29 };

/**
 * Runs {@link BitmapProgram}s with `lua/run_program.lua`: in each block in use (one in the compatible layout),
 * on the byte window of the users of `population` there (found first, reading nothing else; a block without any
 * skips the program), in calls of about `callBudget` each that resume where the last one stopped. Each block's
 * registers are scratch keys in its hash slot, deleted when its program ends (their TTL is the safety net).
 * The counts of each slot are summed over blocks.
 */
export class ProgramRunner {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly registry: BlockRegistry,
    private readonly limiter: CallLimiter,
    private readonly limits: ProgramLimits = DEFAULT_PROGRAM_LIMITS,
  ) {}

  /**
   * Runs `program` and resolves to the sum of each slot. `limitArgument` names the argument a request over
   * `maxBytes` is refused for (a {@link BitmapistArgumentError}).
   */
  async run(program: BitmapProgram, population: readonly Leaf[], limitArgument: string): Promise<number[]> {
    const sums = new Array<number>(program.slots).fill(0);
    const blocks = await this.registry.inUse();
    await this.limiter.map(blocks, async (block) => {
      const window = await this.window(population, block);
      if (window === undefined) return;
      const bytes = (program.registers + 1) * (window.hi - window.lo + 1);
      if (bytes > this.limits.maxBytes) {
        throw new BitmapistArgumentError(
          limitArgument,
          `would hold about ${Math.ceil(bytes / 2 ** 20)} MB of scratch bitmaps, over the limit of ${this.limits.maxBytes / 2 ** 20} MB: ask for fewer periods or steps`,
        );
      }
      const counts = await this.runBlock(program, block, window);
      counts.forEach((count, i) => {
        const slot = program.counts[i]!;
        sums[slot] = sums[slot]! + count;
      });
    });
    return sums;
  }

  /** The byte window of the users of `population` in a block (undefined when it has none). */
  private async window(population: readonly Leaf[], block: number): Promise<{ lo: number; hi: number } | undefined> {
    if (population.length === 0) return undefined;
    const keys = population.map((leaf) => this.keys.eventKey(leaf.event, leaf.suffix, block));
    const reply = await this.limiter.run(() => runScript(this.redis.bitmapistCohortWindows(keys.length, ...keys, this.limits.callBudget, 1, keys.length)));
    const [lo, hi] = [reply[1]!, reply[2]!];
    return lo < 0 ? undefined : { lo, hi };
  }

  /** Runs the whole program in one block; resolves to the value of each count, in program order. */
  private async runBlock(program: BitmapProgram, block: number, { lo, hi }: { lo: number; hi: number }): Promise<number[]> {
    const leaves = program.leaves.map((leaf) => this.keys.eventKey(leaf.event, leaf.suffix, block));
    const registers = this.keys.scratchKeys(program.registers + 1, block);
    const keys = [...leaves, ...registers];
    const counts: number[] = [];
    try {
      for (let next = 0; next < program.instructions.length; ) {
        const args = [leaves.length, lo, hi, SCRATCH_TTL_MS, this.limits.callBudget, next + 1, ...program.argumentsFrom(next)];
        const reply = await this.limiter.run(() => runScript(this.redis.bitmapistRunProgram(keys.length, ...keys, ...args)));
        counts.push(...reply.slice(1));
        next = reply[0]! - 1;
      }
    } finally {
      // Not awaited after a failure: Redis may be away; the registers' TTL removes them anyway.
      const deleted = this.limiter.run(() => this.redis.unlink(...registers)).catch(() => undefined);
      if (counts.length === program.counts.length) await deleted;
    }
    return counts;
  }
}
