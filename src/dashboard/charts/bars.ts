import { html, type SafeHtml } from '../shared/html.js';
import { chartFrame, yAxisLabel } from './frame.js';
import { niceTop, tenth } from './scale.js';

/** One layer of a {@link stackedBars} chart: a count per bar, drawn above the axis or, with `below`, under it. */
export interface BarSeries {
  name: string;
  values: readonly number[];
  colour: string;
  below?: boolean;
}

/** What {@link stackedBars} draws. */
export interface StackedBarsOptions {
  /** The accessible title (the SVG's `<title>`). */
  title: string;
  /** The accessible description (the SVG's `<desc>`). */
  description: string;
  /** One label per bar, left to right (in each segment's title). */
  xLabels: readonly string[];
  /** Shorter labels for the x axis (default `xLabels`); some are skipped when they do not all fit. */
  axisLabels?: readonly string[];
  /** Layers in stacking order, from the axis outwards. */
  series: readonly BarSeries[];
}

const HEIGHT = 300;
const TOP = 14;
const BOTTOM = 36;

/**
 * A server-rendered SVG stacked bar chart (readable without JavaScript, at any width: see `frame.ts`): layers
 * stacked up from the zero line, `below` layers stacked down from it (shown as negative numbers on the axis),
 * a `<title>` on every bar segment, `role="img"` with `<title>`/`<desc>`, and a legend. Every label is escaped.
 */
export function stackedBars(options: StackedBarsOptions): SafeHtml {
  const { xLabels, series } = options;
  const stackSum = (below: boolean, i: number) =>
    series.filter((s) => Boolean(s.below) === below).reduce((sum, s) => sum + (s.values[i] ?? 0), 0);
  const bars = xLabels.map((_, i) => i);
  const up = niceTop(Math.max(0, ...bars.map((i) => stackSum(false, i))));
  const hasBelow = series.some((s) => s.below);
  const down = hasBelow ? niceTop(Math.max(0, ...bars.map((i) => stackSum(true, i)))) : 0;
  const ticks = [up, up / 2, 0, ...(hasBelow ? [-down / 2, -down] : [])];
  const round = tenth;
  const frame = chartFrame({
    height: HEIGHT,
    top: TOP,
    bottom: BOTTOM,
    yLabels: ticks.map((t) => String(round(t))),
    xLabels: options.axisLabels ?? xLabels,
    spread: 'slots',
  });
  const plotH = frame.plotHeight;
  // y(v): v > 0 above the zero line, v < 0 below it.
  const y = (v: number) => round(((up - v) / (up + down)) * plotH);
  // Bars in percent of the plot's width: 72% of a slot each, centred on it.
  const slot = 100 / Math.max(1, xLabels.length);
  const barW = Math.round(slot * 72) / 100;
  const left = (i: number) => Math.round((frame.x(i) - barW / 2) * 100) / 100;
  const segments = series.map((s, n) => {
    const sign = s.below ? -1 : 1;
    const before = series.slice(0, n).filter((other) => Boolean(other.below) === Boolean(s.below));
    return html`<g class="bar-series" data-series="${s.name}" aria-label="${s.name}">${bars.map((i) => {
      const value = s.values[i] ?? 0;
      if (value <= 0) return '';
      const base = before.reduce((sum, other) => sum + (other.values[i] ?? 0), 0);
      const a = y(sign * base);
      const b = y(sign * (base + value));
      return html`<rect class="bar" x="${left(i)}%" y="${Math.min(a, b)}" width="${barW}%" height="${round(Math.abs(b - a))}" fill="${s.colour}"><title>${s.name}, ${xLabels[i] ?? ''}: ${s.below ? -value : value}</title></rect>`;
    })}</g>`;
  });
  return html`<figure class="chart bars">
<svg class="bar-chart" width="100%" height="${HEIGHT}" style="${frame.style}" role="img" aria-labelledby="bars-title bars-desc" xmlns="http://www.w3.org/2000/svg">
<title id="bars-title">${options.title}</title><desc id="bars-desc">${options.description}</desc>
<g class="grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="0" x2="100%" y1="${y(t)}" y2="${y(t)}" stroke="${t === 0 ? '#6b7280' : '#e5e7eb'}"></line>${yAxisLabel(y(t), String(round(t)))}`,
  )}</g>
<g class="x-axis" aria-hidden="true">${frame.xAxisLabels}</g>
${segments}
</svg>
<figcaption class="legend">${series.map(
    (s) => html`<span class="legend-item"><span class="swatch" style="background:${s.colour}"></span>${s.name}</span>`,
  )}</figcaption>
</figure>`;
}
