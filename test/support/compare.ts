/**
 * Marks the same random data into two Bitmapist instances (e.g. the compatible and the sharded layout) and
 * checks that every query answers the same on both.
 */
import { expect } from 'chai';
import type { Bitmapist, ChainedEvent, CohortMode, EventSet } from '../../src/index.js';
import { prng } from './model.js';

const EVENTS = ['signup', 'active', 'buy{x}', 'share'];

/** Random marks over `days` days before `now`, with ids spread over `[0, maxUid]` (and a few outliers). */
export async function markBoth(a: Bitmapist, b: Bitmapist, options: { seed: number; marks: number; maxUid: number; now: Date; days: number }) {
  const random = prng(options.seed);
  const marks = Array.from({ length: options.marks }, () => ({
    event: EVENTS[Math.floor(random() * EVENTS.length)]!,
    uid: Math.floor(random() * options.maxUid),
    now: new Date(options.now.getTime() - Math.floor(random() * options.days * 86_400_000)),
  }));
  await Promise.all([a.markEvents(marks), b.markEvents(marks)]);
  await Promise.all([a.markUnique('signup', 3), b.markUnique('signup', 3)]);
  return marks;
}

/** Asserts that every engine query answers the same on both instances. */
export async function expectSameAnswers(a: Bitmapist, b: Bitmapist, now: Date): Promise<void> {
  expect(await b.getEventNames()).to.deep.equal(await a.getEventNames());
  expect(await b.getEventNames({ prefix: 'buy' })).to.deep.equal(['buy{x}']);

  const sets = (bm: Bitmapist): EventSet[] => [
    bm.day('active', now),
    bm.week('signup', now).prev(),
    bm.month('active', now).and(bm.month('buy{x}', now)),
    bm.month('signup', now).or(bm.week('share', now), bm.day('buy{x}', now).prev()),
    bm.month('active', now).xor(bm.month('share', now)),
    bm.month('active', now).and(bm.month('buy{x}', now).not()),
    bm.month('share', now).not(),
    bm.year('active', now).and(bm.unique('signup').or(bm.month('signup', now))),
    bm.chainEvents('signup', [{ name: 'active', op: 'or' }, { name: 'buy{x}', op: 'and' }], { timeGroup: 'months', now }),
    bm.getEventData('active', { timeGroup: 'weeks', now }),
  ];
  const left = sets(a);
  const right = sets(b);
  for (let i = 0; i < left.length; i++) {
    const ids = await left[i]!.ids();
    expect(await right[i]!.ids(), `set ${i}`).to.deep.equal(ids);
    expect(await right[i]!.count(), `set ${i}`).to.equal(ids.length);
    for (const uid of [ids[0] ?? 0, ids.at(-1) ?? 1, 5, 300, 4097]) {
      expect(await right[i]!.has(uid), `set ${i} has ${uid}`).to.equal(await left[i]!.has(uid));
    }
  }

  const chains: ChainedEvent[][] = [[], [{ name: 'buy{x}', op: 'or' }], [{ name: 'share', op: 'and' }, { name: 'buy{x}', op: 'or' }]];
  for (const timeGroup of ['days', 'weeks', 'months'] as const) {
    for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
      for (const additionalEvents of chains) {
        const options = { timeGroup, mode, additionalEvents, numRows: 5, numCols: 5, now };
        expect(await b.getCohort('signup', 'active', options), `${timeGroup} ${mode}`).to.deep.equal(
          await a.getCohort('signup', 'active', options),
        );
      }
    }
  }
}
