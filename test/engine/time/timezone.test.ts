import { expect } from 'chai';
import { BitmapistArgumentError, KeyNames, TimeZone, UTC_ZONE } from '../../../src/index.js';
import { addPeriods, periodEnd } from '../../../src/engine/time/steps.js';
import { periodStart } from '../../../src/engine/time/periods.js';
import { periodSuffix, periodSuffixes } from '../../../src/engine/time/suffixes.js';
import { type PeriodUnit } from '../../../src/engine/time/time-groups.js';
import { MarkKeyCache } from '../../../src/engine/marking/mark-keys.js';

const at = (iso: string) => new Date(iso);
const berlin = TimeZone.of('Europe/Berlin');
const kolkata = TimeZone.of('Asia/Kolkata');
const adelaide = TimeZone.of('Australia/Adelaide');
const suffixes = (zone: TimeZone, iso: string) =>
  (['month', 'week', 'day', 'hour'] as const).map((unit) => periodSuffix(unit, at(iso), zone));
const span = (unit: PeriodUnit, zone: TimeZone, iso: string) => {
  const start = periodStart(unit, at(iso), zone);
  return [start.toISOString(), periodEnd(unit, start, zone).toISOString()];
};
const HOUR = 3_600_000;

describe('time zones: TimeZone', () => {
  it('resolves IANA names and refuses unknown ones with a BitmapistArgumentError naming timezone', () => {
    expect(TimeZone.of('europe/berlin').name).to.equal('Europe/Berlin');
    expect(TimeZone.of(undefined)).to.equal(UTC_ZONE);
    expect(TimeZone.of('Etc/UTC')).to.equal(UTC_ZONE);
    expect(UTC_ZONE.isUtc).to.equal(true);
    expect(berlin.isUtc).to.equal(false);
    for (const bad of ['Mars/Olympus', '', 42, null, 'Europe/Berlin; DROP']) {
      expect(() => TimeZone.of(bad)).to.throw(BitmapistArgumentError, /^timezone: /);
    }
  });

  it('gives the offsets of both sides of each change, to the second', () => {
    expect(berlin.offsetAt(Date.parse('2025-03-30T00:59:59Z'))).to.equal(1 * HOUR);
    expect(berlin.offsetAt(Date.parse('2025-03-30T01:00:00Z'))).to.equal(2 * HOUR);
    expect(berlin.offsetAt(Date.parse('2025-10-26T00:59:59.999Z'))).to.equal(2 * HOUR);
    expect(berlin.offsetAt(Date.parse('2025-10-26T01:00:00Z'))).to.equal(1 * HOUR);
    expect(adelaide.offsetAt(Date.parse('2025-04-05T16:29:59Z'))).to.equal(10.5 * HOUR);
    expect(adelaide.offsetAt(Date.parse('2025-04-05T16:30:00Z'))).to.equal(9.5 * HOUR);
    expect(adelaide.offsetAt(Date.parse('2025-10-04T16:29:59Z'))).to.equal(9.5 * HOUR);
    expect(adelaide.offsetAt(Date.parse('2025-10-04T16:30:00Z'))).to.equal(10.5 * HOUR);
    expect(kolkata.offsetAt(Date.parse('2025-06-01T00:00:00Z'))).to.equal(5.5 * HOUR);
  });
});

