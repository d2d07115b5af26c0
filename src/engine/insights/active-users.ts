import { BitmapProgram, type Operand, type Register } from '../query/program.js';
import { checkSegment, type InsightSource, type SegmentOption } from './source.js';
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

/** Days per part of a month window's previous block (see {@link activeUsers}). */
const PART = 5;

/**
 * Daily, weekly and monthly active users of `event` over the `days` days ending with the one containing `now`;
 * with `segment`, only its users count (in DAU, WAU and MAU alike). Two programs of bounded calls run side by
 * side (DAU and WAU, then MAU), each day's bitmap read where it is (no copy):
 * - DAU counts the day's bitmap in place;
 * - WAU is the OR of the week's 7 bitmaps (one BITOP);
 * - MAU splits the timeline in blocks of 30 days: a day's window is the running OR of its block so far, plus the
 *   end of the block before, built once per block as the ORs of its last 5, 10, ... 25 days, plus at most 4
 *   single days. So each day costs a bounded number of BITOPs whatever the window, and 7 registers in all.
 */
export async function activeUsers<Id>(
  bm: InsightSource<Id>,
  event: string,
  options: { days?: number; now?: Date } & SegmentOption = {},
): Promise<ActiveUsers> {
  const days = options.days ?? 30;
  checkCount('days', days, ACTIVE_USERS_LIMITS.maxDays);
  const range = periodRange(bm.getEventData(event, { timeGroup: 'days', now: options.now ?? new Date() }), days);
  const segment = checkSegment(options.segment, range[0]!);
  const { week, month } = ACTIVE_USERS_WINDOWS;
  const lookback = month - 1;
  const timeline = Array.from({ length: days + lookback }, (_, u) => range[0]!.delta(u - lookback));
  /** A program over the timeline's days, with its segment (if any) and a work register. */
  const program = () => {
    const p = new BitmapProgram();
    const seg = segment && p.register();
    if (seg !== undefined) p.expression(seg, segment!.expression);
    const work = p.register();
    const day = (u: number): Operand => {
      const expression = timeline[u]!.expression;
      if (expression.kind !== 'leaf') throw new Error('a day is one bitmap');
      return p.bitmap(expression.event, expression.suffix);
    };
    /** Counts `users` (a register, or a day's bitmap) into a new slot, within the segment. */
    const count = (users: Operand): number => {
      const slot = p.slot();
      if (seg !== undefined) {
        p.and(work, users, seg);
        p.count(work, slot);
      } else if (users > 0) {
        p.count(users as Register, slot);
      } else {
        const leaf = p.leaves[-users - 1]!;
        p.countBitmap(leaf.event, leaf.suffix, slot);
      }
      return slot;
    };
    return { p, work, day, count };
  };
  // DAU and WAU in one program, MAU in another, run side by side (Redis works on one while the other's reply
  // travels).
  const daily = program();
  const dauSlots: number[] = [];
  const wauSlots: number[] = [];
  for (let u = lookback; u < timeline.length; u++) {
    dauSlots.push(daily.count(daily.day(u)));
    daily.p.orAll(daily.work, Array.from({ length: week }, (_, i) => daily.day(u - i)));
    wauSlots.push(daily.count(daily.work));
  }
  const monthly = program();
  const { p, day } = monthly;
  const prefix = p.register();
  // tails[j]: the OR of the previous block's days from j * PART to its end (j = 1 .. month / PART - 1).
  const tails = Array.from({ length: month / PART }, (_, j) => (j === 0 ? undefined : p.register()));
  const mauSlots: number[] = [];
  for (let u = 0; u < timeline.length; u++) {
    const r = u % month;
    const blockStart = u - r;
    if (r === 0 && u > 0) {
      for (let j = month / PART - 1; j >= 1; j--) {
        const part = Array.from({ length: PART }, (_, i) => day(blockStart - month + j * PART + i));
        p.orAll(tails[j]!, j === month / PART - 1 ? part : [tails[j + 1]!, ...part]);
      }
    }
    p.orAll(prefix, r === 0 ? [day(u)] : [prefix, day(u)]);
    if (u < lookback) continue;
    if (r === month - 1) {
      mauSlots.push(monthly.count(prefix));
    } else {
      // The days r + 1 .. month - 1 of the block before: single days up to a part boundary, then a tail.
      const from = r + 1;
      const j = Math.ceil(from / PART);
      const singles = Array.from({ length: Math.min(j * PART, month) - from }, (_, i) => day(blockStart - month + from + i));
      p.orAll(monthly.work, [...(j < month / PART ? [tails[j]!] : []), ...singles, prefix]);
      mauSlots.push(monthly.count(monthly.work));
    }
  }
  const [dailySums, monthlySums] = await Promise.all([daily.p, monthly.p].map((one) => bm.runProgram(one, undefined, 'days')));
  const dau = dauSlots.map((slot) => dailySums![slot]!);
  const wau = wauSlots.map((slot) => dailySums![slot]!);
  const mau = mauSlots.map((slot) => monthlySums![slot]!);
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
