import type { Bitmapist } from '../../engine/bitmapist.js';
import { BitmapistArgumentError } from '../../engine/errors.js';
import type { UserIdMode } from '../../engine/ids/user-ids.js';
import type { EventSet } from '../../engine/query/event-set.js';

/**
 * The segment a page's `segment=<event>` (or one `breakdown=<event>`) names: that event's all-time unique
 * bitmap (`markUnique`, `trackUnique`). A 400 naming `param` when the event has none (one EXISTS per block).
 */
export async function segmentOf(engine: Bitmapist<UserIdMode>, event: string, param: string): Promise<EventSet<unknown>> {
  if (!(await engine.hasEvent(event, []))) {
    throw new BitmapistArgumentError(param, `${JSON.stringify(event)} has no unique bitmap to segment by (mark it with markUnique or trackUnique)`);
  }
  return engine.unique(event) as EventSet<unknown>;
}
