import { EXPIRED_TITLE, expiredCell } from '../shared/expired.js';
import { segmentNote } from '../shared/forms.js';
import { dashboardUrl, html, type SafeHtml } from '../shared/html.js';
import { columnLabel, formatPercent, periodLabel } from '../shared/labels.js';
import { retentionCurves } from './curves.js';
import type { CohortView } from './data.js';
import { cohortForm, type CohortFormOptions } from './form.js';
import type { CohortQuery } from './query.js';

/** The cohort page's body: the form, and the heat map when a cohort was asked for. */
export function cohortPage(options: CohortFormOptions & { view?: CohortView }): SafeHtml {
  const { prefix, query, view, eventNames } = options;
  const hint = eventNames.length === 0
    ? html`<p class="hint">No events yet: mark some first (see the README's four ways to mark).</p>`
    : html`<p class="hint">Choose a primary and a secondary event, then press <em>Show cohort</em>.</p>`;
  return html`<h1>Cohorts</h1>
${cohortForm(options)}
${view ? [curvesCard(query, view), heatMap(prefix, query, view)] : hint}`;
}

/** The retention curves above the heat map (percent of each row's users, whatever the table shows). */
function curvesCard(query: CohortQuery, view: CohortView): SafeHtml {
  return html`<section class="card curves"><h2>Retention curves</h2>
${retentionCurves(view, `Retention of ${query.primary ?? ''} → ${query.secondary ?? ''}, in percent of each cohort row`)}</section>`;
}

function heatMap(prefix: string, query: CohortQuery, view: CohortView): SafeHtml {
  const link = (display: string, format?: string) =>
    dashboardUrl(`${prefix}/cohort`, {
      primary: query.primary,
      secondary: query.secondary,
      additional: query.additional.map((event) => event.name),
      additionalOp: query.additional.map((event) => event.op),
      timeGroup: query.timeGroup,
      rows: query.rows,
      cols: query.cols,
      mode: query.mode,
      now: query.nowText,
      segment: query.segment,
      system: query.system,
      display,
      format,
    });
  const toggle = (display: 'counts' | 'percent', label: string) =>
    html`<a href="${link(display)}" data-display="${display}" data-csv="${link(display, 'csv')}"
      class="${query.display === display ? 'active' : ''}">${label}</a>`;
  const chain = query.additional.map((event) => html` <em>${event.op}</em> ${event.name}`);
  const percent = query.display === 'percent';
  return html`<section class="card">
<div class="toolbar">
  <span class="title">${query.primary} → ${query.secondary}${chain}${segmentNote(query.segment)} <span class="hint">(${query.mode} · ${view.total} users)</span></span>
  <span class="toggle" role="group" aria-label="Show counts or percent">${toggle('counts', 'Counts')}${toggle('percent', 'Percent')}</span>
  <a class="csv" href="${link(query.display, 'csv')}" download>Download CSV</a>
</div>
<div class="scroll"><table class="cohort${percent ? ' show-percent' : ''}">
<thead><tr><th class="date">Cohort</th><th>Users</th>${Array.from(
    { length: view.numCols },
    (_, j) => html`<th>${columnLabel(j, view.timeGroup)}</th>`,
  )}</tr></thead>
<tbody>
${view.counts.map((row, i) =>
  view.retention?.rows[i]
    ? html`<tr class="expired"><td class="date">${periodLabel(view.dates[i]!, view.timeGroup, view.timeZone)}</td><td class="total expired" title="${EXPIRED_TITLE}">expired</td>${row.map(() => expiredCell())}</tr>`
    : html`<tr><td class="date">${periodLabel(view.dates[i]!, view.timeGroup, view.timeZone)}</td><td class="total">${view.totals[i]}</td>${row.map(
        (count, j) => (view.retention?.cells[i]![j] ? expiredCell() : cell(count, view.percents[i]![j] ?? null, view.totals[i]!)),
      )}</tr>`,
)}
<tr class="summary average"><td class="date">Average</td><td class="total">${round(view.total / Math.max(1, view.numRows))}</td>${view.countAverages.map(
    (average, j) => summaryCell(average, view.percentAverages[j] ?? null),
  )}</tr>
<tr class="summary totals"><td class="date">Total</td><td class="total">${view.total}</td>${view.colTotals.map(
    (total, j) => summaryCell(total, view.colTotalPercents[j] ?? null),
  )}</tr>
</tbody></table></div>
</section>`;
}

/** A heat-map cell, shaded by retention (count / row total) whatever is shown; blank for null. */
function cell(count: number | null, percent: number | null, total: number): SafeHtml {
  if (count === null || percent === null) return html`<td class="null"></td>`;
  const share = total > 0 ? count / total : 0;
  const lightness = Math.round(97 - 62 * Math.pow(share, 0.75));
  const dark = lightness < 60 ? ' dark' : '';
  return html`<td class="cell${dark}" style="background:hsl(201 72% ${lightness}%)" data-count="${count}" data-percent="${percent}"><span class="c">${count}</span><span class="p">${formatPercent(percent)}</span></td>`;
}

function summaryCell(count: number | null, percent: number | null): SafeHtml {
  return html`<td><span class="c">${count ?? ''}</span><span class="p">${percent === null ? '' : formatPercent(percent)}</span></td>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
