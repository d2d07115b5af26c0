import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import { DAY_MS, FIXED_UNITS, wallPeriodStart } from './periods.js';
import { UTC_ZONE, type TimeZone } from './time-zone.js';
import type { PeriodUnit } from './time-groups.js';

dayjs.extend(utc);

/**
 * The start of the period `n` periods after (before, when negative) the period starting at `start`: `n` times
 * the next period (the one containing the instant after the end), or `-n` times the previous one (containing
 * the instant before the start). A period a change of offset skips whole (02:00 when clocks go from 02:00 to
 * 03:00, Apia's 30 Dec 2011) is not counted and never returned. Outside UTC, hours and days read the zone's
 * offset once per period on the way (cached per UTC hour).
 */
export function addPeriods(unit: PeriodUnit, start: Date, n: number, zone: TimeZone = UTC_ZONE): Date {
  if (zone.isUtc) return dayjs.utc(start).add(n, unit).toDate();
  // A local day whose midnight was skipped starts later than midnight: count from the wall-clock period start.
  const wall = wallPeriodStart(unit, zone.toWall(start.getTime()));
  const length = FIXED_UNITS[unit]?.length;
  if (length === undefined) return new Date(zone.fromWall(dayjs.utc(wall).add(n, unit).valueOf()));
  // Offsets lie within a day of UTC, so a change skips less than two days: never a whole week, month or year.
  if (length >= 2 * DAY_MS) return new Date(zone.fromWall(wall + n * length));
  return new Date(stepOver(unit, length, wall, n, zone));
}

/**
 * The start of the hour or day `n` periods from the one beginning at the wall time `wall`: a jump by wall-clock
 * arithmetic, less the periods skipped on the way; then the periods still owed, from there (skips are rare).
 */
function stepOver(unit: PeriodUnit, length: number, wall: number, n: number, zone: TimeZone): number {
  let time = zone.fromWall(wall);
  let steps = n;
  while (steps !== 0) {
    const direction = Math.sign(steps);
    const target = wall + steps * length;
    // The first instant of `target`; for a skipped one, the change of offset after it (the start of the next).
    let landed = zone.fromWall(target);
    if (direction < 0 && wallPeriodStart(unit, zone.toWall(landed)) !== target) landed -= 1;
    const landedWall = wallPeriodStart(unit, zone.toWall(landed));
    const landedTime = zone.fromWall(landedWall);
    const [from, to, low, high] = direction > 0 ? [time, landedTime, wall, landedWall] : [landedTime, time, landedWall, wall];
    // At least one: the period landed on exists.
    steps -= direction * Math.max(1, (high - low) / length - skippedPeriods(length, from, to, low, high, zone));
    wall = landedWall;
    time = landedTime;
  }
  return time;
}

/** How many periods of `length`, strictly between the wall times `low` and `high`, changes in (from, to] skip. */
function skippedPeriods(length: number, from: number, to: number, low: number, high: number, zone: TimeZone): number {
  let skipped = 0;
  for (const change of zone.changesForward(from, to, length)) {
    const first = Math.max(Math.ceil((change.at + change.before) / length) * length, low + length);
    const end = Math.min(Math.floor((change.at + change.after) / length) * length, high);
    if (end > first) skipped += (end - first) / length;
  }
  return skipped;
}

/** The last millisecond of the period starting at `start` (a local day lasts 23, 24 or 25 hours). */
export function periodEnd(unit: PeriodUnit, start: Date, zone: TimeZone = UTC_ZONE): Date {
  return new Date(addPeriods(unit, start, 1, zone).getTime() - 1);
}
