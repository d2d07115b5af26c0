import { percentTop, tenth } from '../charts/scale.js';
import { html, type SafeHtml } from '../shared/html.js';
import { columnLabel, periodLabel } from '../shared/labels.js';
import type { CohortView } from './data.js';

const WIDTH = 720;
const HEIGHT = 260;
const MARGIN = { top: 14, right: 18, bottom: 36, left: 52 };

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
 * Retention curves as a server-rendered SVG (no script needed): one faint line per cohort row and a bold
 * average line with a point per column, in percent of each row's total; `<title>`, `<desc>` (the averages in
 * words) and a title on every line and point. Every label is escaped.
 */
export function retentionCurves(view: CohortView, heading: string): SafeHtml {
  const { rows, average } = retentionCurveData(view);
  const columns = view.numCols;
  const all = [...rows.flatMap((row) => row.percents), ...average].filter((p): p is number => p !== null);
  const top = percentTop(Math.max(0, ...all));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const round = tenth;
  const x = (j: number) => round(MARGIN.left + (columns <= 1 ? plotW / 2 : (j * plotW) / (columns - 1)));
  const y = (p: number) => round(MARGIN.top + plotH - (Math.min(p, top) / top) * plotH);
  const path = (values: (number | null)[]) => {
    let d = '';
    values.forEach((p, j) => {
      if (p !== null) d += `${d === '' || values[j - 1] === null ? 'M' : 'L'}${x(j)},${y(p)}`;
    });
    return d;
  };
  const labelEvery = Math.max(1, Math.ceil(columns / 8));
  const averages = average
    .map((p, j) => (p === null ? null : `${columnLabel(j, view.timeGroup)} ${p.toFixed(1)}%`))
    .filter((text) => text !== null);
  const description = rows.length === 0
    ? 'No cohort row has users yet.'
    : `${rows.length} cohort rows in percent of each row's users; average: ${averages.join(', ')}.`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  return html`<figure class="chart retention-curves">
<svg class="retention-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="retention-title retention-desc" xmlns="http://www.w3.org/2000/svg">
<title id="retention-title">${heading}</title><desc id="retention-desc">${description}</desc>
<g class="grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"></line><text x="${MARGIN.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11" fill="#4b5563">${round(t)}%</text>`,
  )}</g>
<g class="x-axis" aria-hidden="true">${Array.from({ length: columns }, (_, j) =>
    j % labelEvery === 0 || j === columns - 1
      ? html`<text x="${x(j)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="${j === columns - 1 && columns > 1 ? 'end' : j === 0 ? 'start' : 'middle'}" font-size="11" fill="#4b5563">${columnLabel(j, view.timeGroup)}</text>`
      : '',
  )}</g>
<g class="rows">${rows.map(
    (row) => html`<path class="row-curve" d="${path(row.percents)}" fill="none" stroke="#0b6fa4" stroke-opacity="0.25" stroke-width="1.2"><title>${row.name}</title></path>`,
  )}</g>
<g class="average" aria-label="Average"><path class="average-curve" d="${path(average)}" fill="none" stroke="#0b4f75" stroke-width="3"></path>${average.map((p, j) =>
    p === null
      ? ''
      : html`<circle class="point" cx="${x(j)}" cy="${y(p)}" r="3.5" fill="#0b4f75"><title>Average, ${columnLabel(j, view.timeGroup)}: ${p.toFixed(1)}%</title></circle>`,
  )}</g>
</svg>
<figcaption class="legend"><span class="legend-item"><span class="swatch faint"></span>each cohort row</span><span class="legend-item"><span class="swatch bold"></span>average</span></figcaption>
</figure>`;
}
