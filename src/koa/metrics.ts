import type { Cluster, Redis } from 'ioredis';
import { observeScriptCalls } from '../engine/redis/script-timing.js';
import type { MarkQueueMetrics } from './queue/mark-queue.js';

/** The content type of {@link prometheusText}: the Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The upper bounds (`le`) of the script-call duration histogram, in seconds: 100 µs to 1 s (then `+Inf`). */
export const SCRIPT_CALL_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** The durations of one script's calls on one system. */
class DurationHistogram {
  /** Calls per bucket, not cumulative; the last one is `+Inf`. */
  readonly counts = new Float64Array(SCRIPT_CALL_BUCKETS.length + 1);
  sum = 0;

  observe(seconds: number): void {
    let bucket = 0;
    while (bucket < SCRIPT_CALL_BUCKETS.length && seconds > SCRIPT_CALL_BUCKETS[bucket]!) bucket += 1;
    this.counts[bucket]! += 1;
    this.sum += seconds;
  }
}

/**
 * The script-call histograms of a plugin, per system and script, fed by the engine's `observeScriptCalls`.
 * Systems that share one client are timed under the first one's name (a call cannot tell which system made it).
 */
export class ScriptCallTimings {
  /** system → script → histogram, in the order systems and scripts were first seen. */
  readonly bySystem = new Map<string, Map<string, DurationHistogram>>();
  private readonly watched = new Set<object>();
  private readonly stops: (() => void)[] = [];

  /** Times every script call on `client` under `system`, until {@link stop}. */
  watch(system: string, client: Redis | Cluster): void {
    if (this.watched.has(client)) return;
    this.watched.add(client);
    const scripts = new Map<string, DurationHistogram>();
    this.bySystem.set(system, scripts);
    this.stops.push(
      observeScriptCalls(client, (script, seconds) => {
        let histogram = scripts.get(script);
        if (histogram === undefined) scripts.set(script, (histogram = new DurationHistogram()));
        histogram.observe(seconds);
      }),
    );
  }

  /** Stops timing (the plugin is closed); the histograms keep what they saw. */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}

/** What the text shows of one system's mark queue and connection. */
export interface SystemMetrics {
  system: string;
  queue: MarkQueueMetrics;
  queueLimit: number;
  reachable: boolean;
}

/** A label value as the exposition format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `{name="value",...}` */
function labels(pairs: readonly (readonly [string, string])[]): string {
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

function family(lines: string[], name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

const QUEUE_FAMILIES = [
  ['bitmapist_marks_queued', 'gauge', 'Marks held in the mark queue (waiting or being written).', (s: SystemMetrics) => s.queue.queued],
  ['bitmapist_mark_queue_limit', 'gauge', 'The most marks the mark queue holds (the queueLimit option).', (s: SystemMetrics) => s.queueLimit],
  ['bitmapist_marks_written_total', 'counter', 'Marks written to Redis.', (s: SystemMetrics) => s.queue.written],
  ['bitmapist_marks_dropped_total', 'counter', 'Marks dropped: the oldest when the queue was full, and a forgotten user\'s marks forgetUser could not write first.', (s: SystemMetrics) => s.queue.dropped],
  ['bitmapist_marks_failed_total', 'counter', 'Marks given up: refused by Redis, not written when close() gave up, or issued after close().', (s: SystemMetrics) => s.queue.failed],
  ['bitmapist_redis_reachable', 'gauge', '1 unless the client has lost its connection to Redis and not got it back.', (s: SystemMetrics) => (s.reachable ? 1 : 0)],
] as const;

/**
 * The plugin's metrics in the Prometheus text format (0.0.4): per system the mark queue's gauges and counters
 * and whether Redis is reachable, and the histogram of script-call durations per script and system.
 */
export function prometheusText(systems: readonly SystemMetrics[], timings: ScriptCallTimings): string {
  const lines: string[] = [];
  for (const [name, type, help, value] of QUEUE_FAMILIES) {
    family(lines, name, type, help);
    for (const system of systems) lines.push(`${name}${labels([['system', system.system]])} ${formatValue(value(system))}`);
  }
  const histogram = 'bitmapist_script_call_duration_seconds';
  family(lines, histogram, 'histogram', 'Duration of the Lua script calls, from the call to its reply, failed calls included.');
  for (const [system, scripts] of timings.bySystem) {
    for (const [script, { counts, sum }] of scripts) {
      const series: [string, string][] = [['script', script], ['system', system]];
      let cumulative = 0;
      counts.forEach((count, bucket) => {
        cumulative += count;
        const le = bucket < SCRIPT_CALL_BUCKETS.length ? SCRIPT_CALL_BUCKETS[bucket]! : Number.POSITIVE_INFINITY;
        lines.push(`${histogram}_bucket${labels([...series, ['le', formatValue(le)]])} ${cumulative}`);
      });
      lines.push(`${histogram}_sum${labels(series)} ${formatValue(sum)}`, `${histogram}_count${labels(series)} ${cumulative}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
