/** The longest delay Node's `setTimeout` takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Callers waiting for a queue to be idle (nothing waiting, nothing in flight), each for at most its own time
 * limit: `wait` resolves with what `remaining()` says then (0 once idle).
 */
export class IdleWaiters {
  private waiters: (() => void)[] = [];
  private givenUp = 0;

  constructor(private readonly remaining: () => number) {}

  /** Resolves once {@link notifyIdle} is called, or after `timeoutMs`, with the number of marks still held. */
  wait(timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve(this.remaining() + this.givenUp);
      };
      // Node's timers take at most 2^31 - 1 ms (about 24.8 days; a longer one fires at once): longer is forever.
      if (Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS) timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  /**
   * The queue is idle: every waiter resolves, with `givenUp` more than what is held (the marks a close let go
   * are not held any more, but they were not written either).
   */
  notifyIdle(givenUp = 0): void {
    this.givenUp = givenUp;
    try {
      for (const waiter of [...this.waiters]) waiter();
    } finally {
      this.givenUp = 0;
    }
  }
}
