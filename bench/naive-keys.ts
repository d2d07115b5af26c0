/**
 * Key names and period arithmetic for the naive baselines, written independently of `src/` (plain `Date`
 * arithmetic, as a Python port would do it), so the equality checks also cross-check our key layout.
 */

/** The period units the naive cohort understands. */
export type NaiveUnit = 'day' | 'week' | 'month' | 'year';

const DAY_MS = 86_400_000;

/** ISO week-numbering year and week of a UTC date. */
export function isoWeekOf(date: Date): { year: number; week: number } {
  const day = Math.floor(date.getTime() / DAY_MS) * DAY_MS;
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(day + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return { year, week };
}

/** The month, ISO week and day keys one mark sets (bitmapist's default tracking). */
export function naiveMarkKeys(prefix: string, event: string, date: Date): [string, string, string] {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const { year, week } = isoWeekOf(date);
  return [`${prefix}${event}_${y}-${m}`, `${prefix}${event}_W${year}-${week}`, `${prefix}${event}_${y}-${m}-${date.getUTCDate()}`];
}

/** The start of the period containing `date`. */
export function naivePeriodStart(unit: NaiveUnit, date: Date): Date {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  switch (unit) {
    case 'day':
      return new Date(Date.UTC(y, m, date.getUTCDate()));
    case 'week': {
      const day = Math.floor(date.getTime() / DAY_MS) * DAY_MS;
      return new Date(day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS);
    }
    case 'month':
      return new Date(Date.UTC(y, m, 1));
    case 'year':
      return new Date(Date.UTC(y, 0, 1));
  }
}

/** The start of the period `n` units after the one starting at `start`. */
export function naiveAddPeriods(unit: NaiveUnit, start: Date, n: number): Date {
  switch (unit) {
    case 'day':
      return new Date(start.getTime() + n * DAY_MS);
    case 'week':
      return new Date(start.getTime() + n * 7 * DAY_MS);
    case 'month':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + n, 1));
    case 'year':
      return new Date(Date.UTC(start.getUTCFullYear() + n, 0, 1));
  }
}

/** The bitmaps making up one period of an event: one key, or the twelve months of a year. */
export function naivePeriodKeys(prefix: string, event: string, unit: NaiveUnit, start: Date): string[] {
  const y = start.getUTCFullYear();
  switch (unit) {
    case 'day':
      return [`${prefix}${event}_${y}-${start.getUTCMonth() + 1}-${start.getUTCDate()}`];
    case 'week': {
      const { year, week } = isoWeekOf(start);
      return [`${prefix}${event}_W${year}-${week}`];
    }
    case 'month':
      return [`${prefix}${event}_${y}-${start.getUTCMonth() + 1}`];
    case 'year':
      return Array.from({ length: 12 }, (_, i) => `${prefix}${event}_${y}-${i + 1}`);
  }
}
