import { dashboardUrl, html, layout, type SafeHtml } from '../shared/html.js';
import { SPARKLINE_LIMITS } from './sparkline.js';
import type { EventsRetention } from '../shared/expired.js';

/**
 * One event's user counts in the current day, ISO week, month and year (UTC); null for a period beyond the
 * `expire` retention (its bitmaps are gone).
 */
export interface EventCounts {
  name: string;
  day: number | null;
  week: number | null;
  month: number | null;
  year: number | null;
}

/** A count, or the marker of a period beyond retention. */
function countCell(count: number | null): SafeHtml {
  return count === null
    ? html`<td class="expired" title="beyond retention: this period's bitmaps have expired (see the expire option)">expired</td>`
    : html`<td>${count}</td>`;
}

/** Renders the events page: every event with its counts, each linking to its cohort. */
export function eventsPage(options: {
  prefix: string;
  events: EventCounts[];
  filter: string;
  omitted: number;
  now: Date;
  expired?: EventsRetention | undefined;
}): string {
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
  return layout({ title: 'Events', prefix, active: 'events', body });
}
