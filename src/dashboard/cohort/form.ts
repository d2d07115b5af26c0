import { eventInput, segmentFields, select, timeGroupSelect } from '../shared/forms.js';
import { flag, html, type SafeHtml } from '../shared/html.js';
import { eventDatalist, suggestEvents, suggestionFilter } from '../shared/suggestions.js';
import { DASHBOARD_LIMITS, type CohortQuery } from './query.js';

/** What the cohort form needs: the current query, the known events and systems. */
export interface CohortFormOptions {
  prefix: string;
  query: CohortQuery;
  eventNames: readonly string[];
  systems: readonly string[];
  defaultSystem: string;
}

/**
 * The cohort form: a plain GET form that works without JavaScript. Events are text fields sharing one
 * `<datalist>` of suggestions (capped, see `EVENT_SUGGESTION_LIMITS`), so the page stays small.
 */
export function cohortForm(options: CohortFormOptions): SafeHtml {
  const { prefix, query, eventNames, systems, defaultSystem } = options;
  const suggestions = suggestEvents(eventNames, query.suggest);
  const additional = query.additional.length < DASHBOARD_LIMITS.maxAdditionalEvents
    ? [...query.additional, { name: '', op: 'and' as const }]
    : query.additional;
  return html`<form class="cohort-form card" method="get" action="${prefix}/cohort">
  ${eventDatalist(suggestions)}
  <label>Users who did ${eventInput('primary', query.primary)}</label>
  <label>Came back to do ${eventInput('secondary', query.secondary)}</label>
  <div class="additional" data-max="${DASHBOARD_LIMITS.maxAdditionalEvents}">
    ${additional.map(
      (event) => html`<div class="additional-row">
      ${select('additionalOp', ['and', 'or'], event.op, { and: 'and', or: 'or' })}
      ${eventInput('additional', event.name, 'no additional event')}
      <button type="button" class="remove" hidden aria-label="Remove this event">×</button>
    </div>`,
    )}
  </div>
  <label>Time group ${timeGroupSelect(query.timeGroup)}</label>
  <label>Rows <input type="number" name="rows" min="1" max="${DASHBOARD_LIMITS.maxRows}" value="${query.rows}"></label>
  <label>Columns <input type="number" name="cols" min="1" max="${DASHBOARD_LIMITS.maxCols}" value="${query.cols}"></label>
  <label>Retention ${select('mode', ['first', 'recurring', 'unbounded'], query.mode, {
    first: 'first return only',
    recurring: 'every return',
    unbounded: 'on or after (unbounded)',
  })}</label>
  <label>As of (UTC) <input type="date" name="now" value="${query.nowText.slice(0, 10)}"></label>
  ${segmentFields({ segment: query.segment })}
  ${systems.length > 1 ? html`<label>System ${select('system', systems, query.system ?? defaultSystem)}</label>` : ''}
  <fieldset><legend>Show</legend>
    <label><input type="radio" name="display" value="counts"${flag('checked', query.display === 'counts')}> counts</label>
    <label><input type="radio" name="display" value="percent"${flag('checked', query.display === 'percent')}> percent</label>
  </fieldset>
  ${suggestionFilter(suggestions)}
  <div class="actions">
    <button type="submit">Show cohort</button>
    <button type="button" class="secondary add-event" hidden>+ Add event</button>
  </div>
</form>`;
}
