import type { LifecycleResult } from '../../engine/insights/lifecycle.js';
import { stackedBars } from '../charts/bars.js';
import { eventInput, segmentFields, segmentNote, systemField, timeGroupSelect } from '../shared/forms.js';
import { dashboardUrl, html, type SafeHtml } from '../shared/html.js';
import { axisLabel, periodLabel } from '../shared/labels.js';
import { eventDatalist, suggestEvents } from '../shared/suggestions.js';
import { figures } from './data.js';
import { LIFECYCLE_LIMITS, type LifecycleQuery } from './query.js';

/** The layers of the chart, from the axis outwards (dormant below it). */
const LAYERS = [
  { key: 'new', name: 'new', colour: '#16a34a' },
  { key: 'returning', name: 'returning', colour: '#2563eb' },
  { key: 'resurrecting', name: 'resurrecting', colour: '#9333ea' },
  { key: 'dormant', name: 'dormant', colour: '#dc2626', below: true },
] as const;

/** What the lifecycle page shows: the form, and the chart when an event was asked for. */
export interface LifecyclePageOptions {
  prefix: string;
  query: LifecycleQuery;
  eventNames: readonly string[];
  result?: LifecycleResult;
  /** Per period: beyond retention (drawn as no bar, counted in the chart's description). */
  beyond?: boolean[];
}

/** The lifecycle page's body. */
export function lifecyclePage(options: LifecyclePageOptions): SafeHtml {
  const { prefix, query, result } = options;
  return html`<h1>Lifecycle</h1>
${lifecycleForm(options)}
${result && query.event ? chartCard(prefix, query, result, options.beyond) : html`<p class="hint">Choose an event, then press <em>Show lifecycle</em>.</p>`}`;
}

function lifecycleForm({ prefix, query, eventNames }: LifecyclePageOptions): SafeHtml {
  return html`<form class="cohort-form lifecycle-form card" method="get" action="${prefix}/lifecycle">
  ${eventDatalist(suggestEvents(eventNames, ''))}
  <label>Event ${eventInput('event', query.event, '', true)}</label>
  <label>New means created by ${eventInput('created', query.created, 'first seen in the range')}</label>
  <label>Time group ${timeGroupSelect(query.timeGroup)}</label>
  <label>Periods <input type="number" name="periods" min="1" max="${LIFECYCLE_LIMITS.maxPeriods}" value="${query.periods}"></label>
  <label>As of (UTC) <input type="date" name="now" value="${query.nowText.slice(0, 10)}"></label>
  ${segmentFields({ segment: query.segment })}
  ${systemField(query.system)}
  <div class="actions"><button type="submit">Show lifecycle</button></div>
</form>`;
}

function chartCard(prefix: string, query: LifecycleQuery, result: LifecycleResult, beyond?: boolean[]): SafeHtml {
  const labels = result.dates.map((date) => periodLabel(date, result.timeGroup, result.timeZone));
  const expired = beyond?.filter(Boolean).length ?? 0;
  const expiredNote = expired > 0 ? ` ${expired} ${expired === 1 ? 'period is' : 'periods are'} beyond retention (expired bitmaps): no bars.` : '';
  const shown = figures(result, beyond);
  const csv = dashboardUrl(`${prefix}/lifecycle`, {
    event: query.event,
    created: query.created,
    timeGroup: query.timeGroup,
    periods: query.periods,
    now: query.nowText,
    segment: query.segment,
    system: query.system,
    format: 'csv',
  });
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  const totals = LAYERS.map((layer) => `${sum(shown[layer.key].map((v) => v ?? 0))} ${layer.name}`).join(', ');
  const newMeaning = query.created ? `marked by ${query.created} in the period` : 'first seen in the range';
  return html`<section class="card lifecycle">
<div class="toolbar"><span class="title">${query.event}${segmentNote(query.segment)} <span class="hint">(${result.dates.length} ${result.timeGroup}; new: ${newMeaning})</span></span>${expiredNote ? html`<span class="hint expired">${expiredNote.trim()}</span>` : ''}
<a class="csv" href="${csv}" download>Download CSV</a></div>
${stackedBars({
  title: `Lifecycle of ${query.event ?? ''} by ${result.timeGroup}`,
  description: `Users per period, ${labels[0] ?? ''} to ${labels.at(-1) ?? ''}: ${totals} in all (dormant drawn below the axis).${expiredNote}`,
  xLabels: labels,
  axisLabels: result.dates.map((date) => axisLabel(date, result.timeGroup, result.timeZone)),
  series: LAYERS.map((layer) => ({ name: layer.name, values: shown[layer.key].map((v) => v ?? 0), colour: layer.colour, below: 'below' in layer })),
})}
</section>`;
}
