import { expect } from 'chai';
import { CHAIN_START, cellsCall, readCellsReply, workedPeriods, type RowWork } from '../../../../src/engine/insights/cohort/calls.js';
import { assembleCohort, planCohort, type CohortSums } from '../../../../src/engine/insights/cohort/plan.js';

describe('cohort planning', () => {
  const now = new Date('2025-03-01T12:00:00Z');

  it('plans rows ending with the period containing now, and cells up to now', () => {
    const plan = planCohort('p', 's', { timeGroup: 'days', numRows: 3, numCols: 4, now });
    expect(plan.mode).to.equal('first');
    expect(plan.rows.map((r) => r.date.toISOString())).to.deep.equal([
      '2025-02-27T00:00:00.000Z', '2025-02-28T00:00:00.000Z', '2025-03-01T00:00:00.000Z',
    ]);
    expect(plan.rows.map((r) => r.cells)).to.deep.equal([3, 2, 1]);
    expect(plan.rows[0]!.primary).to.deep.equal([{ kind: 'leaf', event: 'p', suffix: '2025-2-27' }]);
    expect(plan.rows[0]!.periods.map((p) => p[0]![0]!.suffix)).to.deep.equal(['2025-2-27', '2025-2-28', '2025-3-1']);
  });

  it('describes every period up to now in unbounded mode', () => {
    const plan = planCohort('p', 's', { numRows: 5, numCols: 2, mode: 'unbounded', now });
    expect(plan.rows.map((r) => [r.cells, r.periods.length])).to.deep.equal([[2, 5], [2, 4], [2, 3], [2, 2], [1, 1]]);
  });

  it('groups chained events per period and expands years to months', () => {
    const plan = planCohort('p', 's', {
      timeGroup: 'years',
      numRows: 1,
      numCols: 1,
      additionalEvents: [{ name: 'x', op: 'or' }, { name: 'y', op: 'and' }],
      now,
    });
    const [row] = plan.rows;
    expect(row!.primary).to.have.length(3); // January to March: no month after now
    expect(row!.periods[0]!.map((group) => group.length)).to.deep.equal([6, 3]);
    const work: RowWork = { block: 0, row: 0, lo: 800, hi: 900, primary: row!.primary, periods: workedPeriods(plan.mode, row!) };
    const call = cellsCall(plan.mode, [work], CHAIN_START, (l) => `${l.event}_${l.suffix}`, ['t1', 't2', 't3', 't4', 't5'], { ttlMs: 1000, budget: 50, maxKeys: 100 });
    expect(call.args).to.deep.equal(['first', 1000, 50, 1, 0, 3, 800, 900, 1, 1, 1, 1, 0, 1, 2, 6, 3]);
    expect(call.keys).to.have.length(3 + 9 + 5);
    expect(call.keys.slice(-5)).to.deep.equal(['t1', 't2', 't3', 't4', 't5']);
  });

  it('reads no month after now in the current year', () => {
    const plan = planCohort('p', 's', { timeGroup: 'years', numRows: 2, numCols: 2, now });
    expect(plan.rows[1]!.primary.map((leaf) => leaf.suffix)).to.deep.equal(['2025-1', '2025-2', '2025-3']);
    expect(plan.rows[0]!.primary).to.have.length(12);
    expect(plan.rows[0]!.periods[1]![0]!.map((leaf) => leaf.suffix)).to.deep.equal(['2025-1', '2025-2', '2025-3']);
  });

  it('splits a row over calls at maxKeys and resumes where the script stopped', () => {
    const plan = planCohort('p', 's', { numRows: 4, numCols: 4, mode: 'unbounded', now });
    const rows: RowWork[] = plan.rows.map((row, i) => ({ block: 0, row: i, lo: 0, hi: 1, primary: row.primary, periods: workedPeriods(plan.mode, row) }));
    expect(rows[0]!.periods.map((p) => p.column)).to.deep.equal([3, 2, 1, 0]);
    const keyOf = (l: { event: string; suffix: string }) => `${l.event}_${l.suffix}`;
    const limits = { ttlMs: 1000, budget: 50, maxKeys: 3 };
    const first = cellsCall(plan.mode, rows, CHAIN_START, keyOf, ['s'], limits);
    // row 0: its primary and two periods (the third would pass maxKeys); more follow
    expect(first.keys).to.deep.equal(['p_2025-2-26', 's_2025-3-1', 's_2025-2-28', 's']);
    expect(first.args).to.deep.equal(['unbounded', 1000, 50, 1, 0, 1, 0, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1]);
    const sums: CohortSums = { totals: [], cells: [] };
    // the script finished the first period and stopped before the second
    const at = readCellsReply([1, 2, 2, 1, 1, 7, 5], rows, first.slices, sums);
    expect(at).to.deep.equal({ row: 0, stage: 2, period: 1, group: 1, key: 1 });
    expect(sums).to.deep.equal({ totals: [7], cells: [[, , , 5]] });
    const second = cellsCall(plan.mode, rows, at, keyOf, ['s'], limits);
    expect(second.args.slice(0, 12)).to.deep.equal(['unbounded', 1000, 50, 1, 2, 0, 0, 1, 1, 1, 1, 3]);
    expect(second.keys).to.deep.equal(['s_2025-2-28', 's_2025-2-27', 's_2025-2-26', 's']);
    expect(readCellsReply([2, 0, 0, 0, 0, 4, 4, 3], rows, second.slices, sums)).to.deep.equal({ ...CHAIN_START, row: 1 });
    expect(sums).to.deep.equal({ totals: [7], cells: [[3, 4, 4, 5]] });
  });

  it('uses ISO weeks across the year boundary', () => {
    const plan = planCohort('p', 's', { timeGroup: 'weeks', numRows: 2, numCols: 1, now: new Date('2025-01-02T00:00:00Z') });
    expect(plan.rows.map((r) => r.primary[0]!.suffix)).to.deep.equal(['W2024-52', 'W2025-1']);
    expect(plan.rows.map((r) => r.date.toISOString())).to.deep.equal(['2024-12-23T00:00:00.000Z', '2024-12-30T00:00:00.000Z']);
  });

  it('assembles nulls for empty rows and future cells', () => {
    const plan = planCohort('p', 's', { numRows: 3, numCols: 3, now });
    const result = assembleCohort(plan, { totals: [4, 0, 5], cells: [[2, 1, 0], [], [5]] });
    expect(result.cohort).to.deep.equal([[2, 1, 0], [null, null, null], [5, null, null]]);
    expect(result.totals).to.deep.equal([4, 0, 5]);
  });
});
