import { expect } from 'chai';
import type { Expression } from '../../../src/engine/query/expression.js';
import { periodExpression } from '../../../src/engine/query/event-set.js';
import { planCohort } from '../../../src/engine/insights/cohort/plan.js';
import { periodStart } from '../../../src/engine/time/periods.js';
import { MarkModel, sorted } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

const at = (iso: string) => new Date(iso);
const leaves = (expression: Expression) => (expression.kind === 'or' ? expression.operands : [expression]).map((leaf) => (leaf as { suffix: string }).suffix);
const months = (year: number) => Array.from({ length: 12 }, (_, month) => `${year}-${month + 1}`);

describe('year sets: the OR of all twelve months, whatever the clock (as Python bitmapist YearEvents)', () => {
  let t: ReturnType<typeof testBitmapist>;
  const model = new MarkModel();
  const thisYear = new Date().getUTCFullYear();
  // The last hour of the current year: a later month than the clock's, or (in December) the current one.
  const endOfThisYear = new Date(Date.UTC(thisYear, 11, 31, 23));
  const marks: [string, number, Date][] = [
    ['user:purchased', 1, at('2027-11-20T10:00:00Z')],
    ['user:purchased', 2, at('9999-06-15T00:00:00Z')],
    ['user:purchased', 3, endOfThisYear],
    ['user:purchased', 4, at('2027-02-01T00:00:00Z')],
    ['user:purchased', 5, at('2028-01-01T00:00:00Z')],
    ['user:visited', 1, at('2027-03-05T00:00:00Z')],
    ['user:visited', 4, at('2027-12-31T23:59:59Z')],
    ['user:visited', 6, at('2027-06-01T00:00:00Z')],
  ];

  before(async () => {
    t = testBitmapist();
    for (const [event, uid, now] of marks) {
      await t.bm.markEvent(event, uid, { now });
      model.add(event, uid, now);
    }
  });
  after(() => t.cleanup());

  const expected = (event: string, date: Date) => sorted(model.users(event, 'year', periodStart('year', date)));

  it('year() counts marks of years ahead of the clock and of later months of the current year', async () => {
    for (const date of [at('2027-06-01T00:00:00Z'), at('9999-01-01T00:00:00Z'), endOfThisYear, at('2028-12-31T00:00:00Z')]) {
      const year = t.bm.year('user:purchased', date);
      expect(await year.ids(), date.toISOString()).to.deep.equal(expected('user:purchased', date));
      expect(await year.count(), date.toISOString()).to.equal(expected('user:purchased', date).length);
      expect(leaves(year.expression)).to.deep.equal(months(date.getUTCFullYear()));
    }
    expect(await t.bm.year('user:purchased', at('2027-06-01T00:00:00Z')).ids()).to.deep.equal([1, 4]);
    expect(await t.bm.year('user:purchased', at('9999-12-31T23:59:59Z')).ids()).to.deep.equal([2]);
    expect(await t.bm.year('user:purchased', endOfThisYear).has(3)).to.equal(true);
    expect(await t.bm.year('user:purchased', at('2027-06-01T00:00:00Z')).next().ids()).to.deep.equal([5]);
  });

  it('getEventData and chainEvents with years read the twelve months too', async () => {
    for (const timeGroup of ['years', 'year'] as const) {
      expect(await t.bm.getEventData('user:purchased', { timeGroup, now: at('2027-11-20T10:00:00Z') }).ids()).to.deep.equal([1, 4]);
      expect(await t.bm.getEventData('user:purchased', { timeGroup, now: at('9999-06-15T00:00:00Z') }).count()).to.equal(1);
    }
    const now = at('2027-01-01T00:00:00Z');
    const chain = [{ name: 'user:visited', op: 'and' as const }];
    const want = sorted(model.chain('user:purchased', chain, 'year', periodStart('year', now)));
    expect(want).to.deep.equal([1, 4]);
    expect(await t.bm.chainEvents('user:purchased', chain, { timeGroup: 'years', now }).ids()).to.deep.equal(want);
    const either = [{ name: 'user:visited', op: 'or' as const }];
    expect(await t.bm.chainEvents('user:purchased', either, { timeGroup: 'years', now }).ids()).to.deep.equal([1, 4, 6]);
  });

  it('reads the twelve months in a time zone: its local year', async () => {
    const berlin = testBitmapist({ timezone: 'Europe/Berlin' });
    try {
      await berlin.bm.markEvent('user:purchased', 7, { now: at('2027-12-31T23:30:00Z') }); // 2028-01-01 00:30 local
      expect(await berlin.bm.year('user:purchased', at('2028-06-01T00:00:00Z')).ids()).to.deep.equal([7]);
      expect(await berlin.bm.year('user:purchased', at('2027-06-01T00:00:00Z')).ids()).to.deep.equal([]);
      expect(leaves(berlin.bm.year('user:purchased', at('2028-06-01T00:00:00Z')).expression)).to.deep.equal(months(2028));
    } finally {
      await berlin.cleanup();
    }
  });

  it('ignores the clock (periodExpression), while a cohort stays as of its now', () => {
    const start = at('2025-01-01T00:00:00Z');
    expect(leaves(periodExpression('e', 'year', start))).to.deep.equal(months(2025));
    // A year ahead of the clock is its twelve months too (the code before read none of them).
    expect(leaves(periodExpression('e', 'year', at('9999-01-01T00:00:00Z')))).to.deep.equal(months(9999));
    const plan = planCohort('e', 'e', { timeGroup: 'years', numRows: 2, numCols: 2, now: at('2025-03-15T00:00:00Z') });
    expect(plan.rows[1]!.primary.map((leaf) => leaf.suffix)).to.deep.equal(['2025-1', '2025-2', '2025-3']);
    expect(plan.rows[0]!.primary.map((leaf) => leaf.suffix)).to.deep.equal(months(2024));
  });
});
