/**
 * Plain reads of the bench's bitmaps by their naive key names (bench/naive-keys.ts, independent of src/): day
 * bitmaps with GET for the computations in Node, and an event's counts in the periods containing a date with
 * BITCOUNT, as the events page shows them.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { naiveAddPeriods, naivePeriodKeys, naivePeriodStart, type NaiveUnit } from './naive-keys.js';
import type { DayBitmap } from './page-model.js';

/** The `count` day bitmaps of `event` ending with the day containing `last`, oldest first (GET, one pipeline). */
export async function readDays(redis: Redis, prefix: string, event: string, last: Date, count: number): Promise<DayBitmap[]> {
  const lastDay = naivePeriodStart('day', last);
  const pipeline = redis.pipeline();
  for (let i = 0; i < count; i += 1) pipeline.getBuffer(naivePeriodKeys(prefix, event, 'day', naiveAddPeriods('day', lastDay, i - (count - 1)))[0]!);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return (value as Buffer | null) ?? undefined;
  });
}

/** The unique (all-time) bitmap of `event` (GET), or an empty one. */
export async function readUnique(redis: Redis, prefix: string, event: string): Promise<Uint8Array> {
  return (await redis.getBuffer(`${prefix}${event}_u`)) ?? new Uint8Array(0);
}

/** The most bits any of the bitmaps holds (a bound on the user ids in them). */
export function bitsOf(bitmaps: readonly DayBitmap[]): number {
  return 8 * Math.max(0, ...bitmaps.map((bitmap) => bitmap?.length ?? 0));
}

const UNITS: readonly NaiveUnit[] = ['day', 'week', 'month', 'year'];

/**
 * The users of `event` in the day, ISO week, month and year containing `date` (UTC): BITCOUNT of each period's
 * bitmap, a year's months ORed first into a scratch key deleted at once. One pipeline.
 */
export async function naivePeriodCounts(redis: Redis, prefix: string, event: string, date: Date): Promise<number[]> {
  const scratch = `${prefix}naive_year_${randomBytes(4).toString('hex')}`;
  const pipeline = redis.pipeline();
  for (const unit of UNITS) {
    const keys = naivePeriodKeys(prefix, event, unit, naivePeriodStart(unit, date));
    if (keys.length === 1) {
      pipeline.bitcount(keys[0]!);
    } else {
      pipeline.bitop('OR', scratch, ...keys);
      pipeline.bitcount(scratch);
      pipeline.del(scratch);
    }
  }
  const replies = (await pipeline.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  const values = replies.map(([, value]) => value as number);
  return [values[0]!, values[1]!, values[2]!, values[4]!];
}
