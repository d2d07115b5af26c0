/**
 * A funnel computed in Node user by user from each step's period bitmaps (independent of src/ and of its
 * programs), as README's "Funnels" defines it: a user enters in the first entry period with step 1 (once), and
 * reaches step k when steps 2..k were done within [entry, entry + window] (and no later than the last period), in
 * order (a step in the same period as the one before counts) or in any order.
 */
import { forEachBit, type DayBitmap } from './page-model.js';
import { getBit } from './scale-product.js';

/** What a funnel answers, as `FunnelResult` has it (without dates and names). */
export interface FunnelModel {
  /** Per entry period, the users who entered then and reached each step (`[0]`: entered). */
  entries: number[][];
  /** The users who reached the last step j periods after their entry period. */
  timeToConvert: number[];
}

/**
 * `bitmaps[k][t]`: the users who did step k in period t of the range (t = 0 the oldest of `bitmaps[0].length`
 * periods); only users of `segment` count when given.
 */
export function modelFunnel(bitmaps: readonly DayBitmap[][], window: number, order: 'sequential' | 'any', segment?: Uint8Array): FunnelModel {
  const steps = bitmaps.length;
  const periods = bitmaps[0]!.length;
  const entries = Array.from({ length: periods }, () => Array.from({ length: steps }, () => 0));
  const timeToConvert = Array.from({ length: window + 1 }, () => 0);
  const entered = new Set<number>();
  for (let entry = 0; entry < periods; entry += 1) {
    const firstStep = bitmaps[0]![entry];
    if (firstStep === undefined) continue;
    forEachBit(firstStep, (uid) => {
      if (entered.has(uid)) return;
      entered.add(uid);
      if (segment !== undefined && !getBit(segment, uid)) return;
      const limit = Math.min(entry + window, periods - 1);
      /** The first period from `from` to `limit` in which the user did step k. */
      const earliest = (k: number, from: number) => {
        for (let t = from; t <= limit; t += 1) {
          const bitmap = bitmaps[k]![t];
          if (bitmap !== undefined && getBit(bitmap, uid)) return t;
        }
        return undefined;
      };
      entries[entry]![0]! += 1;
      let reachedAt = entry;
      for (let k = 1; k < steps; k += 1) {
        const at = earliest(k, order === 'sequential' ? reachedAt : entry);
        if (at === undefined) return;
        reachedAt = Math.max(reachedAt, at);
        entries[entry]![k]! += 1;
        if (k === steps - 1) timeToConvert[reachedAt - entry]! += 1;
      }
    });
  }
  return { entries, timeToConvert };
}
