import { lineChart } from '../charts/line.js';
import { countCell } from '../shared/expired.js';
import { eventInput, segmentFields, segmentNote, systemField } from '../shared/forms.js';
import { dashboardUrl, html, type SafeHtml } from '../shared/html.js';
import { chartDateLabel } from '../shared/labels.js';
import { eventDatalist, suggestEvents } from '../shared/suggestions.js';
import type { ActiveUsersView } from './data.js';
import type { ActiveUsersQuery } from './query.js';

/** The active-users page's body: the form, and for an event the DAU/WAU/MAU chart, the stickiness chart and a table. */
export function activeUsersPage(options: { prefix: string; query: ActiveUsersQuery; active?: ActiveUsersView; eventNames: readonly string[] }): SafeHtml {
  const { prefix, query, active, eventNames } = options;
  return html`<h1>Active users</h1>
<form class="card chart-form" method="get" action="${prefix}/active">
${eventDatalist(suggestEvents(eventNames, ''))}
<label>Event ${eventInput('event', query.event, '', true)}</label>
<label>Days <input name="days" type="number" min="1" value="${query.days}"></label>
<label>As of <input name="now" value="${query.nowText}" placeholder="YYYY-MM-DD"></label>
${segmentFields({ segment: query.segment })}
${systemField(query.system)}
<div class="actions"><button type="submit">Show active users</button></div>
</form>
${active ? activeCard(prefix, query, active) : html`<p class="hint">Name an event and press <em>Show active users</em>.</p>`}`;
}

function activeCard(prefix: string, query: ActiveUsersQuery, active: ActiveUsersView): SafeHtml {
  const labels = active.dates.map((d) => chartDateLabel(d, 'days', active.timeZone));
  const link = (format: string) => dashboardUrl(`${prefix}/active`, { event: active.event, days: query.days, now: query.nowText, segment: query.segment, system: query.system, format });
  const percent = (ratio: number | null) => (ratio === null ? '' : `${(ratio * 100).toFixed(1)}%`);
  return html`<section class="card">
<div class="toolbar"><span class="title">Active users of ${active.event}${segmentNote(active.segment)}</span><a class="csv" href="${link('csv')}">CSV</a><a class="csv" href="${link('json')}">JSON</a></div>
${lineChart({
  title: `Daily, weekly and monthly active users of ${active.event}`,
  xLabels: labels,
  series: [
    { name: 'DAU', values: active.dau },
    { name: 'WAU (7 days)', values: active.wau },
    { name: 'MAU (30 days)', values: active.mau },
  ],
})}
${lineChart({ title: `Stickiness (DAU / MAU) of ${active.event}`, xLabels: labels, series: [{ name: 'DAU / MAU', values: active.stickiness }], yUnit: 'percent' })}
<p class="hint">For each day (time zone ${active.timeZone}): DAU = users that day; WAU = users on any of the 7 days ending that day; MAU = users on any of the 30 days ending that day; stickiness = DAU / MAU.</p>
<details class="chart-data"><summary>Data table</summary><div class="scroll"><table class="events active-data"><thead><tr><th class="date">Day</th><th>DAU</th><th>WAU</th><th>MAU</th><th>DAU / MAU</th></tr></thead>
<tbody>${labels.map((label, i) => html`<tr><td class="date">${label}</td>${countCell(active.dau[i]!)}${countCell(active.wau[i]!)}${countCell(active.mau[i]!)}<td>${percent(active.stickiness[i]!)}</td></tr>`)}</tbody></table></div></details>
</section>`;
}
