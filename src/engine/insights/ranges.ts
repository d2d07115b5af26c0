import { BitmapistArgumentError } from '../errors.js';
import type { PeriodEventSet } from '../query/event-set.js';

/** The `length` periods ending with `last`, oldest first (the range every insight reads). */
export function periodRange<Id>(last: PeriodEventSet<Id>, length: number): PeriodEventSet<Id>[] {
  return Array.from({ length }, (_, i) => last.delta(i - (length - 1)));
}

/**
 * Checks a count of periods (or days) of an insight: a whole number from 1 to `max`, else a
 * {@link BitmapistArgumentError} naming `argument`.
 */
export function checkCount(argument: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new BitmapistArgumentError(argument, `must be a whole number from 1 to ${max}, got ${String(value)}`);
  }
}
