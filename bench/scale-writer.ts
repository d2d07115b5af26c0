/**
 * Writes the scaling product's bitmaps with SET, in the key layout of a {@link KeyNames}: day bitmaps, and
 * week and month bitmaps as the OR of their days, exactly as markEvent would have left them (each bitmap as
 * long as the byte of its highest id; in the sharded layout one key per block holding ids, and the block
 * registry). Built one at a time and dropped once sent, so memory stays bounded.
 */
import type { Cluster, Redis } from 'ioredis';
import { ShardedKeyNames, type KeyNames } from '../src/engine/keys/key-names.js';
import { isoWeekOf } from './naive-keys.js';
import { DAY_MS, SIGNUP_DAYS, type ScaleProduct } from './scale-product.js';

/** The events of the product. */
export const SCALE_EVENTS = ['user:signed_up', 'user:active', 'user:purchased'] as const;
export type ScaleEvent = (typeof SCALE_EVENTS)[number];

/** One bitmap to write: an event, a period suffix, and its bytes (built on demand). */
export interface PeriodBitmap {
  event: ScaleEvent;
  suffix: string;
  /** The bitmap, trimmed after its last non-zero byte; undefined when it would be empty (no key). */
  build(): Buffer | undefined;
}

/** The bitmapist suffixes of one UTC day number (independent of src/: bench/naive-keys.ts). */
export function daySuffixes(day: number): { day: string; week: string; month: string } {
  const date = new Date(day * DAY_MS);
  const month = `${date.getUTCFullYear()}-${date.getUTCMonth() + 1}`;
  const { year, week } = isoWeekOf(date);
  return { day: `${month}-${date.getUTCDate()}`, week: `W${year}-${week}`, month };
}

const ZEROS = Buffer.alloc(2 ** 20);

/** The bytes up to the last non-zero one, or undefined when every byte is zero. */
export function trimmed(bitmap: Buffer): Buffer | undefined {
  if (bitmap.length <= ZEROS.length && bitmap.equals(ZEROS.subarray(0, bitmap.length))) return undefined; // memcmp, not a JS loop
  let end = bitmap.length;
  while (end > 0 && bitmap[end - 1] === 0) end -= 1;
  return end === 0 ? undefined : bitmap.subarray(0, end);
}

/** A bitmap with exactly the ids [lo, hi) set. */
export function rangeBitmap(lo: number, hi: number): Buffer | undefined {
  if (lo >= hi) return undefined;
  const bitmap = Buffer.alloc(((hi - 1) >> 3) + 1);
  const first = lo >> 3;
  const last = (hi - 1) >> 3;
  bitmap.fill(0xff, first, last + 1);
  bitmap[first]! &= 0xff >> (lo & 7);
  bitmap[last]! &= (0xff00 >> (((hi - 1) & 7) + 1)) & 0xff;
  return bitmap;
}

/** The OR of bitmaps of the same length, trimmed. */
export function orOf(bitmaps: readonly Buffer[]): Buffer | undefined {
  if (bitmaps.length === 0) return undefined;
  const length = Math.max(...bitmaps.map((bitmap) => bitmap.length));
  const out = Buffer.alloc(length);
  const words = Math.floor(length / 4);
  const out32 = new Uint32Array(out.buffer, out.byteOffset, words);
  for (const bitmap of bitmaps) {
    if (bitmap.length === length && bitmap.byteOffset % 4 === 0) {
      const in32 = new Uint32Array(bitmap.buffer, bitmap.byteOffset, words);
      for (let i = 0; i < words; i += 1) out32[i]! |= in32[i]!;
      for (let i = words * 4; i < length; i += 1) out[i]! |= bitmap[i]!;
    } else {
      for (let i = 0; i < bitmap.length; i += 1) out[i]! |= bitmap[i]!;
    }
  }
  return trimmed(out);
}

