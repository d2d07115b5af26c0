/**
 * Segments written out plainly for the tests: random marks and unique marks, random segment expressions over
 * the unique bitmaps, a membership test per user (NOT is the complement among all ids), and every insight's
 * figures checked against the mark model restricted to the segment's users.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import type { Bitmapist, CohortMode, EventSet } from '../../../../src/index.js';
import { activeUsers } from '../../../../src/engine/insights/active-users.js';
import { trendCounts } from '../../../../src/engine/insights/trends.js';
import { lifecycleModel } from '../../../support/lifecycle-model.js';
import { MarkModel, shift, startOf, union } from '../../../support/model.js';

/** A segment: unique bitmaps combined with AND, OR, XOR and NOT. */
export type Segment =
  | { op: 'unique'; name: string }
  | { op: 'not'; operand: Segment }
  | { op: 'and' | 'or' | 'xor'; operands: Segment[] };

/** The names of the unique bitmaps segments read (`none` is never marked). */
export const SEGMENT_NAMES = ['plan:pro', 'plan:team', 'beta', 'none'] as const;

const unique = (name: string): Segment => ({ op: 'unique', name });

const tree: fc.Arbitrary<Segment> = fc.letrec<{ tree: Segment }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...SEGMENT_NAMES).map(unique),
    fc.record({ op: fc.constant('not' as const), operand: tie('tree') }),
    fc.record({ op: fc.constantFrom('and' as const, 'or' as const, 'xor' as const), operands: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
  ),
})).tree;

/** A unique bitmap, `unique(a).and(unique(b).not())`, or any expression of them. */
export const segmentArbitrary: fc.Arbitrary<Segment> = fc.oneof(
  fc.constantFrom(...SEGMENT_NAMES).map(unique),
  fc.tuple(fc.constantFrom(...SEGMENT_NAMES), fc.constantFrom(...SEGMENT_NAMES)).map(([a, b]): Segment => ({
    op: 'and',
    operands: [unique(a), { op: 'not', operand: unique(b) }],
  })),
  tree,
);

/** The set of a segment on an engine. */
export function segmentSet(bm: Bitmapist, segment: Segment): EventSet {
  if (segment.op === 'unique') return bm.unique(segment.name);
  if (segment.op === 'not') return segmentSet(bm, segment.operand).not();
  const [first, ...rest] = segment.operands.map((operand) => segmentSet(bm, operand));
  return first![segment.op](...rest);
}

/** Whether a user is in a segment, NOT being the complement among all ids. */
export function inSegment(segment: Segment, uid: number, uniques: Map<string, Set<number>>): boolean {
  switch (segment.op) {
    case 'unique':
      return uniques.get(segment.name)?.has(uid) ?? false;
    case 'not':
      return !inSegment(segment.operand, uid, uniques);
    case 'and':
      return segment.operands.every((operand) => inSegment(operand, uid, uniques));
    case 'or':
      return segment.operands.some((operand) => inSegment(operand, uid, uniques));
    case 'xor':
      return segment.operands.filter((operand) => inSegment(operand, uid, uniques)).length % 2 === 1;
  }
}

/** Marks of events (at instants) and unique marks of the segment names. */
export interface SegmentData {
  marks: { event: string; uid: number; at: Date }[];
  uniques: { name: string; uid: number }[];
}

/** The events marked; `signup` is the cohorts' primary and the lifecycle's `created`. */
export const EVENTS = ['signup', 'active', 'buy'] as const;

/**
 * Random data over the `days` days ending at `now`: users up to `maxUid` (repeat users among the first ones),
 * unique marks among the lower ids only, so a unique bitmap often ends before the users counted do (a bare
 * `not()` must still hold those).
 */
export function dataArbitrary(now: Date, options: { days: number; maxUid: number; marks: number; uniques: number }): fc.Arbitrary<SegmentData> {
  const uid = fc.oneof(fc.integer({ min: 0, max: Math.floor(options.maxUid / 8) }), fc.integer({ min: 0, max: options.maxUid }));
  const mark = fc.record({
    event: fc.constantFrom(...EVENTS),
    uid,
    at: fc.integer({ min: 0, max: options.days * 86_400_000 - 1 }).map((ms) => new Date(now.getTime() - ms)),
  });
  const uniqueMark = fc.record({ name: fc.constantFrom(...SEGMENT_NAMES.slice(0, 3)), uid: fc.integer({ min: 0, max: Math.floor(options.maxUid / 2) }) });
  return fc.record({
    marks: fc.array(mark, { minLength: options.marks / 2, maxLength: options.marks }),
    uniques: fc.array(uniqueMark, { maxLength: options.uniques }),
  });
}

/** Writes the data to an engine. */
export async function writeData(bm: Bitmapist, data: SegmentData): Promise<void> {
  await bm.markEvents(data.marks.map(({ event, uid, at }) => ({ event, uid, now: at })));
  await Promise.all(data.uniques.map(({ name, uid }) => bm.markUnique(name, uid)));
}

/** The mark model of the segment's users only (every figure of an insight with a segment counts them only). */
export function segmentModel(data: SegmentData, segment: Segment | undefined): MarkModel {
  const uniques = new Map<string, Set<number>>();
  for (const { name, uid } of data.uniques) uniques.set(name, (uniques.get(name) ?? new Set()).add(uid));
  const model = new MarkModel();
  for (const { event, uid, at } of data.marks) {
    if (segment === undefined || inSegment(segment, uid, uniques)) model.add(event, uid, at);
  }
  return model;
}

