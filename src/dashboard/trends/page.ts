import { TREND_LIMITS } from '../../engine/insights/trends.js';
import { lineChart } from '../charts/line.js';
import { countCell } from '../shared/expired.js';
import { eventInput, systemField, timeGroupSelect } from '../shared/forms.js';
import { dashboardUrl, html, type SafeHtml } from '../shared/html.js';
import { chartDateLabel } from '../shared/labels.js';
import { eventDatalist, suggestEvents } from '../shared/suggestions.js';
import { chartColour } from '../charts/scale.js';
import { segmentFields, segmentNote } from '../shared/forms.js';
import { seriesName, type TrendView } from './data.js';
import type { TrendsQuery } from './query.js';

/** The trends page's body: the form, and when events were named the line chart and its table. */
export function trendsPage(options: { prefix: string; query: TrendsQuery; trend?: TrendView; eventNames: readonly string[] }): SafeHtml {
  const { prefix, query, trend } = options;
  return html`<h1>Trends</h1>
${trendsForm(options)}
${trend ? trendCard(prefix, query, trend) : html`<p class="hint">Name one or more events (up to 10, one per field) and press <em>Show trend</em>.</p>`}`;
}

function trendsForm(options: { prefix: string; query: TrendsQuery; eventNames: readonly string[] }): SafeHtml {
  const { prefix, query, eventNames } = options;
  const fields = [...query.events, ''].slice(0, TREND_LIMITS.maxEvents);
  return html`<form class="card chart-form" method="get" action="${prefix}/trends">
${eventDatalist(suggestEvents(eventNames, ''))}
${fields.map((name) => html`<label>Event ${eventInput('event', name, '')}</label>`)}
<label>Time group ${timeGroupSelect(query.timeGroup)}</label>
<label>Periods <input name="periods" type="number" min="1" value="${query.periods}"></label>
<label>As of <input name="now" value="${query.nowText}" placeholder="YYYY-MM-DD"></label>
${segmentFields(query)}
${systemField(query.system)}
<div class="actions"><button type="submit">Show trend</button></div>
</form>`;
}

function trendCard(prefix: string, query: TrendsQuery, trend: TrendView): SafeHtml {
  const labels = trend.dates.map((d) => chartDateLabel(d, trend.timeGroup, trend.timeZone));
  const link = (format: string) =>
    dashboardUrl(`${prefix}/trends`, {
      event: query.events,
      timeGroup: query.timeGroup,
      periods: query.periods,
      now: query.nowText,
      segment: query.segment,
      breakdown: query.breakdown,
      system: query.system,
      format,
    });
  const title = `Users per ${trend.timeGroup.slice(0, -1)}: ${query.events.join(', ')}${segmentNote(query.segment)}`;
  const segments = query.breakdown;
  return html`<section class="card">
<div class="toolbar"><span class="title">${title}</span><a class="csv" href="${link('csv')}">CSV</a><a class="csv" href="${link('json')}">JSON</a></div>
${lineChart({
  title,
  xLabels: labels,
  // In a breakdown a colour per segment and a dashed line for every event but the first.
  series: trend.series.map((s) => ({
    name: seriesName(s),
    values: s.counts,
    ...(s.segment === undefined ? {} : { colour: chartColour(segments.indexOf(s.segment)), dash: query.events.indexOf(s.event) > 0 }),
  })),
})}
<p class="hint">Periods start in the time zone ${trend.timeZone}; each point counts the distinct users of the event in that period.</p>
<details class="chart-data"><summary>Data table</summary><div class="scroll"><table class="events trend-data"><thead><tr><th class="date">Period</th>${trend.series.map((s) => html`<th>${seriesName(s)}</th>`)}</tr></thead>
<tbody>${labels.map((label, i) => html`<tr><td class="date">${label}</td>${trend.series.map((s) => countCell(s.counts[i]!))}</tr>`)}</tbody></table></div></details>
</section>`;
}
