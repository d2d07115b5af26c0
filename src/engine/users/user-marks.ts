import type { KeyNames } from '../keys/key-names.js';
import { periodOfSuffix, type SuffixPeriod } from '../time/suffixes.js';
import type { TimeZone } from '../time/time-zone.js';

/** The granularities a bitmap of a user is kept at: the periods, and the all-time unique bitmap. */
export type MarkGranularity = SuffixPeriod['granularity'];

/** One bitmap that holds a user (see `exportUser`): which event, at which granularity, for which period. */
export interface UserMark {
  event: string;
  granularity: MarkGranularity;
  /**
   * bitmapist's name of the period, its key suffix (local dates of the engine's time zone, no zero padding):
   * month `2025-1`, ISO week `W2025-5`, day `2025-1-31`, hour `2025-1-31-23`; `u` for unique.
   */
  period: string;
  /** The first instant of the period (absent for unique). */
  start?: Date;
}

const ORDER: Record<MarkGranularity, number> = { unique: 0, month: 1, week: 2, day: 3, hour: 4 };

/**
 * The marks of the bitmaps `found` (keys of `keys`' prefix), sorted by event, then granularity (unique, month,
 * week, day, hour), then period start.
 */
export function userMarks(found: readonly string[], keys: KeyNames, zone: TimeZone): UserMark[] {
  const marks: UserMark[] = [];
  for (const key of new Set(found)) {
    const event = keys.eventOf(key);
    if (event === undefined) continue;
    const period = key.slice(key.lastIndexOf('_') + 1);
    marks.push({ event, ...periodOfSuffix(period, zone) });
  }
  return marks.sort(
    (a, b) =>
      (a.event < b.event ? -1 : a.event > b.event ? 1 : 0) ||
      ORDER[a.granularity] - ORDER[b.granularity] ||
      (a.start?.getTime() ?? 0) - (b.start?.getTime() ?? 0),
  );
}
