/**
 * A plain in-memory model of marks, independent of key names and Lua: the tests check Redis answers
 * against it. Periods are computed with dayjs directly, not with the engine's helpers.
 */
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import isoWeek from 'dayjs/plugin/isoWeek.js';
import { seededRandom } from '../../src/testing/index.js';

dayjs.extend(utc);
dayjs.extend(isoWeek);

export type Unit = 'day' | 'week' | 'month' | 'year';

export interface ModelMark {
  event: string;
  uid: number;
  at: Date;
}

/** The start of the UTC period of `unit` containing `date`. */
export function startOf(unit: Unit, date: Date): Date {
  const d = dayjs.utc(date);
  return (unit === 'week' ? d.startOf('isoWeek') : d.startOf(unit)).toDate();
}

export function shift(unit: Unit, date: Date, n: number): Date {
  return dayjs.utc(date).add(n, unit).toDate();
}

export class MarkModel {
  readonly marks: ModelMark[] = [];

  add(event: string, uid: number, at: Date): void {
    this.marks.push({ event, uid, at });
  }

  /** Users with `event` in the period of `unit` starting at `start`. */
  users(event: string, unit: Unit, start: Date): Set<number> {
    const from = start.getTime();
    const to = shift(unit, start, 1).getTime();
    return new Set(
      this.marks.filter((m) => m.event === event && m.at.getTime() >= from && m.at.getTime() < to).map((m) => m.uid),
    );
  }

  /** The chain semantics written out plainly: OR binds to its predecessor, then AND left to right. */
  chain(base: string, events: { name: string; op: 'and' | 'or' }[], unit: Unit, start: Date): Set<number> {
    const groups: Set<number>[] = [this.users(base, unit, start)];
    for (const { name, op } of events) {
      const users = this.users(name, unit, start);
      if (op === 'or') groups[groups.length - 1] = union(groups.at(-1)!, users);
      else groups.push(users);
    }
    return groups.reduce(intersect);
  }

  cohort(
    primary: string,
    secondary: string,
    opts: { additional?: { name: string; op: 'and' | 'or' }[]; unit: Unit; rows: number; cols: number; mode: 'first' | 'recurring' | 'unbounded'; now: Date },
  ) {
    const last = startOf(opts.unit, opts.now);
    const cohort: (number | null)[][] = [];
    const totals: number[] = [];
    const dates: Date[] = [];
    for (let i = 0; i < opts.rows; i++) {
      const start = shift(opts.unit, last, i - (opts.rows - 1));
      dates.push(start);
      let population = this.users(primary, opts.unit, start);
      totals.push(population.size);
      const row: (number | null)[] = [];
      for (let j = 0; j < opts.cols; j++) {
        const period = shift(opts.unit, start, j);
        if (population.size === 0 && totals[i] === 0) {
          row.push(null);
          continue;
        }
        if (period.getTime() > opts.now.getTime()) {
          row.push(null);
          continue;
        }
        let active: Set<number>;
        if (opts.mode === 'unbounded') {
          active = new Set();
          for (let p = period; p.getTime() <= opts.now.getTime(); p = shift(opts.unit, p, 1)) {
            active = union(active, this.chain(secondary, opts.additional ?? [], opts.unit, p));
          }
        } else {
          active = this.chain(secondary, opts.additional ?? [], opts.unit, period);
        }
        const returning = intersect(population, active);
        row.push(returning.size);
        if (opts.mode === 'first') population = new Set([...population].filter((u) => !returning.has(u)));
      }
      cohort.push(row);
    }
    return { cohort, totals, dates };
  }
}

export function union(a: Set<number>, b: Set<number>): Set<number> {
  return new Set([...a, ...b]);
}

export function intersect(a: Set<number>, b: Set<number>): Set<number> {
  return new Set([...a].filter((x) => b.has(x)));
}

export function sorted(set: Iterable<number>): number[] {
  return [...set].sort((x, y) => x - y);
}

/** A small deterministic PRNG so randomized tests replay exactly. */
export const prng = seededRandom;

/** Counts the commands a client sends (round trips from the client's point of view) while `fn` runs. */
export async function countCommands<T>(client: { sendCommand: (...args: any[]) => unknown }, fn: () => Promise<T>) {
  const names: string[] = [];
  const original = client.sendCommand;
  client.sendCommand = function (this: unknown, command: { name: string }, ...rest: unknown[]) {
    names.push(command.name);
    return original.call(this, command, ...rest);
  };
  try {
    const result = await fn();
    return { result, names };
  } finally {
    client.sendCommand = original;
  }
}
