/** The series colours of the charts, in order (a series past the last reuses them). */
export const CHART_COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f', '#a16207', '#475569'];

/** The colour of series `n`. */
export function chartColour(n: number): string {
  return CHART_COLOURS[n % CHART_COLOURS.length]!;
}

/** An axis end: the smallest of 1, 2 or 5 times a power of ten at or above `max` (1 for nothing). */
export function niceTop(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * power).find((top) => top >= max)!;
}

/** An axis end in percent (0..100): {@link niceTop}, at least 1 and at most 100. */
export function percentTop(max: number): number {
  return Math.min(100, Math.max(1, niceTop(max)));
}

/** Rounds a coordinate to a tenth (SVG attributes stay short). */
export function tenth(n: number): number {
  return Math.round(n * 10) / 10;
}
