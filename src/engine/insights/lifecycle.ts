import { checkSegment, withinSegment, type InsightSource, type SegmentOption } from './source.js';
import { forEachBounded } from '../redis/bounded.js';
import { BitmapistArgumentError } from '../errors.js';
import type { EventSet } from '../query/event-set.js';
import { timeGroupUnit, unitTimeGroup, type TimeGroup, type TimeGroupInput } from '../time/time-groups.js';
import { assertEventName } from '../keys/names.js';

/** The most periods one lifecycle reads (the range; one more period before it is read too). */
export const MAX_LIFECYCLE_PERIODS = 90;

/** Options of `getLifecycle`. */
export interface LifecycleOptions extends SegmentOption {
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


/** The most counts in flight at once (the engine's read limiter bounds the script calls too). */
const CONCURRENT_COUNTS = 4;

/**
 * The lifecycle of `event`: 3 counts per period (4 with `created`) and one more, each one bounded script call (the
 * engine splits a big OR into steps). Without `created`, `new` reads the OR of every earlier period of the
 * range, so the bitmaps read grow with the square of `periods` while the calls stay linear.
 */
export async function lifecycle<Id>(source: InsightSource<Id>, event: string, options: LifecycleOptions = {}): Promise<LifecycleResult> {
  assertEventName(event);
  if (options.created !== undefined) assertEventName(options.created, 'created');
  const unit = timeGroupUnit(options.timeGroup ?? 'days') as 'day' | 'week' | 'month' | 'year';
  const periods = options.periods ?? 30;
  if (!Number.isSafeInteger(periods) || periods < 1 || periods > MAX_LIFECYCLE_PERIODS) {
    throw new BitmapistArgumentError('periods', `must be a whole number from 1 to ${MAX_LIFECYCLE_PERIODS}, got ${String(periods)}`);
  }
  const last = source.getEventData(event, { timeGroup: unit, now: options.now ?? new Date() });
  const within = withinSegment(checkSegment(options.segment, last));
  // active[k] is period k of the range, k = 0 being the period before the range.
  const active = Array.from({ length: periods + 1 }, (_, k) => last.delta(k - periods));
  const created = options.created;
  const createdIn = (k: number) => source.getEventData(created!, { timeGroup: unit, now: active[k]!.periodStart });

  const counts = new Map<string, number>();
  const tasks: [string, EventSet<Id>][] = [];
  active.forEach((set, k) => tasks.push([`a${k}`, set]));
  for (let k = 1; k <= periods; k++) {
    tasks.push([`r${k}`, active[k]!.and(active[k - 1]!)]);
    if (created === undefined) {
      // Users seen in periods 0..k: new(k) = seen(k) - seen(k-1); seen(0) is active[0].
      tasks.push([`s${k}`, active[0]!.or(...active.slice(1, k + 1))]);
    } else {
      const born = createdIn(k);
      tasks.push([`n${k}`, active[k]!.and(born)], [`rn${k}`, active[k]!.and(active[k - 1]!, born)]);
    }
  }
  await forEachBounded(tasks, CONCURRENT_COUNTS, async ([name, set]) => {
    counts.set(name, await within(set).count());
  });

  const get = (name: string) => counts.get(name)!;
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
    const both = get(`r${k}`);
    const fresh = created === undefined ? get(`s${k}`) - (k === 1 ? get('a0') : get(`s${k - 1}`)) : get(`n${k}`);
    const returning = created === undefined ? both : both - get(`rn${k}`);
    result.active.push(get(`a${k}`));
    result.new.push(fresh);
    result.returning.push(returning);
    result.resurrecting.push(get(`a${k}`) - returning - fresh);
    result.dormant.push(get(`a${k - 1}`) - both);
  }
  return result;
}
