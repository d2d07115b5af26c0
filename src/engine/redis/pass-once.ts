/**
 * An asynchronous check that must pass once per process: concurrent callers share one attempt, a success is
 * remembered, and a failure (a refusal, or Redis away) is tried again by the next caller.
 */
export class PassOnce {
  private running: Promise<void> | undefined;

  constructor(
    private readonly attempt: () => Promise<void>,
    private passed = false,
  ) {}

  /** Whether the check has passed (callers need not wait for it). */
  get ready(): boolean {
    return this.passed;
  }

  /** Resolves once the check has passed; rejects with the attempt's error if this attempt fails. */
  check(): Promise<void> {
    if (this.passed) return Promise.resolve();
    this.running ??= this.attempt().then(
      () => {
        this.passed = true;
      },
      (error: unknown) => {
        this.running = undefined;
        throw error;
      },
    );
    return this.running;
  }
}
