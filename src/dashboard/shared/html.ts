import { DASHBOARD_SCRIPT, DASHBOARD_STYLE } from './assets.js';

/** Markup that is already safe: produced by {@link html}, never by string concatenation of input. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * A template tag that escapes every interpolated value unless it is {@link SafeHtml}; arrays are joined,
 * and null, undefined and false render nothing. The only way the dashboard builds markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** A dashboard URL: `path` with the given query parameters (arrays repeat, empty values are left out). */
export function dashboardUrl(path: string, params: Record<string, string | number | readonly string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

/** The dashboard's navigation tabs. */
export type DashboardTab = 'events' | 'cohort' | 'trends' | 'active' | 'lifecycle';

/** The page around every dashboard view: title, navigation, styles and the small progressive script. */
export function layout(options: { title: string; prefix: string; active: DashboardTab; body: SafeHtml }): string {
  const { title, prefix, active, body } = options;
  const tab = (name: DashboardTab, href: string, label: string) =>
    html`<a href="${href}" class="${name === active ? 'active' : ''}">${label}</a>`;
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · bitmapist</title>
<style>${new SafeHtml(DASHBOARD_STYLE)}</style>
</head>
<body>
<header><strong>bitmapist</strong><nav>${tab('events', `${prefix}/`, 'Events')}${tab('cohort', `${prefix}/cohort`, 'Cohorts')}${tab('trends', `${prefix}/trends`, 'Trends')}${tab('active', `${prefix}/active`, 'Active users')}${tab('lifecycle', `${prefix}/lifecycle`, 'Lifecycle')}</nav></header>
<main>${body}</main>
<script>${new SafeHtml(DASHBOARD_SCRIPT)}</script>
</body>
</html>`}`;
}

/** The body of an error page (400, 403, 503): the message, escaped. */
export function errorBody(status: number, message: string, prefix: string): SafeHtml {
  return html`<section class="error" role="alert"><h1>${status === 400 ? 'Bad request' : status === 403 ? 'Forbidden' : 'Unavailable'}</h1>
<p>${message}</p><p><a href="${prefix}/cohort">Back to the cohort form</a></p></section>`;
}
