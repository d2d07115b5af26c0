import type { ExpireOptions } from '../../engine/time/retention.js';
import { csvDocument } from '../shared/csv.js';
import { localDay } from '../shared/labels.js';
import { nullBeyond } from '../shared/expired.js';
import type { LifecycleResult } from '../../engine/insights/lifecycle.js';
import { timeGroupUnit, type TimeGroup } from '../../engine/time/time-groups.js';
import { TimeZone, UTC_ZONE } from '../../engine/time/time-zone.js';
import { periodBeyondRetention } from '../../engine/time/retention.js';

/**
 * The lifecycle page's JSON answer (`?format=json`): `dates` are the ISO starts of the periods, oldest
 * first; per period the counts of new, returning and resurrecting users (together the period's active
 * users) and of dormant users (active the period before, not in this one; a count, drawn below the axis).
 */
export interface LifecycleJson {
  timeGroup: TimeGroup;
  dates: string[];
  new: (number | null)[];
  returning: (number | null)[];
  resurrecting: (number | null)[];
  dormant: (number | null)[];
  /**
   * Only with the `expire` option: per period, whether it or the period before it is beyond the configured
   * retention (its bitmaps expired); such a period's four counts are null, not 0.
   */
  beyondRetention?: boolean[];
  /** The IANA time zone of the periods, only when it is not UTC (`dates` are the true instants). */
  timeZone?: string;
}

/** The four figures of each period, null where the period is beyond retention. */
export type LifecycleFigures = Pick<LifecycleJson, 'new' | 'returning' | 'resurrecting' | 'dormant'>;

/** The four figures of each period, null where `beyond` says so. */
export function figures(result: LifecycleResult, beyond?: readonly boolean[]): LifecycleFigures {
  const keep = (values: number[]) => nullBeyond(values, beyond);
  return { new: keep(result.new), returning: keep(result.returning), resurrecting: keep(result.resurrecting), dormant: keep(result.dormant) };
}

/** The engine's lifecycle as the JSON answer (`beyondRetention` from {@link lifecycleRetention}). */
export function lifecycleJson(result: LifecycleResult, beyondRetention?: boolean[]): LifecycleJson {
  return {
    timeGroup: result.timeGroup,
    dates: result.dates.map((d) => d.toISOString()),
    ...figures(result, beyondRetention),
    ...(beyondRetention ? { beyondRetention } : {}),
    ...(result.timeZone ? { timeZone: result.timeZone } : {}),
  };
}

/**
 * With `expire`: per period, whether it or the period before is beyond retention at `now` (the real clock),
 * so its counts would compare a period with expired bitmaps. Undefined when nothing expires.
 */
export function lifecycleRetention(result: LifecycleResult, expire: ExpireOptions | undefined, now: Date): boolean[] | undefined {
  if (expire === undefined) return undefined;
  const unit = timeGroupUnit(result.timeGroup);
  const starts = [result.before, ...result.dates];
  const zone = result.timeZone === undefined ? UTC_ZONE : TimeZone.of(result.timeZone);
  const beyond = starts.map((start) => periodBeyondRetention(expire, unit, start, now, zone));
  return result.dates.map((_, i) => beyond[i]! || beyond[i + 1]!);
}

/**
 * The CSV answer: a header, then one line per period, by the local date of its start:
 * `period,new,returning,resurrecting,dormant` (blank: beyond retention), lines ended by LF as this page always did.
 */
export function lifecycleCsv(result: LifecycleResult, beyondRetention?: boolean[]): string {
  const shown = figures(result, beyondRetention);
  const rows = result.dates.map((date, i) => [localDay(date, result.timeZone), shown.new[i], shown.returning[i], shown.resurrecting[i], shown.dormant[i]]);
  return csvDocument(['period', 'new', 'returning', 'resurrecting', 'dormant'], rows, '\n');
}
