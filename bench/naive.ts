/**
 * The naive baselines, done from Node the way the Python originals do them:
 * - a mark is MULTI + one SETBIT per granularity + EXEC (bitmapist `mark_event`);
 * - a replay pipelines those SETBITs, 1,000 marks per pipeline, one pipeline at a time (bitmapist bulk);
 * - a cohort is computed client-side, one BITOP or BITCOUNT round trip per operation (flask-bitmapist
 *   `get_cohort`), but with unique temporary keys that are deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BulkMark, ChainedEvent, CohortMode, CohortResult } from '../src/index.js';
import { naiveAddPeriods, naiveMarkKeys, naivePeriodKeys, naivePeriodStart, type NaiveUnit } from './naive-keys.js';

/** Marks one event with MULTI/SETBIT.../EXEC: one round trip, five commands. */
export async function naiveMark(redis: Redis, prefix: string, mark: BulkMark): Promise<void> {
  const [month, week, day] = naiveMarkKeys(prefix, mark.event, mark.now ?? new Date());
  await redis.multi().setbit(month, mark.uid, 1).setbit(week, mark.uid, 1).setbit(day, mark.uid, 1).exec();
}

/** How many marks go into one naive pipeline. */
export const NAIVE_PIPELINE_MARKS = 1000;

/** Replays marks as pipelined SETBITs, {@link NAIVE_PIPELINE_MARKS} marks per pipeline. Returns the round trips. */
export async function naiveReplay(redis: Redis, prefix: string, marks: readonly BulkMark[]): Promise<number> {
  let roundTrips = 0;
  for (let start = 0; start < marks.length; start += NAIVE_PIPELINE_MARKS) {
    const pipeline = redis.pipeline();
    for (const mark of marks.slice(start, start + NAIVE_PIPELINE_MARKS)) {
      for (const key of naiveMarkKeys(prefix, mark.event, mark.now ?? new Date())) pipeline.setbit(key, mark.uid, 1);
    }
    await pipeline.exec();
    roundTrips += 1;
  }
  return roundTrips;
}

/** What a naive cohort is asked. */
export interface NaiveCohortQuery {
  primary: string;
  secondary: string;
  additionalEvents?: readonly ChainedEvent[];
  unit: NaiveUnit;
  numRows: number;
  numCols: number;
  mode: CohortMode;
  now: Date;
}

/** A cohort computed client-side, plus the round trips it took. */
export async function naiveCohort(
  redis: Redis,
  prefix: string,
  query: NaiveCohortQuery,
): Promise<{ result: CohortResult; roundTrips: number }> {
  const { unit, numRows, numCols, mode } = query;
  const run = new NaiveRun(redis, prefix);
  const last = naivePeriodStart(unit, query.now);
  const cohort: (number | null)[][] = [];
  const dates: Date[] = [];
  const totals: number[] = [];
  const chain = (start: Date) => run.chain(query.secondary, query.additionalEvents ?? [], unit, start);
  try {
    for (let i = 0; i < numRows; i += 1) {
      const date = naiveAddPeriods(unit, last, i - (numRows - 1));
      let population = await run.or(naivePeriodKeys(prefix, query.primary, unit, date));
      const total = await run.bitcount(population);
      const periodsToNow = numRows - i;
      const row: (number | null)[] = [];
      for (let j = 0; j < numCols; j += 1) {
        if (total === 0 || j >= periodsToNow) {
          row.push(null);
          continue;
        }
        let returning: string;
        if (mode === 'unbounded') {
          const later: string[] = [];
          for (let k = j; k < periodsToNow; k += 1) later.push(await chain(naiveAddPeriods(unit, date, k)));
          returning = await run.or(later);
        } else {
          returning = await chain(naiveAddPeriods(unit, date, j));
        }
        const both = await run.bitop('AND', [returning, population]);
        const count = await run.bitcount(both);
        row.push(count);
        if (mode === 'first' && count > 0) population = await run.bitop('XOR', [population, both]);
      }
      cohort.push(row);
      dates.push(date);
      totals.push(total);
    }
  } finally {
    await run.cleanup();
  }
  return { result: { cohort, dates, totals }, roundTrips: run.roundTrips };
}

/** One naive cohort computation: every operation is its own round trip into a fresh temporary key. */
class NaiveRun {
  roundTrips = 0;
  private readonly temps: string[] = [];
  private readonly tag = randomBytes(4).toString('hex');

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async bitop(op: 'AND' | 'OR' | 'XOR', keys: string[]): Promise<string> {
    const dest = `${this.prefix}naive_tmp_${this.tag}_${this.temps.length}`;
    this.temps.push(dest);
    this.roundTrips += 1;
    await this.redis.bitop(op, dest, ...keys);
    return dest;
  }

  /** The OR of `keys`, or the key itself when there is only one (no operation needed). */
  async or(keys: string[]): Promise<string> {
    return keys.length === 1 ? keys[0]! : this.bitop('OR', keys);
  }

  async bitcount(key: string): Promise<number> {
    this.roundTrips += 1;
    return this.redis.bitcount(key);
  }

  /** `base` chained with `events` in one period: an OR binds to its predecessor, then AND left to right. */
  async chain(base: string, events: readonly ChainedEvent[], unit: NaiveUnit, start: Date): Promise<string> {
    const groups: string[][] = [[base]];
    for (const { name, op } of events) {
      if (op === 'or') groups.at(-1)!.push(name);
      else groups.push([name]);
    }
    const anded: string[] = [];
    for (const group of groups) {
      const members: string[] = [];
      for (const event of group) members.push(await this.or(naivePeriodKeys(this.prefix, event, unit, start)));
      anded.push(await this.or(members));
    }
    return anded.length === 1 ? anded[0]! : this.bitop('AND', anded);
  }

  async cleanup(): Promise<void> {
    for (let i = 0; i < this.temps.length; i += 1000) {
      this.roundTrips += 1;
      await this.redis.del(...this.temps.slice(i, i + 1000));
    }
  }
}
