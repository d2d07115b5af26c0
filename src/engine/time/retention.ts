import { BitmapistArgumentError } from '../errors.js';
import type { KeyNames } from '../keys/key-names.js';
import { addPeriods, periodStart, periodSuffix } from './periods.js';
import { UTC_ZONE, type TimeZone } from './time-zone.js';
import type { RedisClient } from '../redis/scripts.js';

/** The granularities that can expire (`unique` never does). */
export const EXPIRING_UNITS = ['hour', 'day', 'week', 'month'] as const;
/** A granularity that can expire. */
export type ExpiringUnit = (typeof EXPIRING_UNITS)[number];

/**
 * How long each granularity's bitmaps are kept: seconds after the end of the key's period (0: at its end).
 * A granularity left out never expires; `unique` never expires.
 */
export type ExpireOptions = Partial<Record<ExpiringUnit, number>>;

/** Keys remembered per process as already given an expiry, before the memory starts over (NX keeps that safe). */
export const MAX_EXPIRED_KEYS = 100_000;
/** The longest retention accepted, in seconds (100 years). */
export const MAX_EXPIRE_SECONDS = 100 * 366 * 86_400;
const MAX_CACHED_MARKS = 4096;
const HOUR_MS = 3_600_000;

/** Checks the `expire` option; returns undefined when nothing expires. */
export function checkExpireOptions(expire: unknown): ExpireOptions | undefined {
  if (expire === undefined) return undefined;
  if (expire === null || typeof expire !== 'object' || Array.isArray(expire)) {
    throw new BitmapistArgumentError('expire', 'must be an object like { day: 7776000 } (seconds after the end of each period)');
  }
  const checked: ExpireOptions = {};
  for (const [unit, seconds] of Object.entries(expire)) {
    if (!(EXPIRING_UNITS as readonly string[]).includes(unit)) {
      throw new BitmapistArgumentError(`expire.${unit}`, `unknown granularity; use ${EXPIRING_UNITS.join(', ')} (unique never expires)`);
    }
    if (seconds === undefined) continue;
    if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_EXPIRE_SECONDS) {
      throw new BitmapistArgumentError(`expire.${unit}`, `must be a whole number of seconds in [0, ${MAX_EXPIRE_SECONDS}], got ${String(seconds)}`);
    }
    checked[unit as ExpiringUnit] = seconds;
  }
  return Object.keys(checked).length > 0 ? checked : undefined;
}

/** The Unix time (seconds) a bitmap of `unit` holding `date` expires at: its (local) period's end plus `seconds`. */
export function expiresAt(unit: ExpiringUnit, date: Date, seconds: number, zone: TimeZone = UTC_ZONE): number {
  return addPeriods(unit, periodStart(unit, date, zone), 1, zone).getTime() / 1000 + seconds;
}

/**
 * Whether the period of `unit` containing `date` is beyond the configured retention at `now`: its bitmaps have
 * expired (or would have, had they existed). False for a granularity that never expires.
 */
export function beyondRetention(expire: ExpireOptions | undefined, unit: ExpiringUnit, date: Date, now: Date, zone: TimeZone = UTC_ZONE): boolean {
  const seconds = expire?.[unit];
  return seconds !== undefined && expiresAt(unit, date, seconds, zone) * 1000 <= now.getTime();
}

/** One bitmap a mark wrote that may need an expiry. */
interface ExpiringKey {
  key: string;
  at: number;
}

/**
 * Gives each bitmap of a configured granularity its expiry once, right after this process first wrote it:
 * `EXPIREAT key <period end + seconds> NX` (NX: a key that already has one, e.g. from another process, keeps
 * it). Keys already handled are remembered in a bounded set, so later marks of the same key send nothing.
 */
export class ExpiryWriter {
  private readonly given = new Set<string>();
  private readonly byMark = new Map<string, readonly ExpiringKey[]>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    readonly expire: ExpireOptions,
    /** The zone whose local periods name the keys (default UTC). */
    private readonly zone: TimeZone = UTC_ZONE,
  ) {}

  /** The expiring keys of a mark of `event` at `now` in `block`, with an hour bitmap when `hourly`. */
  keysOf(event: string, block: number, now: Date, hourly: boolean): readonly ExpiringKey[] {
    const slot = `${event}\u0000${block}\u0000${Math.floor(this.zone.toWall(now.getTime()) / HOUR_MS)}\u0000${hourly ? 1 : 0}`;
    let found = this.byMark.get(slot);
    if (found === undefined) {
      if (this.byMark.size >= MAX_CACHED_MARKS) this.byMark.clear();
      found = EXPIRING_UNITS.filter((unit) => this.expire[unit] !== undefined && (unit !== 'hour' || hourly)).map((unit) => ({
        key: this.keys.eventKey(event, periodSuffix(unit, now, this.zone), block),
        at: expiresAt(unit, now, this.expire[unit]!, this.zone),
      }));
      this.byMark.set(slot, found);
    }
    return found;
  }

  /**
   * Sends EXPIREAT NX for the keys not handled yet. `written`: the keys are known to exist (their marks
   * resolved), so every key is remembered; otherwise only keys that got their expiry now are (EXPIREAT
   * on a missing key does nothing and must be sent again after its first write).
   */
  async afterWrite(expiring: Iterable<ExpiringKey>, written: boolean): Promise<void> {
    const fresh: ExpiringKey[] = [];
    for (const entry of expiring) {
      if (this.given.has(entry.key)) continue;
      if (this.given.size >= MAX_EXPIRED_KEYS) this.given.clear();
      this.given.add(entry.key);
      fresh.push(entry);
    }
    if (fresh.length === 0) return;
    const replies = await Promise.allSettled(fresh.map(({ key, at }) => this.redis.expireat(key, at, 'NX')));
    let failure: { error: unknown } | undefined;
    replies.forEach((reply, i) => {
      if (reply.status === 'rejected') failure ??= { error: reply.reason };
      if (reply.status === 'rejected' || (!written && reply.value === 0)) this.given.delete(fresh[i]!.key);
    });
    if (failure) throw failure.error;
  }
}
