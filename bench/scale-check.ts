/**
 * The scaling benchmark's checks: every cell of a cohort computed straightforwardly in Node from the
 * product's own buffers (independent of src/), and the builder's bitmaps against what markEvents writes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import { Bitmapist, type BulkMark, type CohortMode, type CohortResult } from '../src/index.js';
import { keysUnder, MismatchError } from './keyspace.js';
import { naiveAddPeriods, naivePeriodStart, type NaiveUnit } from './naive-keys.js';
import { activityDays, buildProduct, DAY_MS, popcount, SIGNUP_DAYS, signupRange, type ScaleProduct } from './scale-product.js';
import { eventBitmaps, SCALE_EVENTS, writeBitmaps } from './scale-writer.js';
import { KeyNames, ShardedKeyNames } from '../src/engine/keys/key-names.js';

/** A cohort of `user:signed_up` then `user:active`, as the scaling benchmark asks it. */
export interface ScaleCohortQuery {
  unit: Exclude<NaiveUnit, 'year'>;
  size: number;
  mode: CohortMode;
}

/** The bytes [a, b) of the OR of bitmaps (zeros where none is set). */
function windowOr(bitmaps: readonly Buffer[], a: number, b: number): Uint8Array {
  const out = new Uint8Array(b - a);
  for (const bitmap of bitmaps) for (let i = a; i < b; i += 1) out[i - a]! |= bitmap[i] ?? 0;
  return out;
}

/** The cohort the engine should answer, computed from the product's buffers. */
export function expectedCohort(product: ScaleProduct, query: ScaleCohortQuery): CohortResult {
  const { unit, size, mode } = query;
  const last = naivePeriodStart(unit, product.now);
  const day = (date: Date) => Math.round(date.getTime() / DAY_MS);
  const cohort: (number | null)[][] = [];
  const dates: Date[] = [];
  const totals: number[] = [];
  for (let i = 0; i < size; i += 1) {
    const start = naiveAddPeriods(unit, last, i - (size - 1));
    const [lo, hi] = signupRange(product, day(start), day(naiveAddPeriods(unit, start, 1)));
    const periodsToNow = size - i;
    dates.push(start);
    if (lo >= hi) {
      totals.push(0);
      cohort.push(Array.from({ length: size }, () => null));
      continue;
    }
    // The population's bytes, with the bits outside [lo, hi) cleared.
    const a = lo >> 3;
    const b = ((hi - 1) >> 3) + 1;
    const population = new Uint8Array(b - a).fill(0xff);
    population[0]! &= 0xff >> (lo & 7);
    population[b - a - 1]! &= (0xff00 >> (((hi - 1) & 7) + 1)) & 0xff;
    const periods = Array.from({ length: periodsToNow }, (_, j) => {
      const from = naiveAddPeriods(unit, start, j);
      return windowOr(activityDays(product, product.active, day(from), day(naiveAddPeriods(unit, from, 1))), a, b);
    });
    if (mode === 'unbounded') {
      for (let j = periodsToNow - 2; j >= 0; j -= 1) for (let k = 0; k < b - a; k += 1) periods[j]![k]! |= periods[j + 1]![k]!;
    }
    totals.push(popcount(population));
    const row: (number | null)[] = [];
    for (let j = 0; j < size; j += 1) {
      if (j >= periodsToNow) {
        row.push(null);
        continue;
      }
      const both = population.map((byte, k) => byte & periods[j]![k]!);
      row.push(popcount(both));
      if (mode === 'first') for (let k = 0; k < both.length; k += 1) population[k]! &= ~both[k]!;
    }
    cohort.push(row);
  }
  return { cohort, dates, totals };
}

/** Throws a {@link MismatchError} naming the first differing cell unless both cohorts are equal; returns the cells. */
export function assertCohort(what: string, ours: CohortResult, expected: CohortResult): number {
  const plain = (r: CohortResult) => ({ cohort: r.cohort, totals: r.totals, dates: r.dates.map((d) => d.toISOString()) });
  if (!isDeepStrictEqual(plain(ours), plain(expected))) {
    const row = expected.cohort.findIndex((cells, i) => !isDeepStrictEqual(cells, ours.cohort[i]) || ours.totals[i] !== expected.totals[i]);
    const col = row < 0 ? -1 : expected.cohort[row]!.findIndex((cell, j) => cell !== ours.cohort[row]?.[j]);
    throw new MismatchError(
      `${what}: the engine's cohort differs from the one computed in Node: row ${row} (${expected.dates[row]?.toISOString()}), `
        + `total ${ours.totals[row]} vs ${expected.totals[row]}, cell ${col}: ${ours.cohort[row]?.[col]} vs ${expected.cohort[row]?.[col]}; `
        + `engine row ${JSON.stringify(ours.cohort[row])}, computed ${JSON.stringify(expected.cohort[row])}`,
    );
  }
  return expected.cohort.flat().filter((cell) => cell !== null).length;
}