describe('time zones: key suffixes', () => {
  it('Berlin: local dates around both DST changes; the hour that occurs twice has one key', () => {
    expect(suffixes(berlin, '2025-03-30T00:59:59Z')).to.deep.equal(['2025-3', 'W2025-13', '2025-3-30', '2025-3-30-1']);
    expect(suffixes(berlin, '2025-03-30T01:00:00Z')).to.deep.equal(['2025-3', 'W2025-13', '2025-3-30', '2025-3-30-3']);
    expect(suffixes(berlin, '2025-10-26T00:30:00Z')).to.deep.equal(['2025-10', 'W2025-43', '2025-10-26', '2025-10-26-2']);
    expect(suffixes(berlin, '2025-10-26T01:30:00Z')).to.deep.equal(['2025-10', 'W2025-43', '2025-10-26', '2025-10-26-2']);
    expect(suffixes(berlin, '2025-10-26T22:59:59Z')).to.deep.equal(['2025-10', 'W2025-43', '2025-10-26', '2025-10-26-23']);
    expect(suffixes(berlin, '2025-10-26T23:00:00Z')).to.deep.equal(['2025-10', 'W2025-44', '2025-10-27', '2025-10-27-0']);
  });

  it('Adelaide (+9:30/+10:30): half-hour boundaries, both DST changes and the year boundary', () => {
    expect(suffixes(adelaide, '2025-04-05T16:00:00Z')).to.deep.equal(['2025-4', 'W2025-14', '2025-4-6', '2025-4-6-2']);
    expect(suffixes(adelaide, '2025-04-05T17:00:00Z')).to.deep.equal(['2025-4', 'W2025-14', '2025-4-6', '2025-4-6-2']);
    expect(suffixes(adelaide, '2025-10-04T16:29:59Z')).to.deep.equal(['2025-10', 'W2025-40', '2025-10-5', '2025-10-5-1']);
    expect(suffixes(adelaide, '2025-10-04T16:30:00Z')).to.deep.equal(['2025-10', 'W2025-40', '2025-10-5', '2025-10-5-3']);
    expect(suffixes(adelaide, '2025-12-31T13:29:59Z')).to.deep.equal(['2025-12', 'W2026-1', '2025-12-31', '2025-12-31-23']);
    expect(suffixes(adelaide, '2025-12-31T13:30:00Z')).to.deep.equal(['2026-1', 'W2026-1', '2026-1-1', '2026-1-1-0']);
    // ISO weeks across the year boundary in local time: Monday 30 Dec 2024 begins W2025-1 at 13:30 UTC.
    expect(periodSuffix('week', at('2024-12-29T13:29:59Z'), adelaide)).to.equal('W2024-52');
    expect(periodSuffix('week', at('2024-12-29T13:30:00Z'), adelaide)).to.equal('W2025-1');
  });

  it('Kolkata (+5:30, no DST): hours begin at half past in UTC; weeks and years turn at 18:30 UTC', () => {
    expect(periodSuffix('hour', at('2025-06-01T00:29:59Z'), kolkata)).to.equal('2025-6-1-5');
    expect(periodSuffix('hour', at('2025-06-01T00:30:00Z'), kolkata)).to.equal('2025-6-1-6');
    expect(periodSuffix('week', at('2024-12-29T18:29:59Z'), kolkata)).to.equal('W2024-52');
    expect(periodSuffix('week', at('2024-12-29T18:30:00Z'), kolkata)).to.equal('W2025-1');
    expect(suffixes(kolkata, '2025-12-31T18:30:00Z')).to.deep.equal(['2026-1', 'W2026-1', '2026-1-1', '2026-1-1-0']);
    expect(periodSuffixes('year', at('2025-12-31T18:30:00Z'), kolkata)[0]).to.equal('2026-1');
    expect(periodSuffixes('year', at('2025-12-31T18:29:59Z'), kolkata)[11]).to.equal('2025-12');
  });

  it('the mark key cache names the same keys as periodSuffix, hour by local hour', () => {
    const keys = new KeyNames('p_');
    for (const zone of [berlin, adelaide, kolkata, UTC_ZONE]) {
      const cache = new MarkKeyCache(keys, zone);
      for (let time = Date.parse('2025-03-28T00:00:00Z'); time < Date.parse('2025-04-08T00:00:00Z'); time += 15 * 60_000) {
        const date = new Date(time);
        const want = (['month', 'week', 'day', 'hour'] as const).map((unit) => `p_e_${periodSuffix(unit, date, zone)}`);
        expect(cache.markKeys('e', 0, time, true, false), `${zone.name} ${date.toISOString()}`).to.deep.equal(want);
      }
    }
  });
});

