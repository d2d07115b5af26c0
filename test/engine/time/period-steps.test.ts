import { expect } from 'chai';
import fc from 'fast-check';
import { PeriodEventSet, TimeZone } from '../../../src/index.js';
import type { ExpressionEvaluator } from '../../../src/engine/query/event-set.js';
import { planCohort } from '../../../src/engine/insights/cohort/plan.js';
import { addPeriods, periodEnd } from '../../../src/engine/time/steps.js';
import { periodStart } from '../../../src/engine/time/periods.js';
import { periodSuffix } from '../../../src/engine/time/suffixes.js';
import { type PeriodUnit } from '../../../src/engine/time/time-groups.js';

const at = (iso: string) => new Date(iso);
const DAY = 86_400_000;
const berlin = TimeZone.of('Europe/Berlin');
const lordHowe = TimeZone.of('Australia/Lord_Howe');
const adelaide = TimeZone.of('Australia/Adelaide');
const chatham = TimeZone.of('Pacific/Chatham');
const kathmandu = TimeZone.of('Asia/Kathmandu');
const apia = TimeZone.of('Pacific/Apia');

// Stepping is pure: a set is never evaluated here.
const noEvaluation = (): never => {
  throw new Error('no evaluation in these tests');
};
const evaluator: ExpressionEvaluator = { evaluateCount: noEvaluation, evaluateHas: noEvaluation, evaluateIds: noEvaluation };
type SteppedUnit = Exclude<PeriodUnit, 'year'>;
const set = (unit: SteppedUnit, zone: TimeZone, iso: string) => new PeriodEventSet(evaluator, 'e', unit, periodStart(unit, at(iso), zone), zone);
const span = (s: PeriodEventSet) => [s.periodStart.toISOString(), s.periodEnd.toISOString()];
const key = (s: PeriodEventSet) => periodSuffix(s.unit as SteppedUnit, s.periodStart, s.timeZone);

