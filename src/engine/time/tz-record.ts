import { BitmapistTimeZoneError } from '../errors.js';
import type { KeyNames } from '../keys/key-names.js';
import { PassOnce } from '../redis/pass-once.js';
import { eventNames } from '../keys/keyspace.js';
import type { RedisClient } from '../redis/scripts.js';
import { TimeZone } from './time-zone.js';

/** What the mark path needs of a check that must pass before this process writes. */
export interface WriteCheck {
  /** Whether the check has passed in this process (writes need not wait for it). */
  readonly ready: boolean;
  /** Resolves once this process may write; rejects with the refusal if not. */
  check(): Promise<void>;
}

/**
 * Makes sure a prefix holds the dates of one time zone. A non-UTC zone records its name in `<prefix>~timezone`
 * before its first write (refusing a prefix of another zone, or one that already holds bitmaps without the
 * record: UTC dates). UTC (the default) writes nothing new: it reads the record once per instance, sent when it
 * is created and awaited by its first write, and refuses a recorded zone. A refusal is a
 * {@link BitmapistTimeZoneError}; a success is remembered, a failure is tried again at the next write.
 */
export class TimeZoneGuard implements WriteCheck {
  private readonly once: PassOnce;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly zone: TimeZone,
  ) {
    this.once = new PassOnce(() => this.run());
    // One read sent at once, so the first write rarely waits (a failure is tried again at the first write).
    this.check().catch(() => undefined);
  }

  /** The key recording the prefix's time zone. */
  get zoneKey(): string {
    return `${this.keys.prefix}~timezone`;
  }

  get ready(): boolean {
    return this.once.ready;
  }

  check(): Promise<void> {
    return this.once.check();
  }

  private async run(): Promise<void> {
    const recorded = await this.redis.get(this.zoneKey);
    if (recorded === this.zone.name || (recorded !== null && sameZone(recorded, this.zone))) return;
    if (this.zone.isUtc) {
      if (recorded !== null) throw this.refusal(recorded);
      return;
    }
    if (recorded !== null) throw this.refusal(recorded);
    if ((await eventNames(this.redis, this.keys, '')).length > 0) throw this.refusal('UTC');
    const set = await this.redis.set(this.zoneKey, this.zone.name, 'NX');
    if (set === null) {
      const now = await this.redis.get(this.zoneKey);
      if (now === null || !sameZone(now, this.zone)) throw this.refusal(now ?? 'another time zone');
    }
  }

  private refusal(held: string): BitmapistTimeZoneError {
    return new BitmapistTimeZoneError(
      `the prefix ${JSON.stringify(this.keys.prefix)} holds dates of the time zone ${held}; ` +
        `this instance has timezone: '${this.zone.name}': nothing was written`,
    );
  }
}

/** Whether a recorded name names `zone` (an alias, another case); false for a name this runtime does not know. */
function sameZone(recorded: string, zone: TimeZone): boolean {
  try {
    return TimeZone.of(recorded).id === zone.id;
  } catch {
    return false;
  }
}

/** Both checks: writes wait until each has passed. */
export function bothChecks(first: WriteCheck, second: WriteCheck): WriteCheck {
  return {
    get ready() {
      return first.ready && second.ready;
    },
    check: () => (first.ready ? second.check() : Promise.all([first.check(), second.check()]).then(() => undefined)),
  };
}
