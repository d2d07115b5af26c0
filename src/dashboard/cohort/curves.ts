import { chartFrame, pathPlot, yAxisLabel } from '../charts/frame.js';
import { percentTop, tenth } from '../charts/scale.js';
import { html, type SafeHtml } from '../shared/html.js';
import { columnLabel, periodLabel } from '../shared/labels.js';
import type { CohortView } from './data.js';

const HEIGHT = 260;
const TOP = 14;
const BOTTOM = 36;

/** One curve of {@link retentionCurves}: a name and a percent (0..100) per column, null where left out. */
export interface RetentionCurve {
  name: string;
  percents: (number | null)[];
}

/**
 * The curves the cohort page draws: one per row with users (its cells in percent of the row's total;
 * incomplete and expired periods are null, left out), and the column averages of those percents.
 */
export function retentionCurveData(view: CohortView): { rows: RetentionCurve[]; average: (number | null)[] } {
  const rows = view.percents
    .map((percents, i) => ({ name: periodLabel(view.dates[i]!, view.timeGroup, view.timeZone), percents, total: view.totals[i]! }))
    .filter((row) => row.total > 0 && row.percents.some((p) => p !== null))
    .map(({ name, percents }) => ({ name, percents }));
  return { rows, average: view.percentAverages.map((p) => (p === null ? null : Math.round(p * 100) / 100)) };
}

/**
 * Retention curves as a server-rendered SVG (no script needed, legible at any width: see `charts/frame.ts`):
 * one faint line per cohort row and a bold average line with a point per column, in percent of each row's
 * total; `<title>`, `<desc>` (the averages in words) and a title on every line and point. Every label is escaped.
 */
export function retentionCurves(view: CohortView, heading: string): SafeHtml {
  const { rows, average } = retentionCurveData(view);
  const columns = view.numCols;
  const all = [...rows.flatMap((row) => row.percents), ...average].filter((p): p is number => p !== null);
  const top = percentTop(Math.max(0, ...all));
  const round = tenth;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const columnLabels = Array.from({ length: columns }, (_, j) => columnLabel(j, view.timeGroup));
  const frame = chartFrame({ height: HEIGHT, top: TOP, bottom: BOTTOM, yLabels: ticks.map((t) => `${round(t)}%`), xLabels: columnLabels, spread: 'edges' });
  const plotH = frame.plotHeight;
  const y = (p: number) => round(plotH - (Math.min(p, top) / top) * plotH);
  const path = (values: (number | null)[]) => {
    let d = '';
    values.forEach((p, j) => {
      if (p !== null) d += `${d === '' || values[j - 1] === null ? 'M' : 'L'}${frame.pathX(j)},${y(p)}`;
    });
    return d;
  };
  const averages = average
    .map((p, j) => (p === null ? null : `${columnLabel(j, view.timeGroup)} ${p.toFixed(1)}%`))
    .filter((text) => text !== null);
  const description = rows.length === 0
    ? 'No cohort row has users yet.'
    : `${rows.length} cohort rows in percent of each row's users; average: ${averages.join(', ')}.`;
  return html`<figure class="chart retention-curves">
<svg class="retention-chart" width="100%" height="${HEIGHT}" style="${frame.style}" role="img" aria-labelledby="retention-title retention-desc" xmlns="http://www.w3.org/2000/svg">
<title id="retention-title">${heading}</title><desc id="retention-desc">${description}</desc>
<g class="grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="0" x2="100%" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"></line>${yAxisLabel(y(t), `${round(t)}%`)}`,
  )}</g>
<g class="x-axis" aria-hidden="true">${frame.xAxisLabels}</g>
<g class="rows">${pathPlot(frame, rows.map(
    (row) => html`<path class="row-curve" d="${path(row.percents)}" fill="none" stroke="#0b6fa4" stroke-opacity="0.25" stroke-width="1.2" vector-effect="non-scaling-stroke"><title>${row.name}</title></path>`,
  ))}</g>
<g class="average" aria-label="Average">${pathPlot(frame, html`<path class="average-curve" d="${path(average)}" fill="none" stroke="#0b4f75" stroke-width="3" vector-effect="non-scaling-stroke"></path>`)}${average.map((p, j) =>
    p === null
      ? ''
      : html`<circle class="point" cx="${frame.x(j)}%" cy="${y(p)}" r="3.5" fill="#0b4f75"><title>Average, ${columnLabel(j, view.timeGroup)}: ${p.toFixed(1)}%</title></circle>`,
  )}</g>
</svg>
<figcaption class="legend"><span class="legend-item"><span class="swatch faint"></span>each cohort row</span><span class="legend-item"><span class="swatch bold"></span>average</span></figcaption>
</figure>`;
}
