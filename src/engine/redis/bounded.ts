/**
 * Runs `task` over `items` with at most `limit` tasks in flight, in order of `items` (consumed lazily, so a
 * generator of 4,096 blocks is never materialized). Rejects with the first failure; no task starts after it.
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
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}
