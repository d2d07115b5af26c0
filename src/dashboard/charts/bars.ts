import { html, type SafeHtml } from '../shared/html.js';
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
  /** Shorter labels for the x axis (default `xLabels`); some are skipped when the bars are many. */
  axisLabels?: readonly string[];
  /** Layers in stacking order, from the axis outwards. */
  series: readonly BarSeries[];
}

const WIDTH = 760;
const HEIGHT = 300;
const MARGIN = { top: 14, right: 16, bottom: 36, left: 56 };


/**
 * A server-rendered SVG stacked bar chart (readable without JavaScript): layers stacked up from the zero
 * line, `below` layers stacked down from it (shown as negative numbers on the axis), a `<title>` on every
 * bar segment, `role="img"` with `<title>`/`<desc>`, and a legend. Every label is escaped.
 */
export function stackedBars(options: StackedBarsOptions): SafeHtml {
  const { xLabels, series } = options;
  const stackSum = (below: boolean, i: number) =>
    series.filter((s) => Boolean(s.below) === below).reduce((sum, s) => sum + (s.values[i] ?? 0), 0);
  const bars = xLabels.map((_, i) => i);
  const up = niceTop(Math.max(0, ...bars.map((i) => stackSum(false, i))));
  const hasBelow = series.some((s) => s.below);
  const down = hasBelow ? niceTop(Math.max(0, ...bars.map((i) => stackSum(true, i)))) : 0;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const round = tenth;
  // y(v): v > 0 above the zero line, v < 0 below it.
  const y = (v: number) => round(MARGIN.top + ((up - v) / (up + down)) * plotH);
  const slot = plotW / Math.max(1, xLabels.length);
  const barW = round(Math.max(1, slot * 0.72));
  const left = (i: number) => round(MARGIN.left + i * slot + (slot - barW) / 2);
  const ticks = [up, up / 2, 0, ...(hasBelow ? [-down / 2, -down] : [])];
  const axisLabels = options.axisLabels ?? xLabels;
  const labelEvery = Math.max(1, Math.ceil(xLabels.length / 8));
  const segments = series.map((s, n) => {
    const sign = s.below ? -1 : 1;
    const before = series.slice(0, n).filter((other) => Boolean(other.below) === Boolean(s.below));
    return html`<g class="bar-series" data-series="${s.name}" aria-label="${s.name}">${bars.map((i) => {
      const value = s.values[i] ?? 0;
      if (value <= 0) return '';
      const base = before.reduce((sum, other) => sum + (other.values[i] ?? 0), 0);
      const a = y(sign * base);
      const b = y(sign * (base + value));
      return html`<rect class="bar" x="${left(i)}" y="${Math.min(a, b)}" width="${barW}" height="${round(Math.abs(b - a))}" fill="${s.colour}"><title>${s.name}, ${xLabels[i] ?? ''}: ${s.below ? -value : value}</title></rect>`;
    })}</g>`;
  });
  return html`<figure class="chart bars">
<svg class="bar-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="bars-title bars-desc" xmlns="http://www.w3.org/2000/svg">
<title id="bars-title">${options.title}</title><desc id="bars-desc">${options.description}</desc>
<g class="grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t)}" y2="${y(t)}" stroke="${t === 0 ? '#6b7280' : '#e5e7eb'}"></line><text x="${MARGIN.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11" fill="#4b5563">${round(t)}</text>`,
  )}</g>
<g class="x-axis" aria-hidden="true">${bars.map((i) =>
    i % labelEvery === 0
      ? html`<text x="${round(left(i) + barW / 2)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11" fill="#4b5563">${axisLabels[i]}</text>`
      : '',
  )}</g>
${segments}
</svg>
<figcaption class="legend">${series.map(
    (s) => html`<span class="legend-item"><span class="swatch" style="background:${s.colour}"></span>${s.name}</span>`,
  )}</figcaption>
</figure>`;
}
