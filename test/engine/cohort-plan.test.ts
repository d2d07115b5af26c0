import { expect } from 'chai';
import { assembleCohort, cohortRowCall, planCohort } from '../../src/engine/cohort.js';

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
    expect(row!.primary).to.have.length(12);
    expect(row!.periods[0]!.map((group) => group.length)).to.deep.equal([24, 12]);
    const call = cohortRowCall(plan.mode, row!, (l) => `${l.event}_${l.suffix}`, ['t1', 't2', 't3', 't4'], 1000);
    expect(call.args).to.deep.equal(['first', 1000, 12, 1, 1, 2, 24, 12]);
    expect(call.keys).to.have.length(12 + 36 + 4);
    expect(call.keys.slice(-4)).to.deep.equal(['t1', 't2', 't3', 't4']);
  });

  it('uses ISO weeks across the year boundary', () => {
    const plan = planCohort('p', 's', { timeGroup: 'weeks', numRows: 2, numCols: 1, now: new Date('2025-01-02T00:00:00Z') });
    expect(plan.rows.map((r) => r.primary[0]!.suffix)).to.deep.equal(['W2024-52', 'W2025-1']);
    expect(plan.rows.map((r) => r.date.toISOString())).to.deep.equal(['2024-12-23T00:00:00.000Z', '2024-12-30T00:00:00.000Z']);
  });

  it('assembles nulls for empty rows and future cells', () => {
    const plan = planCohort('p', 's', { numRows: 3, numCols: 3, now });
    const result = assembleCohort(plan, [[4, 2, 1, 0], [0], [5, 5]]);
    expect(result.cohort).to.deep.equal([[2, 1, 0], [null, null, null], [5, null, null]]);
    expect(result.totals).to.deep.equal([4, 0, 5]);
  });
});
