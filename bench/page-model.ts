/**
 * The chart pages computed in Node from day bitmaps, straightforwardly and independently of src/: trends (a
 * popcount per day, within a segment when given), active users (DAU, and WAU / MAU from each user's last active
 * day) and the lifecycle (one pass keeping each user's last day seen). A day bitmap is in SETBIT's bit order
 * (bit `uid` is bit `7 - uid % 8` of byte `uid >> 3`), or undefined when the day has none. The shared-data
 * pages and the scaling benchmark check the engine's answers against these.
 */
import { getBit, popcount } from './scale-product.js';

/** One day's users, or undefined for a day without a bitmap. */
export type DayBitmap = Uint8Array | undefined;

/** Calls `visit(uid)` for every bit set, in increasing order. */
export function forEachBit(bitmap: Uint8Array, visit: (uid: number) => void): void {
  for (let i = 0; i < bitmap.length; i += 1) {
    const byte = bitmap[i]!;
    if (byte === 0) continue;
    for (let b = 0; b < 8; b += 1) if ((byte & (0x80 >> b)) !== 0) visit(i * 8 + b);
  }
}

/** Bits set per byte value. */
const BITS = Uint8Array.from({ length: 256 }, (_, byte) => popcount(Uint8Array.of(byte)));

/** The users in both bitmaps. */
export function andCount(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) n += BITS[a[i]! & b[i]!]!;
  return n;
}

/** Users per day of one event (`days` days, oldest first), only those of `segment` when given. */
export function modelTrend(days: number, day: (i: number) => DayBitmap, segment?: Uint8Array): number[] {
  return Array.from({ length: days }, (_, i) => {
    const bitmap = day(i);
    if (bitmap === undefined) return 0;
    return segment === undefined ? popcount(bitmap) : andCount(bitmap, segment);
  });
}

/** The days a WAU and a MAU look back over, the day itself included. */
const WEEK = 7;
const MONTH = 30;

/** DAU, WAU and MAU of each of `days` days. */
export interface ActiveUsersModel {
  dau: number[];
  wau: number[];
  mau: number[];
}

/**
 * Active users over `days` days: `timeline(u)` for u = 0 .. days + 28 is the day 29 days before the first one
 * shown, up to the last. `bits` bounds the user ids (every bitmap is at most `bits / 8` bytes long).
 */
export function modelActiveUsers(days: number, timeline: (u: number) => DayBitmap, bits: number): ActiveUsersModel {
  const lookback = MONTH - 1;
  const lastSeen = new Int32Array(bits).fill(-1);
  // lastOn[u]: the users whose last active day so far is u.
  const lastOn = new Float64Array(days + lookback);
  const model: ActiveUsersModel = { dau: [], wau: [], mau: [] };
  const since = (u: number, span: number) => {
    let n = 0;
    for (let v = Math.max(0, u - span + 1); v <= u; v += 1) n += lastOn[v]!;
    return n;
  };
  for (let u = 0; u < days + lookback; u += 1) {
    const bitmap = timeline(u);
    let dau = 0;
    if (bitmap !== undefined) {
      forEachBit(bitmap, (uid) => {
        const previous = lastSeen[uid]!;
        if (previous >= 0) lastOn[previous]! -= 1;
        lastSeen[uid] = u;
        lastOn[u]! += 1;
        dau += 1;
      });
    }
    if (u < lookback) continue;
    model.dau.push(dau);
    model.wau.push(since(u, WEEK));
    model.mau.push(since(u, MONTH));
  }
  return model;
}

/** The lifecycle's figures per period of the range (see `LifecycleResult`). */
export interface LifecycleModel {
  active: number[];
  new: number[];
  returning: number[];
  resurrecting: number[];
  dormant: number[];
}

/**
 * The lifecycle over `periods` days: `day(k)` for k = 0 .. periods, k = 0 being the day before the range; with
 * `created`, `created(k)` are the users the creation event marked on day k. `bits` bounds the user ids.
 */
export function modelLifecycle(periods: number, day: (k: number) => DayBitmap, bits: number, created?: (k: number) => DayBitmap): LifecycleModel {
  const lastSeen = new Int32Array(bits).fill(-1);
  const model: LifecycleModel = { active: [], new: [], returning: [], resurrecting: [], dormant: [] };
  let previousActive = 0;
  for (let k = 0; k <= periods; k += 1) {
    const bitmap = day(k);
    const born = created?.(k);
    let active = 0;
    let both = 0;
    let firstSeen = 0;
    let bornNow = 0;
    let bornBoth = 0;
    if (bitmap !== undefined) {
      forEachBit(bitmap, (uid) => {
        const previous = lastSeen[uid]!;
        const wasActive = k > 0 && previous === k - 1;
        active += 1;
        if (wasActive) both += 1;
        if (previous < 0) firstSeen += 1;
        if (born !== undefined && getBit(born, uid)) {
          bornNow += 1;
          if (wasActive) bornBoth += 1;
        }
        lastSeen[uid] = k;
      });
    }
    if (k > 0) {
      const fresh = created === undefined ? firstSeen : bornNow;
      const returning = created === undefined ? both : both - bornBoth;
      model.active.push(active);
      model.new.push(fresh);
      model.returning.push(returning);
      model.resurrecting.push(active - returning - fresh);
      model.dormant.push(previousActive - both);
    }
    previousActive = active;
  }
  return model;
}
