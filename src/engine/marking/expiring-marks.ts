import type { ExpiryWriter } from './expiry-writer.js';

/** The block of a user id's bits once its mark is written, or undefined when it has none (a mapped id never seen). */
export type BlockOf = (uid: unknown) => number | undefined | Promise<number | undefined>;

/** A mark as the bulk import takes it. */
interface AnyMark {
  event: string;
  uid: unknown;
  now?: Date;
}

/**
 * Marks through the engine's writer, then gives the bitmaps they wrote their expiry (see {@link ExpiryWriter}).
 * A mark without `now` gets it here, so the expiry goes to the very bitmaps the mark wrote. Used only when
 * the `expire` option is set: without it marks go straight to the writer and no EXPIREAT is ever sent.
 */
export class ExpiringMarks {
  constructor(
    private readonly expiry: ExpiryWriter,
    private readonly blockOf: BlockOf,
    private readonly trackHourly: boolean,
    /** Whether `blockOf` answers at once, before the marks are written (integer ids). */
    private readonly blockIsKnown: boolean,
  ) {}

  /**
   * After one mark (bit 1) or unmark (bit 0) of `event` at `time` in `block` was written: its bitmaps' expiry.
   * A mark's bitmaps exist now; an unmark's may not (an unmark of a mapped id never marked writes nothing), so
   * only those that got their expiry are remembered.
   */
  async marked(event: string, block: number | undefined, time: number, hourly: boolean, bit: 0 | 1, since: number): Promise<void> {
    if (block === undefined) return;
    await this.expiry.afterWrite(this.expiry.keysOf(event, block, new Date(time), hourly), bit === 1, since);
  }

  /** Taken when a mark is sent, and handed to {@link marked}: see {@link ExpiryWriter.epoch}. */
  get epoch(): number {
    return this.expiry.epoch;
  }

  /** When this prefix's bitmaps begin to be deleted, and when they were: each one written again gets its expiry again. */
  deleted(): void {
    this.expiry.forgetAll();
  }

  /**
   * A bulk import written by `write`, then the expiry of every bitmap its marks wrote. When the import fails
   * half-way, the bitmaps of the marks seen so far still get theirs (an EXPIREAT on a bitmap never written
   * does nothing and is sent again after its first write).
   */
  async markMany<T extends AnyMark>(
    write: (marks: Iterable<T> | AsyncIterable<T>) => Promise<number>,
    marks: Iterable<T> | AsyncIterable<T>,
  ): Promise<number> {
    const stamp = new Date();
    const since = this.expiry.epoch;
    // One entry per event, hour and block (or mapped id): what the expiry needs, bounded by the keys written.
    const seen = new Map<string, AnyMark>();
    const stamped = (mark: T): T => {
      if (!isObject(mark)) return mark;
      const withTime = mark.now === undefined ? { ...mark, now: stamp } : mark;
      // One entry per local hour: in a zone offset by a half hour, one UTC hour holds two local hours' bitmaps.
      const time = withTime.now instanceof Date ? this.localHourOf(withTime.now) : Number.NaN;
      const block = this.blockIsKnown ? this.blockOf(mark.uid) : undefined;
      seen.set(`${String(mark.event)}\u0000${time}\u0000${typeof block === 'number' ? block : String(mark.uid)}`, withTime);
      return withTime;
    };
    let source: Iterable<T> | AsyncIterable<T> = marks;
    if (Array.isArray(marks)) source = (marks as T[]).map(stamped);
    else if (isObject(marks) && Symbol.iterator in marks) source = mapSync(marks as Iterable<T>, stamped);
    else if (isObject(marks) && Symbol.asyncIterator in marks) source = mapAsync(marks as AsyncIterable<T>, stamped);
    let written: number;
    try {
      written = await write(source);
    } catch (error) {
      await this.expireSeen(seen.values(), false, since).catch(() => undefined);
      throw error;
    }
    await this.expireSeen(seen.values(), true, since);
    return written;
  }

  /** The local hour of a mark's date, NaN for a date the import refuses (it is refused there, by the mark's check). */
  private localHourOf(date: Date): number {
    try {
      return this.expiry.localHour(this.expiry.instantOf(date));
    } catch {
      return Number.NaN;
    }
  }

  private async expireSeen(marks: Iterable<AnyMark>, written: boolean, since: number): Promise<void> {
    const keys = [];
    for (const { event, uid, now } of marks) {
      try {
        const block = await this.blockOf(uid);
        // The instant the Date holds, as the mark read it (a subclass's own getTime is not asked).
        if (block !== undefined) keys.push(...this.expiry.keysOf(event, block, new Date(this.expiry.instantOf(now!)), this.trackHourly));
      } catch {
        // A mark the import refused: it wrote nothing.
      }
    }
    await this.expiry.afterWrite(keys, written, since);
  }
}

function isObject(value: unknown): value is Record<string | symbol, unknown> {
  return value !== null && typeof value === 'object';
}

function* mapSync<T>(items: Iterable<T>, map: (item: T) => T): Iterable<T> {
  for (const item of items) yield map(item);
}

async function* mapAsync<T>(items: AsyncIterable<T>, map: (item: T) => T): AsyncIterable<T> {
  for await (const item of items) yield map(item);
}
