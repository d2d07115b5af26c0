/**
 * The scaling benchmark's product, built directly as bitmaps (no marks replayed): `users` consecutive ids
 * signing up over {@link SIGNUP_DAYS} days (about 11,000 a day at 10,000,000 users, fewer at smaller sizes so
 * that every size has the same calendar), `user:active` on each of the last `activeDays` days (default
 * {@link ACTIVE_DAYS}) for about 8% of the users, more among recent sign-ups, and `user:purchased` for a few of
 * the active users.
 * Bit `uid` of a bitmap is bit `7 - uid % 8` of byte `uid >> 3`, as Redis SETBIT numbers them.
 */
import { seededRandom } from '../src/testing/index.js';

/** Days with sign-ups; the last one is {@link LAST_DAY}. */
export const SIGNUP_DAYS = 900;
/** Days with `user:active` and `user:purchased` bitmaps, ending with the last day (the builder's default). */
export const ACTIVE_DAYS = 60;
/** The last day of the data set (a Sunday, so the current ISO week is whole); cohorts end at its end. */
export const LAST_DAY = Date.UTC(2025, 5, 29) / 86_400_000;
export const DAY_MS = 86_400_000;
/** Share of active users who purchase that day. */
const PURCHASE_RATE = 0.04;
/**
 * Probability that a user is active on a day, by days since sign-up: a recent cohort keeps ~42% on day 0,
 * 33% on day 7, 15% on day 29 (linear between the points), and 8% from day 180 on.
 */
const RETENTION: readonly [number, number][] = [[0, 0.42], [1, 0.38], [7, 0.33], [29, 0.15], [90, 0.095], [180, 0.08]];
/** Activity on Saturdays and Sundays, relative to weekdays. */
const WEEKEND_FACTOR = 0.85;

/** The product: where each day's sign-ups start, and the activity bitmaps. */
export interface ScaleProduct {
  users: number;
  seed: number;
  /** `signupStart[d]` is the first id of sign-up day `d` (day number `firstDay + d`); the last entry is `users`. */
  signupStart: Int32Array;
  /** The UTC day number (days since 1970-01-01) of sign-up day 0. */
  firstDay: number;
  /** The UTC day number of the first activity day. */
  firstActiveDay: number;
  /** Per activity day (index 0 is `firstActiveDay`), a bitmap of every id (`ceil(users / 8)` bytes). */
  active: Buffer[];
  purchased: Buffer[];
  /** The end of the last day: cohorts and counts are asked with this `now`. */
  now: Date;
}

/** The probability of activity `age` days after sign-up on a weekday. */
export function retention(age: number): number {
  for (let i = 1; i < RETENTION.length; i += 1) {
    const [a1, p1] = RETENTION[i]!;
    if (age <= a1) {
      const [a0, p0] = RETENTION[i - 1]!;
      return p0 + ((p1 - p0) * (age - a0)) / (a1 - a0);
    }
  }
  return RETENTION.at(-1)![1];
}

/** Sets bit `uid`. */
export function setBit(bitmap: Uint8Array, uid: number): void {
  bitmap[uid >> 3]! |= 0x80 >> (uid & 7);
}

/** Whether bit `uid` is set (false past the end). */
export function getBit(bitmap: Uint8Array, uid: number): boolean {
  return ((bitmap[uid >> 3] ?? 0) & (0x80 >> (uid & 7))) !== 0;
}

/**
 * Sets each bit of ids [lo, hi) with probability p, skipping geometrically (one random number per bit set,
 * not per id). `keep` filters the candidates.
 */
function sampleRange(bitmap: Uint8Array, lo: number, hi: number, p: number, random: () => number, keep?: (uid: number) => boolean): void {
  if (p <= 0 || lo >= hi) return;
  const logQ = Math.log1p(-Math.min(p, 0.999_999));
  let uid = lo - 1;
  for (;;) {
    uid += 1 + Math.floor(Math.log(1 - random()) / logQ);
    if (uid >= hi) return;
    if (keep === undefined || keep(uid)) setBit(bitmap, uid);
  }
}