describe('time zones: periodStart / periodEnd are the true instants', () => {
  it('Berlin: a 23-hour day, a 25-hour day, a 2-hour hour, a short week and month', () => {
    expect(span('day', berlin, '2025-03-30T12:00:00Z')).to.deep.equal(['2025-03-29T23:00:00.000Z', '2025-03-30T21:59:59.999Z']);
    expect(span('day', berlin, '2025-10-26T12:00:00Z')).to.deep.equal(['2025-10-25T22:00:00.000Z', '2025-10-26T22:59:59.999Z']);
    expect(span('hour', berlin, '2025-10-26T01:30:00Z')).to.deep.equal(['2025-10-26T00:00:00.000Z', '2025-10-26T01:59:59.999Z']);
    expect(span('week', berlin, '2025-03-30T12:00:00Z')).to.deep.equal(['2025-03-23T23:00:00.000Z', '2025-03-30T21:59:59.999Z']);
    expect(span('month', berlin, '2025-03-15T12:00:00Z')).to.deep.equal(['2025-02-28T23:00:00.000Z', '2025-03-31T21:59:59.999Z']);
    expect(span('year', berlin, '2025-06-01T00:00:00Z')).to.deep.equal(['2024-12-31T23:00:00.000Z', '2025-12-31T22:59:59.999Z']);
    const saturday = periodStart('day', at('2025-03-29T12:00:00Z'), berlin);
    expect([1, 2, -1].map((n) => addPeriods('day', saturday, n, berlin).toISOString())).to.deep.equal([
      '2025-03-29T23:00:00.000Z', '2025-03-30T22:00:00.000Z', '2025-03-27T23:00:00.000Z',
    ]);
  });

  it('Adelaide: the 25-hour and 23-hour days, and the local year', () => {
    expect(span('day', adelaide, '2025-04-06T00:00:00Z')).to.deep.equal(['2025-04-05T13:30:00.000Z', '2025-04-06T14:29:59.999Z']);
    expect(span('day', adelaide, '2025-10-05T00:00:00Z')).to.deep.equal(['2025-10-04T14:30:00.000Z', '2025-10-05T13:29:59.999Z']);
    expect(span('hour', adelaide, '2025-04-05T17:10:00Z')).to.deep.equal(['2025-04-05T15:30:00.000Z', '2025-04-05T17:29:59.999Z']);
    expect(span('year', adelaide, '2025-06-01T00:00:00Z')).to.deep.equal(['2024-12-31T13:30:00.000Z', '2025-12-31T13:29:59.999Z']);
  });

  it('Kolkata: days from 18:30 UTC, hours from half past', () => {
    expect(span('day', kolkata, '2025-06-01T00:00:00Z')).to.deep.equal(['2025-05-31T18:30:00.000Z', '2025-06-01T18:29:59.999Z']);
    expect(span('hour', kolkata, '2025-06-01T00:45:00Z')).to.deep.equal(['2025-06-01T00:30:00.000Z', '2025-06-01T01:29:59.999Z']);
  });

  it('a local midnight skipped by a DST change starts the day at the change (Santiago)', () => {
    // America/Santiago moved from -4 to -3 at local midnight on 7 Sep 2025: that day begins at 01:00 local.
    const santiago = TimeZone.of('America/Santiago');
    expect(span('day', santiago, '2025-09-07T12:00:00Z')).to.deep.equal(['2025-09-07T04:00:00.000Z', '2025-09-08T02:59:59.999Z']);
    expect(periodSuffix('day', at('2025-09-07T04:00:00Z'), santiago)).to.equal('2025-9-7');
  });

  it('UTC gives what it always gave', () => {
    expect(span('day', UTC_ZONE, '2025-03-30T12:00:00Z')).to.deep.equal(['2025-03-30T00:00:00.000Z', '2025-03-30T23:59:59.999Z']);
    expect(periodSuffix('hour', at('2025-10-26T01:30:00Z'))).to.equal('2025-10-26-1');
  });
});
