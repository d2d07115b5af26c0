import { BitmapistArgumentError } from '../errors.js';
import type { Expression } from './expression.js';
import { addPeriods, periodEnd } from '../time/steps.js';
import { periodSuffixes } from '../time/suffixes.js';
import { type PeriodUnit } from '../time/time-groups.js';
import { UTC_ZONE, type TimeZone } from '../time/time-zone.js';
import type { MappedUserId } from '../ids/user-ids.js';

/**
 * What an {@link EventSet} needs from the engine that made it: one round trip per evaluation. `Id` is the
 * kind of ids `ids()` gives: numbers, or in mapped mode the app's ids (strings).
 */
export interface ExpressionEvaluator<Id = number> {
  evaluateCount(expression: Expression): Promise<number>;
  evaluateHas(expression: Expression, uid: number | MappedUserId): Promise<boolean>;
  evaluateIds(expression: Expression): Promise<Id[]>;
}

/**
 * The most sets and operations one expression may hold (each set, AND, OR, XOR and NOT counts one; a year set
 * counts its twelve months and their OR). Every evaluation call parses the whole expression, so this bounds a
 * call's work, and the depth the engine's compilers walk; a bigger one is refused when it is built.
 */
export const MAX_EXPRESSION_NODES = 400;

const nodeCounts = new WeakMap<Expression, number>();

/** The sets and operations of an expression (remembered per expression object: combining stays linear). */
function nodesOf(expression: Expression): number {
  let known = nodeCounts.get(expression);
  if (known === undefined) {
    if (expression.kind === 'leaf') known = 1;
    else if (expression.kind === 'not') known = 1 + nodesOf(expression.operand);
    else known = expression.operands.reduce((sum, operand) => sum + nodesOf(operand), 1);
    nodeCounts.set(expression, known);
  }
  return known;
}

/** An expression built in one piece (e.g. by `chainEvents`), refused (naming `argument`) when too big. */
export function boundedExpression(expression: Expression, argument: string): Expression {
  return bounded(expression, nodesOf(expression), argument);
}

/** An expression of `nodes` sets and operations, refused (naming `operation`) over {@link MAX_EXPRESSION_NODES}. */
function bounded(expression: Expression, nodes: number, operation: string): Expression {
  if (nodes > MAX_EXPRESSION_NODES) {
    throw new BitmapistArgumentError(operation, `the expression would hold ${nodes} sets and operations; the limit is ${MAX_EXPRESSION_NODES} (MAX_EXPRESSION_NODES)`);
  }
  nodeCounts.set(expression, nodes);
  return expression;
}

/**
 * The most periods `delta(n)` moves at once, either way: stepping local periods of a time zone costs a little per
 * period (a zone's changes of offset are looked up as it goes), so a call stays in milliseconds.
 */
export const MAX_PERIOD_DELTA = 10_000;

/** The user ids `has()` takes for sets whose `ids()` give `Id`. */
export type UserIdFor<Id> = Id extends string ? MappedUserId : number;

/**
 * A lazy set of user ids: one event bitmap, or an expression of several. Combining sets does no I/O;
 * `count()`, `has()` and `ids()` evaluate the whole expression with the `evaluate` script: one call (per block
 * with bitmaps), or a few when the expression is too big for one call's time budget.
 */
export class EventSet<Id = number> {
  /** @internal */
  constructor(
    protected readonly evaluator: ExpressionEvaluator<Id>,
    /** The expression this set stands for. */
    readonly expression: Expression,
  ) {}

  /** Users in this set and in every other one. */
  and(...others: EventSet<Id>[]): EventSet<Id> {
    return this.combine('and', others);
  }

  /** Users in this set or in any other one. */
  or(...others: EventSet<Id>[]): EventSet<Id> {
    return this.combine('or', others);
  }

  /** Users in an odd number of the sets. */
  xor(...others: EventSet<Id>[]): EventSet<Id> {
    return this.combine('xor', others);
  }

  /**
   * Users not in this set, among ids below the end of the longest bitmap the expression reads
   * (Redis bitmaps have no fixed size). `a.and(b.not())` is exactly the users of `a` not in `b`.
   */
  not(): EventSet<Id> {
    return new EventSet(this.evaluator, bounded({ kind: 'not', operand: this.expression }, 1 + nodesOf(this.expression), 'not'));
  }

