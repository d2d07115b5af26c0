import { dashboardUrl, html, layout } from './html.js';

/** One event's user counts in the current day, ISO week, month and year (UTC). */
export interface EventCounts {
  name: string;
  day: number;
  week: number;
  month: number;
  year: number;
}

/** Renders the events page: every event with its counts, each linking to its cohort. */
export function eventsPage(options: { prefix: string; events: EventCounts[]; filter: string; omitted: number; now: Date }): string {
  const { prefix, events, filter, omitted, now } = options;
  const rows = events.map(
    (event) => html`<tr><td class="name"><a href="${dashboardUrl(`${prefix}/cohort`, { primary: event.name, secondary: event.name })}">${event.name}</a></td>
<td>${event.day}</td><td>${event.week}</td><td>${event.month}</td><td>${event.year}</td></tr>`,
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
  : html`<table class="events"><thead><tr><th class="date">Event</th><th>Today</th><th>This week</th><th>This month</th><th>This year</th></tr></thead>
<tbody>${rows}</tbody></table>`}
${omitted > 0 ? html`<p class="hint">${omitted} more events not shown: narrow the list with the filter.</p>` : ''}
</section>`;
  return layout({ title: 'Events', prefix, active: 'events', body });
}
