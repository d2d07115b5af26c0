import type { Expression, Leaf } from './expression.js';

/** A register of a {@link BitmapProgram}: a scratch key holding one window of bits. */
export type Register = number & { readonly __register: unique symbol };

/**
 * An operand of a {@link BitmapProgram} instruction: a register, or an event bitmap read where it is (see
 * {@link BitmapProgram.bitmap}).
 */
export type Operand = Register | (number & { readonly __bitmap: unique symbol });

/** The temporaries `lua/run_program.lua` keeps after a program's registers. */
export const SCRIPT_TEMPORARIES = 3;

/** The most operands of one OR instruction: what one BITOP takes on its word-at-a-time path. */
export const MAX_OR_OPERANDS = 16;

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
  private readonly temporaries: Register[] = [];
  private slotCount = 0;
  private bodyEnds: number[] | undefined;

  /** The registers allocated; the script keeps {@link SCRIPT_TEMPORARIES} more after them. */
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

  /** `target` = the window of one event bitmap (no user when it is missing). */
  load(target: Register, event: string, suffix: string): void {
    this.instructions.push(['L', target, this.leaf(event, suffix)]);
  }

  /**
   * An event bitmap as an operand: read in place when the program works on whole bitmaps and it is about as long
   * as the others (else the script copies its window first), so reading it costs no register.
   */
  bitmap(event: string, suffix: string): Operand {
    return -this.leaf(event, suffix) as Operand;
  }

  /** Adds the number of users of one event bitmap (in the window) to `slot`, without copying it. */
  countBitmap(event: string, suffix: string, slot: number): void {
    this.instructions.push(['K', this.leaf(event, suffix)]);
    this.counts.push(slot);
  }

  /** `target` = no user (a register starts so). */
  zero(target: Register): void {
    this.instructions.push(['Z', target]);
  }

  and(target: Register, a: Operand, b: Operand): void {
    this.instructions.push(['&', target, a, b]);
  }

  or(target: Register, a: Operand, b: Operand): void {
    this.instructions.push(['|', target, a, b]);
  }

  /**
   * `target` = the OR of `operands` (at least one): one BITOP per 16 operands when the bitmaps are of similar
   * lengths (read where they are), more when much shorter ones must be copied first (two per BITOP). One
   * instruction per {@link MAX_OR_OPERANDS} operands, each after the first ORing into `target` (read first when
   * it is an operand), so that a call's budget is checked between them: an OR of hundreds of bitmaps (a
   * segment's) is not one unbounded step.
   */
  orAll(target: Register, operands: readonly Operand[]): void {
    if (operands.length === 0) throw new RangeError('orAll needs an operand');
    const rest = operands.includes(target) ? [target, ...operands.filter((x) => x !== target)] : [...operands];
    let group = rest.splice(0, MAX_OR_OPERANDS);
    while (group.length > 0) {
      this.instructions.push(['O', target, group.length, ...group]);
      group = rest.length === 0 ? [] : [target, ...rest.splice(0, MAX_OR_OPERANDS - 1)];
    }
  }

  xor(target: Register, a: Operand, b: Operand): void {
    this.instructions.push(['^', target, a, b]);
  }

  /** `target` = the users of `a` not in `b`. */
  andNot(target: Register, a: Operand, b: Operand): void {
    this.instructions.push(['-', target, a, b]);
  }

  /** `target` = the users of the window not in `a`. */
  not(target: Register, a: Operand): void {
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
   * Evaluates an expression into `target`, its intermediates in temporaries kept for reuse (one per nesting
   * depth), its bitmaps read as operands where they are (an OR of bitmaps is one instruction). NOT is the
   * complement within the window: exactly the engine's NOT for users inside the window, which is all a program
   * combines it with.
   */
  expression(target: Register, expression: Expression, depth = 0): void {
    switch (expression.kind) {
      case 'leaf':
        return this.load(target, expression.event, expression.suffix);
      case 'not':
        return this.not(target, this.operandOf(expression.operand, target, depth));
      case 'or': {
        const bitmaps = expression.operands.filter((e) => e.kind === 'leaf').map((e) => this.operandOf(e, target, depth));
        const others = expression.operands.filter((e) => e.kind !== 'leaf');
        others.forEach((other, i) => {
          if (i === 0) return this.expression(target, other, depth);
          this.or(target, target, this.operandOf(other, this.temporary(depth), depth + 1));
        });
        return this.orAll(target, others.length > 0 ? [target, ...bitmaps] : bitmaps);
      }
      default: {
        const [head, ...rest] = expression.operands;
        let value = this.operandOf(head!, target, depth);
        if (rest.length === 0 && value !== target) return this.orAll(target, [value]);
        for (const next of rest) {
          const operand = this.operandOf(next, this.temporary(depth), depth + 1);
          this.instructions.push([expression.kind === 'and' ? '&' : '^', target, value, operand]);
          value = target;
        }
      }
    }
  }

  /** An expression as an operand: a bitmap as itself, anything else evaluated into `register`. */
  private operandOf(expression: Expression, register: Register, depth: number): Operand {
    if (expression.kind === 'leaf') return this.bitmap(expression.event, expression.suffix);
    this.expression(register, expression, depth);
    return register;
  }

  /** The temporary of a nesting depth. */
  private temporary(depth: number): Register {
    return (this.temporaries[depth] ??= this.register());
  }

  /** The 1-based index of an event bitmap among the program's {@link leaves}. */
  private leaf(event: string, suffix: string): number {
    const key = `${event}\u0000${suffix}`;
    let index = this.leafIndex.get(key);
    if (index === undefined) {
      this.leaves.push({ kind: 'leaf', event, suffix });
      index = this.leaves.length;
      this.leafIndex.set(key, index);
    }
    return index;
  }

  /** The script's arguments for the instructions from `first` (0-based) up to `end` (excluded). */
  argumentsBetween(first: number, end: number): (string | number)[] {
    return this.instructions.slice(first, end).flat();
  }

  /**
   * The first place at or after `end` where the instructions may be cut into two calls: not inside the body of
   * an `unlessEmpty` (its guard must see the whole body to skip it). At most the number of instructions.
   */
  cutAt(end: number): number {
    const count = this.instructions.length;
    if (this.bodyEnds?.length !== count) {
      // bodyEnds[i]: the last instruction of any guarded body opened at or before i (-1: none).
      this.bodyEnds = [];
      let last = -1;
      this.instructions.forEach(([op, , size], i) => {
        if (op === '?') last = Math.max(last, i + (size as number));
        this.bodyEnds!.push(last);
      });
    }
    let cut = Math.min(end, count);
    while (cut < count && cut > 0 && this.bodyEnds[cut - 1]! >= cut) cut = this.bodyEnds[cut - 1]! + 1;
    return Math.min(cut, count);
  }
}
