import type { ChainedEvent } from '../../engine/query/chain.js';
import type { CohortMode } from '../../engine/insights/cohort/plan.js';
import { BitmapistArgumentError } from '../../engine/errors.js';
import { CalendarDay, MAX_YEAR, MIN_YEAR, timeGroupUnit, unitTimeGroup, type TimeGroup } from '../../engine/time/periods.js';
import { MAX_EVENT_NAME_LENGTH } from '../../engine/arguments.js';

/**
 * Caps of the dashboard's query parameters, so one request cannot tie up Redis: a cohort costs one
 * script call per row, each reading at most `cols` periods of `1 + additional events` bitmaps.
 */
export const DASHBOARD_LIMITS = {
  maxRows: 90,
  maxCols: 90,
  maxAdditionalEvents: 10,
  maxEventNameLength: MAX_EVENT_NAME_LENGTH,
} as const;

/** The `timeGroup` values the dashboard accepts (plural and singular, as the engine). */
export const TIME_GROUP_NAMES: readonly string[] = ['days', 'day', 'weeks', 'week', 'months', 'month', 'years', 'year'];

/** What the cohort page shows when a parameter is not given. */
export const COHORT_DEFAULTS = { timeGroup: 'days', rows: 10, cols: 10, display: 'counts', mode: 'first' } as const;

/** A parsed query string (Koa's `ctx.query`). */
export type Query = Record<string, string | string[] | undefined>;

/** The answer formats of the dashboard. */
export type Format = 'html' | 'json' | 'csv';

/** The cohort page's parameters, checked. `primary`/`secondary` are absent only on the bare HTML form. */
export interface CohortQuery {
  primary?: string;
  secondary?: string;
  additional: ChainedEvent[];
  timeGroup: TimeGroup;
  rows: number;
  cols: number;
  display: 'counts' | 'percent';
  mode: CohortMode;
  /** The `now` parameter as given ('' when absent) and as a date. */
  nowText: string;
  now?: Date;
  system?: string;
  format: Format;
  /** The name prefix the form's event suggestions are narrowed to ('' for all). */
  suggest: string;
}

/** Checks the cohort page's query; throws `BitmapistArgumentError` naming the bad parameter. */
export function parseCohortQuery(query: Query): CohortQuery {
  const format = oneOf(query, 'format', ['html', 'json', 'csv'] as const, 'html');
  const primary = eventName(query, 'primary');
  const secondary = eventName(query, 'secondary');
  const bareForm = format === 'html' && primary === undefined && secondary === undefined;
  if (!bareForm && (primary === undefined || secondary === undefined)) {
    throw new BitmapistArgumentError(primary === undefined ? 'primary' : 'secondary', 'is required: name an event');
  }
  const rawTimeGroup = single(query, 'timeGroup') || COHORT_DEFAULTS.timeGroup;
  // Checked against the list first: a name such as `constructor` or `__proto__` is not a time group.
  if (!TIME_GROUP_NAMES.includes(rawTimeGroup)) {
    throw new BitmapistArgumentError('timeGroup', `must be days, weeks, months or years, got ${shown(rawTimeGroup)}`);
  }
  const timeGroup = unitTimeGroup(timeGroupUnit(rawTimeGroup) as 'day' | 'week' | 'month' | 'year');
  const nowText = single(query, 'now') ?? '';
  return {
    primary,
    secondary,
    additional: additionalEvents(query),
    timeGroup,
    rows: integer(query, 'rows', 1, DASHBOARD_LIMITS.maxRows, COHORT_DEFAULTS.rows),
    cols: integer(query, 'cols', 1, DASHBOARD_LIMITS.maxCols, COHORT_DEFAULTS.cols),
    display: oneOf(query, 'display', ['counts', 'percent'] as const, COHORT_DEFAULTS.display),
    mode: oneOf(query, 'mode', ['first', 'recurring', 'unbounded'] as const, COHORT_DEFAULTS.mode),
    nowText,
    now: nowText === '' ? undefined : parseNow(nowText),
    system: single(query, 'system') || undefined,
    format,
    suggest: namePrefix(query, 'suggest'),
  };
}

