import { checkSegment, checkSignal, periodOperand, type InsightSource, type SegmentOption, type SignalOption } from './source.js';
import { assertOptionsObject } from '../arguments.js';
import { BitmapistArgumentError } from '../errors.js';
import { BitmapProgram, type Operand } from '../query/program.js';
import { timeGroupUnit, unitTimeGroup, type TimeGroup, type TimeGroupInput } from '../time/time-groups.js';
import { assertEventName } from '../keys/names.js';

/** The most periods one lifecycle reads (the range; one more period before it is read too). */
export const MAX_LIFECYCLE_PERIODS = 90;

/** Options of `getLifecycle`. */
export interface LifecycleOptions extends SegmentOption, SignalOption {
  /** days (default), weeks, months or years. */
  timeGroup?: TimeGroupInput;
  /** How many periods, ending with the one containing `now` (1 to {@link MAX_LIFECYCLE_PERIODS}, default 30). */
  periods?: number;
  /** Default: the clock. */
  now?: Date;
  /** An event that marks a user's creation: new users are then the ones it marked in the period. */
  created?: string;
}

/**
 * Each period's active users split in three (new + returning + resurrecting = active), and those who left:
 * - `new`: active now and in no earlier period of the range (the period before the range included); with
 *   `created`: active now and marked by `created` in this period.
 * - `returning`: active now and in the period before, not new.
 * - `resurrecting`: active now, not in the period before, and not new (without `created`: active in an earlier
 *   period of the range).
 * - `dormant`: active in the period before, not now (a count, drawn below the axis).
 *
 * With a `segment`, only its users are active, so every figure counts its users only.
 */
export interface LifecycleResult {
  timeGroup: TimeGroup;
  /** The first instant of each period, oldest first; the last contains `now`. */
  dates: Date[];
  /** The first instant of the period before the range (read for the first period's returning and dormant). */
  before: Date;
  /** The active users of each period. */
  active: number[];
  new: number[];
  returning: number[];
  resurrecting: number[];
  dormant: number[];
  /** The IANA time zone of the periods, when it is not UTC. */
  timeZone?: string;
}


/**
 * The lifecycle of `event` as one program of bounded calls, each period read once: its active users, their AND
 * with the period before, and either a running union of the periods seen so far (new = growth of the union) or,
 * with `created`, the AND with the period's `created` bitmap. The work grows linearly with `periods`.
 */
export async function lifecycle<Id>(source: InsightSource<Id>, event: string, options: LifecycleOptions = {}): Promise<LifecycleResult> {
  assertEventName(event);
  assertOptionsObject(options);
  if (options.created !== undefined) assertEventName(options.created, 'created');
  const unit = timeGroupUnit(options.timeGroup ?? 'days') as 'day' | 'week' | 'month' | 'year';
  const periods = options.periods ?? 30;
  if (!Number.isSafeInteger(periods) || periods < 1 || periods > MAX_LIFECYCLE_PERIODS) {
    throw new BitmapistArgumentError('periods', `must be a whole number from 1 to ${MAX_LIFECYCLE_PERIODS}, got ${String(periods)}`);
  }
  const last = source.getEventData(event, { timeGroup: unit, now: options.now ?? new Date() });
  const segment = checkSegment(options.segment, last);
  const signal = checkSignal(options.signal);
  // Period k of the range, k = 0 being the period before the range.
  const active = Array.from({ length: periods + 1 }, (_, k) => last.delta(k - periods));
  const created = options.created;

  const p = new BitmapProgram();
  const seg = segment && p.register();
  if (seg !== undefined) p.expression(seg, segment!.expression);
  // A period's users: its bitmap where it is, or (a year, or within a segment) computed into one of two
  // registers taken in turn, so the period before stays readable.
  const turns = [p.register(), p.register()];
  const both = p.register();
  const seen = p.register();
  const born = p.register();
  const slots = active.map(() => ({ active: p.slot(), both: p.slot(), seen: p.slot(), born: p.slot(), bothBorn: p.slot() }));
  let previous: Operand | undefined;
  active.forEach((set, k) => {
    const slot = slots[k]!;
    const expression = set.expression;
    let current: Operand;
    if (seg === undefined && expression.kind === 'leaf') {
      current = p.bitmap(expression.event, expression.suffix);
      p.countBitmap(expression.event, expression.suffix, slot.active);
    } else {
      const turn = turns[k % 2]!;
      current = periodOperand(p, expression, turn);
      if (seg !== undefined) p.and(turn, current, seg);
      current = turn;
      p.count(turn, slot.active);
    }
    if (k > 0) {
      p.and(both, current, previous!);
      p.count(both, slot.both);
    }
    if (created === undefined) {
      p.orAll(seen, k === 0 ? [current] : [seen, current]);
      if (k > 0) p.count(seen, slot.seen);
    } else if (k > 0) {
      p.and(born, periodOperand(p, source.getEventData(created, { timeGroup: unit, now: set.periodStart }).expression, born), current);
      p.count(born, slot.born);
      p.and(born, born, previous!);
      p.count(born, slot.bothBorn);
    }
    previous = current;
  });
  const sums = await source.runProgram(p, undefined, 'periods', signal);

  const get = (k: number, name: keyof (typeof slots)[number]) => sums[slots[k]![name]]!;
  const result: LifecycleResult = {
    timeGroup: unitTimeGroup(unit),
    dates: active.slice(1).map((set) => set.periodStart),
    before: active[0]!.periodStart,
    active: [],
    new: [],
    returning: [],
    resurrecting: [],
    dormant: [],
  };
  for (let k = 1; k <= periods; k++) {
    const both = get(k, 'both');
    const fresh = created === undefined ? get(k, 'seen') - (k === 1 ? get(0, 'active') : get(k - 1, 'seen')) : get(k, 'born');
    const returning = created === undefined ? both : both - get(k, 'bothBorn');
    result.active.push(get(k, 'active'));
    result.new.push(fresh);
    result.returning.push(returning);
    result.resurrecting.push(get(k, 'active') - returning - fresh);
    result.dormant.push(get(k - 1, 'active') - both);
  }
  return result;
}
