import type Koa from 'koa';
import type { Router } from '@koa/router';
import type { Bitmapist } from '../engine/bitmapist.js';
import type { IdOf } from '../engine/ids/user-ids.js';
import type { PeriodOptions } from '../engine/query/event-sets.js';
import type { ChainedEvent } from '../engine/query/chain.js';
import type { CohortOptions, CohortResult } from '../engine/insights/cohort/plan.js';
import type { FunnelOptions, FunnelResult } from '../engine/insights/funnels.js';
import type { EventSet, PeriodEventSet } from '../engine/query/event-set.js';
import type { MarkOptions } from '../engine/marking/marker.js';
import type { UserMark } from '../engine/users/user-marks.js';
import { assertOptionsObject } from '../engine/arguments.js';
import { BitmapistArgumentError } from '../engine/errors.js';
import type { UserIdMode } from '../engine/ids/user-ids.js';
import { checkAppUserId } from '../engine/ids/user-ids.js';
import { emitAppError } from './app-errors.js';
import { MarksNotWrittenError } from './errors.js';
import { prometheusText, ScriptCallTimings } from './metrics.js';
import type { MarkQueueMetrics } from './queue/mark-queue.js';
import type { ResolvedOptions, KoaBitmapistOptions } from './options.js';
import { createSystem, type BitmapistSystem, type SystemMark } from './systems.js';
import type { UserId } from './user-id.js';

/** Options of the plugin's `markEvent`: the engine's, plus the system to mark in. */
export interface KoaMarkOptions extends MarkOptions {
  /** The system (default: the plugin's default system). */
  system?: string;
}

/** The `system` option every read of the plugin takes. */
export interface SystemOption {
  system?: string;
}

/**
 * How long `close()` waits, once its timeout is over, for the writes already sent to settle, before it closes the
 * plugin's own connections.
 */
export const LATE_WRITES_MS = 500;

/**
 * The installed plugin, also reachable as `ctx.bitmapist`. Marks go to a bounded in-memory queue per
 * system that one drainer writes through the engine, so marking never waits on Redis nor fails a request;
 * reads go straight to the engine of the chosen system.
 */
export class KoaBitmapist<Mode extends UserIdMode = 'integers'> {
  /** The name of the default system. */
  readonly defaultSystem: string;
  /** The dashboard router, when mounted. */
  router: Router | undefined;
  private readonly systems = new Map<string, BitmapistSystem>();
  private readonly closeTimeout: number;
  private closing: Promise<number> | undefined;
  private readonly queueLimit: number;
  private readonly scriptCalls = new ScriptCallTimings();
  /** @internal Called once when closing starts (the installer unregisters the plugin). */
  onClose: (() => void) | undefined;

  /** @internal Use {@link koaBitmapist}. */
  constructor(
    readonly app: Koa,
    resolved: ResolvedOptions,
    options: KoaBitmapistOptions,
  ) {
    this.defaultSystem = resolved.defaultSystem;
    this.closeTimeout = resolved.closeTimeout;
    this.queueLimit = resolved.queueLimit;
    const report = (error: Error, origin?: object) => emitAppError(app, error, origin);
    try {
      for (const [name, source] of resolved.sources) {
        const settings = { ...options, trackHourly: resolved.trackHourly, queueLimit: resolved.queueLimit, report };
        this.systems.set(name, createSystem(name, source, settings));
      }
    } catch (error) {
      for (const system of this.systems.values()) void system.close();
      throw error;
    }
    for (const [name, { engine }] of this.systems) this.scriptCalls.watch(name, engine.redis);
  }

  /** The engine of the default system. */
  get engine(): Bitmapist<Mode> {
    return this.system();
  }

  /** The names of the configured systems. */
  get systemNames(): string[] {
    return [...this.systems.keys()];
  }

  /** The engine of a system (default: the default system); throws on an unknown name. */
  system(name: string = this.defaultSystem): Bitmapist<Mode> {
    return this.systemState(name).engine as Bitmapist<UserIdMode> as Bitmapist<Mode>;
  }

