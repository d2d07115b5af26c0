import { assertOptionsObject } from '../arguments.js';
import { BitmapProgram, type Operand, type Register } from '../query/program.js';
import { checkSegment, checkSignal, type InsightSource, type SegmentOption, type SignalOption } from './source.js';
import { checkCount, periodRange } from './ranges.js';

/** Cap of {@link activeUsers}: at most `maxDays` days (three counts per day). */
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
 * with `segment`, only its users count (in DAU, WAU and MAU alike). One program of bounded calls, each day's
 * bitmap read where it is (days of similar lengths are, see `orAll`):
 * - DAU counts the day's bitmap in place;
 * - WAU is the OR of the week's 7 bitmaps (one BITOP);
 * - MAU is the OR of the weeks ending with the day and 7, 14 and 21 days before it, and of the 2 days before
 *   those (one BITOP of two days, one of five registers).
 * The days are taken in 7 passes, one per weekday, so a pass keeps only its last 4 weeks (the month is written
 * over the oldest, which the pass's next week replaces anyway): 5 registers in all (7 with a segment), since
 * each register first written costs Redis fresh memory. Each day costs three counts and three BITOPs whatever
 * the window, and each pass 3 weekly ORs more for the weeks before the range, so the Redis work grows linearly
 * with `days`.
 */
export async function activeUsers<Id>(
  bm: InsightSource<Id>,
  event: string,
  options: { days?: number; now?: Date } & SegmentOption & SignalOption = {},
): Promise<ActiveUsers> {
  assertOptionsObject(options);
  const days = options.days ?? 30;
  checkCount('days', days, ACTIVE_USERS_LIMITS.maxDays);
  const range = periodRange(bm.getEventData(event, { timeGroup: 'days', now: options.now ?? new Date() }), days);
  const segment = checkSegment(options.segment, range[0]!);
  const signal = checkSignal(options.signal);
  const { week, month } = ACTIVE_USERS_WINDOWS;
  const lookback = month - 1;
  const timeline = Array.from({ length: days + lookback }, (_, u) => range[0]!.delta(u - lookback));
  const p = new BitmapProgram();
  const seg = segment && p.register();
  if (seg !== undefined) p.expression(seg, segment!.expression);
  const work = seg === undefined ? undefined : p.register();
  const pair = p.register();
  /** The last 4 weeks of a pass: the week ending with timeline day u is in weeks[(u / 7) % 4]. */
  const weeks = Array.from({ length: 4 }, () => p.register());
  const weekEnding = (u: number): Register => weeks[Math.floor(u / week) % weeks.length]!;
  const day = (u: number): Operand => {
    const expression = timeline[u]!.expression;
    if (expression.kind !== 'leaf') throw new Error('a day is one bitmap');
    return p.bitmap(expression.event, expression.suffix);
  };
  /** Counts `users` (a register, or a day's bitmap) into `slot`, within the segment. */
  const count = (users: Operand, slot: number): void => {
    if (seg !== undefined) {
      p.and(work!, users, seg);
      p.count(work!, slot);
    } else if (users > 0) {
      p.count(users as Register, slot);
    } else {
      const leaf = p.leaves[-users - 1]!;
      p.countBitmap(leaf.event, leaf.suffix, slot);
    }
  };
  const slots = (): number[] => Array.from({ length: days }, () => p.slot());
  const [dauSlots, wauSlots, mauSlots] = [slots(), slots(), slots()];
  // One pass per weekday, in one program (several side by side measured no faster: each takes fresh memory).
  // The month ending with timeline day u: its 4 weeks ending u, u - 7, u - 14 and u - 21, then days u - 28, u - 29.
  for (let first = lookback; first < lookback + week && first < timeline.length; first++) {
    for (let u = first - 3 * week; u < first; u += week) p.orAll(weekEnding(u), Array.from({ length: week }, (_, i) => day(u - i)));
    for (let u = first; u < timeline.length; u += week) {
      const i = u - lookback;
      p.orAll(weekEnding(u), Array.from({ length: week }, (_, back) => day(u - back)));
      count(day(u), dauSlots[i]!);
      count(weekEnding(u), wauSlots[i]!);
      p.orAll(pair, [day(u - month + 2), day(u - month + 1)]);
      // Into the oldest week's register: the next week of the pass (u + 7) takes it anyway.
      const monthly = weekEnding(u - 3 * week);
      p.orAll(monthly, [monthly, weekEnding(u), weekEnding(u - week), weekEnding(u - 2 * week), pair]);
      count(monthly, mauSlots[i]!);
    }
  }
  const sums = await bm.runProgram(p, undefined, 'days', signal);
  const [dau, wau, mau] = [dauSlots, wauSlots, mauSlots].map((list) => list.map((slot) => sums[slot]!)) as [number[], number[], number[]];
  return {
    event,
    timeZone: range[0]!.timeZone.name,
    dates: range.map((set) => set.periodStart),
    dau,
    wau,
    mau,
    stickiness: dau.map((users, i) => (mau[i] === 0 ? null : users / mau[i]!)),
  };
}
