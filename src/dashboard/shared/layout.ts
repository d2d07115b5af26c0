import { DASHBOARD_SCRIPT, DASHBOARD_STYLE } from './assets.js';
import { html, SafeHtml } from './html.js';

/** One tab of the navigation bar: a page's path below the dashboard's prefix, and its label. */
export interface NavTab {
  path: string;
  label: string;
}

/** What every page is drawn in: the dashboard's prefix, its tabs, and the path of the page shown. */
export interface PageFrame {
  prefix: string;
  tabs: readonly NavTab[];
  active: string;
}

/** The page around every dashboard view: title, navigation, styles and the small progressive script. */
export function layout(frame: PageFrame, title: string, body: SafeHtml): string {
  const { prefix, tabs, active } = frame;
  const nav = tabs.map(
    (tab) => html`<a href="${prefix}${tab.path}" class="${tab.path === active ? 'active' : ''}">${tab.label}</a>`,
  );
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · bitmapist</title>
<style>${new SafeHtml(DASHBOARD_STYLE)}</style>
</head>
<body>
<header><strong>bitmapist</strong><nav>${nav}</nav></header>
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