/** Checks the events page's query. */
export function parseEventsQuery(query: Query): { format: 'html' | 'json'; prefix: string; system?: string; now?: Date } {
  const prefix = namePrefix(query, 'prefix');
  const nowText = single(query, 'now') ?? '';
  return {
    format: oneOf(query, 'format', ['html', 'json'] as const, 'html'),
    prefix,
    system: single(query, 'system') || undefined,
    now: nowText === '' ? undefined : parseNow(nowText),
  };
}

/** The additional events: `additional` (names) and `additionalOp` (and/or) repeated in pairs; blank names are skipped. */
function additionalEvents(query: Query): ChainedEvent[] {
  const names = list(query.additional);
  const ops = list(query.additionalOp);
  if (ops.length > 0 && ops.length !== names.length) {
    throw new BitmapistArgumentError('additionalOp', `must be given once per additional event (${names.length}), got ${ops.length}`);
  }
  const events: ChainedEvent[] = [];
  names.forEach((name, i) => {
    if (name === '') return;
    checkName(name, 'additional');
    const op = ops[i] ?? 'and';
    if (op !== 'and' && op !== 'or') throw new BitmapistArgumentError('additionalOp', `must be and or or, got ${shown(op)}`);
    events.push({ name, op });
  });
  if (events.length > DASHBOARD_LIMITS.maxAdditionalEvents) {
    throw new BitmapistArgumentError('additional', `at most ${DASHBOARD_LIMITS.maxAdditionalEvents} additional events, got ${events.length}`);
  }
  return events;
}

/** A name prefix filter, '' when absent. */
function namePrefix(query: Query, param: string): string {
  const prefix = single(query, param) ?? '';
  if (prefix.length > DASHBOARD_LIMITS.maxEventNameLength) {
    throw new BitmapistArgumentError(param, `is longer than ${DASHBOARD_LIMITS.maxEventNameLength} characters`);
  }
  return prefix;
}

function eventName(query: Query, param: string): string | undefined {
  const name = single(query, param);
  if (name === undefined || name === '') return undefined;
  checkName(name, param);
  return name;
}

/** Refuses an event name longer than the cap, naming `param`. */
export function checkName(name: string, param: string): void {
  if (name.length > DASHBOARD_LIMITS.maxEventNameLength) {
    throw new BitmapistArgumentError(param, `event names are at most ${DASHBOARD_LIMITS.maxEventNameLength} characters, got ${name.length}`);
  }
}

/** A whole number from `min` to `max` (`fallback` when absent), or a 400 naming `param`. */
export function integer(query: Query, param: string, min: number, max: number, fallback: number): number {
  const text = single(query, param);
  if (text === undefined || text === '') return fallback;
  const value = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new BitmapistArgumentError(param, `must be a whole number from ${min} to ${max}, got ${shown(text)}`);
  }
  return value;
}

/** One of `allowed` (`fallback` when absent), or a 400 naming `param`. */
export function oneOf<T extends string>(query: Query, param: string, allowed: readonly T[], fallback: T): T {
  const value = single(query, param);
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BitmapistArgumentError(param, `must be one of ${allowed.join(', ')}, got ${shown(value)}`);
  }
  return value as T;
}

/**
 * `YYYY-MM-DD` (a {@link CalendarDay}: the end of that day, UTC or in the engine's `timezone`) or a full ISO
 * date-time, in the years the engine takes (UTC).
 */
export function parseNow(text: string): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const iso = /^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})$/.test(text);
  const date = day ? new CalendarDay(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))) : new Date(text);
  if (!(day || iso) || Number.isNaN(date.getTime()) || (day && date.toISOString().slice(0, 10) !== text)) {
    throw new BitmapistArgumentError('now', `must be a date like 2025-01-31 or an ISO date-time, got ${shown(text)}`);
  }
  const year = date.getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new BitmapistArgumentError('now', `must fall in the years ${MIN_YEAR} to ${MAX_YEAR} (UTC), got ${shown(text)}`);
  }
  return date;
}

/** The parameter's one value; a 400 when it was given more than once. */
export function single(query: Query, param: string): string | undefined {
  const value = query[param];
  if (Array.isArray(value)) throw new BitmapistArgumentError(param, 'was given more than once');
  return value;
}

/** Every value of a repeatable parameter. */
export function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Text quoted for an error message, cut at 40 characters. */
export function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}