  /**
   * Queues a mark of `event` by `uid` (a number, bigint or string of digits; with mapped ids any id) and returns at once. The
   * arguments are checked now (a bad one throws `BitmapistArgumentError`); Redis errors never reach the
   * caller: they go to `app.emit('error')` and the mark is retried.
   */
  markEvent(event: string, uid: UserId, options: KoaMarkOptions = {}): void {
    this.enqueue(event, uid, options);
  }

  /**
   * @internal `markEvent` remembering the request that issued the mark. The mark is checked once, by the
   * engine of its system (`prepareMark`), and queued as checked: the queue writes it without another check.
   */
  enqueue(event: string, uid: unknown, options: KoaMarkOptions = {}, origin?: object): void {
    assertOptionsObject(options);
    const { system, ...markOptions } = options;
    const { engine, queue } = this.systemState(system);
    const checked = engine.prepareMark(event, uid as UserId, markOptions);
    queue.push({ event: checked.event, uid: checked.uid, checked, origin: origin && new WeakRef(origin) });
  }

  /** The users who did `event` in the period containing `now` (see the engine's `getEventData`). */
  getEventData(event: string, options: PeriodOptions & SystemOption = {}): PeriodEventSet<IdOf<Mode>> {
    assertOptionsObject(options);
    const { system, ...rest } = options;
    return this.system(system).getEventData(event, rest);
  }

  /** `base` chained with `events` (see the engine's `chainEvents`). */
  chainEvents(base: string, events: readonly ChainedEvent[], options: PeriodOptions & SystemOption = {}): EventSet<IdOf<Mode>> {
    assertOptionsObject(options);
    const { system, ...rest } = options;
    return this.system(system).chainEvents(base, events, rest);
  }

  /** A cohort table (see the engine's `getCohort`). */
  async getCohort(primary: string, secondary: string, options: CohortOptions & SystemOption = {}): Promise<CohortResult> {
    assertOptionsObject(options);
    const { system, ...rest } = options;
    return this.system(system).getCohort(primary, secondary, rest);
  }

  /** A funnel of `steps` (see the engine's `getFunnel`). */
  async getFunnel(steps: readonly string[], options: FunnelOptions & SystemOption = {}): Promise<FunnelResult> {
    assertOptionsObject(options);
    const { system, ...rest } = options;
    return this.system(system).getFunnel(steps, rest);
  }

  /** Every event name of a system, sorted. */
  async getEventNames(options: { prefix?: string } & SystemOption = {}): Promise<string[]> {
    assertOptionsObject(options);
    const { system, ...rest } = options;
    return this.system(system).getEventNames(rest);
  }

  /**
   * Forgets a user in a system (right to erasure; see the engine's `forgetUser`): first waits for the user's
   * marks already queued to be written (at most the `closeTimeout` option; the queue's other marks are not
   * waited for) and gives up those still held then (see `MarkQueue.settleMarks`), so none of them sets a bit
   * again after; then clears the user's bit in every bitmap. Resolves to the number of bitmaps that changed; unlike marks, its errors reject.
   */
  async forgetUser(uid: UserId, options: SystemOption = {}): Promise<number> {
    assertOptionsObject(options);
    const { engine, queue } = this.systemState(options.system);
    // Checked before waiting for the queue, by the rules marks are checked with.
    const id = checkAppUserId(uid, engine);
    const theUsers = (mark: SystemMark) => mark.checked.uid === id;
    // Only a write Redis has not answered after both waits may still land after the forget.
    await queue.settleMarks(theUsers, this.closeTimeout, this.closeTimeout);
    return engine.forgetUser(id as never);
  }