/** Builds the product for `users` ids (at least {@link SIGNUP_DAYS}) and `activeDays` days of activity, the same for the same arguments. */
export function buildProduct(users: number, seed = 20251129, activeDays = ACTIVE_DAYS): ScaleProduct {
  if (!Number.isInteger(users) || users < SIGNUP_DAYS) throw new Error(`need at least ${SIGNUP_DAYS} users, got ${users}`);
  const random = seededRandom(seed);
  // Sign-ups per day vary between 75% and 125% of the mean (8,250-13,750 at 10M users).
  const weights = Array.from({ length: SIGNUP_DAYS }, () => 0.75 + 0.5 * random());
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const signupStart = new Int32Array(SIGNUP_DAYS + 1);
  let cumulative = 0;
  for (let d = 0; d < SIGNUP_DAYS; d += 1) {
    signupStart[d] = Math.floor((users * cumulative) / totalWeight);
    cumulative += weights[d]!;
  }
  signupStart[SIGNUP_DAYS] = users;
  const firstDay = LAST_DAY - (SIGNUP_DAYS - 1);
  const firstActiveDay = LAST_DAY - (activeDays - 1);
  const bytes = Math.ceil(users / 8);
  const active: Buffer[] = [];
  const purchased: Buffer[] = [];
  const oldAge = RETENTION.at(-1)![0];
  for (let day = firstActiveDay; day <= LAST_DAY; day += 1) {
    const weekday = new Date(day * DAY_MS).getUTCDay();
    const factor = weekday === 0 || weekday === 6 ? WEEKEND_FACTOR : 1;
    const bitmap = Buffer.alloc(bytes);
    const today = day - firstDay;
    // Every sign-up day at least `oldAge` days back shares one probability: one contiguous range of ids.
    const oldUntil = Math.max(0, today - oldAge + 1);
    sampleRange(bitmap, 0, signupStart[oldUntil]!, factor * retention(oldAge), random);
    for (let d = oldUntil; d <= today; d += 1) {
      sampleRange(bitmap, signupStart[d]!, signupStart[d + 1]!, factor * retention(today - d), random);
    }
    active.push(bitmap);
    const bought = Buffer.alloc(bytes);
    sampleRange(bought, 0, signupStart[today + 1]!, PURCHASE_RATE, random, (uid) => getBit(bitmap, uid));
    purchased.push(bought);
  }
  return { users, seed, signupStart, firstDay, firstActiveDay, active, purchased, now: new Date((LAST_DAY + 1) * DAY_MS - 1000) };
}

/** The ids [lo, hi) that signed up on the UTC days [fromDay, toDay) (an empty range when none did). */
export function signupRange(product: ScaleProduct, fromDay: number, toDay: number): [number, number] {
  const from = Math.max(0, Math.min(SIGNUP_DAYS, fromDay - product.firstDay));
  const to = Math.max(from, Math.min(SIGNUP_DAYS, toDay - product.firstDay));
  return [product.signupStart[from]!, product.signupStart[to]!];
}

/** The activity bitmaps (`active` or `purchased`) of the UTC days [fromDay, toDay) that have one. */
export function activityDays(product: ScaleProduct, bitmaps: Buffer[], fromDay: number, toDay: number): Buffer[] {
  const from = Math.max(0, fromDay - product.firstActiveDay);
  const to = Math.min(bitmaps.length, toDay - product.firstActiveDay);
  return bitmaps.slice(from, Math.max(from, to));
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, byte) => {
  let n = 0;
  for (let b = byte; b > 0; b >>= 1) n += b & 1;
  return n;
});

/** The number of bits set in `bitmap`. */
export function popcount(bitmap: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bitmap.length; i += 1) n += POPCOUNT[bitmap[i]!]!;
  return n;
}
