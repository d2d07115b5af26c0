import type { ActiveUsersView } from '../trends/data.js';
import { dashboardUrl, html, layout, type SafeHtml } from '../shared/html.js';
import { lineChart } from '../charts/line.js';
import type { ActiveUsersQuery } from '../trends/query.js';
import { cell, chartDateLabel } from '../trends/page.js';

/** Stickiness rounded for display and answers: a ratio with four decimals (0.1234 = 12.34%). */
function rounded(ratio: number | null): number | null {
  return ratio === null ? null : Math.round(ratio * 10_000) / 10_000;
}

/** The active-users JSON answer: `{ event, timeZone, dates, dau, wau, mau, stickiness }` (stickiness = dau / mau, 4 decimals). */
export function activeUsersJson(active: ActiveUsersView): object {
  return { ...active, dates: active.dates.map((d) => d.toISOString()), stickiness: active.stickiness.map(rounded) };
}

/** The active-users CSV answer: `Date,DAU,WAU,MAU,Stickiness` then a line per day (blank stickiness when MAU is 0, blank figures beyond retention). */
export function activeUsersCsv(active: ActiveUsersView): string {
  const lines = active.dates.map((date, i) => {
    const stickiness = rounded(active.stickiness[i]!);
    return [date.toISOString(), active.dau[i], active.wau[i], active.mau[i], stickiness ?? ''].map((v) => (v === null ? '' : String(v))).join(',');
  });
  return ['Date,DAU,WAU,MAU,Stickiness', ...lines].join('\r\n') + '\r\n';
}

/** The CSV file name of one event's active users. */
export function activeUsersFileName(event: string): string {
  return `active-users-${event.replace(/[^\w.-]+/g, '_').slice(0, 60)}.csv`;
}

/** Renders the active-users page: the form, and for an event the DAU/WAU/MAU chart, the stickiness chart and a table. */
export function activeUsersPage(options: { prefix: string; query: ActiveUsersQuery; active?: ActiveUsersView; eventNames: readonly string[] }): string {
  const { prefix, query, active, eventNames } = options;
  const body = html`<h1>Active users</h1>
<form class="card chart-form" method="get" action="${prefix}/active">
<datalist id="bitmapist-active-events">${eventNames.slice(0, 500).map((name) => html`<option value="${name}"></option>`)}</datalist>
<label>Event <input name="event" value="${query.event ?? ''}" list="bitmapist-active-events" required></label>
<label>Days <input name="days" type="number" min="1" value="${query.days}"></label>
<label>As of <input name="now" value="${query.nowText}" placeholder="YYYY-MM-DD"></label>
${query.system ? html`<input type="hidden" name="system" value="${query.system}">` : ''}
<div class="actions"><button type="submit">Show active users</button></div>
</form>
${active ? activeCard(prefix, query, active) : html`<p class="hint">Name an event and press <em>Show active users</em>.</p>`}`;
  return layout({ title: 'Active users', prefix, active: 'active', body });
}

function activeCard(prefix: string, query: ActiveUsersQuery, active: ActiveUsersView): SafeHtml {
  const labels = active.dates.map((d) => chartDateLabel(d, 'days', active.timeZone));
  const link = (format: string) => dashboardUrl(`${prefix}/active`, { event: active.event, days: query.days, now: query.nowText, system: query.system, format });
  const percent = (ratio: number | null) => (ratio === null ? '' : `${(ratio * 100).toFixed(1)}%`);
  return html`<section class="card">
<div class="toolbar"><span class="title">Active users of ${active.event}</span><a class="csv" href="${link('csv')}">CSV</a><a class="csv" href="${link('json')}">JSON</a></div>
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
<tbody>${labels.map((label, i) => html`<tr><td class="date">${label}</td>${cell(active.dau[i]!)}${cell(active.wau[i]!)}${cell(active.mau[i]!)}<td>${percent(active.stickiness[i]!)}</td></tr>`)}</tbody></table></div></details>
</section>`;
}
