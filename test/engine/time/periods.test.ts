import { expect } from 'chai';
import { BitmapistArgumentError } from '../../../src/index.js';
import { addPeriods, periodEnd } from '../../../src/engine/time/steps.js';
import { isEventSuffix, periodSuffix, periodSuffixes } from '../../../src/engine/time/suffixes.js';
import { periodStart, toUtc } from '../../../src/engine/time/periods.js';
import { timeGroupUnit } from '../../../src/engine/time/time-groups.js';

const at = (iso: string) => new Date(iso);

describe('periods', () => {
  describe('periodSuffix', () => {
    it('writes months, days and hours in UTC without zero padding', () => {
      const d = at('2025-01-31T23:59:59Z');
      expect(periodSuffix('month', d)).to.equal('2025-1');
      expect(periodSuffix('day', d)).to.equal('2025-1-31');
      expect(periodSuffix('hour', d)).to.equal('2025-1-31-23');
      expect(periodSuffix('hour', at('2025-03-05T04:00:00Z'))).to.equal('2025-3-5-4');
    });

    it('uses UTC whatever the offset of the Date given', () => {
      expect(periodSuffix('day', at('2025-02-01T01:00:00+03:00'))).to.equal('2025-1-31');
    });

    it('names ISO weeks by ISO year, across year boundaries', () => {
      expect(periodSuffix('week', at('2024-12-30T00:00:00Z'))).to.equal('W2025-1');
      expect(periodSuffix('week', at('2024-12-29T23:59:59Z'))).to.equal('W2024-52');
      expect(periodSuffix('week', at('2021-01-03T12:00:00Z'))).to.equal('W2020-53');
      expect(periodSuffix('week', at('2021-01-04T00:00:00Z'))).to.equal('W2021-1');
      expect(periodSuffix('week', at('2026-12-31T00:00:00Z'))).to.equal('W2026-53');
      expect(periodSuffix('week', at('2025-06-16T08:00:00Z'))).to.equal('W2025-25');
    });
  });

  describe('periodStart / addPeriods / periodEnd', () => {
    it('starts days at UTC midnight, weeks on ISO Monday, months on the 1st, years on Jan 1', () => {
      const d = at('2025-01-01T15:30:00Z'); // a Wednesday
      expect(periodStart('hour', d).toISOString()).to.equal('2025-01-01T15:00:00.000Z');
      expect(periodStart('day', d).toISOString()).to.equal('2025-01-01T00:00:00.000Z');
      expect(periodStart('week', d).toISOString()).to.equal('2024-12-30T00:00:00.000Z');
      expect(periodStart('month', d).toISOString()).to.equal('2025-01-01T00:00:00.000Z');
      expect(periodStart('year', at('2025-07-04T00:00:00Z')).toISOString()).to.equal('2025-01-01T00:00:00.000Z');
      expect(periodStart('week', at('2025-01-05T23:59:59Z')).toISOString()).to.equal('2024-12-30T00:00:00.000Z');
    });

    it('moves by whole periods and ends one millisecond before the next', () => {
      const jan = periodStart('month', at('2025-01-20T00:00:00Z'));
      expect(addPeriods('month', jan, 1).toISOString()).to.equal('2025-02-01T00:00:00.000Z');
      expect(addPeriods('month', jan, -1).toISOString()).to.equal('2024-12-01T00:00:00.000Z');
      expect(addPeriods('week', at('2024-12-30T00:00:00Z'), -1).toISOString()).to.equal('2024-12-23T00:00:00.000Z');
      expect(periodEnd('month', at('2024-02-01T00:00:00Z')).toISOString()).to.equal('2024-02-29T23:59:59.999Z');
      expect(periodEnd('day', at('2025-03-01T00:00:00Z')).toISOString()).to.equal('2025-03-01T23:59:59.999Z');
    });
  });

  it('makes a year the twelve months of its calendar year', () => {
    expect(periodSuffixes('year', at('2025-06-01T00:00:00Z'))).to.deep.equal(
      Array.from({ length: 12 }, (_, i) => `2025-${i + 1}`),
    );
    expect(periodSuffixes('day', at('2025-06-01T00:00:00Z'))).to.deep.equal(['2025-6-1']);
  });

  it('accepts plural and singular time groups and refuses others', () => {
    expect(['days', 'day', 'weeks', 'week', 'months', 'month', 'years', 'year'].map(timeGroupUnit)).to.deep.equal([
      'day', 'day', 'week', 'week', 'month', 'month', 'year', 'year',
    ]);
    for (const bad of ['hours', 'Days', '', undefined, 3, 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => timeGroupUnit(bad)).to.throw(BitmapistArgumentError, /time group/);
    }
  });

  it('refuses invalid dates', () => {
    expect(() => toUtc(new Date('nope'))).to.throw(BitmapistArgumentError, /valid Date/);
    expect(() => toUtc('2025-01-01')).to.throw(BitmapistArgumentError);
    expect(() => toUtc(at('0999-12-31T23:59:59Z'))).to.throw(BitmapistArgumentError, /1000 to 9999/);
    expect(() => toUtc(at('+010000-01-01T00:00:00Z'))).to.throw(BitmapistArgumentError, /1000 to 9999/);
    expect(toUtc(at('1000-01-01T00:00:00Z')).year()).to.equal(1000);
    expect(toUtc(at('2025-01-01T00:00:00Z')).year()).to.equal(2025);
  });

  it('recognises exactly the suffixes bitmapist writes', () => {
    for (const s of ['2025-1', '2025-12-31', '2025-1-31-23', 'W2025-1', 'u']) expect(isEventSuffix(s), s).to.equal(true);
    for (const s of ['', 'x', '2025', 'W2025', 'U', '2025-1-', 'tmp']) expect(isEventSuffix(s), s).to.equal(false);
  });
});
