/**
 * Resolves to the values of `work` once every one has settled, or rejects with the first failure then: work
 * running side by side (each with its scratch keys) has finished, and cleaned up, before its caller hears.
 */
export async function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(work);
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

/**
 * Runs `task` over `items` with at most `limit` tasks in flight, in order of `items` (consumed lazily, so a
 * generator of 4,096 blocks is never materialized). Rejects with the first failure once the tasks in flight
 * have settled; no task starts after it.
 */
export async function forEachBounded<T>(items: Iterable<T>, limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done && !failed; next = iterator.next()) {
      try {
        await task(next.value);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await settleAll(Array.from({ length: Math.max(1, limit) }, worker));
}
