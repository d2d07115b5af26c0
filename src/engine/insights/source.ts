import { BitmapistArgumentError } from '../errors.js';
import type { EventSet, PeriodEventSet } from '../query/event-set.js';
import type { Expression, Leaf } from '../query/expression.js';
import type { BitmapProgram, Operand, Register } from '../query/program.js';
import type { TimeGroupInput } from '../time/time-groups.js';

/**
 * What an insight reads from the engine (a `Bitmapist` is one): an event's users in the period of a time group
 * containing a date, and a program of bitmap operations run in bounded calls (`ProgramRunner`). Insights depend
 * on this, never on the engine class itself.
 */
export interface InsightSource<Id = unknown> {
  getEventData(event: string, options: { timeGroup?: TimeGroupInput; now?: Date }): PeriodEventSet<Id>;
  /**
   * Runs a program where the users of `population` are (all of each bitmap it reads without one) and sums each of
   * its count slots; `limitArgument` names what a program over the memory cap is refused for.
   */
  runProgram(program: BitmapProgram, population: readonly Leaf[] | undefined, limitArgument: string, signal?: AbortSignal): Promise<number[]>;
}

/**
 * A period's users as an operand: its bitmap read where it is, or (a year) the OR of its months in `scratch`.
 */
export function periodOperand(p: BitmapProgram, expression: Expression, scratch: Register): Operand {
  if (expression.kind === 'leaf') return p.bitmap(expression.event, expression.suffix);
  p.expression(scratch, expression);
  return scratch;
}

/**
 * Adds to `slot` the users of a period's expression (one bitmap, or a year's OR of months), in `segment` when
 * given: a single bitmap without a segment is counted in place, anything else in `work`.
 */
export function countPeriod(p: BitmapProgram, expression: Expression, slot: number, work: Register, segment?: Register): void {
  if (expression.kind === 'leaf' && segment === undefined) return p.countBitmap(expression.event, expression.suffix, slot);
  const users = periodOperand(p, expression, work);
  if (segment !== undefined) p.and(work, users, segment);
  p.count(work, slot);
}

/** The option every insight (and a cohort) takes to stop early. */
export interface SignalOption {
  /**
   * Once aborted, the work's next Redis call rejects with the signal's reason, unsent (one waiting its turn at
   * once), and its scratch keys are deleted: for a request whose client left.
   */
  signal?: AbortSignal;
}

/** Checks a `signal` option: undefined or an `AbortSignal` (a {@link BitmapistArgumentError} naming `signal`). */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new BitmapistArgumentError('signal', 'must be an AbortSignal');
}

/** The option every insight takes to count only some users. */
export interface SegmentOption {
  /**
   * Only users of this set count, in every figure: any `EventSet` of the same engine, e.g.
   * `bm.unique('plan:pro')` or `bm.unique('a').and(bm.unique('b').not())`. A `not()` in it keeps the engine's
   * meaning (the complement below the end of the longest bitmap the figure's expression reads), so a counted user
   * is in `b.not()` exactly when not in `b`.
   */
  segment?: EventSet<unknown>;
}

/**
 * Checks an insight's `segment` against a set of the engine it reads (`engineSet`, no I/O): undefined, or a set
 * that combines with it. The rule is `EventSet.and()`'s (an EventSet of the same Bitmapist instance); a refusal is
 * a {@link BitmapistArgumentError} naming `segment`.
 */
export function checkSegment<Id>(segment: unknown, engineSet: EventSet<Id>): EventSet<Id> | undefined {
  if (segment === undefined) return undefined;
  try {
    engineSet.assertCombinable([segment], 'segment');
  } catch (error) {
    if (!(error instanceof BitmapistArgumentError)) throw error;
    const why = error.message.slice(error.argument.length + 2);
    throw new BitmapistArgumentError('segment', `must be an EventSet of this Bitmapist, e.g. bm.unique(event) (${why})`);
  }
  try {
    // A set of the right kind that no figure could add its own sets to (MAX_EXPRESSION_NODES): refused for its size.
    engineSet.and(segment as EventSet<Id>);
  } catch (error) {
    if (!(error instanceof BitmapistArgumentError)) throw error;
    throw new BitmapistArgumentError('segment', error.message.slice(error.argument.length + 2));
  }
  return segment as EventSet<Id>;
}

/**
 * The sets an insight counts, restricted to a checked segment: `set.and(segment)`, or the set itself without one.
 * Each is still one expression, so one `count()`.
 */
export function withinSegment<Id>(segment: EventSet<Id> | undefined): (set: EventSet<Id>) => EventSet<Id> {
  return segment === undefined ? (set) => set : (set) => set.and(segment);
}
