import { AsyncLocalStorage } from 'node:async_hooks';

/** The signal of the work running in this async context (a dashboard view whose client may leave). */
const scope = new AsyncLocalStorage<AbortSignal | undefined>();

/**
 * Runs `work` so that once `signal` is aborted, each Redis call it still makes through a `CallLimiter` (and
 * each task of its `map`) rejects with the signal's reason, unsent: an abandoned request stops at its next
 * call instead of running to its end. Cleanup calls (scratch keys deleted) still go out.
 */
export function runWithSignal<R>(signal: AbortSignal | undefined, work: () => R): R {
  return signal === undefined ? work() : scope.run(signal, work);
}

/** Throws the reason of the signal of the work calling it, once aborted (see {@link runWithSignal}). */
export function throwIfAborted(): void {
  scope.getStore()?.throwIfAborted();
}
