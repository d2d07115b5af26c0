import { FUNNEL_LIMITS } from '../../engine/insights/funnels.js';
import { stackedBars } from '../charts/bars.js';
import { groupedBars } from '../charts/grouped-bars.js';
import { eventInput, segmentFields, segmentNote, select, systemField } from '../shared/forms.js';
import { dashboardUrl, html, type SafeHtml } from '../shared/html.js';
import { periodLabel } from '../shared/labels.js';
import { eventDatalist, suggestEvents } from '../shared/suggestions.js';
import type { FunnelStepView, FunnelView } from './data.js';
import type { FunnelsQuery } from './query.js';

/** What the funnels page shows: the form, and the funnel when steps were named. */
export interface FunnelsPageOptions {
  prefix: string;
  query: FunnelsQuery;
  view?: FunnelView;
  eventNames: readonly string[];
}

/** A fraction as a percent with one decimal, or `–` when undefined. */
const percent = (fraction: number | null) => (fraction === null ? '–' : `${(fraction * 100).toFixed(1)}%`);

/** The funnels page's body. */
export function funnelsPage(options: FunnelsPageOptions): SafeHtml {
  const { query, view } = options;
  return html`<h1>Funnels</h1>
${funnelForm(options)}
${view ? funnelCard(options.prefix, query, view) : html`<p class="hint">Name two or more steps (one per field, in order), then press <em>Show funnel</em>. Clear a field to remove its step.</p>`}`;
}

/** The parameters of this funnel's links, `format` or a step left out apart. */
function link(prefix: string, query: FunnelsQuery, changes: { format?: string; steps?: string[] } = {}): string {
  return dashboardUrl(`${prefix}/funnels`, {
    step: changes.steps ?? query.steps,
    timeGroup: query.timeGroup,
    periods: query.periods,
    window: query.window,
    order: query.order,
    now: query.nowText,
    segment: query.segment,
    breakdown: query.breakdown,
    system: query.system,
    format: changes.format,
  });
}

/** The form: a plain GET form (steps and segments added in the blank field, removed by clearing it or with its link). */
function funnelForm({ prefix, query, eventNames }: FunnelsPageOptions): SafeHtml {
  const steps = [...query.steps, '', ''].slice(0, Math.max(FUNNEL_LIMITS.minSteps, Math.min(FUNNEL_LIMITS.maxSteps, query.steps.length + 1)));
  const remove = (i: number) =>
    query.steps[i] === undefined ? '' : html` <a class="remove-step" href="${link(prefix, query, { steps: query.steps.filter((_, j) => j !== i) })}" title="Remove step ${i + 1}">remove</a>`;
  return html`<form class="card chart-form funnel-form" method="get" action="${prefix}/funnels">
${eventDatalist(suggestEvents(eventNames, ''))}
<div class="steps">${steps.map((name, i) => html`<label>Step ${i + 1} ${eventInput('step', name, i < query.steps.length ? '' : 'add a step')}${remove(i)}</label>`)}</div>
<label>Time group ${select('timeGroup', ['days', 'weeks'], query.timeGroup)}</label>
<label>Entry periods <input name="periods" type="number" min="1" max="${FUNNEL_LIMITS.periods[query.timeGroup].max}" value="${query.periods}"></label>
<label>Window (periods after entry) <input name="window" type="number" min="0" max="${FUNNEL_LIMITS.window[query.timeGroup].max}" value="${query.window}"></label>
<label>Order ${select('order', ['sequential', 'any'], query.order, { sequential: 'steps in order', any: 'any order' })}</label>
<label>As of <input name="now" value="${query.nowText}" placeholder="YYYY-MM-DD"></label>
${segmentFields(query)}
${systemField(query.system)}
<div class="actions"><button type="submit">Show funnel</button></div>
</form>`;
}

function funnelCard(prefix: string, query: FunnelsQuery, view: FunnelView): SafeHtml {
  const stepNames = view.steps.map((step) => step.event);
  const title = `${stepNames.join(' → ')}${segmentNote(view.segment)}`;
  const series = view.breakdown
    ? view.breakdown.map((part) => ({ name: part.segment, values: part.steps.map((s) => s.count), notes: part.steps.map(conversionNote) }))
    : [{ name: view.segment ?? 'all users', values: view.steps.map((s) => s.count), notes: view.steps.map(conversionNote) }];
  const unit = view.timeGroup === 'days' ? 'day' : 'week';
  return html`<section class="card funnel">
<div class="toolbar"><span class="title">${title} <span class="hint">(${view.dates.length} entry ${view.timeGroup}, window ${view.window} ${view.timeGroup}, ${view.order === 'any' ? 'any order' : 'in order'})</span></span>
<a class="csv" href="${link(prefix, query, { format: 'csv' })}" download>CSV</a><a class="csv" href="${link(prefix, query, { format: 'json' })}">JSON</a></div>
${groupedBars({
  title: `Funnel: ${stepNames.join(' → ')}`,
  description: view.steps.map((s) => `${s.event}: ${s.count} (${percent(s.fromFirst)} of the first step, ${percent(s.fromPrevious)} of the previous)`).join('; '),
  groups: stepNames,
  axisLabels: stepNames.map((_, k) => String(k + 1)),
  series,
})}
${conversionTable(view)}
<h2>Time to convert</h2>
${stackedBars({
  title: `Time to convert: users who reached ${stepNames.at(-1) ?? ''} first, by ${unit}s after entry`,
  description: view.timeToConvert.map((n, j) => `${j} ${unit}s: ${n}`).join(', '),
  xLabels: view.timeToConvert.map((_, j) => `${j} ${unit}${j === 1 ? '' : 's'} after entry`),
  axisLabels: view.timeToConvert.map((_, j) => String(j)),
  series: [{ name: 'users', values: view.timeToConvert, colour: '#0b6fa4' }],
})}
<details class="chart-data"><summary>Entry periods</summary><div class="scroll"><table class="events funnel-entries"><thead><tr><th class="date">Entered</th>${stepNames.map((name) => html`<th>${name}</th>`)}</tr></thead>
<tbody>${view.entries.map((entry, i) => html`<tr class="${entry.complete ? '' : 'incomplete'}"><td class="date">${periodLabel(view.dates[i]!, view.timeGroup, view.timeZone)}${entry.complete ? '' : html` <span class="hint" title="this period's window reaches past now: later steps may still come">(incomplete)</span>`}</td>${entry.counts.map((n) => html`<td>${n}</td>`)}</tr>`)}</tbody></table></div></details>
</section>`;
}

/** A bar's note: its conversion from the first and the previous step. */
function conversionNote(step: FunnelStepView, k: number): string {
  return k === 0 ? 'entered' : `${percent(step.fromFirst)} of the first step, ${percent(step.fromPrevious)} of the previous`;
}

/** Each step's users and conversions (per segment of a breakdown). */
function conversionTable(view: FunnelView): SafeHtml {
  const parts = view.breakdown ?? [{ segment: view.segment ?? 'all users', steps: view.steps }];
  return html`<div class="scroll"><table class="events funnel-steps"><thead><tr><th class="date">Step</th>${parts.map(
    (part) => html`<th>${part.segment}: users</th><th>from first</th><th>from previous</th>`,
  )}</tr></thead>
<tbody>${view.steps.map((step, k) => html`<tr><td class="date">${k + 1}. ${step.event}</td>${parts.map(
    (part) => html`<td>${part.steps[k]!.count}</td><td>${percent(part.steps[k]!.fromFirst)}</td><td>${percent(part.steps[k]!.fromPrevious)}</td>`,
  )}</tr>`)}</tbody></table></div>`;
}
