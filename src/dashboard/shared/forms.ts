import { flag, html, type SafeHtml } from './html.js';
import { EVENT_DATALIST_ID } from './suggestions.js';
import { TIME_GROUPS } from '../../engine/time/time-groups.js';
import { MAX_BREAKDOWN_SEGMENTS } from './query.js';

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

/** The segment fields of a chart's form: one segment, and up to `MAX_BREAKDOWN_SEGMENTS` to break down by. */
export function segmentFields(query: { segment?: string; breakdown?: readonly string[] }): SafeHtml {
  const breakdown = query.breakdown === undefined ? [] : [...query.breakdown, ''].slice(0, MAX_BREAKDOWN_SEGMENTS);
  return html`<label>Segment ${eventInput('segment', query.segment, 'all users')}</label>
${breakdown.map((name) => html`<label>Break down by ${eventInput('breakdown', name, 'a segment (unique event)')}</label>`)}`;
}

/** ` (segment: x)` after a title, or nothing. */
export function segmentNote(segment: string | undefined): string {
  return segment === undefined ? '' : ` (segment: ${segment})`;
}
