import { flag, html, type SafeHtml } from './html.js';
import { EVENT_DATALIST_ID } from './suggestions.js';
import { TIME_GROUPS } from '../../engine/time/time-groups.js';

/** A `<select>` of `values` (shown as `labels[value]`, else the value), `selected` chosen. */
export function select(name: string, values: readonly string[], selected: string, labels: Record<string, string> = {}): SafeHtml {
  return html`<select name="${name}">${values.map(
    (value) => html`<option value="${value}"${flag('selected', value === selected)}>${labels[value] ?? value}</option>`,
  )}</select>`;
}

/** The time-group choice of every form (days, weeks, months, years). */
export function timeGroupSelect(selected: string): SafeHtml {
  return select('timeGroup', TIME_GROUPS, selected);
}

/** A text field for an event name, suggesting from the page's shared `<datalist>`. */
export function eventInput(name: string, value: string | undefined, placeholder = 'choose an event', required = false): SafeHtml {
  return html`<input name="${name}" list="${EVENT_DATALIST_ID}" value="${value ?? ''}" placeholder="${placeholder}" autocomplete="off" spellcheck="false"${required ? html` required` : ''}>`;
}

/** The hidden `system` field that keeps a chosen system across a form's submissions. */
export function systemField(system: string | undefined): SafeHtml | '' {
  return system ? html`<input type="hidden" name="system" value="${system}">` : '';
}
