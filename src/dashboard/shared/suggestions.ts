import { escapeHtml, html, type SafeHtml } from './html.js';

/**
 * Caps of the event names the cohort form suggests, so that its page stays small (well under 2 MB) however
 * many events there are: at most `maxNames` names and `maxBytes` of markup; `?suggest=` narrows the list.
 */
export const EVENT_SUGGESTION_LIMITS = { maxNames: 1_000, maxBytes: 512 * 1024 } as const;

/** The id of the one `<datalist>` every event field of the form shares. */
export const EVENT_DATALIST_ID = 'bitmapist-events';

/** The event names the form suggests. */
export interface EventSuggestions {
  /** The names suggested, in order. */
  names: string[];
  /** How many names start with `filter` (suggested or not). */
  matching: number;
  /** The name prefix the suggestions were narrowed to ('' for all). */
  filter: string;
}

/** Picks the names starting with `filter`, within {@link EVENT_SUGGESTION_LIMITS}. */
export function suggestEvents(eventNames: readonly string[], filter: string): EventSuggestions {
  const matches = filter === '' ? eventNames : eventNames.filter((name) => name.startsWith(filter));
  const names: string[] = [];
  let bytes = 0;
  for (const name of matches) {
    bytes += Buffer.byteLength(escapeHtml(name)) + '<option value=""></option>'.length;
    if (names.length >= EVENT_SUGGESTION_LIMITS.maxNames || bytes > EVENT_SUGGESTION_LIMITS.maxBytes) break;
    names.push(name);
  }
  return { names, matching: matches.length, filter };
}

/** The shared `<datalist>` of suggested names. */
export function eventDatalist(suggestions: EventSuggestions): SafeHtml {
  return html`<datalist id="${EVENT_DATALIST_ID}">${suggestions.names.map((name) => html`<option value="${name}"></option>`)}</datalist>`;
}

/** The note and filter field shown when the suggestions leave names out or were narrowed; else nothing. */
export function suggestionFilter(suggestions: EventSuggestions): SafeHtml | '' {
  const { names, matching, filter } = suggestions;
  if (names.length === matching && filter === '') return '';
  return html`<div class="suggest">
    <label>Suggest events starting with <input name="suggest" value="${filter}"></label>
    <p class="hint">Suggesting ${names.length} of ${matching} events${filter ? html` starting with <code>${filter}</code>` : ''}: any event name can be typed; narrow the suggestions and press <em>Show cohort</em>.</p>
  </div>`;
}
