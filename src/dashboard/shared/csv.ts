/**
 * A CSV field, quoted when needed; a leading `=`, `+`, `-`, `@`, tab or carriage return (what a spreadsheet may
 * read as the start of a formula) is defused with a `'`.
 */
export function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A value of a CSV line: text, a number, or blank (null / undefined). */
export type CsvValue = string | number | null | undefined;

/**
 * The dashboard's CSV answers: a header line, then a line per row, every field through {@link csvField}, each
 * line ended by `newline` (CRLF, as RFC 4180 asks, unless a page keeps another).
 */
export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[], newline = '\r\n'): string {
  const line = (values: readonly CsvValue[]) => values.map((value) => (value === null || value === undefined ? '' : csvField(String(value)))).join(',');
  return [header, ...rows].map(line).join(newline) + newline;
}
