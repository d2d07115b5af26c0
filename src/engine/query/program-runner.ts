import { BitmapistArgumentError, BitmapistScriptError } from '../errors.js';
import type { BlockRegistry } from '../keys/blocks.js';
import type { KeyNames } from '../keys/key-names.js';
import type { CallLimiter } from '../redis/call-limiter.js';
import { runScript, type RedisClient } from '../redis/scripts.js';
import { SCRATCH_TTL_MS } from './block-calls.js';
import type { Leaf } from './expression.js';
import { SCRIPT_TEMPORARIES, type BitmapProgram } from './program.js';

/** How a program's work is cut into script calls, and how much scratch memory it may take. */
export interface ProgramLimits {
  /** Microseconds of Redis time one call may spend before it stops (at its next instruction). */
  callBudget: number;
  /** The most bytes of registers a program may hold at once (its registers times its window). */
  maxBytes: number;
}

/** The window of a program without a population: the whole bitmaps it reads (worked out by its first call). */
const WHOLE = { lo: -1, hi: 0 };

/** Instructions sent in a program's first call, and the bounds of the next ones' (see `runBlock`). */
const FIRST_CHUNK = 256;
const MIN_CHUNK = 16;
const MAX_CHUNK = 4096;

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
   * Runs `program` and resolves to the sum of each slot: on the window of `population`'s users, or without one on
   * the whole bitmaps the program reads. `limitArgument` names the argument a request whose registers would hold
   * over `maxBytes` is refused for (a {@link BitmapistArgumentError}). Once `signal` aborts, the next call
   * rejects with its reason, unsent (the registers are deleted all the same).
   */
  async run(program: BitmapProgram, population: readonly Leaf[] | undefined, limitArgument: string, signal?: AbortSignal): Promise<number[]> {
    signal?.throwIfAborted();
    const sums = new Array<number>(program.slots).fill(0);
    const blocks = await this.registry.inUse();
    await this.limiter.map(blocks, async (block) => {
      const window = population === undefined ? WHOLE : await this.window(population, block, signal);
      if (window === undefined) return;
      const counts = await this.runBlock(program, block, window, limitArgument, signal);
      counts.forEach((count, i) => {
        const slot = program.counts[i]!;
        sums[slot] = sums[slot]! + count;
      });
    }, signal);
    return sums;
  }

  /** The byte window of the users of `population` in a block (undefined when it has none). */
  private async window(population: readonly Leaf[], block: number, signal: AbortSignal | undefined): Promise<{ lo: number; hi: number } | undefined> {
    if (population.length === 0) return undefined;
    const keys = population.map((leaf) => this.keys.eventKey(leaf.event, leaf.suffix, block));
    const reply = await this.limiter.run(() => runScript(this.redis.bitmapistCohortWindows(keys.length, ...keys, this.limits.callBudget, 1, keys.length)), signal);
    const [lo, hi] = [reply[1]!, reply[2]!];
    return lo < 0 ? undefined : { lo, hi };
  }

  /** Runs the whole program in one block; resolves to the value of each count, in program order. */
  private async runBlock(
    program: BitmapProgram,
    block: number,
    { lo, hi }: { lo: number; hi: number },
    limitArgument: string,
    signal: AbortSignal | undefined,
  ): Promise<number[]> {
    const leaves = program.leaves.map((leaf) => this.keys.eventKey(leaf.event, leaf.suffix, block));
    const registers = this.keys.scratchKeys(program.registers + SCRIPT_TEMPORARIES, block);
    const keys = [...leaves, ...registers];
    const counts: number[] = [];
    let window = [lo, hi];
    let chunk = FIRST_CHUNK;
    try {
      for (let next = 0; next < program.instructions.length; ) {
        // As many instructions as about twice the last call ran: each call parses only what it may run.
        const end = program.cutAt(next + chunk);
        const args = [leaves.length, window[0]!, window[1]!, SCRATCH_TTL_MS, this.limits.callBudget, next + 1, this.limits.maxBytes, ...program.argumentsBetween(next, end)];
        const reply = await this.limiter.run(() => runScript(this.redis.bitmapistRunProgram(keys.length, ...keys, ...args)), signal).catch((error: unknown) => {
          throw limitRefusal(error, limitArgument, this.limits.maxBytes) ?? error;
        });
        counts.push(...reply.slice(3));
        // The window is worked out by the first call; the next ones keep it. None: no bitmap has a byte.
        window = [reply[1]!, reply[2]!];
        if (window[1]! < 0) {
          counts.push(...new Array<number>(program.counts.length - counts.length).fill(0));
          break;
        }
        const stopped = reply[0]! - 1;
        chunk = stopped >= end ? Math.min(2 * chunk, MAX_CHUNK) : Math.max(MIN_CHUNK, 2 * (stopped - next));
        next = stopped;
      }
    } finally {
      // Not awaited after a failure: Redis may be away; the registers' TTL removes them anyway.
      const deleted = this.limiter.run(() => this.redis.unlink(...registers)).catch(() => undefined);
      // Awaited when the program ended, or was stopped by its signal (Redis is there): its keys are gone first.
      if (counts.length === program.counts.length || signal?.aborted) await deleted;
    }
    return counts;
  }
}

/** The argument error of a `BITMAPIST_LIMIT` reply (the registers would hold too many bytes); undefined otherwise. */
function limitRefusal(error: unknown, argument: string, maxBytes: number): BitmapistArgumentError | undefined {
  const reply = error instanceof BitmapistScriptError && error.cause instanceof Error ? error.cause.message : '';
  if (!reply.startsWith('BITMAPIST_LIMIT')) return undefined;
  const bytes = Number(reply.split(' ')[1]);
  return new BitmapistArgumentError(
    argument,
    `would hold about ${Math.ceil(bytes / 2 ** 20)} MB of scratch bitmaps, over the limit of ${maxBytes / 2 ** 20} MB: ask for fewer periods or steps`,
  );
}
