/**
 * Remembers the bitmaps a `read_bitmaps` call found too long to read at once (see `countLocally`), so that the
 * same cohort asked again (a dashboard reloading, a report polling) goes straight to its windows pass instead
 * of first making a call that would refuse again: a period's bitmaps only grow while it is marked. Forgetting
 * costs one call; a stale entry (events deleted meanwhile) costs the windows pass, never a wrong count. An
 * entry lasts `ttlMs`; at most `capacity` are kept, the oldest going first.
 */
export class LongReads {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly capacity = 64,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call reading `names` was refused as too long within the last `ttlMs`. */
  has(names: readonly string[]): boolean {
    if (this.until.size === 0) return false;
    const key = names.join('\n');
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  /** Records that a call reading `names` was refused as too long. */
  add(names: readonly string[]): void {
    const key = names.join('\n');
    this.until.delete(key);
    this.until.set(key, this.now() + this.ttlMs);
    if (this.until.size > this.capacity) this.until.delete(this.until.keys().next().value!);
  }
}