/** The marks that would build the product: one per bit of each day bitmap, at noon. */
export function productMarks(product: ScaleProduct): BulkMark[] {
  const marks: BulkMark[] = [];
  for (let d = 0; d < SIGNUP_DAYS; d += 1) {
    const now = new Date((product.firstDay + d) * DAY_MS + DAY_MS / 2);
    for (let uid = product.signupStart[d]!; uid < product.signupStart[d + 1]!; uid += 1) marks.push({ event: 'user:signed_up', uid, now });
  }
  for (const [event, bitmaps] of [['user:active', product.active], ['user:purchased', product.purchased]] as const) {
    bitmaps.forEach((bitmap, i) => {
      const now = new Date((product.firstActiveDay + i) * DAY_MS + DAY_MS / 2);
      for (let uid = 0; uid < bitmap.length * 8; uid += 1) if ((bitmap[uid >> 3]! & (0x80 >> (uid & 7))) !== 0) marks.push({ event, uid, now });
    });
  }
  return marks;
}

/**
 * Checks the builder: a small product written by {@link writeBitmaps} must equal, key for key and byte for
 * byte (and block registry for block registry), what `markEvents` writes for the same marks, in the
 * compatible layout and in the sharded one (`shardBits: 8`, so the ids span many blocks).
 */
export async function checkBuilder(redis: Redis, url: string, prefix: string): Promise<BuilderCheck> {
  const product = buildProduct(3_000, 7);
  const marks = productMarks(product);
  const lines: string[] = [];
  const keyCounts = { compatible: 0, sharded: 0 };
  for (const layout of ['compatible', 'sharded'] as const) {
    const built = `${prefix}built_${layout}_`;
    const marked = `${prefix}marked_${layout}_`;
    const keys = layout === 'sharded' ? new ShardedKeyNames(built, 8) : new KeyNames(built);
    for (const event of SCALE_EVENTS) await writeBitmaps(redis, keys, eventBitmaps(product, event));
    const bm = new Bitmapist({ redis: url, keyPrefix: marked, layout, shardBits: 8 });
    try {
      await bm.markEvents(marks);
    } finally {
      await bm.close();
    }
    keyCounts[layout] = await compareKeys(redis, built, marked, `builder check (${layout})`);
    lines.push(`${layout}: ${keyCounts[layout]} keys`);
  }
  const text = `a ${product.users.toLocaleString('en-US')}-user product (${marks.length.toLocaleString('en-US')} marks) written by the builder `
    + `equals what markEvents writes, key for key and byte for byte (${lines.join('; ')})`;
  return { marks: marks.length, keys: keyCounts, text };
}

/** What {@link checkBuilder} compared. */
export interface BuilderCheck {
  marks: number;
  /** Keys compared in each layout (the sharded one's block registry included). */
  keys: { compatible: number; sharded: number };
  /** A sentence for the report. */
  text: string;
}

/** Compares every key of two prefixes (strings by bytes, sets by members). */
async function compareKeys(redis: Redis, a: string, b: string, what: string): Promise<number> {
  const aKeys = (await keysUnder(redis, a)).map((key) => key.slice(a.length));
  const bKeys = (await keysUnder(redis, b)).map((key) => key.slice(b.length));
  if (!isDeepStrictEqual(aKeys, bKeys)) {
    const missing = bKeys.filter((key) => !aKeys.includes(key)).slice(0, 3);
    const extra = aKeys.filter((key) => !bKeys.includes(key)).slice(0, 3);
    throw new MismatchError(`${what}: key sets differ (the builder lacks ${JSON.stringify(missing)}, has extra ${JSON.stringify(extra)})`);
  }
  const same = async (key: string) => {
    if ((await redis.type(a + key)) === 'set') {
      return isDeepStrictEqual((await redis.smembers(a + key)).sort(), (await redis.smembers(b + key)).sort());
    }
    const [x, y] = await Promise.all([redis.getBuffer(a + key), redis.getBuffer(b + key)]);
    return x !== null && y !== null && x.equals(y);
  };
  for (let i = 0; i < aKeys.length; i += 200) {
    const chunk = aKeys.slice(i, i + 200);
    const results = await Promise.all(chunk.map(same));
    const differing = chunk.find((_, k) => !results[k]);
    if (differing !== undefined) throw new MismatchError(`${what}: ${differing} differs`);
  }
  return aKeys.length;
}
