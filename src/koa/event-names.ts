import { BitmapistArgumentError } from '../engine/errors.js';
import type { KoaBitmapist } from './plugin.js';

interface Entry {
  names: string[];
  known: Set<string>;
  at: number;
}

/**
 * The event names of each system for the dashboard's selects and its "unknown event" check, kept a
 * couple of seconds so that a page view costs one SCAN at most; a name not found triggers one refresh.
 */
export class EventNameCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly plugin: KoaBitmapist,
    private readonly maxAgeMs = 2_000,
    private readonly refreshAfterMs = 250,
  ) {}

  /** The sorted event names of a system. */
  async list(system: string): Promise<string[]> {
    return (await this.entry(system)).names;
  }

  /** Throws a `BitmapistArgumentError` naming the parameter of the first event that does not exist. */
  async assertKnown(system: string, wanted: readonly [parameter: string, event: string][]): Promise<void> {
    let entry = await this.entry(system);
    const missing = () => wanted.find(([, event]) => !entry.known.has(event));
    if (missing() && Date.now() - entry.at > this.refreshAfterMs) entry = await this.refresh(system);
    const unknown = missing();
    if (unknown) throw new BitmapistArgumentError(unknown[0], `unknown event ${JSON.stringify(unknown[1])}`);
  }

  private async entry(system: string): Promise<Entry> {
    const entry = this.entries.get(system);
    return entry && Date.now() - entry.at < this.maxAgeMs ? entry : this.refresh(system);
  }

  private async refresh(system: string): Promise<Entry> {
    const names = await this.plugin.getEventNames({ system });
    const entry = { names, known: new Set(names), at: Date.now() };
    this.entries.set(system, entry);
    return entry;
  }
}
