import { BitmapistArgumentError } from './errors.js';
import { assertEventName } from './validate.js';

/** An event chained onto a base event: `and` narrows, `or` widens its immediate predecessor. */
export interface ChainedEvent {
  name: string;
  op: 'and' | 'or';
}

/**
 * Groups a chain for evaluation: an AND of groups, each group the OR of its events.
 * OR binds to its immediate predecessor and runs of ORs merge, then groups AND left to right:
 * `A && B || C && D` is `[[A], [B, C], [D]]`; `A, [or X, and Y]` is `[[A, X], [Y]]`.
 * The caller's list is never modified.
 */
export function chainGroups(base: string, events: readonly ChainedEvent[] = []): string[][] {
  assertEventName(base, 'base');
  if (!Array.isArray(events)) {
    throw new BitmapistArgumentError('events', 'must be an array of { name, op }');
  }
  const groups: string[][] = [[base]];
  events.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object') {
      throw new BitmapistArgumentError(`events[${i}]`, 'must be { name, op }');
    }
    assertEventName(entry.name, `events[${i}].name`);
    if (entry.op === 'or') {
      groups.at(-1)!.push(entry.name);
    } else if (entry.op === 'and') {
      groups.push([entry.name]);
    } else {
      throw new BitmapistArgumentError(`events[${i}].op`, `must be 'and' or 'or', got ${JSON.stringify(entry.op)}`);
    }
  });
  return groups;
}
