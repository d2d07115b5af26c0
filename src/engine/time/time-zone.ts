import { BitmapistArgumentError } from '../errors.js';

const SECOND_MS = 1000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Cached hours before the offset cache starts over. */
const MAX_CACHED_HOURS = 8192;
/** Names Intl resolves to a zone that is always UTC: they share the default's keys and record nothing. */
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu']);

/** A change of offset: at the instant `at`, the offset (ms, local minus UTC) goes from `before` to `after`. */
export interface OffsetChange {
  at: number;
  before: number;
  after: number;
}

/** One UTC hour's offset, or the offsets before and after a change of offset inside that hour. */
type HourOffset = number | { at: number; before: number; after: number };

/**
 * An IANA time zone: converts instants (ms since 1970, UTC) to local wall-clock times expressed as ms (the
 * UTC instant whose UTC fields are the local date and time) and back. Offsets come from Intl once per UTC hour
 * and are cached (the mark hot path makes no Intl call for an hour it has seen). UTC does no work at all.
 */
export class TimeZone {
  /**
   * The IANA name: as given, in the canonical case (`'UTC'` for every always-UTC name). Recorded under the
   * prefix; two names of one zone (`Asia/Kolkata`, `Asia/Calcutta`) share its {@link id}.
   */
  readonly name: string;
  /** The name this runtime's Intl resolves the zone to: equal for aliases of one zone. */
  readonly id: string;
  /** Whether local time is UTC (the default; every conversion is the identity). */
  readonly isUtc: boolean;
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly hours = new Map<number, HourOffset>();

  /** UTC, the default. */
  private static readonly utc = new TimeZone('UTC', 'UTC', undefined);
  /** The zones made so far, by the name asked for (their offset caches are shared). */
  private static readonly known = new Map<string, TimeZone>();

  private constructor(name: string, id: string, format: Intl.DateTimeFormat | undefined) {
    this.name = name;
    this.id = id;
    this.isUtc = format === undefined;
    this.format = format;
  }

  /** The zone named `name` (an IANA name such as `'Europe/Berlin'`); a {@link BitmapistArgumentError} otherwise. */
  static of(name: unknown, argument = 'timezone'): TimeZone {
    if (name === undefined || name === 'UTC') return TimeZone.utc;
    if (typeof name === 'string' && TimeZone.known.has(name)) return TimeZone.known.get(name)!;
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
      throw new BitmapistArgumentError(argument, `must be an IANA time zone name such as 'Europe/Berlin', got ${JSON.stringify(name)}`);
    }
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new BitmapistArgumentError(argument, `unknown time zone ${JSON.stringify(name)}; use an IANA name such as 'Europe/Berlin'`);
    }
    const resolved = format.resolvedOptions().timeZone;
    // ICU may resolve a name to an older alias (Node 20: Asia/Kolkata to Asia/Calcutta): keep the one given.
    const canonical = resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
    const zone = UTC_NAMES.has(resolved) ? TimeZone.utc : new TimeZone(canonical, resolved, format);
    if (TimeZone.known.size < 1000) TimeZone.known.set(name, zone);
    return zone;
  }

  /** The offset from UTC (ms, local minus UTC) at the instant `time`. */
  offsetAt(time: number): number {
    if (this.isUtc) return 0;
    const hour = Math.floor(time / HOUR_MS);
    let known = this.hours.get(hour);
    if (known === undefined) {
      if (this.hours.size >= MAX_CACHED_HOURS) this.hours.clear();
      known = this.hourOffset(hour * HOUR_MS);
      this.hours.set(hour, known);
    }
    if (typeof known === 'number') return known;
    return time < known.at ? known.before : known.after;
  }

  /** The local wall-clock time of the instant `time`, as ms whose UTC fields are the local ones. */
  toWall(time: number): number {
    return this.isUtc ? time : time + this.offsetAt(time);
  }

  /**
   * The first instant whose local time is `wall` (the earlier of the two in an hour that occurs twice); for a
   * wall time skipped by a change to summer time, the instant of the change (the first one after it).
   */
  fromWall(wall: number): number {
    if (this.isUtc) return wall;
    const early = wall - this.offsetAt(wall - DAY_MS);
    const late = wall - this.offsetAt(wall + DAY_MS);
    const matches = [early, late].filter((time) => this.toWall(time) === wall);
    if (matches.length > 0) return Math.min(...matches);
    // In a gap: the first second whose local time is at or after `wall`.
    let low = Math.min(early, late);
    let high = Math.max(early, late);
    while (high - low > SECOND_MS) {
      const middle = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS;
      if (this.toWall(middle) >= wall) high = middle;
      else low = middle;
    }
    return this.toWall(low) >= wall ? low : high;
  }

  /**
   * The changes of offset at instants in (from, to] that move the clock forward by `minimum` ms or more: each
   * skips the local times from `at + before` to `at + after`. Reads the offset every `minimum` ms, so it
   * assumes no two changes that cancel out within that ({@link fromWall} assumes none within a day).
   */
  changesForward(from: number, to: number, minimum: number): OffsetChange[] {
    const changes: OffsetChange[] = [];
    if (this.isUtc) return changes;
    let before = this.offsetAt(from);
    for (let low = from; low < to; ) {
      const high = Math.min(low + minimum, to);
      const after = this.offsetAt(high);
      if (after - before >= minimum) changes.push({ at: this.changeIn(low, high, before), before, after });
      [low, before] = [high, after];
    }
    return changes;
  }

  /** The first millisecond in (low, high] whose offset is not `before`, the offset at `low`. */
  private changeIn(low: number, high: number, before: number): number {
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2);
      if (this.offsetAt(middle) === before) low = middle;
      else high = middle;
    }
    return high;
  }

  private hourOffset(start: number): HourOffset {
    const before = this.rawOffset(start);
    const after = this.rawOffset(start + HOUR_MS - SECOND_MS);
    if (before === after) return before;
    // The offset changes inside this hour (at a whole second): find the first second of the new offset.
    let low = start;
    let high = start + HOUR_MS - SECOND_MS;
    while (high - low > SECOND_MS) {
      const middle = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS;
      if (this.rawOffset(middle) === before) low = middle;
      else high = middle;
    }
    return { at: high, before, after };
  }

  private rawOffset(time: number): number {
    const fields: Record<string, string> = {};
    for (const part of this.format!.formatToParts(time)) fields[part.type] = part.value;
    const year = Number(fields.era === 'BC' || fields.era === 'B' ? 1 - Number(fields.year) : fields.year);
    const wall = new Date(0).setUTCFullYear(year, Number(fields.month) - 1, Number(fields.day));
    const whole = Math.floor(time / SECOND_MS) * SECOND_MS;
    return wall + Number(fields.hour) * HOUR_MS + Number(fields.minute) * 60_000 + Number(fields.second) * SECOND_MS - whole;
  }
}

/** Coordinated Universal Time: the default, bitmapist's own time. */
export const UTC_ZONE: TimeZone = TimeZone.of('UTC');
