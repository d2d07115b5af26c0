import { expect } from 'chai';
import type { Bitmapist } from '../../../src/index.js';

/** One random mark: an event, a user number and a time. */
export interface RandomMark {
  event: string;
  user: number;
  at: Date;
}

/** Deterministic random marks of `users` users over the `days` days before `now` (a small LCG). */
export function randomMarks(options: { seed: number; marks: number; users: number; now: Date; days: number }): RandomMark[] {
  let state = options.seed >>> 0;
  const next = (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  const events = ['signup', 'active', 'buy'];
  return Array.from({ length: options.marks }, () => ({
    event: events[next(events.length)]!,
    user: next(options.users),
    at: new Date(options.now.getTime() - next(options.days) * 86_400_000 - next(86_400) * 1000),
  }));
}

/** Cohort tables (days and weeks, both modes) and counts must not depend on how ids are numbered. */
export async function expectSameCohorts(integers: Bitmapist, mapped: Bitmapist<'mapped'>, now: Date): Promise<void> {
  for (const timeGroup of ['days', 'weeks'] as const) {
    for (const mode of ['first', 'recurring'] as const) {
      const options = { timeGroup, numRows: 8, numCols: 6, now, withReplacement: mode === 'recurring' };
      for (const [primary, secondary] of [['signup', 'active'], ['active', 'buy']] as const) {
        const expected = await integers.getCohort(primary, secondary, options);
        const actual = await mapped.getCohort(primary, secondary, options);
        expect(actual, `${primary}/${secondary} ${timeGroup} ${mode}`).to.deep.equal(expected);
      }
    }
  }
  for (const event of ['signup', 'active', 'buy']) {
    expect(await mapped.week(event, now).count()).to.equal(await integers.week(event, now).count());
  }
}
