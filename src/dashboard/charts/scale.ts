/** The series colours of the charts, in order (a series past the last reuses them). */
export const CHART_COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f', '#a16207', '#475569'];

/** The colour of series `n`. */
export function chartColour(n: number): string {
  return CHART_COLOURS[n % CHART_COLOURS.length]!;
}

/** A CSS colour a chart accepts from its caller: `#rgb[a]`, `#rrggbb[aa]`, a name, or `rgb()`/`hsl()` of plain numbers. */
const SAFE_COLOUR = /^(#[0-9a-f]{3,4}|#[0-9a-f]{6}|#[0-9a-f]{8}|[a-z]{3,20}|(rgb|hsl)a?\([\d\s.,%/]+\))$/i;

/**
 * The colour of series `n`: its own `colour` when given and a plain CSS colour (it lands in SVG attributes and
 * a legend's `style`, so nothing else is let through), else the palette's ({@link chartColour}).
 */
export function seriesColour(colour: string | undefined, n: number): string {
  return colour !== undefined && SAFE_COLOUR.test(colour) ? colour : chartColour(n);
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

/**
 * Which of `count` x positions (0..count-1) get a label when at most `maxLabels` fit: every `step`-th from
 * the first, the smallest step that keeps to `maxLabels`, and always the last, leaving out the one before it
 * when closer than a step (of 12 positions, never both 10 and 11). Labels then stand at least a step apart,
 * so a step wide enough for one label never lets two overlap. Every chart with x labels uses it.
 */
export function tickIndexes(count: number, maxLabels: number): number[] {
  if (count <= 0) return [];
  const last = count - 1;
  // floor(last / step) + 1 labels are drawn; this is the smallest step keeping them to maxLabels.
  const step = Math.floor(last / Math.max(1, Math.floor(maxLabels))) + 1;
  const indexes: number[] = [];
  for (let i = 0; last - i >= step; i += step) indexes.push(i);
  return [...indexes, last];
}
