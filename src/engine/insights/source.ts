import type { PeriodEventSet } from '../query/event-set.js';
import type { TimeGroupInput } from '../time/time-groups.js';

/**
 * What an insight reads from the engine (a `Bitmapist` is one): an event's users in the period of a time group
 * containing a date. Insights depend on this, never on the engine class itself.
 */
export interface InsightSource<Id = unknown> {
  getEventData(event: string, options: { timeGroup?: TimeGroupInput; now?: Date }): PeriodEventSet<Id>;
}
