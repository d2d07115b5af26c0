import { html, type SafeHtml } from './html.js';

/** The title of every figure shown as `expired`. */
export const EXPIRED_TITLE = "beyond retention: this period's bitmaps have expired (see the expire option)";

/** A table cell whose period is beyond the configured retention: marked, not shown as 0. */
export function expiredCell(): SafeHtml {
  return html`<td class="expired" title="${EXPIRED_TITLE}">expired</td>`;
}

/** A table cell of a count, or `expired` for null (a period beyond retention). */
export function countCell(count: number | null): SafeHtml {
  return count === null ? expiredCell() : html`<td>${count}</td>`;
}

/** Each value, or null where `beyond` says its period is beyond retention (unchanged without `beyond`). */
export function nullBeyond<T>(values: readonly T[], beyond: readonly boolean[] | undefined): (T | null)[] {
  return values.map((value, i) => (beyond?.[i] ? null : value));
}
