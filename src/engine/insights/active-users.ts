import { checkSegment, withinSegment, type InsightSource, type SegmentOption } from './source.js';
import { checkCount, periodRange } from './ranges.js';

/** Cap of {@link activeUsers}: at most `maxDays` days (three counts per day, reading 1 + 7 + 30 bitmaps). */
export const ACTIVE_USERS_LIMITS = { maxDays: 90 } as const;

/** The days a weekly and a monthly active user count looks back over, the day itself included. */
export const ACTIVE_USERS_WINDOWS = { week: 7, month: 30 } as const;

/**
 * Daily, weekly and monthly active users of one event. For each day d of the range (`dates[i]` its start):
 * `dau[i]` = users on d; `wau[i]` = users on any of the 7 days ending with d; `mau[i]` = users on any of the 30
 * days ending with d (rolling windows, not calendar weeks or months); `stickiness[i]` = dau / mau (null when
 * mau is 0).
 */
export interface ActiveUsers {
  event: string;
  /** The engine's time zone (IANA name): the days are its local ones. */
  timeZone: string;
  dates: Date[];
  dau: number[];
  wau: number[];
  mau: number[];
  stickiness: (number | null)[];
}

/**
 * Daily, weekly and monthly active users of `event` over the `days` days ending with the one containing `now`;
 * with `segment`, only its users count (in DAU, WAU and MAU alike).
 */
export async function activeUsers<Id>(
  bm: InsightSource<Id>,
  event: string,
  options: { days?: number; now?: Date } & SegmentOption = {},
): Promise<ActiveUsers> {
  const days = options.days ?? 30;
  checkCount('days', days, ACTIVE_USERS_LIMITS.maxDays);
  const range = periodRange(bm.getEventData(event, { timeGroup: 'days', now: options.now ?? new Date() }), days);
  const within = withinSegment(checkSegment(options.segment, range[0]!));
  const windowCount = (day: (typeof range)[number], length: number) => {
    const earlier = Array.from({ length: length - 1 }, (_, k) => day.delta(-(k + 1)));
    return within(day.or(...earlier)).count();
  };
  const [dau, wau, mau] = await Promise.all([
    Promise.all(range.map((day) => within(day).count())),
    Promise.all(range.map((day) => windowCount(day, ACTIVE_USERS_WINDOWS.week))),
    Promise.all(range.map((day) => windowCount(day, ACTIVE_USERS_WINDOWS.month))),
  ]);
  return {
    event,
    timeZone: range[0]!.timeZone.name,
    dates: range.map((day) => day.periodStart),
    dau,
    wau,
    mau,
    stickiness: dau.map((users, i) => (mau[i] === 0 ? null : users / mau[i]!)),
  };
}
