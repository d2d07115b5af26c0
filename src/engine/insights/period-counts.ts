import { settleAll } from '../redis/bounded.js';
import { BitmapistArgumentError } from '../errors.js';
import { assertEventName } from '../keys/names.js';
import { BitmapProgram } from '../query/program.js';
import type { GroupUnit } from '../time/time-groups.js';
import { checkSignal, countPeriod, type InsightSource } from './source.js';

/** Caps of {@link periodCounts}: at most `maxEvents` events, `eventsPerProgram` of them in each program. */
export const PERIOD_COUNT_LIMITS = { maxEvents: 1000, eventsPerProgram: 25 } as const;

const UNITS: readonly GroupUnit[] = ['day', 'week', 'month', 'year'];

/**
 * The users of each event in the periods of each of `units` containing `now` (local periods of the engine):
 * `counts[e][u]` for `events[e]` and `units[u]`. The counts of {@link PERIOD_COUNT_LIMITS.eventsPerProgram}
 * events are one program of bounded calls (a day, week or month counted in place, a year's months ORed first),
 * not a call per count. Once `signal` aborts, the next call rejects with its reason, unsent.
 */
export async function periodCounts<Id>(
  bm: InsightSource<Id>,
  events: readonly string[],
  units: readonly GroupUnit[],
  now: Date = new Date(),
  signal?: AbortSignal,
): Promise<number[][]> {
  checkSignal(signal);
  if (!Array.isArray(events) || events.length > PERIOD_COUNT_LIMITS.maxEvents) {
    throw new BitmapistArgumentError('events', `must be a list of at most ${PERIOD_COUNT_LIMITS.maxEvents} events`);
  }
  // Array.from, not some/map: a sparse array's holes are refused, never skipped.
  if (!Array.isArray(units) || Array.from(units).some((unit) => !UNITS.includes(unit))) {
    throw new BitmapistArgumentError('units', `must be a list of ${UNITS.join(', ')}`);
  }
  // Every name is checked (and every set built) before the first call, also when no unit asks for a set.
  Array.from(events, (event) => assertEventName(event));
  const sets = Array.from(events, (event) => units.map((unit) => bm.getEventData(event, { timeGroup: unit, now })));
  const chunks: (typeof sets)[] = [];
  for (let i = 0; i < sets.length; i += PERIOD_COUNT_LIMITS.eventsPerProgram) chunks.push(sets.slice(i, i + PERIOD_COUNT_LIMITS.eventsPerProgram));
  const answers = await settleAll(
    chunks.map(async (chunk) => {
      const p = new BitmapProgram();
      const work = p.register();
      const slots = chunk.map((row) => row.map((set) => {
        const slot = p.slot();
        countPeriod(p, set.expression, slot, work);
        return slot;
      }));
      const sums = await bm.runProgram(p, undefined, 'events', signal);
      return slots.map((row) => row.map((slot) => sums[slot]!));
    }),
  );
  return answers.flat();
}
