import { expect } from 'chai';
import { BitmapistArgumentError, KeyNames, ShardedKeyNames, periodSuffix } from '../../../src/index.js';
import { daySuffixes } from '../../../src/engine/time/suffixes.js';
import { MarkKeyCache, markTime } from '../../../src/engine/marking/mark-keys.js';
import { toUtc } from '../../../src/engine/time/periods.js';
import { prng } from '../../support/model.js';

const DAY_MS = 86_400_000;

describe('mark keys (the cached key lists of markEvent and markEvents)', () => {
  it('names every day from 1998 to 2032 like periodSuffix (month, ISO week, day)', () => {
    const first = Date.UTC(1998, 0, 1) / DAY_MS;
    const last = Date.UTC(2032, 11, 31) / DAY_MS;
    for (let day = first; day <= last; day += 1) {
      const date = new Date(day * DAY_MS + 12 * 3_600_000);
      expect(daySuffixes(day), date.toISOString()).to.deep.equal({
        month: periodSuffix('month', date),
        week: periodSuffix('week', date),
        day: periodSuffix('day', date),
      });
    }
  });

  it('names random days of the years 100 to 9999 like periodSuffix', () => {
    const random = prng(42);
    const min = new Date(0).setUTCFullYear(100, 0, 8);
    const max = new Date(0).setUTCFullYear(9999, 11, 31);
    for (let i = 0; i < 5000; i += 1) {
      const date = new Date(min + Math.floor(random() * (max - min)));
      expect(daySuffixes(Math.floor(date.getTime() / DAY_MS)), date.toISOString()).to.deep.equal({
        month: periodSuffix('month', date),
        week: periodSuffix('week', date),
        day: periodSuffix('day', date),
      });
    }
  });

  it('accepts exactly the dates toUtc accepts, with the same error', () => {
    const edges = [
      new Date('1000-01-01T00:00:00Z'),
      new Date('9999-12-31T23:59:59.999Z'),
      new Date('2025-01-31T23:10:00+05:00'),
    ];
    for (const date of edges) expect(markTime(date)).to.equal(date.getTime());
    const refused: unknown[] = [
      new Date('0999-12-31T23:59:59.999Z'),
      new Date('+010000-01-01T00:00:00Z'),
      new Date(Number.NaN),
      '2025-01-01',
      Date.now(),
      null,
      undefined,
    ];
    for (const value of refused) {
      let expected: unknown;
      try {
        toUtc(value);
      } catch (error) {
        expected = error;
      }
      expect(expected, String(value)).to.be.instanceOf(BitmapistArgumentError);
      expect(() => markTime(value)).to.throw(BitmapistArgumentError, (expected as Error).message);
    }
    expect(() => markTime('x', 'now')).to.throw(BitmapistArgumentError).with.property('argument', 'now');
  });

  it('builds the keys markEvent sets and shares one array per event, block and day (or hour)', () => {
    const keys = new KeyNames('p_');
    const cache = new MarkKeyCache(keys);
    const at = Date.parse('2024-12-30T23:30:00Z');
    const plain = cache.markKeys('e', 0, at, false, false);
    expect(plain).to.deep.equal(['p_e_2024-12', 'p_e_W2025-1', 'p_e_2024-12-30']);
    expect(cache.markKeys('e', 0, at - 20 * 3_600_000, false, false)).to.equal(plain);
    expect(Object.isFrozen(plain)).to.equal(true);
    expect(cache.markKeys('e', 0, at, true, true)).to.deep.equal([
      'p_e_2024-12', 'p_e_W2025-1', 'p_e_2024-12-30', 'p_e_2024-12-30-23', 'p_e_u',
    ]);
    expect(cache.markKeys('e', 0, at, true, false)).to.not.equal(cache.markKeys('e', 0, at - 3_600_000, true, false));
    expect(cache.markKeys('f', 0, at, false, false)).to.deep.equal(['p_f_2024-12', 'p_f_W2025-1', 'p_f_2024-12-30']);
    expect(cache.markKeys('e', 0, at + DAY_MS, false, false)).to.deep.equal(['p_e_2024-12', 'p_e_W2025-1', 'p_e_2024-12-31']);
  });

  it('names the block of the sharded layout', () => {
    const cache = new MarkKeyCache(new ShardedKeyNames('p_', 10));
    const at = Date.parse('2025-03-01T00:00:00Z');
    expect(cache.markKeys('e', 3, at, false, false)).to.deep.equal(['p_{3}e_2025-3', 'p_{3}e_W2025-9', 'p_{3}e_2025-3-1']);
    expect(cache.markKeys('e', 4, at, false, false)).to.deep.equal(['p_{4}e_2025-3', 'p_{4}e_W2025-9', 'p_{4}e_2025-3-1']);
  });

  it('stays bounded: it starts over past its size and still answers right', () => {
    const cache = new MarkKeyCache(new KeyNames('p_'));
    const start = Date.parse('2000-01-01T00:00:00Z');
    for (let day = 0; day < 10_000; day += 1) {
      const date = new Date(start + day * DAY_MS);
      expect(cache.markKeys('e', 0, date.getTime(), false, false)[2]).to.equal(`p_e_${periodSuffix('day', date)}`);
    }
  });
});
