import type { PendingMark } from './batcher.js';

/**
 * Writes a bulk import in batches of `batchSize` marks, at most `callsInFlight` batches at a time. An array is
 * checked whole (`toPending` throws on a bad mark) before the first batch is sent; an iterable batch by batch.
 * Each mark settles on its own; sending stops at the first failure, which rejects once the calls already sent
 * are answered. Resolves to the number of marks written.
 */
export async function writeInBatches<T>(
  marks: Iterable<T> | AsyncIterable<T>,
  toPending: (mark: T, index: number) => PendingMark,
  write: (batch: PendingMark[]) => Promise<void>[],
  batchSize: number,
  callsInFlight: number,
): Promise<number> {
  // Array.from visits a sparse array's holes too (as undefined, refused by `toPending`); `map` would skip them.
  const checked = Array.isArray(marks) ? Array.from(marks as T[], toPending) : undefined;
  const inFlight = new Set<Promise<unknown>>();
  let written = 0;
  let failure: { error: unknown } | undefined;
  let batch: PendingMark[] = [];
  const send = async () => {
    const pending = batch;
    batch = [];
    // Each mark settles on its own (a refused one does not fail the rest of its call): count what landed.
    const call = Promise.allSettled(write(pending)).then((results) => {
      for (const result of results) {
        if (result.status === 'fulfilled') written += 1;
        else failure ??= { error: result.reason };
      }
    });
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
    if (inFlight.size >= callsInFlight) await Promise.race(inFlight);
    // Stop sending at the first failure; the calls already sent are awaited below.
    if (failure) throw failure.error;
  };
  let index = 0;
  try {
    if (checked) {
      for (let start = 0; start < checked.length; start += batchSize) {
        batch = checked.slice(start, start + batchSize);
        await send();
      }
    } else if (Symbol.iterator in marks) {
      // A plain loop: `for await` would cost a promise per mark.
      for (const mark of marks) {
        batch.push(toPending(mark, index++));
        if (batch.length >= batchSize) await send();
      }
    } else {
      for await (const mark of marks) {
        batch.push(toPending(mark, index++));
        if (batch.length >= batchSize) await send();
      }
    }
    if (batch.length > 0) await send();
  } finally {
    await Promise.allSettled(inFlight);
  }
  if (failure) throw failure.error;
  return written;
}
