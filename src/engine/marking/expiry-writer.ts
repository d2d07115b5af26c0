import type { KeyNames } from '../keys/key-names.js';
import type { RedisClient } from '../redis/scripts.js';
import { EXPIRING_UNITS, expiresAt, type ExpireOptions } from '../time/retention.js';
import { periodSuffix } from '../time/suffixes.js';
import { markTime } from './mark-keys.js';
import { UTC_ZONE, type TimeZone } from '../time/time-zone.js';

/** Keys remembered per process as already given an expiry, before the memory starts over (NX keeps that safe). */
export const MAX_EXPIRED_KEYS = 100_000;
const MAX_CACHED_MARKS = 4096;
const HOUR_MS = 3_600_000;

/** One bitmap a mark wrote that may need an expiry. */
interface ExpiringKey {
  key: string;
  at: number;
}

/**
 * Gives each bitmap of a configured granularity its expiry once, right after this process first wrote it:
 * `EXPIREAT key <period end + seconds> NX` (NX: a key that already has one, e.g. from another process, keeps
 * it). Keys already handled are remembered in a bounded map until the expiry they were given, so later marks
 * of the same key send nothing while it lasts; a key whose expiry has passed (a back-fill beyond retention,
 * or a bitmap that expired and is written again) is never remembered, so each write of it is followed by its
 * EXPIREAT, which deletes it again.
 */
export class ExpiryWriter {
  /** Key -> the expiry it was given (Unix seconds). */
  private readonly given = new Map<string, number>();
  private readonly byMark = new Map<string, readonly ExpiringKey[]>();
  /** EXPIREATs on their way for keys that may be missing (an unmark's): whether each took. */
  private readonly asking = new Map<string, Promise<boolean>>();
  /** Moves on when this prefix's bitmaps are being deleted (see {@link epoch}). */
  private deletions = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    readonly expire: ExpireOptions,
    /** The zone whose local periods name the keys (default UTC). */
    private readonly zone: TimeZone = UTC_ZONE,
  ) {}

  /** The instant a mark's date stands for, as the mark reads it (a `CalendarDay`: the end of that local day). */
  instantOf(date: Date): number {
    return markTime(date, 'now', this.zone);
  }

  /**
   * The local hour (in the engine's zone) of an instant, as a number: marks of one event and block in the same
   * local hour write the same bitmaps (a UTC hour may span two local ones, in zones offset by a half hour).
   */
  localHour(time: number): number {
    return Math.floor(this.zone.toWall(time) / HOUR_MS);
  }

  /** The expiring keys of a mark of `event` at `now` in `block`, with an hour bitmap when `hourly`. */
  keysOf(event: string, block: number, now: Date, hourly: boolean): readonly ExpiringKey[] {
    const slot = `${event}\u0000${block}\u0000${this.localHour(now.getTime())}\u0000${hourly ? 1 : 0}`;
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
   * resolved, and no deletion began since they were sent at `since`), so each is remembered before its EXPIREAT
   * is sent, and concurrent marks of it send nothing more. Otherwise (an unmark, which may have written nothing)
   * a key is remembered only once its EXPIREAT took: EXPIREAT on a missing key does nothing, and a mark may
   * create the key while it is on its way. Such a mark waits for that EXPIREAT's reply, and sends its own only
   * when it did not take.
   */
  async afterWrite(expiring: Iterable<ExpiringKey>, written: boolean, since = this.deletions): Promise<void> {
    // A write sent before a deletion began or ended (`since`, its epoch) may have been deleted again.
    const exists = written && since === this.deletions;
    let fresh: ExpiringKey[] = [];
    let unsure: (Promise<boolean> | undefined)[] | undefined;
    const now = Date.now() / 1000;
    const seen = new Set<string>();
    for (const entry of expiring) {
      if ((this.given.get(entry.key) ?? 0) > now || seen.has(entry.key)) continue;
      seen.add(entry.key);
      fresh.push(entry);
      if (!exists) continue;
      this.remember(entry, now);
      const asked = this.asking.get(entry.key);
      if (asked) (unsure ??= [])[fresh.length - 1] = asked;
    }
    if (unsure) {
      const took = await Promise.all(fresh.map((_, i) => unsure[i] ?? false));
      fresh = fresh.filter((_, i) => !took[i]);
    }
    if (fresh.length === 0) return;
    const sent = this.deletions;
    const calls = fresh.map(({ key, at }) => this.redis.expireat(key, at, 'NX'));
    if (!exists) fresh.forEach((entry, i) => this.ask(entry, calls[i]!, sent));
    const replies = await Promise.allSettled(calls);
    let failure: { error: unknown } | undefined;
    replies.forEach((reply, i) => {
      if (reply.status === 'rejected') {
        failure ??= { error: reply.reason };
        if (exists) this.given.delete(fresh[i]!.key);
      } else if (!exists && reply.value === 1 && this.deletions === sent) {
        // (A deletion begun since may have deleted the key after its EXPIREAT.)
        this.remember(fresh[i]!, Date.now() / 1000);
      }
    });
    if (failure) throw failure.error;
  }

  /**
   * Records an EXPIREAT of a key that may be missing, on its way: whether it took and the key still has it (no
   * deletion began since it was sent at `sent`, and its expiry has not passed), until its reply.
   */
  private ask({ key, at }: ExpiringKey, call: Promise<number>, sent: number): void {
    const took = call.then(
      (reply) => reply === 1 && this.deletions === sent && at > Date.now() / 1000,
      () => false,
    );
    this.asking.set(key, took);
    void took.then(() => {
      if (this.asking.get(key) === took) this.asking.delete(key);
    });
  }

  /** Remembers that a key has its expiry, unless that expiry has passed (each write of it must delete it again). */
  private remember({ key, at }: ExpiringKey, now: number): void {
    if (at <= now) return;
    if (this.given.size >= MAX_EXPIRED_KEYS) this.given.clear();
    this.given.set(key, at);
  }

  /**
   * Taken when a write is sent, and handed to {@link afterWrite} with its bitmaps: it moves on when a deletion of
   * the prefix's bitmaps begins and when it ends, so that a write that may have been deleted since is not taken
   * for an existing key.
   */
  get epoch(): number {
    return this.deletions;
  }

  /**
   * Forgets every key handled, when `deleteAllEvents` begins and when it ends: a key written again needs its
   * expiry again.
   */
  forgetAll(): void {
    this.given.clear();
    this.deletions += 1;
  }
}
