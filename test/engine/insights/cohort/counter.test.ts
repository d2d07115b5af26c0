import { expect } from 'chai';
import fc from 'fast-check';
import { Counter, toWords, type LocalRow } from '../../../../src/engine/insights/cohort/counter.js';
import type { CohortMode, CohortSums } from '../../../../src/engine/insights/cohort/plan.js';

/** A bitmap of these users, as Redis lays it out (bit 7 of byte 0 is user 0). */
function bitmap(users: number[]): Buffer {
  const bytes = Buffer.alloc(users.length === 0 ? 0 : Math.floor(Math.max(...users) / 8) + 1);
  for (const uid of users) bytes[uid >> 3]! |= 0x80 >> (uid & 7);
  return bytes;
}

/** The cells of one row counted as sets: the model the counter must match. */
function modelRow(mode: CohortMode, population: Set<number>, periods: Set<number>[], cells: number): number[] {
  const counts: number[] = [];
  const seen = new Set<number>();
  for (let p = 0; p < cells; p++) {
    if (mode === 'recurring') counts.push([...population].filter((u) => periods[p]!.has(u)).length);
    else if (mode === 'first') {
      const found = [...population].filter((u) => periods[p]!.has(u) && !seen.has(u));
      found.forEach((u) => seen.add(u));
      counts.push(found.length);
    } else counts.push([...population].filter((u) => periods.slice(p).some((period) => period.has(u))).length);
  }
  return counts;
}

describe('cohort counter (cells counted in the process)', () => {
  it('counts every mode like the set model, on bitmaps of any lengths and offsets', () => {
    const users = fc.uniqueArray(fc.integer({ min: 0, max: 700 }), { maxLength: 60 });
    fc.assert(
      fc.property(users, fc.array(users, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom<CohortMode>('first', 'recurring', 'unbounded'), (population, periods, offsetWords, mode) => {
        // Every bitmap held from a frame starting offsetWords words before user 0 (zeros there).
        const shift = offsetWords * 32;
        const words = [population, ...periods].map((set) => toWords(bitmap(set.map((u) => u + shift)), 0));
        const cells = Math.max(1, periods.length - 1);
        const row: LocalRow = { row: 0, cells, primary: [0], periods: periods.map((_, p) => [[p + 1]]) };
        const sums: CohortSums = { totals: [], cells: [] };
        new Counter(mode, [row], words).count(sums);
        const want = modelRow(mode, new Set(population), periods.map((set) => new Set(set)), cells);
        if (population.length === 0) {
          expect(sums.totals).to.deep.equal([]);
          return;
        }
        expect(sums.totals).to.deep.equal([population.length]);
        expect(sums.cells[0]).to.deep.equal(want);
      }),
      { numRuns: 300, seed: 18 },
    );
  });

  it('ANDs a period\'s groups and ORs each group\'s bitmaps, and adds to what the sums hold', () => {
    const words = [[1, 2, 3, 40], [2, 40, 41], [3], [40, 3]].map((set) => toWords(bitmap(set), 0));
    // Population {1, 2, 3, 40}; the period: ({2, 40, 41} OR {3}) AND {40, 3} = {3, 40}.
    const row: LocalRow = { row: 1, cells: 1, primary: [0], periods: [[[1, 2], [3]]] };
    const sums: CohortSums = { totals: [0, 5], cells: [[], [7]] };
    new Counter('recurring', [row], words).count(sums);
    expect(sums).to.deep.equal({ totals: [0, 9], cells: [[], [9]] });
  });

  it('places bytes read from an offset in the frame, zeros before them', () => {
    const words = toWords(Buffer.from([0xff, 0x01]), 5);
    expect(words.length).to.equal(2);
    expect([...new Uint8Array(words.buffer)]).to.deep.equal([0, 0, 0, 0, 0, 0xff, 0x01, 0]);
  });
});
