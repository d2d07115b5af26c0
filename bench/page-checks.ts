/**
 * Checks of the chart pages' answers (their JSON over HTTP, or the engine call's result) against the figures
 * computed in Node (bench/page-model.ts); a difference throws a {@link MismatchError}, which fails the bench.
 */
import { isDeepStrictEqual } from 'node:util';
import { MismatchError } from './keyspace.js';
import type { ActiveUsersModel, LifecycleModel } from './page-model.js';

type Answer = Record<string, unknown>;

/** Throws a MismatchError unless `ours` deep-equals `expected`. */
export function assertSame(what: string, ours: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(ours, expected)) {
    throw new MismatchError(`${what}: ${JSON.stringify(ours).slice(0, 600)} differs from the Node computation ${JSON.stringify(expected).slice(0, 600)}`);
  }
}

/** A trend: each series' counts (and, given `dates`, the ISO starts of the periods, as the JSON has them). */
export function assertTrend(what: string, answer: unknown, counts: number[][], dates?: string[]): void {
  const { series, dates: shown } = answer as { series: { counts: number[] }[]; dates: unknown };
  assertSame(what, { counts: series.map((s) => s.counts), ...(dates ? { dates: shown } : {}) }, { counts, ...(dates ? { dates } : {}) });
}

/** Active users: DAU, WAU and MAU (and, given `dates`, the days). */
export function assertActiveUsers(what: string, answer: unknown, model: ActiveUsersModel, dates?: string[]): void {
  const { dau, wau, mau, dates: shown } = answer as Answer;
  assertSame(what, { dau, wau, mau, ...(dates ? { dates: shown } : {}) }, { ...model, ...(dates ? { dates } : {}) });
}

/**
 * A lifecycle: new, returning, resurrecting and dormant, and the active users where the answer has them (the
 * engine's result; the JSON has the three parts, whose sum is checked against the active users instead).
 */
export function assertLifecycle(what: string, answer: unknown, model: LifecycleModel, dates?: string[]): void {
  const a = answer as Answer & { new: number[]; returning: number[]; resurrecting: number[] };
  const active = a.active ?? a.new.map((n, i) => n + a.returning[i]! + a.resurrecting[i]!);
  assertSame(
    what,
    { active, new: a.new, returning: a.returning, resurrecting: a.resurrecting, dormant: a.dormant, ...(dates ? { dates: a.dates } : {}) },
    { ...model, ...(dates ? { dates } : {}) },
  );
}
