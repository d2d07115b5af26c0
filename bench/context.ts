/** What every benchmark gets, and what it gives back. */
import type { Redis } from 'ioredis';
import type { DataSet } from './data.js';
import type { BenchRow, ReportNote, TargetResult } from './report.js';

/** Shared by every benchmark of one run. */
export interface BenchContext {
  /** The Redis the run uses (its own redis-server, or REDIS_URL). */
  url: string;
  /** A plain client for checks and INFO (never used for the timed work of our implementation). */
  redis: Redis;
  /** True when the bench started this server (so it may allocate 512 MB bitmaps on it). */
  ownsServer: boolean;
  data: DataSet;
  /** A short name of the data set for the table's `data` column. */
  dataName: string;
  /** The key prefix of this run: every key the bench writes starts with it. */
  prefix: string;
  log(message: string): void;
}

/** What one benchmark adds to the report. */
export interface BenchOutput {
  rows: BenchRow[];
  targets: TargetResult[];
  notes: ReportNote[];
}

/** Formats a number with thousands separators and at most `digits` decimals. */
export function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/**
 * `0.77x`, `3.4x`, `19.9x`, `120x`: rounded down (two decimals below 1, one below 100), so a ratio just under a
 * target never shows as the target.
 */
export function times(ratio: number): string {
  if (ratio >= 100) return `${ratio.toFixed(0)}x`;
  const decimals = ratio < 1 ? 2 : 1;
  const scale = 10 ** decimals;
  return `${(Math.floor(ratio * scale) / scale).toFixed(decimals)}x`;
}
