import { BitmapistArgumentError, BitmapistOfflineError } from '../../engine/errors.js';
import type { DashboardHost } from '../host.js';

interface Entry {
  names: string[];
  known: Set<string>;
  at: number;
}

/**
 * The event names of each system for the dashboard (events page, form suggestions, "unknown event"
 * check), so that page views do not each SCAN the keyspace: a listing is kept `maxAgeMs`, one listing
 * per system runs at a time (concurrent callers share it). A name not in the listing is looked up in its
 * own bitmaps first (bounded, no SCAN: an event marked since the listing is found at once), and only then
 * triggers a new listing, when the current one is older than `refreshAfterMs`.
 */
export class EventNameCache {
  private readonly entries = new Map<string, Entry>();
  private readonly listings = new Map<string, Promise<Entry>>();

  constructor(
    private readonly host: DashboardHost,
    private readonly maxAgeMs = 2_000,
    private readonly refreshAfterMs = 250,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The sorted event names of a system. */
  async list(system: string): Promise<string[]> {
    return (await this.entry(system)).names;
  }

  /**
   * Throws a `BitmapistArgumentError` naming the parameter of the first event that does not exist. An event
   * missing from the listing counts as existing when it has a bitmap in the periods containing `now` or the
   * clock's now (or a unique bitmap): `hasEvent`, one bounded read per name.
   */
  async assertKnown(system: string, wanted: readonly [parameter: string, event: string][], now?: Date): Promise<void> {
    let entry = await this.entry(system);
    const found = new Set<string>();
    const missing = () => wanted.filter(([, event]) => !entry.known.has(event) && !found.has(event));
    if (missing().length > 0) {
      const dates = now === undefined ? [new Date()] : [now, new Date()];
      const engine = this.host.system(system);
      for (const [, event] of missing()) {
        if (await engine.hasEvent(event, dates)) found.add(event);
      }
      // A listing that finished while the names were looked up is the one to judge by: it is the fresher.
      entry = this.entries.get(system) ?? entry;
      for (const event of found) entry.known.add(event);
    }
    if (missing().length > 0 && this.clock() - entry.at >= this.refreshAfterMs) entry = await this.refresh(system);
    const unknown = missing()[0];
    if (unknown) throw new BitmapistArgumentError(unknown[0], `unknown event ${JSON.stringify(unknown[1])}`);
  }

  private async entry(system: string): Promise<Entry> {
    // While Redis is away a page is not served from a listing kept from before: it answers 503.
    if (!this.host.system(system).reachable) throw new BitmapistOfflineError(`Redis of system "${system}" is unreachable`);
    const entry = this.entries.get(system);
    return entry && this.clock() - entry.at < this.maxAgeMs ? entry : this.refresh(system);
  }

  /** A new listing, or the one already running for this system. */
  private refresh(system: string): Promise<Entry> {
    const running = this.listings.get(system);
    if (running) return running;
    const listing = this.host
      .system(system)
      .getEventNames()
      .then((names) => {
        // Stamped when done, so a slow listing is not followed at once by another one.
        const entry = { names, known: new Set(names), at: this.clock() };
        this.entries.set(system, entry);
        return entry;
      })
      .finally(() => this.listings.delete(system));
    this.listings.set(system, listing);
    return listing;
  }
}