/** Days grouped by a suffix (consecutive days share a week or month), in order. */
function groupDays(days: number[], suffixOf: (day: number) => string): [string, number[]][] {
  const groups = new Map<string, number[]>();
  for (const day of days) {
    const suffix = suffixOf(day);
    const group = groups.get(suffix);
    if (group) group.push(day);
    else groups.set(suffix, [day]);
  }
  return [...groups];
}

/** Every bitmap of one event: days, then weeks, then months. */
export function eventBitmaps(product: ScaleProduct, event: ScaleEvent): PeriodBitmap[] {
  const out: PeriodBitmap[] = [];
  if (event === 'user:signed_up') {
    // Sign-ups of a run of consecutive days are one range of consecutive ids.
    const days = Array.from({ length: SIGNUP_DAYS }, (_, d) => product.firstDay + d);
    const range = (group: number[]) => () =>
      rangeBitmap(product.signupStart[group[0]! - product.firstDay]!, product.signupStart[group.at(-1)! + 1 - product.firstDay]!);
    for (const unit of ['day', 'week', 'month'] as const) {
      for (const [suffix, group] of groupDays(days, (day) => daySuffixes(day)[unit])) out.push({ event, suffix, build: range(group) });
    }
    return out;
  }
  const bitmaps = event === 'user:active' ? product.active : product.purchased;
  const days = bitmaps.map((_, i) => product.firstActiveDay + i);
  for (const unit of ['day', 'week', 'month'] as const) {
    for (const [suffix, group] of groupDays(days, (day) => daySuffixes(day)[unit])) {
      const members = group.map((day) => bitmaps[day - product.firstActiveDay]!);
      let built: Buffer | undefined | null = null; // computed once: the same bitmap is written to every target
      out.push({ event, suffix, build: () => (built === null ? (built = members.length === 1 ? trimmed(members[0]!) : orOf(members)) : built) });
    }
  }
  return out;
}

/** What writing one event put into Redis. */
export interface WriteStats {
  keys: number;
  bytes: number;
  blocks: Set<number>;
}

/** Bytes sent before waiting for Redis's replies. */
const MAX_IN_FLIGHT_BYTES = 64 * 2 ** 20;

/**
 * Writes bitmaps in the layout of `keys` with SET (binary); in the sharded layout, slices each bitmap into its
 * blocks (`keys.blockBytes` bytes each), leaves out the blocks without a bit set, and adds the blocks written
 * to the registry `<prefix>~blocks`, as markEvent does.
 */
export async function writeBitmaps(client: Redis | Cluster, keys: KeyNames, bitmaps: readonly PeriodBitmap[]): Promise<WriteStats> {
  const stats: WriteStats = { keys: 0, bytes: 0, blocks: new Set() };
  let pending: Promise<unknown>[] = [];
  let inFlight = 0;
  const send = async (key: string, value: Buffer) => {
    pending.push(client.set(key, value));
    stats.keys += 1;
    stats.bytes += value.length;
    inFlight += value.length;
    if (inFlight >= MAX_IN_FLIGHT_BYTES) {
      await Promise.all(pending);
      pending = [];
      inFlight = 0;
    }
  };
  for (const { event, suffix, build } of bitmaps) {
    const bitmap = build();
    if (bitmap === undefined) continue;
    if (!(keys instanceof ShardedKeyNames)) {
      await send(keys.eventKey(event, suffix), bitmap);
      continue;
    }
    const blockBytes = keys.blockBytes;
    for (let block = 0; block * blockBytes < bitmap.length; block += 1) {
      const slice = trimmed(bitmap.subarray(block * blockBytes, (block + 1) * blockBytes));
      if (slice === undefined) continue;
      stats.blocks.add(block);
      await send(keys.eventKey(event, suffix, block), slice);
    }
  }
  await Promise.all(pending);
  if (keys instanceof ShardedKeyNames && stats.blocks.size > 0) {
    await client.sadd(keys.registryKey, ...[...stats.blocks].map(String));
  }
  return stats;
}