  /**
   * What a system holds about a user (right of access; see the engine's `exportUser`): first waits for the user's
   * marks already queued to be written (at most the `closeTimeout` option), so the answer includes them. Its
   * errors reject.
   */
  async exportUser(uid: UserId, options: SystemOption = {}): Promise<UserMark[]> {
    assertOptionsObject(options);
    const { engine, queue } = this.systemState(options.system);
    const id = checkAppUserId(uid, engine);
    await queue.settleMarks((mark) => mark.checked.uid === id, this.closeTimeout);
    return engine.exportUser(id as never);
  }

  /** The mark queues' counters, summed over systems. */
  get metrics(): MarkQueueMetrics {
    const total = { queued: 0, written: 0, dropped: 0, failed: 0 };
    for (const { queue } of this.systems.values()) {
      const m = queue.metrics;
      total.queued += m.queued;
      total.written += m.written;
      total.dropped += m.dropped;
      total.failed += m.failed;
    }
    return total;
  }

  /** Each system's mark queue counters, by system name. */
  get metricsBySystem(): Record<string, MarkQueueMetrics> {
    return Object.fromEntries([...this.systems].map(([name, { queue }]) => [name, queue.metrics]));
  }

  /**
   * The metrics in the Prometheus text format (version 0.0.4, content type `PROMETHEUS_CONTENT_TYPE`): per
   * system the marks queued, written, dropped and failed, the queue's limit and whether Redis is reachable, and
   * the durations of the script calls per script and system. What `GET {prefix}/metrics` answers; an app with
   * its own metrics endpoint (prom-client's included) can append it to its own text.
   */
  metricsText(): string {
    const systems = [...this.systems].map(([system, { engine, queue }]) => ({
      system,
      queue: queue.metrics,
      queueLimit: this.queueLimit,
      reachable: engine.reachable,
    }));
    return prometheusText(systems, this.scriptCalls);
  }

  /** Resolves once every queued mark is written, or after `timeoutMs`, with the number still queued. */
  async flush(timeoutMs?: number): Promise<number> {
    const pending = await Promise.all([...this.systems.values()].map(({ queue }) => queue.idle(timeoutMs)));
    return pending.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Stops taking marks, writes the queued ones (waiting at most `timeout` ms, default the `closeTimeout`
   * option), then closes the connections the plugin opened (never a client or engine you passed in).
   * Resolves with the number of marks it could not write (those never sent, and those whose write failed or was
   * still pending {@link LATE_WRITES_MS} after the timeout), also reported as a `MarksNotWrittenError`; a write
   * Redis applied meanwhile counts as written.
   */
  close(options: { timeout?: number } = {}): Promise<number> {
    this.closing ??= this.shutdown(options.timeout ?? this.closeTimeout);
    return this.closing;
  }

  private async shutdown(timeout: number): Promise<number> {
    this.onClose?.();
    const systems = [...this.systems.values()];
    const unsent = (await Promise.all(systems.map(({ queue }) => queue.close(timeout)))).reduce((a, b) => a + b, 0);
    // The writes already sent get LATE_WRITES_MS more, connections still open (a mark's write may go on with its
    // EXPIREAT): one Redis still applies counts as written, the others as not written. Then the connections close.
    const failed = (await Promise.all(systems.map(({ queue }) => queue.settleAfterClose(LATE_WRITES_MS)))).reduce((a, b) => a + b, 0);
    await Promise.all(systems.map((system) => system.close()));
    const unwritten = unsent + failed;
    if (unwritten > 0) {
      const message = `koa-bitmapist: ${unwritten} queued marks could not be written before close() gave up after ${timeout} ms`;
      emitAppError(this.app, new MarksNotWrittenError(message));
    }
    this.scriptCalls.stop();
    return unwritten;
  }

  private systemState(name: string = this.defaultSystem): BitmapistSystem {
    const system = this.systems.get(name);
    if (system === undefined) {
      throw new BitmapistArgumentError('system', `unknown system ${JSON.stringify(name)}; configured: ${this.systemNames.join(', ')}`);
    }
    return system;
  }
}
