import { daySuffixes } from '../time/suffixes.js';
import type { KeyNames } from '../keys/key-names.js';
import { CalendarDay, checkLocalYear, END_TIME, MIN_TIME, timeOf, toUtc } from '../time/periods.js';
import { UTC_ZONE, type TimeZone } from '../time/time-zone.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Cached key lists before the cache starts over (a few per event and day in practice). */
const MAX_CACHED = 4096;

/**
 * Checks a mark's date and returns its time in ms. Anything `toUtc` refuses is refused the same way, with
 * the same error, but valid dates skip dayjs (the hot path of every mark). A `CalendarDay` is the end of that
 * day in `zone` (the engine's), as every read takes it.
 */
export function markTime(date: unknown, argument = 'now', zone: TimeZone = UTC_ZONE): number {
  if (date instanceof CalendarDay) return toUtc(date, argument, zone).valueOf();
  const time = timeOf(date);
  if (!(time >= MIN_TIME && time < END_TIME)) toUtc(date, argument);
  checkLocalYear(time, argument, zone);
  return time;
}

/**
 * The keys a mark sets (month, ISO week, day, then hour and unique when tracked), cached per event, block
 * and local day (or local hour: an hour that occurs twice shares one key), so that marks of the same event and day share one array: no date library and no
 * string building per mark, and batches can group marks by array identity. The arrays are shared:
 * never modify one.
 */
export class MarkKeyCache {
  private readonly cache = new Map<string, Map<number, Map<number, readonly string[]>>>();
  private size = 0;

  constructor(
    private readonly keys: KeyNames,
    /** The zone whose local dates name the keys (default UTC: no conversion at all). */
    private readonly zone: TimeZone = UTC_ZONE,
  ) {}

  /** The keys of a mark of `event` at `instant` (ms, checked by {@link markTime}) in `block`. */
  markKeys(event: string, block: number, instant: number, hourly: boolean, unique: boolean): readonly string[] {
    const time = this.zone.isUtc ? instant : this.zone.toWall(instant);
    const slot = (hourly ? Math.floor(time / HOUR_MS) * 2 + 1 : Math.floor(time / DAY_MS) * 2) * 2 + (unique ? 1 : 0);
    let byBlock = this.cache.get(event);
    let bySlot = byBlock?.get(block);
    const cached = bySlot?.get(slot);
    if (cached !== undefined) return cached;
    if (this.size >= MAX_CACHED) {
      this.cache.clear();
      this.size = 0;
      byBlock = bySlot = undefined;
    }
    if (byBlock === undefined) this.cache.set(event, (byBlock = new Map()));
    if (bySlot === undefined) byBlock.set(block, (bySlot = new Map()));
    const built = this.build(event, block, time, hourly, unique);
    bySlot.set(slot, built);
    this.size += 1;
    return built;
  }

  private build(event: string, block: number, time: number, hourly: boolean, unique: boolean): readonly string[] {
    const suffixes = daySuffixes(Math.floor(time / DAY_MS));
    const keys = [suffixes.month, suffixes.week, suffixes.day].map((suffix) => this.keys.eventKey(event, suffix, block));
    if (hourly) keys.push(this.keys.eventKey(event, `${suffixes.day}-${new Date(time).getUTCHours()}`, block));
    if (unique) keys.push(this.keys.eventKey(event, 'u', block));
    return Object.freeze(keys);
  }
}