describe('period steps across changes of offset', () => {
  it('Berlin, clocks forward: prev() of 03:00 is 01:00 (02:00 does not exist), and back again', () => {
    const three = set('hour', berlin, '2025-03-30T01:30:00Z');
    expect(span(three)).to.deep.equal(['2025-03-30T01:00:00.000Z', '2025-03-30T01:59:59.999Z']);
    const one = three.prev();
    expect(span(one)).to.deep.equal(['2025-03-30T00:00:00.000Z', '2025-03-30T00:59:59.999Z']);
    expect(key(one)).to.equal('2025-3-30-1');
    expect(span(three.delta(-1))).to.deep.equal(span(one));
    expect(span(one.next())).to.deep.equal(span(three));
    expect(span(three.delta(-2))).to.deep.equal(['2025-03-29T23:00:00.000Z', '2025-03-29T23:59:59.999Z']);
    expect(span(one.delta(2))).to.deep.equal(['2025-03-30T02:00:00.000Z', '2025-03-30T02:59:59.999Z']);
    expect(span(one.delta(2).delta(-2))).to.deep.equal(span(one));
    expect(key(one.next())).to.equal('2025-3-30-3');
  });

  it('Berlin, clocks forward: walking back 48 hours reaches 48 distinct, contiguous hours, as delta(-48) does', () => {
    const three = set('hour', berlin, '2025-03-30T01:30:00Z');
    let period = three;
    const keys: string[] = [];
    for (let i = 1; i <= 48; i++) {
      const earlier = period.prev();
      expect(earlier.periodEnd.getTime() + 1, `step ${i}`).to.equal(period.periodStart.getTime());
      expect(span(three.delta(-i)), `delta(-${i})`).to.deep.equal(span(earlier));
      keys.push(key(earlier));
      period = earlier;
    }
    expect(new Set(keys).size).to.equal(48);
    expect(keys).to.not.include('2025-3-30-2');
    expect(keys.slice(0, 3)).to.deep.equal(['2025-3-30-1', '2025-3-30-0', '2025-3-29-23']);
    expect(span(period)).to.deep.equal(['2025-03-28T01:00:00.000Z', '2025-03-28T01:59:59.999Z']);
    expect(key(period)).to.equal('2025-3-28-2');
    expect(span(period.delta(48))).to.deep.equal(span(three));
  });

  it('Berlin, clocks back: the two-hour 02:00 steps to 01:00 and 03:00, and 48 hours forward are distinct', () => {
    const two = set('hour', berlin, '2025-10-26T01:30:00Z');
    expect(span(two)).to.deep.equal(['2025-10-26T00:00:00.000Z', '2025-10-26T01:59:59.999Z']);
    expect(span(two.prev())).to.deep.equal(['2025-10-25T23:00:00.000Z', '2025-10-25T23:59:59.999Z']);
    expect(span(two.next())).to.deep.equal(['2025-10-26T02:00:00.000Z', '2025-10-26T02:59:59.999Z']);
    expect(span(two.next().prev())).to.deep.equal(span(two));
    expect(span(two.prev().delta(2))).to.deep.equal(span(two.next()));
    expect(span(two.next().delta(-2))).to.deep.equal(span(two.prev()));
    const one = two.prev();
    let period = one;
    const keys: string[] = [];
    for (let i = 1; i <= 48; i++) {
      const later = period.next();
      expect(period.periodEnd.getTime() + 1, `step ${i}`).to.equal(later.periodStart.getTime());
      expect(span(one.delta(i)), `delta(${i})`).to.deep.equal(span(later));
      keys.push(key(later));
      period = later;
    }
    expect(new Set(keys).size).to.equal(48);
    expect(keys.slice(0, 2)).to.deep.equal(['2025-10-26-2', '2025-10-26-3']);
    expect(span(period)).to.deep.equal(['2025-10-28T00:00:00.000Z', '2025-10-28T00:59:59.999Z']);
    expect(span(period.delta(-48))).to.deep.equal(span(one));
  });

  it('Lord Howe (a 30-minute change): the 30-minute and the 90-minute hour', () => {
    const three = set('hour', lordHowe, '2025-10-04T16:10:00Z');
    expect(span(three)).to.deep.equal(['2025-10-04T16:00:00.000Z', '2025-10-04T16:59:59.999Z']);
    expect(span(three.prev())).to.deep.equal(['2025-10-04T15:30:00.000Z', '2025-10-04T15:59:59.999Z']);
    expect(key(three.prev())).to.equal('2025-10-5-2');
    expect(span(three.delta(-2))).to.deep.equal(['2025-10-04T14:30:00.000Z', '2025-10-04T15:29:59.999Z']);
    expect(span(three.delta(-2).delta(2))).to.deep.equal(span(three));
    const one = set('hour', lordHowe, '2025-04-05T15:10:00Z');
    expect(span(one)).to.deep.equal(['2025-04-05T14:00:00.000Z', '2025-04-05T15:29:59.999Z']);
    expect(span(one.next())).to.deep.equal(['2025-04-05T15:30:00.000Z', '2025-04-05T16:29:59.999Z']);
    expect(span(one.prev())).to.deep.equal(['2025-04-05T13:00:00.000Z', '2025-04-05T13:59:59.999Z']);
    expect(span(one.next().prev())).to.deep.equal(span(one));
  });

  it('Adelaide (+9:30/+10:30): the skipped 02:00 is stepped over both ways', () => {
    const three = set('hour', adelaide, '2025-10-04T16:45:00Z');
    expect(span(three)).to.deep.equal(['2025-10-04T16:30:00.000Z', '2025-10-04T17:29:59.999Z']);
    expect(span(three.prev())).to.deep.equal(['2025-10-04T15:30:00.000Z', '2025-10-04T16:29:59.999Z']);
    expect(key(three.prev())).to.equal('2025-10-5-1');
    expect(span(three.prev().next())).to.deep.equal(span(three));
    expect(span(three.prev().delta(2))).to.deep.equal(['2025-10-04T17:30:00.000Z', '2025-10-04T18:29:59.999Z']);
    expect(span(three.next().delta(-2))).to.deep.equal(span(three.prev()));
    const two = set('hour', adelaide, '2025-04-05T17:10:00Z');
    expect(span(two.prev())).to.deep.equal(['2025-04-05T14:30:00.000Z', '2025-04-05T15:29:59.999Z']);
    expect(span(two.next())).to.deep.equal(['2025-04-05T17:30:00.000Z', '2025-04-05T18:29:59.999Z']);
  });

  it('Chatham (+12:45/+13:45): the 45-minute 02:00 and the 15-minute 03:00', () => {
    const four = set('hour', chatham, '2025-09-27T14:30:00Z');
    expect(span(four)).to.deep.equal(['2025-09-27T14:15:00.000Z', '2025-09-27T15:14:59.999Z']);
    expect(span(four.prev())).to.deep.equal(['2025-09-27T14:00:00.000Z', '2025-09-27T14:14:59.999Z']);
    expect(span(four.delta(-2))).to.deep.equal(['2025-09-27T13:15:00.000Z', '2025-09-27T13:59:59.999Z']);
    expect([four.delta(-2), four.prev(), four].map(key)).to.deep.equal(['2025-9-28-2', '2025-9-28-3', '2025-9-28-4']);
    expect(span(four.delta(-2).delta(2))).to.deep.equal(span(four));
  });

  it('Kathmandu (+5:45): hours from quarter past, and the 15 minutes skipped in 1986', () => {
    const five = set('hour', kathmandu, '2025-06-01T00:00:00Z');
    expect(span(five)).to.deep.equal(['2025-05-31T23:15:00.000Z', '2025-06-01T00:14:59.999Z']);
    expect(span(five.prev())).to.deep.equal(['2025-05-31T22:15:00.000Z', '2025-05-31T23:14:59.999Z']);
    const newYear = set('day', kathmandu, '1986-01-01T06:00:00Z');
    expect(span(newYear)).to.deep.equal(['1985-12-31T18:30:00.000Z', '1986-01-01T18:14:59.999Z']);
    expect(span(newYear.prev())).to.deep.equal(['1985-12-30T18:30:00.000Z', '1985-12-31T18:29:59.999Z']);
    const midnight = set('hour', kathmandu, '1985-12-31T18:40:00Z');
    expect(span(midnight)).to.deep.equal(['1985-12-31T18:30:00.000Z', '1985-12-31T19:14:59.999Z']);
    expect(span(midnight.prev())).to.deep.equal(['1985-12-31T17:30:00.000Z', '1985-12-31T18:29:59.999Z']);
    expect(span(midnight.prev().next())).to.deep.equal(span(midnight));
  });

  it('Apia skipped 30 Dec 2011: days and hours step from the 31st back to the 29th', () => {
    const thirtyFirst = set('day', apia, '2011-12-30T12:00:00Z');
    expect(span(thirtyFirst)).to.deep.equal(['2011-12-30T10:00:00.000Z', '2011-12-31T09:59:59.999Z']);
    expect(key(thirtyFirst)).to.equal('2011-12-31');
    const twentyNinth = thirtyFirst.prev();
    expect(span(twentyNinth)).to.deep.equal(['2011-12-29T10:00:00.000Z', '2011-12-30T09:59:59.999Z']);
    expect(key(twentyNinth)).to.equal('2011-12-29');
    expect(span(twentyNinth.next())).to.deep.equal(span(thirtyFirst));
    expect(span(thirtyFirst.delta(-2))).to.deep.equal(['2011-12-28T10:00:00.000Z', '2011-12-29T09:59:59.999Z']);
    expect(key(thirtyFirst.delta(-2).delta(2))).to.equal('2011-12-31');
    expect(key(twentyNinth.delta(2))).to.equal('2012-1-1');
    const midnight = set('hour', apia, '2011-12-30T10:30:00Z');
    expect(key(midnight)).to.equal('2011-12-31-0');
    expect(span(midnight.prev())).to.deep.equal(['2011-12-30T09:00:00.000Z', '2011-12-30T09:59:59.999Z']);
    expect(key(midnight.prev())).to.equal('2011-12-29-23');
    expect(key(midnight.delta(-25))).to.equal('2011-12-28-23');
    expect(key(midnight.delta(-25).delta(25))).to.equal('2011-12-31-0');
  });

  it('a daily cohort across Apia\'s skipped day has one row per day that exists', () => {
    const plan = planCohort('a', 'b', { numRows: 4, numCols: 4, now: at('2011-12-31T12:00:00Z') }, apia);
    expect(plan.rows.map((row) => periodSuffix('day', row.date, apia))).to.deep.equal(['2011-12-28', '2011-12-29', '2011-12-31', '2012-1-1']);
    expect(plan.rows[1]!.periods.map((period) => period[0]![0]!.suffix)).to.deep.equal(['2011-12-29', '2011-12-31', '2012-1-1']);
  });

  // Instants of changes of offset, per zone: random instants near them, and anywhere in 1980-2035.
  const CHANGES: Record<string, string[]> = {
    'Europe/Berlin': ['2025-03-30T01:00:00Z', '2025-10-26T01:00:00Z'],
    'Australia/Lord_Howe': ['2025-04-05T15:00:00Z', '2025-10-04T15:30:00Z'],
    'Australia/Adelaide': ['2025-04-05T16:30:00Z', '2025-10-04T16:30:00Z'],
    'Pacific/Chatham': ['2025-04-05T14:00:00Z', '2025-09-27T14:00:00Z'],
    'Asia/Kathmandu': ['1985-12-31T18:30:00Z'],
    'Pacific/Apia': ['2011-12-30T10:00:00Z', '2012-03-31T14:00:00Z'],
  };
  const case_ = fc.constantFrom(...Object.keys(CHANGES)).chain((name) =>
    fc.record({
      name: fc.constant(name),
      time: fc.oneof(
        fc.tuple(fc.constantFrom(...CHANGES[name]!), fc.integer({ min: -3 * DAY, max: 3 * DAY })).map(([iso, shift]) => Date.parse(iso) + shift),
        fc.integer({ min: Date.parse('1980-01-01T00:00:00Z'), max: Date.parse('2035-01-01T00:00:00Z') }),
      ),
      unit: fc.constantFrom<SteppedUnit>('hour', 'hour', 'day', 'day', 'week', 'month'),
      k: fc.integer({ min: 1, max: 60 }),
    }),
  );

  it('property: k steps forward then k back return to the start; periods are contiguous, distinct and keyed by their start', () => {
    fc.assert(
      fc.property(case_, ({ name, time, unit, k }) => {
        const zone = TimeZone.of(name);
        const first = periodStart(unit, new Date(time), zone);
        const starts = [first];
        for (let i = 0; i < k; i++) starts.push(addPeriods(unit, starts.at(-1)!, 1, zone));
        for (let i = 0; i < k; i++) {
          const [start, following] = [starts[i]!, starts[i + 1]!];
          expect(following.getTime()).to.be.above(start.getTime());
          expect(periodEnd(unit, start, zone).getTime() + 1).to.equal(following.getTime());
          // prev() is the period containing the instant just before the start.
          expect(periodStart(unit, new Date(following.getTime() - 1), zone).getTime()).to.equal(start.getTime());
          expect(periodSuffix(unit, following, zone)).to.not.equal(periodSuffix(unit, start, zone));
        }
        for (const start of starts) {
          expect(periodStart(unit, start, zone).getTime()).to.equal(start.getTime());
          expect(periodSuffix(unit, periodEnd(unit, start, zone), zone)).to.equal(periodSuffix(unit, start, zone));
        }
        expect(addPeriods(unit, first, k, zone).getTime()).to.equal(starts[k]!.getTime());
        expect(addPeriods(unit, starts[k]!, -k, zone).getTime()).to.equal(first.getTime());
        let back = starts[k]!;
        for (let i = k - 1; i >= 0; i--) {
          back = addPeriods(unit, back, -1, zone);
          expect(back.getTime()).to.equal(starts[i]!.getTime());
        }
      }),
      { numRuns: 300, seed: 30 },
    );
  });
});
