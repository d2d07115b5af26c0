import { BitmapistArgumentError } from '../errors.js';

/** A granularity a bitmap is kept at. A year has no bitmap of its own: it is the OR of its months. */
export type PeriodUnit = 'hour' | 'day' | 'week' | 'month' | 'year';

/** The time groups a cohort or `getEventData` can use, in their canonical (plural) form. */
export type TimeGroup = 'days' | 'weeks' | 'months' | 'years';

/** Anything `timeGroup` accepts: plural or singular. */
export type TimeGroupInput = TimeGroup | 'day' | 'week' | 'month' | 'year';

const TIME_GROUP_UNITS = new Map<unknown, PeriodUnit>([
  ['days', 'day'],
  ['day', 'day'],
  ['weeks', 'week'],
  ['week', 'week'],
  ['months', 'month'],
  ['month', 'month'],
  ['years', 'year'],
  ['year', 'year'],
]);

/** Maps a `timeGroup` (`'days'` or `'day'`, ...) to its period unit; throws on anything else. */
export function timeGroupUnit(timeGroup: unknown): PeriodUnit {
  const unit = TIME_GROUP_UNITS.get(timeGroup);
  if (unit === undefined) {
    throw new BitmapistArgumentError(
      'timeGroup',
      `unknown time group ${JSON.stringify(timeGroup)}; use days, weeks, months or years`,
    );
  }
  return unit;
}

/** The canonical plural name of a period unit's time group. */
export function unitTimeGroup(unit: GroupUnit): TimeGroup {
  return `${unit}s` as TimeGroup;
}

/** The time groups of the dashboard and the insights, in their canonical (plural) form. */
export const TIME_GROUPS: readonly TimeGroup[] = ['days', 'weeks', 'months', 'years'];

/** The canonical (plural) form of any `timeGroup` the engine takes; throws on anything else. */
export function canonicalTimeGroup(timeGroup: unknown): TimeGroup {
  return unitTimeGroup(timeGroupUnit(timeGroup) as GroupUnit);
}

/** The period unit of a time group (no hours: a time group is days, weeks, months or years). */
export type GroupUnit = Exclude<PeriodUnit, 'hour'>;
