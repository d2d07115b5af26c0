import { bitmapIds } from './bitmap.js';
import type { CallLimiter } from '../redis/call-limiter.js';
import { BitmapistLimitError } from '../errors.js';
import { compileExpression, type Expression } from './expression.js';
import type { KeyNames } from '../keys/key-names.js';
import { runScript, type RedisClient } from '../redis/scripts.js';

/** Scratch keys expire after this even if a script died, or its caller vanished, before deleting them. */
export const SCRATCH_TTL_MS = 60_000;

/**
 * The estimated Redis work one `evaluate` call may do, in microseconds: a bigger expression is evaluated over
 * several calls, its intermediate results kept in scratch keys in between (Redis serves other clients then).
 */
export const EVALUATE_CALL_BUDGET_US = 1_000;

/** The most ids `ids()` returns: a larger answer is refused with a {@link BitmapistLimitError}. */
export const MAX_IDS = 10_000_000;

/** Bytes of a result bitmap fetched per GETRANGE. */
const FETCH_CHUNK_BYTES = 1 << 20;

type Output = 'count' | 'has' | 'length';
type Reply = [Buffer, number, Buffer?, number?, Buffer?];

/** A finished evaluation of one block: its count, and where its result bitmap is for `bitmap`. */
export interface Done {
  count: number;
  /** E (empty), F (the whole universe), B (in `bytes`), S (in the first scratch key) or k<i> (a bitmap read). */
  ref: string;
  universe: number;
  bytes?: Buffer;
}

/**
 * The `evaluate` script calls of one block: resumes a call that ran out of budget until it is done, fetches
 * result bitmaps with plain GETRANGEs, and deletes scratch keys left between calls. Every call goes through
 * the instance's {@link CallLimiter}.
 */
export class BlockCalls {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly limiter: CallLimiter,
    /** Once aborted, the next call rejects with its reason, unsent (scratch keys are deleted all the same). */
    private readonly signal?: AbortSignal,
  ) {}

  /** `count`, `has` (1 or 0) or `length` (the longest bitmap read, in bytes) of an expression in one block. */
  async value(expression: Expression, output: Output, block: number, universe = -1, bit = 0): Promise<number> {
    const call = this.compile(expression, block);
    return (await this.finish(call, output, universe, bit)).count;
  }

  /**
   * The ids of an expression in one block, ascending. `allowed()` is how many more
   * ids the whole answer may hold: the count is checked before any bitmap is fetched.
   */
  async ids(expression: Expression, block: number, universe: number, allowed: () => number): Promise<number[]> {
    const call = this.compile(expression, block);
    const done = await this.finish(call, 'bitmap', universe, 0);
    const base = this.keys.blockBase(block);
    if (done.count > allowed()) {
      if (done.ref === 'S') await this.discard(call.scratch);
      throw new BitmapistLimitError(`ids(): the answer holds more than ${MAX_IDS} ids; use count()`);
    }
    let failed = false;
    try {
      if (done.ref === 'E' || done.count === 0) return [];
      if (done.ref === 'F') return Array.from({ length: done.universe * 8 }, (_, i) => base + i);
      if (done.bytes) return bitmapIds(done.bytes, base);
      const key = done.ref === 'S' ? call.scratch[0]! : call.leaves[Number(done.ref.slice(1)) - 1]!;
      const ids: number[] = [];
      for (let start = 0; start < done.universe; start += FETCH_CHUNK_BYTES) {
        const end = Math.min(done.universe, start + FETCH_CHUNK_BYTES) - 1;
        const chunk = await this.limiter.run(() => this.redis.getrangeBuffer(key, start, end), this.signal);
        bitmapIds(chunk, base + start * 8, ids);
      }
      return ids;
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // After a failure, do not wait for a Redis that may be away: the scratch keys' TTL is the safety net.
      if (done.ref === 'S') {
        const discarded = this.discard(call.scratch);
        if (!failed) await discarded;
      }
    }
  }

  /**
   * Evaluates an expression in one block down to its result bitmap (`ref`: E empty, F the whole universe, k<i> the
   * leaf `leaves[i - 1]`, S the first of `scratch`, B `bytes`: a result of 256 KB or less). The caller reads it,
   * then deletes `scratch` (the keys' TTL is the safety net).
   */
  async bitmap(expression: Expression, block: number, universe: number): Promise<Done & { leaves: string[]; scratch: string[] }> {
    const call = this.compile(expression, block);
    return { ...(await this.finish(call, 'bitmap', universe, 0)), leaves: call.leaves, scratch: call.scratch };
  }

  private compile(expression: Expression, block: number) {
    const compiled = compileExpression(expression, (event, suffix) => this.keys.eventKey(event, suffix, block));
    return { leaves: compiled.keys, program: compiled.program, scratch: this.keys.scratchKeys(compiled.depth, block) };
  }

  /** Calls the script until it is done (resuming where the budget stopped it). */
  private async finish(call: ReturnType<BlockCalls['compile']>, output: Output | 'bitmap', universe: number, bit: number): Promise<Done> {
    const keys = [...call.leaves, ...call.scratch];
    let state: [number, string, number] = [1, '', universe];
    try {
      for (;;) {
        const args = [call.leaves.length, output, bit, SCRATCH_TTL_MS, state[2], EVALUATE_CALL_BUDGET_US, state[0], state[1]];
        const reply = (await this.limiter.run(() =>
          runScript(this.redis.bitmapistEvaluateBuffer(keys.length, ...keys, ...args, ...call.program)),
        this.signal)) as unknown as Reply;
        const [status, step, ref, universe, bytes] = reply;
        if (status.toString() === 'done') return { count: step, ref: ref?.toString() ?? 'E', universe: universe ?? 0, bytes };
        state = [step, ref!.toString(), universe!];
      }
    } catch (error) {
      // Not awaited after a failure (Redis may be away; the TTL is the safety net), but after an abort it is there.
      const discarded = this.discard(call.scratch);
      if (this.signal?.aborted) await discarded;
      throw error;
    }
  }

  /** Deletes scratch keys (best effort: their TTL removes them anyway). */
  private async discard(scratch: string[]): Promise<void> {
    if (scratch.length === 0) return;
    await this.limiter.run(() => this.redis.unlink(...scratch)).catch(() => undefined);
  }
}
