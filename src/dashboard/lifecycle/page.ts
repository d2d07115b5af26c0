import type { Context } from 'koa';
import type { LifecycleResult } from '../../engine/insights/lifecycle.js';
import type { TimeGroup } from '../../engine/time/periods.js';
import { localDate, periodLabel } from '../cohort/data.js';
import { eventDatalist, EVENT_DATALIST_ID, suggestEvents } from '../shared/suggestions.js';
import { dashboardUrl, html, layout, SafeHtml } from '../shared/html.js';
import type { EventNameCache } from '../shared/event-names.js';
import { LIFECYCLE_LIMITS, parseLifecycleQuery, type LifecycleQuery } from './query.js';
import type { KoaBitmapist } from '../../koa/plugin.js';
import { figures, lifecycleCsv, lifecycleJson, lifecycleRetention } from './data.js';
import { stackedBars } from '../charts/bars.js';

/**
 * Answers `GET {prefix}/lifecycle`: the bare form, or one event's lifecycle as a chart, JSON or CSV. Unknown
 * events answer 400 (through `dashboardRoute`, which checks access before this runs).
 */
export async function respondLifecycle(ctx: Context, plugin: KoaBitmapist, names: EventNameCache, prefix: string): Promise<void> {
  const query = parseLifecycleQuery(ctx.query);
  const system = query.system ?? plugin.defaultSystem;
  const engine = plugin.system(system);
  const eventNames = await names.list(system);
  ctx.set('Cache-Control', 'no-store');
  if (query.event === undefined) {
    ctx.body = lifecyclePage({ prefix, query, eventNames });
    return;
  }
  await names.assertKnown(system, [['event', query.event], ...(query.created ? [['created', query.created] as [string, string]] : [])], query.now);
  const lifecycle = await engine.getLifecycle(query.event, { timeGroup: query.timeGroup, periods: query.periods, now: query.now, created: query.created });
  const result = engine.timeZone.name === 'UTC' ? lifecycle : { ...lifecycle, timeZone: engine.timeZone.name };
  const beyond = lifecycleRetention(result, engine.expire, new Date());
  if (query.format === 'json') {
    ctx.body = lifecycleJson(result, beyond);
  } else if (query.format === 'csv') {
    ctx.attachment(`lifecycle-${query.timeGroup}.csv`);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = lifecycleCsv(result, beyond);
  } else {
    ctx.body = lifecyclePage({ prefix, query, eventNames, result, beyond });
  }
}

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

/** Renders the lifecycle page. */
export function lifecyclePage(options: LifecyclePageOptions): string {
  const { prefix, query, result } = options;
  const body = html`<h1>Lifecycle</h1>
${lifecycleForm(options)}
${result && query.event ? chartCard(prefix, query, result, options.beyond) : html`<p class="hint">Choose an event, then press <em>Show lifecycle</em>.</p>`}`;
  return layout({ title: 'Lifecycle', prefix, active: 'lifecycle', body });
}

function lifecycleForm({ prefix, query, eventNames }: LifecyclePageOptions): SafeHtml {
  const groups = ['days', 'weeks', 'months', 'years'] as const;
  return html`<form class="cohort-form lifecycle-form card" method="get" action="${prefix}/lifecycle">
  ${eventDatalist(suggestEvents(eventNames, ''))}
  <label>Event <input name="event" list="${EVENT_DATALIST_ID}" value="${query.event ?? ''}" required></label>
  <label>New means created by <input name="created" list="${EVENT_DATALIST_ID}" value="${query.created ?? ''}" placeholder="first seen in the range"></label>
  <label>Time group <select name="timeGroup">${groups.map(
    (group) => html`<option value="${group}"${group === query.timeGroup ? SELECTED : ''}>${group}</option>`,
  )}</select></label>
  <label>Periods <input type="number" name="periods" min="1" max="${LIFECYCLE_LIMITS.maxPeriods}" value="${query.periods}"></label>
  <label>As of (UTC) <input type="date" name="now" value="${query.nowText.slice(0, 10)}"></label>
  ${query.system ? html`<input type="hidden" name="system" value="${query.system}">` : ''}
  <div class="actions"><button type="submit">Show lifecycle</button></div>
</form>`;
}

const SELECTED = new SafeHtml(' selected');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A short x-axis label: `14 Feb` for days and weeks, `Feb 2025` for months, `2025` for years (local dates). */
function axisLabel(instant: Date, timeGroup: TimeGroup, timeZone?: string): string {
  const date = localDate(instant, timeZone);
  const month = MONTHS[date.getUTCMonth()]!;
  if (timeGroup === 'years') return String(date.getUTCFullYear());
  if (timeGroup === 'months') return `${month} ${date.getUTCFullYear()}`;
  return `${date.getUTCDate()} ${month}`;
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
    system: query.system,
    format: 'csv',
  });
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  const totals = LAYERS.map((layer) => `${sum(shown[layer.key].map((v) => v ?? 0))} ${layer.name}`).join(', ');
  const newMeaning = query.created ? `marked by ${query.created} in the period` : 'first seen in the range';
  return html`<section class="card lifecycle">
<div class="toolbar"><span class="title">${query.event} <span class="hint">(${result.dates.length} ${result.timeGroup}; new: ${newMeaning})</span></span>${expiredNote ? html`<span class="hint expired">${expiredNote.trim()}</span>` : ''}
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
