import { html, type SafeHtml } from '../shared/html.js';
import { tickIndexes } from './scale.js';

/**
 * How the charts stay legible at any width, without script. An SVG with a fixed viewBox scales its text
 * with it (11 units drew 4.7 px at 390 px), so a chart's SVG has no viewBox: it is as wide as its
 * `figure.chart` and a fixed height in px, so a user unit is a CSS pixel and labels are drawn at
 * {@link LABEL_PX} on a phone as on a desktop. The plot is the SVG's content box; the axis labels sit in its
 * padding (overflow visible). Points, bars and x labels are placed in percent of the plot's width; lines in a
 * nested SVG whose x runs 0..{@link PATH_WIDTH} stretched to that width (strokes keep their width).
 *
 * Ticks are thinned, not shrunk: each x label (`class="tick"`) carries a class per chart width it is shown at
 * (`w260`, `w300`, ...), chosen by {@link tickIndexes} for the labels that fit at that width, and {@link CHART_STYLE}
 * shows them with container queries on the figure. A figure therefore needs a definite width (a block, or a
 * grid or flex item that stretches): inline-size containment gives it no width of its own.
 */

/** The font size of every axis label, in CSS px (the size drawn: the charts are not scaled). */
export const LABEL_PX = 12;

/** The space kept between two x labels, px. */
const LABEL_GAP = 6;

/** The most x labels an axis draws, however wide. */
const MAX_X_LABELS = 12;

/**
 * The chart widths (px) the x axis is laid out for, narrowest first: a chart at least `CHART_WIDTHS[t]` wide
 * shows the labels chosen for that width; one narrower than the first, the first's (260 px: a chart on a
 * 320 px phone).
 */
export const CHART_WIDTHS = [260, 300, 340, 400, 480, 560, 680, 820] as const;

/** The x extent of the nested SVG the lines are drawn in (stretched to the plot's width). */
export const PATH_WIDTH = 1000;

/**
 * The stylesheet of the x labels' thinning (inlined in the dashboard's): the figure is a size container, and
 * at each of {@link CHART_WIDTHS} only that width's labels show (browsers without container queries show the
 * narrowest layout's, which never overlap).
 */
export const CHART_STYLE = [
  'figure.chart{container-type:inline-size}',
  `figure.chart .x-axis text.tick:not(.w${CHART_WIDTHS[0]}){display:none}`,
  // Both rules of a width weigh the same as the narrower widths' ones: the widest matching width, last, wins.
  ...CHART_WIDTHS.slice(1).map(
    (width) => `@container (min-width:${width}px){figure.chart .x-axis text.tick:not(.w${width}){display:none}figure.chart .x-axis text.tick.w${width}{display:inline}}`,
  ),
].join('\n');

const NARROW = new Set(" .,:;'-/|()[]!ijlrtf");
const WIDE = new Set('MWmw%@');

/** An upper estimate of a label's width at {@link LABEL_PX}, px (DejaVu Sans, a wide sans-serif, as the measure). */
export function labelWidth(text: string): number {
  let em = 0;
  for (const c of text) em += NARROW.has(c) ? 0.4 : WIDE.has(c) ? 1 : c >= 'A' && c <= 'Z' ? 0.8 : 0.64;
  return em * LABEL_PX;
}

/** What {@link chartFrame} lays out. */
export interface FrameOptions {
  /** The SVG's height, px, axis labels included. */
  height: number;
  /** The space above the plot and below it (for the x labels), px. */
  top: number;
  bottom: number;
  /** The y axis labels (the widest sets the left padding). */
  yLabels: readonly string[];
  /** One x axis label per position, left to right. */
  xLabels: readonly string[];
  /** `'edges'`: the first position on the left edge of the plot, the last on the right (lines); `'slots'`: each in the middle of an equal slot (bars). */
  spread: 'edges' | 'slots';
}

/** A chart's layout: its SVG's size and padding, where positions go, and its x axis labels. */
export interface ChartFrame {
  /** The plot's height, px (y runs from 0 at its top to this at the x axis). */
  plotHeight: number;
  /** The SVG's `style`: full width, fixed height, and the padding the axis labels are drawn in. */
  style: string;
  /** Position `i`'s x, in percent of the plot's width (two decimals). */
  x(i: number): number;
  /** Position `i`'s x in the nested path SVG's units (0..{@link PATH_WIDTH}). */
  pathX(i: number): number;
  /**
   * The x axis labels, each drawn once with a class per chart width it shows at: at each of
   * {@link CHART_WIDTHS}, the {@link tickIndexes} of as many as fit in the plot a label's width and a gap apart.
   */
  xAxisLabels: SafeHtml[];
}

/** Lays out a chart: the padding its axis labels need, its x positions, and which x labels show at which width. */
export function chartFrame(options: FrameOptions): ChartFrame {
  const { height, top, bottom, yLabels, xLabels, spread } = options;
  const count = xLabels.length;
  const plotHeight = height - top - bottom;
  // The first and last x labels are centred on the plot's edges (or inside them): half of each may stand out.
  const half = (text: string | undefined) => Math.ceil(labelWidth(text ?? '') / 2) + 2;
  const left = Math.max(Math.ceil(Math.max(0, ...yLabels.map(labelWidth))) + 10, half(xLabels[0]));
  const right = Math.max(12, half(xLabels.at(-1)));
  const x = (i: number) => {
    const fraction = spread === 'slots' ? (i + 0.5) / Math.max(1, count) : count <= 1 ? 0.5 : i / (count - 1);
    return Math.round(fraction * 10_000) / 100;
  };
  const room = Math.max(0, ...xLabels.map(labelWidth)) + LABEL_GAP;
  const shownAt = new Map<number, number[]>();
  for (const width of CHART_WIDTHS) {
    const fit = Math.min(MAX_X_LABELS, Math.max(1, Math.floor((width - left - right) / room)));
    for (const i of tickIndexes(count, fit)) shownAt.set(i, [...(shownAt.get(i) ?? []), width]);
  }
  const xAxisLabels = [...shownAt.entries()]
    .sort(([a], [b]) => a - b)
    .map(
      ([i, widths]) =>
        html`<text class="tick ${widths.map((width) => `w${width}`).join(' ')}" x="${x(i)}%" y="${plotHeight + LABEL_PX + 6}" text-anchor="middle" font-size="${LABEL_PX}" fill="#4b5563">${xLabels[i]}</text>`,
    );
  return {
    plotHeight,
    style: `display:block;box-sizing:border-box;width:100%;height:${height}px;padding:${top}px ${right}px ${bottom}px ${left}px;overflow:visible`,
    x,
    pathX: (i) => Math.round(x(i) * PATH_WIDTH) / 100,
    xAxisLabels,
  };
}

/** A y axis label, right-aligned in the left padding at height `y` (px from the plot's top). */
export function yAxisLabel(y: number, text: string): SafeHtml {
  return html`<text x="-8" y="${y + 4}" text-anchor="end" font-size="${LABEL_PX}" fill="#4b5563">${text}</text>`;
}

/** The nested SVG lines are drawn in: x 0..{@link PATH_WIDTH} stretched to the plot's width, y in px. */
export function pathPlot(frame: ChartFrame, content: SafeHtml | SafeHtml[]): SafeHtml {
  return html`<svg class="plot" width="100%" height="${frame.plotHeight}" viewBox="0 0 ${PATH_WIDTH} ${frame.plotHeight}" preserveAspectRatio="none" style="overflow:visible">${content}</svg>`;
}
