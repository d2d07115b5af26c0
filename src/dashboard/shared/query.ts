import { BitmapistArgumentError } from '../../engine/errors.js';
import { MAX_EVENT_NAME_LENGTH } from '../../engine/keys/names.js';
import { MAX_YEAR, MIN_YEAR, CalendarDay } from '../../engine/time/periods.js';
import { canonicalTimeGroup, type TimeGroup } from '../../engine/time/time-groups.js';

/** A parsed query string (Koa's `ctx.query`, or any framework's). */
export type Query = Record<string, string | string[] | undefined>;

/**
 * The most parameters a dashboard query string may hold (a page takes a few dozen at most: 10 steps, 10
 * additional events, 5 breakdowns, ...); more answer 400 naming `query`, having read nothing.
 */
export const MAX_QUERY_PARAMETERS = 200;

/**
 * Parses a query string in one pass, repeated names into arrays, and refuses (naming `query`) one of over
 * {@link MAX_QUERY_PARAMETERS} parameters. Linear in the string's length, where collecting repeated names
 * one name at a time (as Koa's `ctx.query` does) costs the square of their number. Names are plain keys of
 * an object without a prototype (`__proto__` is a name like any other).
 */
export function parseQuery(text: string): Query {
  const query = Object.create(null) as Query;
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    if (++count > MAX_QUERY_PARAMETERS) throw new BitmapistArgumentError('query', `holds over ${MAX_QUERY_PARAMETERS} parameters`);
    const known = query[name];
    if (known === undefined) query[name] = value;
    else if (Array.isArray(known)) known.push(value);
    else query[name] = [known, value];
  }
  return query;
}

/** The `format` parameter of a query string (its first value), read without parsing the rest. */
export function formatOf(text: string): string | undefined {
  return new URLSearchParams(text).get('format') ?? undefined;
}

/** The answer formats of the dashboard. */
export type Format = 'html' | 'json' | 'csv';

/** What the trends and active-users pages show when a parameter is not given. */
export const CHART_DEFAULTS = { timeGroup: 'days', periods: 30, days: 30 } as const;

/** The most segments a breakdown compares (`breakdown=` repeated). */
export const MAX_BREAKDOWN_SEGMENTS = 5;

/** The `timeGroup` values the dashboard accepts (plural and singular, as the engine). */
export const TIME_GROUP_NAMES: readonly string[] = ['days', 'day', 'weeks', 'week', 'months', 'month', 'years', 'year'];

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

/** Refuses an event name longer than the cap, naming `param`. */
export function checkName(name: string, param: string): void {
  if (name.length > MAX_EVENT_NAME_LENGTH) {
    throw new BitmapistArgumentError(param, `event names are at most ${MAX_EVENT_NAME_LENGTH} characters, got ${name.length}`);
  }
}

/** An optional event name given once (`undefined` when absent or blank). */
export function eventParam(query: Query, param: string): string | undefined {
  const name = single(query, param) || undefined;
  if (name !== undefined) checkName(name, param);
  return name;
}

/**
 * The event names of a repeatable parameter (blank ones skipped), at most `max`; distinct ones unless
 * `distinct` is false (a funnel may name one event twice).
 */
export function eventsParam(query: Query, param: string, max: number, distinct = true): string[] {
  const names = list(query[param]).filter((name) => name !== '');
  names.forEach((name) => checkName(name, param));
  if (names.length > max) throw new BitmapistArgumentError(param, `at most ${max} events, got ${names.length}`);
  return distinct ? [...new Set(names)] : names;
}

/** A name prefix filter, '' when absent. */
export function namePrefix(query: Query, param: string): string {
  const prefix = single(query, param) ?? '';
  if (prefix.length > MAX_EVENT_NAME_LENGTH) throw new BitmapistArgumentError(param, `is longer than ${MAX_EVENT_NAME_LENGTH} characters`);
  return prefix;
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

/** `format`: html (default), json or csv, or those of `allowed`. */
export function formatParam<T extends Format>(query: Query, allowed: readonly T[] = ['html', 'json', 'csv'] as T[]): T {
  return oneOf(query, 'format', allowed, 'html' as T);
}

/**
 * `timeGroup`, plural or singular, in its canonical plural form (`fallback` when absent): the one time-group
 * parser of every page. Checked against the names first, so `constructor` or `__proto__` is no time group.
 */
export function timeGroupParam(query: Query, fallback: TimeGroup): TimeGroup {
  const raw = single(query, 'timeGroup') || fallback;
  if (!TIME_GROUP_NAMES.includes(raw)) {
    throw new BitmapistArgumentError('timeGroup', `must be days, weeks, months or years, got ${shown(raw)}`);
  }
  return canonicalTimeGroup(raw);
}

/** `system` (`undefined`: the host's default system). */
export function systemParam(query: Query): string | undefined {
  return single(query, 'system') || undefined;
}

/** `now` as given ('' when absent) and as a date (see {@link parseNow}). */
export function nowParam(query: Query): { nowText: string; now?: Date } {
  const nowText = single(query, 'now') ?? '';
  return nowText === '' ? { nowText } : { nowText, now: parseNow(nowText) };
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