  /** The number of users in the set. */
  count(): Promise<number> {
    return this.evaluator.evaluateCount(this.expression);
  }

  /** Whether a user is in the set (in mapped mode an id never marked is in no set). */
  has(uid: UserIdFor<Id>): Promise<boolean> {
    return this.evaluator.evaluateHas(this.expression, uid);
  }

  /**
   * The user ids in the set, ascending (in mapped mode the app's ids, in order of first sight); a
   * `BitmapistLimitError` when there are more than `MAX_IDS`.
   */
  ids(): Promise<Id[]> {
    return this.evaluator.evaluateIds(this.expression);
  }

  /**
   * @internal Refuses (naming `argument`) anything that is not an EventSet of the same Bitmapist instance: what
   * `and`, `or` and `xor` take, and what an insight's `segment` must be.
   */
  assertCombinable(others: readonly unknown[], argument: string): asserts others is EventSet<Id>[] {
    for (const other of others) {
      if (!(other instanceof EventSet)) {
        throw new BitmapistArgumentError(argument, 'operands must be EventSets');
      }
      if (other.evaluator !== this.evaluator) {
        throw new BitmapistArgumentError(argument, 'cannot combine sets of different Bitmapist instances');
      }
    }
  }

  private combine(kind: 'and' | 'or' | 'xor', others: EventSet<Id>[]): EventSet<Id> {
    this.assertCombinable(others, kind);
    const operands = [this.expression, ...others.map((o) => o.expression)];
    const nodes = operands.reduce((sum, operand) => sum + nodesOf(operand), 1);
    return new EventSet(this.evaluator, bounded({ kind, operands }, nodes, kind));
  }
}

/** The users who did one event in one period (an hour, day, ISO week, month or year). */
export class PeriodEventSet<Id = number> extends EventSet<Id> {
  /** @internal */
  constructor(
    evaluator: ExpressionEvaluator<Id>,
    /** The event name. */
    readonly event: string,
    /** The period's granularity. */
    readonly unit: PeriodUnit,
    /** The first millisecond of the period: the true instant its local (default UTC) period begins. */
    readonly periodStart: Date,
    /** The time zone whose local periods these are (default UTC). */
    readonly timeZone: TimeZone = UTC_ZONE,
  ) {
    super(evaluator, periodExpression(event, unit, periodStart, timeZone));
  }

  /** The last millisecond of the period (a local day lasts 23, 24 or 25 hours). */
  get periodEnd(): Date {
    return periodEnd(this.unit, this.periodStart, this.timeZone);
  }

  /** The same event in the following period: the one containing the instant just after {@link periodEnd}. */
  next(): PeriodEventSet<Id> {
    return this.delta(1);
  }

  /** The same event in the previous period: the one containing the instant just before {@link periodStart}. */
  prev(): PeriodEventSet<Id> {
    return this.delta(-1);
  }

  /**
   * The same event `n` periods later (earlier when negative): `n` times {@link next} (`-n` times {@link prev}).
   * A local hour or day a change of offset skips whole (02:00 when clocks go from 02:00 to 03:00) is not counted.
   */
  delta(n: number): PeriodEventSet<Id> {
    if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_PERIOD_DELTA) {
      throw new BitmapistArgumentError('n', `must be an integer from -${MAX_PERIOD_DELTA} to ${MAX_PERIOD_DELTA}, got ${String(n)}`);
    }
    const start = addPeriods(this.unit, this.periodStart, n, this.timeZone);
    return new PeriodEventSet(this.evaluator, this.event, this.unit, start, this.timeZone);
  }
}

/**
 * The expression of one event in one period: a single bitmap, or for a year the OR of all twelve months, as
 * Python bitmapist's `YearEvents`, whatever the clock (a missing month costs nothing: the evaluation skips it).
 */
export function periodExpression(event: string, unit: PeriodUnit, start: Date, zone: TimeZone = UTC_ZONE): Expression {
  const leaves = periodSuffixes(unit, start, zone).map((suffix): Expression => ({ kind: 'leaf', event, suffix }));
  return leaves.length === 1 ? leaves[0]! : { kind: 'or', operands: leaves };
}
