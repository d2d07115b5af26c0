import { html, type SafeHtml } from '../shared/html.js';
import { chartFrame, LABEL_PX, yAxisLabel } from './frame.js';
import { chartColour, niceTop, tenth } from './scale.js';

/** One series of {@link groupedBars}: a name and one value per group (a bar in each group). */
export interface BarGroupSeries {
  name: string;
  values: readonly number[];
  /** The text of each bar's title after its value (e.g. its conversion). */
  notes?: readonly string[];
}

/** What {@link groupedBars} draws. */
export interface GroupedBarsOptions {
  title: string;
  description: string;
  /** One name per group, left to right (in the bars' titles and the caption). */
  groups: readonly string[];
  /** The axis's label of each group (default its name); short ones fit a phone, the caption names them. */
  axisLabels?: readonly string[];
  series: readonly BarGroupSeries[];
}

const HEIGHT = 300;
const TOP = 22;
const BOTTOM = 36;
/** The longest group label on the axis, in characters (the bar's title has the whole name). */
const MAX_LABEL = 18;

/**
 * A server-rendered SVG bar chart with one group of bars per label (one bar per series, one colour per series,
 * a legend when there are several), each bar's value in its `<title>` (and above it for a single series);
 * `role="img"` with `<title>` and `<desc>`; legible at any width (see `frame.ts`). Every label is escaped.
 */
export function groupedBars(options: GroupedBarsOptions): SafeHtml {
  const { groups, series } = options;
  const top = niceTop(Math.max(0, ...series.flatMap((s) => s.values)));
  const ticks = [0, 0.5, 1].map((f) => f * top);
  const frame = chartFrame({
    height: HEIGHT,
    top: TOP,
    bottom: BOTTOM,
    yLabels: ticks.map((t) => String(tenth(t))),
    xLabels: (options.axisLabels ?? groups).map((label) => (label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label)),
    spread: 'slots',
  });
  const plotH = frame.plotHeight;
  const y = (v: number) => tenth(plotH - (Math.min(v, top) / top) * plotH);
  // Each group takes 80% of its slot, split between its bars (in percent of the plot's width).
  const slot = 100 / Math.max(1, groups.length);
  const barW = Math.round(((slot * 0.8) / Math.max(1, series.length)) * 100) / 100;
  const left = (g: number, n: number) => Math.round((frame.x(g) - slot * 0.4 + n * barW) * 100) / 100;
  const bars = series.map(
    (s, n) => html`<g class="bar-series" data-series="${s.name}" aria-label="${s.name}">${groups.map((group, g) => {
      const value = s.values[g] ?? 0;
      const note = s.notes?.[g];
      const title = `${series.length > 1 ? `${s.name}, ` : ''}${group}: ${value}${note ? ` (${note})` : ''}`;
      const label = series.length === 1
        ? html`<text class="value" x="${Math.round((left(g, n) + barW / 2) * 100) / 100}%" y="${y(value) - 5}" text-anchor="middle" font-size="${LABEL_PX}" fill="#1d2733">${value}</text>`
        : '';
      return html`<rect class="bar" x="${left(g, n)}%" y="${y(value)}" width="${barW}%" height="${tenth(plotH - y(value))}" fill="${chartColour(n)}"><title>${title}</title></rect>${label}`;
    })}</g>`,
  );
  return html`<figure class="chart bars grouped">
<svg class="bar-chart grouped" width="100%" height="${HEIGHT}" style="${frame.style}" role="img" aria-labelledby="grouped-title grouped-desc" xmlns="http://www.w3.org/2000/svg">
<title id="grouped-title">${options.title}</title><desc id="grouped-desc">${options.description}</desc>
<g class="grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="0" x2="100%" y1="${y(t)}" y2="${y(t)}" stroke="${t === 0 ? '#6b7280' : '#e5e7eb'}"></line>${yAxisLabel(y(t), String(tenth(t)))}`,
  )}</g>
<g class="x-axis" aria-hidden="true">${frame.xAxisLabels}</g>
${bars}
</svg>
<figcaption class="legend">${options.axisLabels ? groups.map((group, g) => html`<span class="legend-item"><strong>${options.axisLabels![g]}</strong> ${group}</span>`) : ''}${
  series.length > 1 ? series.map((s, n) => html`<span class="legend-item"><span class="swatch" style="background:${chartColour(n)}"></span>${s.name}</span>`) : ''
}</figcaption>
</figure>`;
}
