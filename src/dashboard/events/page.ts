import { dashboardUrl, html, type SafeHtml } from '../shared/html.js';
import { countCell } from '../shared/expired.js';
import type { EventCounts, EventsRetention } from './data.js';
import { SPARKLINE_LIMITS } from './sparkline.js';

/** The events page's body: every event with its counts, each linking to its cohort and its trend. */
export function eventsPage(options: {
  prefix: string;
  events: EventCounts[];
  filter: string;
  omitted: number;
  now: Date;
  expired?: EventsRetention | undefined;
}): SafeHtml {
  const { prefix, events, filter, omitted, now, expired } = options;
  // The first events get a sparkline: an image the browser loads from its own (bounded) request.
  const trendCell = (name: string, withSparkline: boolean) => {
    const params = { event: name, now: now.toISOString() };
    const image = html`<img class="sparkline" src="${dashboardUrl(`${prefix}/sparkline`, params)}" width="84" height="20" alt="users per day of ${name} over the last ${SPARKLINE_LIMITS.days} days">`;
    return html`<td class="trend"><a href="${dashboardUrl(`${prefix}/trends`, params)}" title="Trend of ${name}">${withSparkline ? image : 'trend'}</a></td>`;
  };
  const rows = events.map(
    (event, i) => html`<tr><td class="name"><a href="${dashboardUrl(`${prefix}/cohort`, { primary: event.name, secondary: event.name })}">${event.name}</a></td>
${countCell(event.day)}${countCell(event.week)}${countCell(event.month)}${countCell(event.year)}${trendCell(event.name, i < SPARKLINE_LIMITS.events)}</tr>`,
  );
  const body = html`<h1>Events</h1>
<form class="toolbar" method="get" action="${prefix}/">
  <label>Name starts with <input name="prefix" value="${filter}"></label>
  <button type="submit" class="secondary">Filter</button>
  <span class="hint">Users per period containing ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC</span>
</form>
<section class="card scroll">
${events.length === 0
  ? html`<p class="hint">No events${filter ? html` starting with <code>${filter}</code>` : ''} yet.</p>`
  : html`<table class="events"><thead><tr><th class="date">Event</th><th>Today</th><th>This week</th><th>This month</th><th>This year</th><th>Last ${SPARKLINE_LIMITS.days} days</th></tr></thead>
<tbody>${rows}</tbody></table>`}
${expired && Object.values(expired).some(Boolean) ? html`<p class="hint">Periods marked <em>expired</em> are beyond the configured retention (the <code>expire</code> option).</p>` : ''}
${omitted > 0 ? html`<p class="hint">${omitted} more events not shown: narrow the list with the filter.</p>` : ''}
</section>`;
  return body;
}