/** What {@link expectFigures} checks: the periods of each insight (days). */
export interface FigureSizes {
  cohortRows: number;
  trendPeriods: number;
  activeDays: number;
  lifecyclePeriods: number;
}

/**
 * Checks every figure of getCohort (each mode, a chained event, days and weeks), trendCounts, activeUsers and
 * getLifecycle (with and without `created`) with `segment` against `model`. Resolves to the sum of the figures
 * (a test can check that the segment left users out).
 */
export async function expectFigures(bm: Bitmapist, segment: EventSet | undefined, model: MarkModel, now: Date, sizes: FigureSizes, label: string): Promise<number> {
  let sum = 0;
  const add = (values: readonly (number | null)[]) => values.forEach((value) => (sum += value ?? 0));
  const cohorts: [CohortMode, 'days' | 'weeks', { name: string; op: 'and' | 'or' }[]][] = [
    ['first', 'days', []],
    ['recurring', 'days', [{ name: 'buy', op: 'or' }]],
    ['unbounded', 'days', []],
    ['first', 'weeks', [{ name: 'buy', op: 'or' }]],
  ];
  for (const [mode, timeGroup, additionalEvents] of cohorts) {
    const unit = timeGroup === 'days' ? 'day' : 'week';
    const rows = timeGroup === 'days' ? sizes.cohortRows : 3;
    const got = await bm.getCohort('signup', 'active', { timeGroup, numRows: rows, numCols: rows, mode, now, additionalEvents, segment });
    const want = model.cohort('signup', 'active', { additional: additionalEvents, unit, rows, cols: rows, mode, now });
    const what = `${label}: cohort ${mode} ${timeGroup} ${JSON.stringify(additionalEvents)}`;
    expect(got.totals, what).to.deep.equal(want.totals);
    expect(got.cohort, what).to.deep.equal(want.cohort);
    add(got.totals);
    add(got.cohort.flat());
  }

  const trend = await trendCounts(bm, ['active', 'buy'], { timeGroup: 'days', periods: sizes.trendPeriods, now, segment });
  const last = startOf('day', now);
  const days = (n: number) => Array.from({ length: n }, (_, i) => shift('day', last, i - (n - 1)));
  expect(trend.series, `${label}: trends`).to.deep.equal(
    ['active', 'buy'].map((event) => ({ event, counts: days(sizes.trendPeriods).map((day) => model.users(event, 'day', day).size) })),
  );
  trend.series.forEach((series) => add(series.counts));

  const active = await activeUsers(bm, 'active', { days: sizes.activeDays, now, segment });
  const windowUsers = (day: Date, length: number) => {
    let users = new Set<number>();
    for (let k = 0; k < length; k++) users = union(users, model.users('active', 'day', shift('day', day, -k)));
    return users.size;
  };
  const dates = days(sizes.activeDays);
  expect(active.dau, `${label}: DAU`).to.deep.equal(dates.map((day) => model.users('active', 'day', day).size));
  expect(active.wau, `${label}: WAU`).to.deep.equal(dates.map((day) => windowUsers(day, 7)));
  expect(active.mau, `${label}: MAU`).to.deep.equal(dates.map((day) => windowUsers(day, 30)));
  add([...active.dau, ...active.wau, ...active.mau]);

  for (const created of [undefined, 'signup']) {
    const result = await bm.getLifecycle('active', { timeGroup: 'days', periods: sizes.lifecyclePeriods, now, created, segment });
    const { dates: _, ...wanted } = lifecycleModel(model, 'active', 'day', sizes.lifecyclePeriods, now, created);
    const { active: a, new: n, returning, resurrecting, dormant } = result;
    expect({ active: a, new: n, returning, resurrecting, dormant }, `${label}: lifecycle created ${created}`).to.deep.equal(wanted);
    add([...a, ...n, ...returning, ...resurrecting, ...dormant]);
  }
  return sum;
}

/** Every command `fn` sends on `client`: its name, or for a call of one of our scripts the script's file. */
export async function commandsOf<T>(client: { sendCommand: (...args: any[]) => unknown }, fn: () => Promise<T>) {
  const sha = (file: string) => createHash('sha1').update(readFileSync(new URL(`../../../../lua/${file}`, import.meta.url), 'utf8')).digest('hex');
  const files = new Map(['evaluate.lua', 'cohort_row.lua', 'cohort_windows.lua', 'read_bitmaps.lua'].map((file) => [sha(file), file]));
  const sent: string[] = [];
  const original = client.sendCommand;
  client.sendCommand = function (this: unknown, command: { name: string; args: unknown[] }, ...rest: unknown[]) {
    sent.push(command.name === 'evalsha' ? (files.get(String(command.args[0])) ?? 'evalsha') : command.name);
    return original.call(this, command, ...rest);
  };
  try {
    return { result: await fn(), sent };
  } finally {
    client.sendCommand = original;
  }
}

/**
 * `sent` with each run of windows-pass calls as one: the pass goes on in another call whenever its time budget
 * runs out, so how many calls it takes is the machine's doing (a busy moment makes two), not the plan's.
 */
export function oneWindowsPass(sent: readonly string[]): string[] {
  return sent.filter((name, i) => !(name === 'cohort_windows.lua' && sent[i - 1] === 'cohort_windows.lua'));
}
