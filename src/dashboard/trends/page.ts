import type { TimeGroup } from '../../engine/time/periods.js';
import type { TrendView } from './data.js';
import { dashboardUrl, html, layout, type SafeHtml } from '../shared/html.js';
import { lineChart } from '../charts/line.js';
import type { TrendsQuery } from './query.js';

/**
 * A period start as the dashboard labels it, in the data's time zone: `2025-03-01` for days and weeks (the
 * ISO week's Monday), `2025-03` for months, `2025` for years.
 */
export function chartDateLabel(date: Date, timeGroup: TimeGroup, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = `${part('year')}-${part('month')}-${part('day')}`;
  return timeGroup === 'months' ? day.slice(0, 7) : timeGroup === 'years' ? day.slice(0, 4) : day;
}

/** A CSV field, quoted when needed; a leading `=`, `+`, `-` or `@` is defused for spreadsheets. */
export function csvField(text: string): string {
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The trends JSON answer: `{ timeGroup, timeZone, dates, series: [{ event, counts }] }`, dates as ISO instants. */
export function trendsJson(trend: TrendView): object {
  return { timeGroup: trend.timeGroup, timeZone: trend.timeZone, dates: trend.dates.map((d) => d.toISOString()), series: trend.series };
}

/** The trends CSV answer: `Date,<event>,...` then a line per period (its start, ISO instant; blank beyond retention). */
export function trendsCsv(trend: TrendView): string {
  const header = ['Date', ...trend.series.map((s) => csvField(s.event))];
  const lines = trend.dates.map((date, i) => [date.toISOString(), ...trend.series.map((s) => (s.counts[i] === null ? '' : String(s.counts[i])))]);
  return [header, ...lines].map((line) => line.join(',')).join('\r\n') + '\r\n';
}

/** A table cell: a count, or `expired` for a period beyond retention. */
export function cell(count: number | null): SafeHtml {
  return count === null ? html`<td class="expired" title="beyond retention (see the expire option)">expired</td>` : html`<td>${count}</td>`;
}

/** Renders the trends page: the form, and when events were named the line chart and its table. */
export function trendsPage(options: { prefix: string; query: TrendsQuery; trend?: TrendView; eventNames: readonly string[] }): string {
  const { prefix, query, trend } = options;
  const body = html`<h1>Trends</h1>
${trendsForm(options)}
${trend ? trendCard(prefix, query, trend) : html`<p class="hint">Name one or more events (up to 10, one per field) and press <em>Show trend</em>.</p>`}`;
  return layout({ title: 'Trends', prefix, active: 'trends', body });
}

function trendsForm(options: { prefix: string; query: TrendsQuery; eventNames: readonly string[] }): SafeHtml {
  const { prefix, query, eventNames } = options;
  const fields = [...query.events, ''].slice(0, 10);
  const group = (value: TimeGroup) => html`<option value="${value}"${query.timeGroup === value ? ' selected' : ''}>${value}</option>`;
  return html`<form class="card chart-form" method="get" action="${prefix}/trends">
<datalist id="bitmapist-trend-events">${eventNames.slice(0, 500).map((name) => html`<option value="${name}"></option>`)}</datalist>
${fields.map((name) => html`<label>Event <input name="event" value="${name}" list="bitmapist-trend-events"></label>`)}
<label>Time group <select name="timeGroup">${(['days', 'weeks', 'months', 'years'] as const).map(group)}</select></label>
<label>Periods <input name="periods" type="number" min="1" value="${query.periods}"></label>
<label>As of <input name="now" value="${query.nowText}" placeholder="YYYY-MM-DD"></label>
${query.system ? html`<input type="hidden" name="system" value="${query.system}">` : ''}
<div class="actions"><button type="submit">Show trend</button></div>
</form>`;
}

function trendCard(prefix: string, query: TrendsQuery, trend: TrendView): SafeHtml {
  const labels = trend.dates.map((d) => chartDateLabel(d, trend.timeGroup, trend.timeZone));
  const link = (format: string) =>
    dashboardUrl(`${prefix}/trends`, { event: query.events, timeGroup: query.timeGroup, periods: query.periods, now: query.nowText, system: query.system, format });
  const title = `Users per ${trend.timeGroup.slice(0, -1)}: ${trend.series.map((s) => s.event).join(', ')}`;
  return html`<section class="card">
<div class="toolbar"><span class="title">${title}</span><a class="csv" href="${link('csv')}">CSV</a><a class="csv" href="${link('json')}">JSON</a></div>
${lineChart({ title, xLabels: labels, series: trend.series.map((s) => ({ name: s.event, values: s.counts })) })}
<p class="hint">Periods start in the time zone ${trend.timeZone}; each point counts the distinct users of the event in that period.</p>
<details class="chart-data"><summary>Data table</summary><div class="scroll"><table class="events trend-data"><thead><tr><th class="date">Period</th>${trend.series.map((s) => html`<th>${s.event}</th>`)}</tr></thead>
<tbody>${labels.map((label, i) => html`<tr><td class="date">${label}</td>${trend.series.map((s) => cell(s.counts[i]!))}</tr>`)}</tbody></table></div></details>
</section>`;
}
