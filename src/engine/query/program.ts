import type { Expression, Leaf } from './expression.js';

/** A register of a {@link BitmapProgram}: a scratch key holding one window of bits. */
export type Register = number & { readonly __register: unique symbol };

type Instruction = readonly (string | number)[];

/**
 * A program of bitmap operations for `lua/run_program.lua`, built in TypeScript: registers hold the same byte
 * window of bitmaps, instructions load, combine and count them. Pure data, no I/O: `ProgramRunner` runs it
 * per block, in calls of bounded time, and sums the counts. Each `count` names a slot; the runner's answer has
 * one number per slot.
 */
export class BitmapProgram {
  /** The bitmaps the program reads, in the order of their indexes (1-based in the script). */
  readonly leaves: Leaf[] = [];
  readonly instructions: Instruction[] = [];
  /** The slot of each `count`, in program order. */
  readonly counts: number[] = [];
  private readonly leafIndex = new Map<string, number>();
  private registerCount = 0;
  private slotCount = 0;

  /** The registers allocated; the script reserves one more as its temporary. */
  get registers(): number {
    return this.registerCount;
  }

  /** The number of count slots. */
  get slots(): number {
    return this.slotCount;
  }

  /** A new register. */
  register(): Register {
    this.registerCount += 1;
    return this.registerCount as Register;
  }

  /** A new count slot (several `count`s may add into one). */
  slot(): number {
    return this.slotCount++;
  }

  /** `target` = the window of one event bitmap (zeros when it is missing). */
  load(target: Register, event: string, suffix: string): void {
    const key = `${event}\u0000${suffix}`;
    let index = this.leafIndex.get(key);
    if (index === undefined) {
      this.leaves.push({ kind: 'leaf', event, suffix });
      index = this.leaves.length;
      this.leafIndex.set(key, index);
    }
    this.instructions.push(['L', target, index]);
  }

  /** `target` = no user. */
  zero(target: Register): void {
    this.instructions.push(['Z', target]);
  }

  and(target: Register, a: Register, b: Register): void {
    this.instructions.push(['&', target, a, b]);
  }

  or(target: Register, a: Register, b: Register): void {
    this.instructions.push(['|', target, a, b]);
  }

  xor(target: Register, a: Register, b: Register): void {
    this.instructions.push(['^', target, a, b]);
  }

  /** `target` = the users of `a` not in `b`. */
  andNot(target: Register, a: Register, b: Register): void {
    this.instructions.push(['-', target, a, b]);
  }

  /** `target` = the users of the window not in `a`. */
  not(target: Register, a: Register): void {
    this.instructions.push(['!', target, a]);
  }

  /** Adds the number of users in `source` to `slot`. */
  count(source: Register, slot: number): void {
    this.instructions.push(['#', source]);
    this.counts.push(slot);
  }

  /** Emits `body`'s instructions, skipped at run time (their counts adding 0) when `source` is empty. */
  unlessEmpty(source: Register, body: () => void): void {
    const guard: (string | number)[] = ['?', source, 0];
    this.instructions.push(guard);
    const before = this.instructions.length;
    body();
    guard[2] = this.instructions.length - before;
  }

  /**
   * Evaluates an expression into `target` (registers for its intermediates allocated here). NOT is the
   * complement within the window: exactly the engine's NOT for users inside the window, which is all a program
   * combines it with.
   */
  expression(target: Register, expression: Expression): void {
    switch (expression.kind) {
      case 'leaf':
        return this.load(target, expression.event, expression.suffix);
      case 'not':
        this.expression(target, expression.operand);
        return this.not(target, target);
      default: {
        const [head, ...rest] = expression.operands;
        this.expression(target, head!);
        if (rest.length === 0) return;
        const operand = this.register();
        for (const next of rest) {
          this.expression(operand, next);
          this.instructions.push([{ and: '&', or: '|', xor: '^' }[expression.kind], target, target, operand]);
        }
      }
    }
  }

  /** The script's arguments for the instructions from `first` (0-based) on. */
  argumentsFrom(first: number): (string | number)[] {
    return this.instructions.slice(first).flat();
  }
}
