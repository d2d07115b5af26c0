import { html, type SafeHtml } from '../shared/html.js';
import { chartFrame, pathPlot, yAxisLabel } from './frame.js';
import { niceTop, seriesColour, tenth } from './scale.js';

/** One line of a {@link lineChart}: a name and one value per x label (null leaves a gap). */
export interface ChartSeries {
  name: string;
  values: readonly (number | null)[];
  /** The line's colour, a CSS colour (default: the palette's, by the series' place; see {@link chartColour}). */
  colour?: string;
  /** Draws the line dashed (its points and legend swatch too). */
  dash?: boolean;
}

/** What {@link lineChart} draws. */
export interface LineChartOptions {
  /** The chart's accessible title (the SVG's `<title>`). */
  title: string;
  /** A longer accessible description (the SVG's `<desc>`); a summary is made up when absent. */
  description?: string;
  /** One label per point, left to right. */
  xLabels: readonly string[];
  series: readonly ChartSeries[];
  /** `'percent'` draws values 0..1 as 0%..100%; the default draws counts. */
  yUnit?: 'count' | 'percent';
}

const HEIGHT = 280;
const TOP = 16;
const BOTTOM = 40;
/** The dash pattern of a dashed line, px. */
const DASH = '6 4';

function yText(value: number, unit: 'count' | 'percent'): string {
  return unit === 'percent' ? `${Math.round(value * 1000) / 10}%` : String(Math.round(value * 100) / 100);
}

/**
 * A server-rendered SVG line chart (readable without JavaScript, at any width: see `frame.ts`): axes with
 * labels, one path and a point per value for each series, a legend, `<title>`/`<desc>` and `role="img"`.
 * Every label is escaped.
 */
export function lineChart(options: LineChartOptions): SafeHtml {
  const { title, xLabels, series } = options;
  const unit = options.yUnit ?? 'count';
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = unit === 'percent' ? Math.min(1, niceTop(Math.max(0, ...values))) : niceTop(Math.max(0, ...values));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const frame = chartFrame({ height: HEIGHT, top: TOP, bottom: BOTTOM, yLabels: ticks.map((t) => yText(t, unit)), xLabels, spread: 'edges' });
  const plotH = frame.plotHeight;
  const y = (v: number) => tenth(plotH - (Math.min(v, top) / top) * plotH);
  const description =
    options.description ??
    `${series.map((s) => s.name).join(', ')} over ${xLabels.length} periods, ${xLabels[0] ?? ''} to ${xLabels.at(-1) ?? ''}.`;
  const id = `chart-${Math.abs(hash(title + description)).toString(36)}`;
  const colours = series.map((s, n) => seriesColour(s.colour, n));
  const lines = series.map((s, n) => {
    const colour = colours[n]!;
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null) return;
      d += `${d === '' || s.values[i - 1] === null ? 'M' : 'L'}${frame.pathX(i)},${y(v)}`;
    });
    const points = s.values.map((v, i) =>
      v === null ? '' : html`<circle class="point" cx="${frame.x(i)}%" cy="${y(v)}" r="2.5" fill="${colour}"><title>${s.name}, ${xLabels[i] ?? ''}: ${yText(v, unit)}</title></circle>`,
    );
    const path = html`<path class="line" d="${d}" fill="none" stroke="${colour}" stroke-width="2"${s.dash ? html` stroke-dasharray="${DASH}"` : ''} vector-effect="non-scaling-stroke"></path>`;
    return html`<g class="series" aria-label="${s.name}">${pathPlot(frame, path)}${points}</g>`;
  });
  return html`<figure class="chart">
<svg class="line-chart" width="100%" height="${HEIGHT}" style="${frame.style}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${title}</title><desc id="${id}-desc">${description}</desc>
<g class="grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="0" x2="100%" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"></line>${yAxisLabel(y(t), yText(t, unit))}`,
  )}</g>
<g class="x-axis" aria-hidden="true"><line x1="0" x2="100%" y1="${plotH}" y2="${plotH}" stroke="#6b7280"></line>${frame.xAxisLabels}</g>
${lines}
</svg>
<figcaption class="legend">${series.map(
    (s, n) => html`<span class="legend-item"><span class="swatch${s.dash ? ' dashed' : ''}" style="${swatchStyle(colours[n]!, s.dash)}"></span>${s.name}</span>`,
  )}</figcaption>
</figure>`;
}

/** A legend swatch's background: the line's colour, in dashes for a dashed line. */
function swatchStyle(colour: string, dash?: boolean): string {
  return dash ? `background:repeating-linear-gradient(90deg,${colour} 0 5px,transparent 5px 8px)` : `background:${colour}`;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
