import { html, type SafeHtml } from './html.js';
import { DASHBOARD_LIMITS, type CohortQuery } from './query.js';

/** What the cohort form needs: the current query, the known events and systems. */
export interface CohortFormOptions {
  prefix: string;
  query: CohortQuery;
  eventNames: readonly string[];
  systems: readonly string[];
  defaultSystem: string;
}

/** The cohort form: a plain GET form that works without JavaScript. */
export function cohortForm(options: CohortFormOptions): SafeHtml {
  const { prefix, query, eventNames, systems, defaultSystem } = options;
  const additional = query.additional.length < DASHBOARD_LIMITS.maxAdditionalEvents
    ? [...query.additional, { name: '', op: 'and' as const }]
    : query.additional;
  return html`<form class="cohort-form card" method="get" action="${prefix}/cohort">
  <label>Users who did ${eventSelect('primary', query.primary, eventNames)}</label>
  <label>Came back to do ${eventSelect('secondary', query.secondary, eventNames)}</label>
  <div class="additional" data-max="${DASHBOARD_LIMITS.maxAdditionalEvents}">
    ${additional.map(
      (event) => html`<div class="additional-row">
      ${select('additionalOp', ['and', 'or'], event.op, { and: 'and', or: 'or' })}
      ${eventSelect('additional', event.name, eventNames, 'no additional event')}
      <button type="button" class="remove" hidden aria-label="Remove this event">×</button>
    </div>`,
    )}
  </div>
  <label>Time group ${select('timeGroup', ['days', 'weeks', 'months', 'years'], query.timeGroup)}</label>
  <label>Rows <input type="number" name="rows" min="1" max="${DASHBOARD_LIMITS.maxRows}" value="${query.rows}"></label>
  <label>Columns <input type="number" name="cols" min="1" max="${DASHBOARD_LIMITS.maxCols}" value="${query.cols}"></label>
  <label>Retention ${select('mode', ['first', 'recurring', 'unbounded'], query.mode, {
    first: 'first return only',
    recurring: 'every return',
    unbounded: 'on or after (unbounded)',
  })}</label>
  <label>As of (UTC) <input type="date" name="now" value="${query.nowText.slice(0, 10)}"></label>
  ${systems.length > 1 ? html`<label>System ${select('system', systems, query.system ?? defaultSystem)}</label>` : ''}
  <fieldset><legend>Show</legend>
    <label><input type="radio" name="display" value="counts"${checked(query.display === 'counts')}> counts</label>
    <label><input type="radio" name="display" value="percent"${checked(query.display === 'percent')}> percent</label>
  </fieldset>
  <div class="actions">
    <button type="submit">Show cohort</button>
    <button type="button" class="secondary add-event" hidden>+ Add event</button>
  </div>
</form>`;
}

function eventSelect(name: string, selected: string | undefined, eventNames: readonly string[], blank = 'choose an event'): SafeHtml {
  return html`<select name="${name}"><option value="">${blank}</option>${eventNames.map(
    (event) => html`<option value="${event}"${selectedAttr(event === selected)}>${event}</option>`,
  )}</select>`;
}

function select(name: string, values: readonly string[], selected: string, labels: Record<string, string> = {}): SafeHtml {
  return html`<select name="${name}">${values.map(
    (value) => html`<option value="${value}"${selectedAttr(value === selected)}>${labels[value] ?? value}</option>`,
  )}</select>`;
}

function selectedAttr(on: boolean): SafeHtml | '' {
  return on ? html` selected` : '';
}

function checked(on: boolean): SafeHtml | '' {
  return on ? html` checked` : '';
}
