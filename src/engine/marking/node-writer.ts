import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { BitmapistKeyTypeError, BitmapistScriptError } from '../errors.js';
import { runScript } from '../redis/scripts.js';
import type { PendingMark } from './batcher.js';
import { bitmapGroups, writeMarkCall, type MarkCallRefusals } from './writer.js';

/**
 * Writes the marks of a Cluster (sharded layout, where each block's keys share a hash slot of their own) in one
 * script call per master: lua/mark_node.lua writes the blocks a master serves together, so marks from many
 * callers over many blocks share a call instead of splitting into a call per block. A block the master turns
 * out not to serve (its slot moved or is moving) is sent again in a call of its own, which the client routes
 * and redirects; so is every block when the Cluster cannot run the script (Redis before 7, which has no
 * script flags), and from then on each block is a call of its own.
 */
export class NodeMarkWriter {
  /** The hash slot of each block seen (fixed by its key names). */
  private readonly slots = new Map<number, number>();
  /** Whether the Cluster runs lua/mark_node.lua (false once it could not). */
  private nodeCalls = true;
  /**
   * Each block's last write not yet settled, with its bit and what it waited for before it was sent (the
   * block's writes of the other bit before it), until that settles.
   */
  private readonly lastWrite = new Map<number, { bit: 0 | 1; done: Promise<unknown>; gate?: Promise<unknown> }>();

  constructor(private readonly cluster: Cluster) {}

  /**
   * Writes the marks of each block (`blocks[i]` holds the marks of one block, its keys in one slot), the blocks
   * of one master in one call; resolves to what Redis refused of each block (a promise per block, in order).
   * A promise rejects when its call failed.
   */
  write(bit: 0 | 1, blocks: readonly PendingMark[][], maxBit: number): Promise<MarkCallRefusals>[] {
    const written = new Array<Promise<MarkCallRefusals>>(blocks.length);
    const gates = new Array<Promise<unknown> | undefined>(blocks.length);
    const byNode = new Map<string, number[]>();
    blocks.forEach((marks, i) => {
      // A block whose last write set the other bit waits for it (a block left out of a node call is sent again
      // after its reply, which a later call could overtake), and one whose last write of this bit is still
      // waiting so waits for the same: marks and unmarks of a block land in issue order.
      const last = this.lastWrite.get(marks[0]!.block);
      const gate = last === undefined ? undefined : last.bit !== bit ? last.done : last.gate;
      if (gate !== undefined) {
        gates[i] = gate;
        written[i] = gate.then(() => writeMarkCall(this.cluster, bit, marks, maxBit));
        return;
      }
      const node = this.nodeCalls ? this.nodeOf(marks[0]!) : undefined;
      const together = node === undefined ? undefined : byNode.get(node);
      if (together) together.push(i);
      else if (node !== undefined) byNode.set(node, [i]);
      else written[i] = writeMarkCall(this.cluster, bit, marks, maxBit);
    });
    for (const indexes of byNode.values()) {
      if (indexes.length === 1) {
        written[indexes[0]!] = writeMarkCall(this.cluster, bit, blocks[indexes[0]!]!, maxBit);
        continue;
      }
      const call = this.writeNode(bit, indexes.map((i) => blocks[i]!), maxBit);
      // Each block settles on its own: a block sent again settles with that call, the others with this one.
      indexes.forEach((i, b) => (written[i] = call.then((refusals) => refusals[b]!)));
    }
    blocks.forEach((marks, i) => {
      const block = marks[0]!.block;
      // Writes of the same bit may land in any order; the next of the other bit waits for all of them.
      const before = this.lastWrite.get(block);
      const done = written[i]!.catch(() => undefined);
      const entry: { bit: 0 | 1; done: Promise<unknown>; gate?: Promise<unknown> } = {
        bit,
        done: before?.bit === bit ? Promise.all([before.done, done]) : done,
        gate: gates[i],
      };
      this.lastWrite.set(block, entry);
      // Once what it waited for has settled, later writes of this bit need not wait.
      void entry.gate?.then(() => (entry.gate = undefined));
      void entry.done.then(() => {
        if (this.lastWrite.get(block) === entry) this.lastWrite.delete(block);
      });
    });
    return written;
  }

  /** The master serving a mark's block, as the client last learned (undefined before it knows the slots). */
  private nodeOf(mark: PendingMark): string | undefined {
    let slot = this.slots.get(mark.block);
    if (slot === undefined) this.slots.set(mark.block, (slot = calculateSlot(mark.keys[0]!)));
    return this.cluster.slots[slot]?.[0];
  }

  /**
   * Writes blocks of one master in one call; resolves to each block's refusals, or for a block sent again (in a
   * call of its own) to that call's promise, so that its failure or delay is its own blocks' only.
   */
  private async writeNode(bit: 0 | 1, blocks: PendingMark[][], maxBit: number): Promise<(MarkCallRefusals | Promise<MarkCallRefusals>)[]> {
    const grouped = blocks.map(bitmapGroups);
    const args: (string | number)[] = [bit, maxBit, blocks.length];
    for (const { bitmaps, groups, pairs } of grouped) args.push(bitmaps.length, ...bitmaps, groups.length, ...pairs);
    let reply: (number | string)[];
    try {
      reply = await runScript(this.cluster.bitmapistMarkNode(1, grouped[0]!.bitmaps[0]!, ...args));
    } catch (error) {
      if (!cannotRunScript(error)) throw error;
      this.nodeCalls = false;
      return blocks.map((marks) => settledLater(writeMarkCall(this.cluster, bit, marks, maxBit)));
    }
    const refusals: (MarkCallRefusals | Promise<MarkCallRefusals>)[] = blocks.map(() => ({ keys: new Map() }));
    for (let i = 1; i + 3 < reply.length; i += 4) {
      const [b, group, index, detail] = [Number(reply[i]) - 1, Number(reply[i + 1]), Number(reply[i + 2]), String(reply[i + 3])];
      const { bitmaps, groups } = grouped[b]!;
      if (group === 0) refusals[b] = settledLater(writeMarkCall(this.cluster, bit, blocks[b]!, maxBit));
      else (refusals[b] as MarkCallRefusals).keys.set(groups[group - 1]!, new BitmapistKeyTypeError(bitmaps[index - 1]!, detail));
    }
    return refusals;
  }
}

/**
 * A call's promise handed on inside an array, which its block's own promise takes up a turn later: marked as
 * handled meanwhile, so that an early rejection is never reported as unhandled (the block's promise still gets it).
 */
function settledLater<T>(call: Promise<T>): Promise<T> {
  call.catch(() => undefined);
  return call;
}

/** Whether a call failed because the server cannot load lua/mark_node.lua (a Redis without script flags). */
function cannotRunScript(error: unknown): boolean {
  const reply = error instanceof BitmapistScriptError && error.cause instanceof Error ? error.cause.message : '';
  return /Error compiling script|Unexpected flag|Unknown lua shebang/i.test(reply);
}
