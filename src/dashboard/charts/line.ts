import { html, type SafeHtml } from '../shared/html.js';
import { chartColour, niceTop, tenth } from './scale.js';

/** One line of a {@link lineChart}: a name and one value per x label (null leaves a gap). */
export interface ChartSeries {
  name: string;
  values: readonly (number | null)[];
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

const WIDTH = 720;
const HEIGHT = 280;
const MARGIN = { top: 16, right: 28, bottom: 40, left: 56 };

function yText(value: number, unit: 'count' | 'percent'): string {
  return unit === 'percent' ? `${Math.round(value * 1000) / 10}%` : String(Math.round(value * 100) / 100);
}

/**
 * A server-rendered SVG line chart (readable without JavaScript): axes with labels, one path and a point per
 * value for each series, a legend, `<title>`/`<desc>` and `role="img"`. Every label is escaped.
 */
export function lineChart(options: LineChartOptions): SafeHtml {
  const { title, xLabels, series } = options;
  const unit = options.yUnit ?? 'count';
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = unit === 'percent' ? Math.min(1, niceTop(Math.max(0, ...values))) : niceTop(Math.max(0, ...values));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (i: number) => MARGIN.left + (xLabels.length <= 1 ? plotW / 2 : (i * plotW) / (xLabels.length - 1));
  const y = (v: number) => MARGIN.top + plotH - (Math.min(v, top) / top) * plotH;
  const round = tenth;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const labelEvery = Math.max(1, Math.ceil(xLabels.length / 8));
  const lastIndex = xLabels.length - 1;
  // Every `labelEvery`-th label and the last one, leaving out one too close to the last.
  const labelled = (i: number) => i === lastIndex || (i % labelEvery === 0 && lastIndex - i >= labelEvery);
  const description =
    options.description ??
    `${series.map((s) => s.name).join(', ')} over ${xLabels.length} periods, ${xLabels[0] ?? ''} to ${xLabels.at(-1) ?? ''}.`;
  const id = `chart-${Math.abs(hash(title + description)).toString(36)}`;
  const lines = series.map((s, n) => {
    const colour = chartColour(n);
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null) return;
      d += `${d === '' || s.values[i - 1] === null ? 'M' : 'L'}${round(x(i))},${round(y(v))}`;
    });
    const points = s.values.map((v, i) =>
      v === null ? '' : html`<circle class="point" cx="${round(x(i))}" cy="${round(y(v))}" r="2.5" fill="${colour}"><title>${s.name}, ${xLabels[i] ?? ''}: ${yText(v, unit)}</title></circle>`,
    );
    return html`<g class="series" aria-label="${s.name}"><path class="line" d="${d}" fill="none" stroke="${colour}" stroke-width="2"></path>${points}</g>`;
  });
  return html`<figure class="chart">
<svg class="line-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${title}</title><desc id="${id}-desc">${description}</desc>
<g class="grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${round(y(t))}" y2="${round(y(t))}" stroke="#e5e7eb"></line><text x="${MARGIN.left - 6}" y="${round(y(t)) + 4}" text-anchor="end" font-size="11" fill="#4b5563">${yText(t, unit)}</text>`,
  )}</g>
<g class="x-axis" aria-hidden="true"><line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#6b7280"></line>${xLabels.map((label, i) =>
    labelled(i)
      ? html`<text x="${round(x(i))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="${i === lastIndex && i > 0 ? 'end' : 'middle'}" font-size="11" fill="#4b5563">${label}</text>`
      : '',
  )}</g>
${lines}
</svg>
<figcaption class="legend">${series.map(
    (s, n) => html`<span class="legend-item"><span class="swatch" style="background:${chartColour(n)}"></span>${s.name}</span>`,
  )}</figcaption>
</figure>`;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
