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

/** An SVG image. */
export const svgAnswer = (body: string): DashboardResponse => ({ status: 200, type: 'svg', body });

/**
 * An error in the format the request asked for: JSON `{ error, parameter? }`, plain text for CSV, else an HTML
 * page in the dashboard's layout.
 */
export function errorAnswer(frame: PageFrame, format: unknown, status: number, message: string, parameter?: string): DashboardResponse {
  if (format === 'json') return { status, type: 'json', body: parameter === undefined ? { error: message } : { error: message, parameter } };
  if (format === 'csv') return { status, type: 'text', body: `${message}\n` };
  return { status, type: 'html', body: layout({ ...frame, active: '/cohort' }, 'Error', errorBody(status, message, frame.prefix)) };
}
