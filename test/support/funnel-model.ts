/**
 * Funnels worked out per user from a list of marks, the plain way (independent of programs and Lua): the tests
 * check Redis answers against it. Periods are UTC days or ISO weeks, computed with the model's own helpers.
 */
import { shift, startOf, type ModelMark } from './model.js';

export interface FunnelModelOptions {
  unit: 'day' | 'week';
  periods: number;
  window: number;
  order: 'sequential' | 'any';
  now: Date;
  /** Only these users count (all when absent). */
  segment?: Set<number>;
}

export interface FunnelModelResult {
  dates: Date[];
  entries: { counts: number[]; complete: boolean }[];
  steps: number[];
  timeToConvert: number[];
}

export function modelFunnel(marks: readonly ModelMark[], steps: readonly string[], options: FunnelModelOptions): FunnelModelResult {
  const { unit, periods, window, order, now } = options;
  const last = startOf(unit, now);
  const dates = Array.from({ length: periods }, (_, i) => shift(unit, last, i - (periods - 1)));
  const end = shift(unit, last, 1).getTime();
  const indexOf = (at: Date) => {
    if (at.getTime() < dates[0]!.getTime() || at.getTime() >= end) return -1;
    return dates.findLastIndex((date) => date.getTime() <= at.getTime());
  };
  // Per user, per event: the entry-range periods it was done in.
  const done = new Map<number, Map<string, Set<number>>>();
  for (const mark of marks) {
    const t = indexOf(mark.at);
    if (t < 0) continue;
    const events = done.get(mark.uid) ?? new Map<string, Set<number>>();
    done.set(mark.uid, events);
    const at = events.get(mark.event) ?? new Set<number>();
    events.set(mark.event, at);
    at.add(t);
  }
  // A window is over when all of its periods are before now's, or it ends with now's and now is its last instant.
  const nowsPeriodOver = now.getTime() === end - 1;
  const entries = dates.map((_, e) => ({ counts: steps.map(() => 0), complete: e + window < periods - 1 || (e + window === periods - 1 && nowsPeriodOver) }));
  const timeToConvert = Array.from({ length: window + 1 }, () => 0);
  for (const [uid, events] of done) {
    if (options.segment && !options.segment.has(uid)) continue;
    const firstStep = events.get(steps[0]!);
    if (!firstStep) continue;
    const entry = Math.min(...firstStep);
    const limit = Math.min(entry + window, periods - 1);
    const earliest = (event: string, from: number) => {
      const at = [...(events.get(event) ?? [])].filter((t) => t >= from && t <= limit);
      return at.length === 0 ? undefined : Math.min(...at);
    };
    entries[entry]!.counts[0]! += 1;
    let reachedAt: number | undefined = entry;
    let latest = entry;
    for (let k = 1; k < steps.length; k++) {
      if (order === 'sequential') {
        reachedAt = reachedAt === undefined ? undefined : earliest(steps[k]!, reachedAt);
      } else {
        const at = earliest(steps[k]!, entry);
        reachedAt = reachedAt === undefined || at === undefined ? undefined : Math.max(latest, at);
        if (reachedAt !== undefined) latest = reachedAt;
      }
      if (reachedAt === undefined) break;
      entries[entry]!.counts[k]! += 1;
      if (k === steps.length - 1) timeToConvert[reachedAt - entry]! += 1;
    }
  }
  return { dates, entries, steps: steps.map((_, k) => entries.reduce((sum, entry) => sum + entry.counts[k]!, 0)), timeToConvert };
}
