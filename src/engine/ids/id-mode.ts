import { BitmapistIdModeError } from '../errors.js';
import type { KeyNames } from '../keys/key-names.js';
import { PassOnce } from '../redis/pass-once.js';
import { eventNames } from '../keys/keyspace.js';
import type { RedisClient } from '../redis/scripts.js';
import type { UserIdMode } from './user-ids.js';

/**
 * Makes sure a prefix holds one kind of user ids. Mapped mode records `mapped` in `<prefix>~idmode` before
 * its first write (refusing a prefix that already holds bitmaps without that record: integer ids). Integer
 * mode writes nothing new: it only reads the record, in the compatible layout inside every mark script call,
 * in the sharded layout once per instance, sent when it is created and awaited by its first write. A refusal is a
 * {@link BitmapistIdModeError}; a success is remembered, a failure is tried again at the next write.
 */
export class IdModeGuard {
  private readonly once: PassOnce;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly mode: UserIdMode,
  ) {
    // Integer ids in the compatible layout: the mark scripts read the marker on every call instead.
    this.once = new PassOnce(() => this.run(), mode === 'integers' && keys.blockBytes === undefined);
    // Integer ids in the sharded layout: one read of the marker, sent at once so the first write rarely waits
    // (a failure is tried again at the first write).
    if (mode === 'integers' && !this.once.ready) this.check().catch(() => undefined);
  }

  /** The key recording which kind of ids the prefix holds. */
  get modeKey(): string {
    return `${this.keys.prefix}~idmode`;
  }

  /** Whether the check has passed in this process (writes need not wait for it). */
  get ready(): boolean {
    return this.once.ready;
  }

  /** Resolves once this process may write in its mode; rejects with a {@link BitmapistIdModeError} if not. */
  check(): Promise<void> {
    return this.once.check();
  }

  private async run(): Promise<void> {
    const recorded = await this.redis.get(this.modeKey);
    if (this.mode === 'integers') {
      if (recorded === 'mapped') throw this.refusal('mapped');
      return;
    }
    if (recorded === 'mapped') return;
    if (recorded !== null) throw this.refusal(recorded);
    if ((await eventNames(this.redis, this.keys, '')).length > 0) throw this.refusal('integers');
    const set = await this.redis.set(this.modeKey, 'mapped', 'NX');
    if (set === null && (await this.redis.get(this.modeKey)) !== 'mapped') throw this.refusal('another mode');
  }

  private refusal(held: string): BitmapistIdModeError {
    return new BitmapistIdModeError(
      `the prefix ${JSON.stringify(this.keys.prefix)} holds ${held === 'mapped' ? 'mapped' : held} user ids; ` +
        `this instance has userIds: '${this.mode}': nothing was written`,
    );
  }
}
