import { BitmapistArgumentError } from '../errors.js';
import { assertEventName } from '../keys/names.js';

/** An event chained onto a base event: `and` narrows, `or` widens its immediate predecessor. */
export interface ChainedEvent {
  name: string;
  op: 'and' | 'or';
}

/** How the caller names the base event and the list of chained events, for the errors' `argument`. */
export interface ChainArgumentNames {
  base: string;
  events: string;
}

/**
 * Groups a chain for evaluation: an AND of groups, each group the OR of its events.
 * OR binds to its immediate predecessor and runs of ORs merge, then groups AND left to right:
 * `A && B || C && D` is `[[A], [B, C], [D]]`; `A, [or X, and Y]` is `[[A, X], [Y]]`.
 * The caller's list is never modified. A refused value is named after `names` (e.g. `events[1].name`).
 */
export function chainGroups(
  base: string,
  events: readonly ChainedEvent[] = [],
  names: ChainArgumentNames = { base: 'base', events: 'events' },
): string[][] {
  assertEventName(base, names.base);
  if (!Array.isArray(events)) {
    throw new BitmapistArgumentError(names.events, 'must be an array of { name, op }');
  }
  const groups: string[][] = [[base]];
  // An index loop, not forEach: a sparse array's holes are entries too (refused), never skipped.
  for (let i = 0; i < events.length; i++) {
    const entry = events[i];
    if (entry === null || typeof entry !== 'object') {
      throw new BitmapistArgumentError(`${names.events}[${i}]`, 'must be { name, op }');
    }
    assertEventName(entry.name, `${names.events}[${i}].name`);
    if (entry.op === 'or') {
      groups.at(-1)!.push(entry.name);
    } else if (entry.op === 'and') {
      groups.push([entry.name]);
    } else {
      throw new BitmapistArgumentError(`${names.events}[${i}].op`, `must be 'and' or 'or', got ${JSON.stringify(entry.op)}`);
    }
  }
  return groups;
}
