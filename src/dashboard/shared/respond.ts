import { errorBody, layout, type PageFrame } from './layout.js';

/** The kinds of answer the dashboard gives. */
export type AnswerType = 'html' | 'json' | 'csv' | 'svg' | 'text';

/**
 * A dashboard answer, whatever the web framework: the framework's adapter sends it (`Cache-Control: no-store`
 * on every one) and reports `error` to the app.
 */
export interface DashboardResponse {
  status: number;
  type: AnswerType;
  /** Text, or an object sent as JSON. */
  body: string | object;
  /** A download's file name (CSV). */
  attachment?: string;
  /** What is behind a 503 (an outage) or a 409 (a key of another type), for the app's error reporting. */
  error?: unknown;
}

/** An HTML page. */
export const htmlAnswer = (body: string): DashboardResponse => ({ status: 200, type: 'html', body });

/** A JSON answer. */
export const jsonAnswer = (body: object): DashboardResponse => ({ status: 200, type: 'json', body });

/** A CSV download named `fileName`. */
export const csvAnswer = (fileName: string, body: string): DashboardResponse => ({ status: 200, type: 'csv', body, attachment: fileName });

/** Characters XML 1.0 refuses even as character references: C0 controls but tab, LF and CR; U+FFFE and U+FFFF. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * An SVG image, a document of its own (served as `image/svg+xml`, parsed as XML): a character XML refuses, which
 * an event name may hold, would make it ill-formed, a broken image. A control shows as its control picture
 * (U+0001 as U+2401), U+FFFE and U+FFFF as U+FFFD. Our own markup holds none of them, so only text changes.
 */
export const svgAnswer = (body: string): DashboardResponse => ({
  status: 200,
  type: 'svg',
  body: body.replace(NOT_XML, (c) => (c < '\u0020' ? String.fromCharCode(0x2400 + c.charCodeAt(0)) : '\uFFFD')),
});

/**
 * An error in the format the request asked for: JSON `{ error, parameter? }`, plain text for CSV, else an HTML
 * page in the dashboard's layout.
 */
export function errorAnswer(frame: PageFrame, format: unknown, status: number, message: string, parameter?: string): DashboardResponse {
  if (format === 'json') return { status, type: 'json', body: parameter === undefined ? { error: message } : { error: message, parameter } };
  if (format === 'csv') return { status, type: 'text', body: `${message}\n` };
  return { status, type: 'html', body: layout({ ...frame, active: '/cohort' }, 'Error', errorBody(status, message, frame.prefix)) };
}
