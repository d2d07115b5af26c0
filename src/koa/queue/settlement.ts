import { BitmapistKeyTypeError, BitmapistLimitError, BitmapistRegistryError } from '../../engine/errors.js';
import { isRetryable } from '../../engine/redis/outage.js';

/**
 * What becomes of a mark once its write settled:
 * - `written`: Redis wrote it (a refused block registration too: its bits are written);
 * - `outage`: Redis was away or said "not now": it waits for its partition to come back;
 * - `dropped`: it had been dropped from a full queue while being written, and the write failed;
 * - `refused`: Redis refused it for good (a key of the wrong type, a new mapped id past the cap, or it failed
 *   alone): given up;
 * - `alone`: its shared script call failed: it is sent again on its own to tell who was refused.
 */
export type Settlement = 'written' | 'outage' | 'dropped' | 'refused' | 'alone';

/** The {@link Settlement} of a write: `error` undefined when it succeeded. */
export function settlementOf(failed: boolean, error: unknown, mark: { abandoned: boolean; alone: boolean }): Settlement {
  if (!failed || error instanceof BitmapistRegistryError) return 'written';
  if (isRetryable(error)) return mark.abandoned ? 'dropped' : 'outage';
  if (mark.abandoned) return 'dropped';
  // Refusals of the mark itself (its call's other marks are written): no need to send it again alone.
  const own = error instanceof BitmapistKeyTypeError || error instanceof BitmapistLimitError;
  return mark.alone || own ? 'refused' : 'alone';
}
