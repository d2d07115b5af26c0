import { assertOptionsObject } from '../arguments.js';
import { assertEventName } from '../keys/names.js';
import { periodStart, toUtc } from '../time/periods.js';
import { timeGroupUnit, type PeriodUnit, type TimeGroupInput } from '../time/time-groups.js';
import type { TimeZone } from '../time/time-zone.js';
import { chainGroups, type ChainedEvent } from './chain.js';
import { boundedExpression, EventSet, PeriodEventSet, periodExpression, type ExpressionEvaluator } from './event-set.js';
import { allOf, anyOf } from './expression.js';

/** Options of `getEventData` and `chainEvents`. */
export interface PeriodOptions {
  timeGroup?: TimeGroupInput;
  now?: Date;
}

/**
 * The sets of an engine, before any I/O: one event in one period (an hour, day, ISO week, month or year, local
 * to the engine's time zone), its all-time unique users, and chains of events. `Id` is what `ids()` gives.
 */
export class EventSets<Id> {
  constructor(
    /** Evaluates the sets' expressions (the engine's, with its read limits). */
    protected readonly evaluator: ExpressionEvaluator<Id>,
    /** The time zone of the sets' periods (`timeZone.name`: `'UTC'` by default). */
    readonly timeZone: TimeZone,
  ) {}

  /** The users who did `event` in the hour containing `date`. */
  hour(event: string, date: Date = new Date()): PeriodEventSet<Id> {
    return this.periodSet(event, 'hour', date);
  }

  /** The users who did `event` on the (local, default UTC) day containing `date`. */
  day(event: string, date: Date = new Date()): PeriodEventSet<Id> {
    return this.periodSet(event, 'day', date);
  }

  /** The users who did `event` in the ISO week containing `date`. */
  week(event: string, date: Date = new Date()): PeriodEventSet<Id> {
    return this.periodSet(event, 'week', date);
  }

  /** The users who did `event` in the month containing `date`. */
  month(event: string, date: Date = new Date()): PeriodEventSet<Id> {
    return this.periodSet(event, 'month', date);
  }

  /** The users who did `event` in the year containing `date`: the OR of its twelve months (as Python bitmapist). */
  year(event: string, date: Date = new Date()): PeriodEventSet<Id> {
    return this.periodSet(event, 'year', date);
  }

  /** The users ever marked with `markUnique` (or `trackUnique`) for `event`. */
  unique(event: string): EventSet<Id> {
    assertEventName(event);
    return new EventSet(this.evaluator, { kind: 'leaf', event, suffix: 'u' });
  }

  /** The users who did `event` in the period of `timeGroup` (default days) containing `now`. */
  getEventData(event: string, options: PeriodOptions = {}): PeriodEventSet<Id> {
    assertOptionsObject(options);
    return this.periodSet(event, timeGroupUnit(options.timeGroup ?? 'days'), options.now ?? new Date(), 'now');
  }

  /**
   * `base` chained with `events` in the period containing `now`: OR binds to its predecessor, then AND
   * left to right (`A && B || C && D` is `A && (B || C) && D`). The list is not modified.
   */
  chainEvents(base: string, events: readonly ChainedEvent[], options: PeriodOptions = {}): EventSet<Id> {
    assertOptionsObject(options);
    const unit = timeGroupUnit(options.timeGroup ?? 'days');
    const start = periodStart(unit, toUtc(options.now ?? new Date(), 'now', this.timeZone).toDate(), this.timeZone);
    const groups = chainGroups(base, events);
    const expression = allOf(groups.map((group) => anyOf(group.map((event) => periodExpression(event, unit, start, this.timeZone)))));
    return new EventSet(this.evaluator, boundedExpression(expression, 'events'));
  }

  /** The period set of `event` containing `date` (`argument` names the date in an error). */
  protected periodSet(event: string, unit: PeriodUnit, date: Date, argument = 'date'): PeriodEventSet<Id> {
    assertEventName(event);
    const start = periodStart(unit, toUtc(date, argument, this.timeZone).toDate(), this.timeZone);
    return new PeriodEventSet(this.evaluator, event, unit, start, this.timeZone);
  }
}
