/** Latency samples and their summaries. */

/** Median and p95 of a set of samples, in milliseconds. */
export interface LatencySummary {
  samples: number;
  medianMs: number;
  p95Ms: number;
}

/** The value below which `p` (0..1) of the sorted samples lie (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median and p95 of samples (milliseconds). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return { samples: sorted.length, medianMs: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) };
}

/** Runs `task` `runs` times one after the other and summarizes its latency. Returns the last result too. */
export async function timeRuns<T>(runs: number, task: () => Promise<T>): Promise<{ latency: LatencySummary; last: T }> {
  const samples: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    last = await task();
    samples.push(performance.now() - start);
  }
  return { latency: summarize(samples), last: last as T };
}

/** Formats milliseconds for the table: 3 significant digits. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 100) return `${Math.round(value)} ms`;
  if (value >= 1) return `${value.toPrecision(3)} ms`;
  return `${Math.round(value * 1000)} µs`;
}

/** Formats a rate for the table, e.g. `123,456 marks/s`. */
export function rate(perSecond: number, unit = ''): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}${unit ? ` ${unit}` : ''}/s`;
}
