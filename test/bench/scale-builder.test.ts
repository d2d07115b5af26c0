import { expect } from 'chai';
import { Bitmapist, type CohortMode } from '../../src/index.js';
import { checkBuilder, expectedCohort } from '../../bench/scale-check.js';
import { buildProduct, popcount, retention } from '../../bench/scale-product.js';
import { eventBitmaps, rangeBitmap, SCALE_EVENTS, trimmed, writeBitmaps } from '../../bench/scale-writer.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';

describe('bench: the scaling data set builder', () => {
  it('sets exactly the ids of a range, most significant bit first as SETBIT does', () => {
    expect([...rangeBitmap(3, 13)!]).to.deep.equal([0b0001_1111, 0b1111_1000]);
    expect([...rangeBitmap(8, 16)!]).to.deep.equal([0, 0xff]);
    expect([...rangeBitmap(0, 1)!]).to.deep.equal([0x80]);
    expect(rangeBitmap(5, 5)).to.equal(undefined);
    expect([...trimmed(Buffer.from([1, 0, 2, 0, 0]))!]).to.deep.equal([1, 0, 2]);
    expect(trimmed(Buffer.alloc(3))).to.equal(undefined);
  });

  it('keeps the retention curve of the brief: 42% on day 0, 33% on day 7, 15% on day 29', () => {
    expect([retention(0), retention(7), retention(29)]).to.deep.equal([0.42, 0.33, 0.15]);
    const product = buildProduct(100_000);
    expect(product.signupStart.at(-1)).to.equal(100_000);
    const rate = product.active.reduce((n, bitmap) => n + popcount(bitmap), 0) / product.active.length / 100_000;
    expect(rate).to.be.within(0.07, 0.09);
  });

  it('writes, in both layouts, exactly what markEvents writes for the same marks', async function () {
    this.timeout(60_000);
    const redis = testClient();
    const prefix = uniquePrefix('scale');
    try {
      const check = await checkBuilder(redis, testRedisUrl(), prefix);
      // 900 days, 129 ISO weeks and 30 months of sign-ups, then 60 days (2025-05-01 to 06-29), 9 weeks and 2
      // months of each activity event; in the sharded layout (shardBits 8, 12 blocks) one key per block
      // holding ids of the bitmap, plus the block registry.
      expect(check.keys.compatible).to.equal(900 + 129 + 30 + 2 * (60 + 9 + 2));
      expect(check.keys.sharded).to.be.greaterThan(check.keys.compatible);
    } finally {
      await deleteUnder(redis, prefix);
      redis.disconnect();
    }
  });

  for (const layout of ['compatible', 'sharded'] as const) {
    it(`computes in Node the cohorts the engine answers on the built bitmaps (${layout} layout)`, async function () {
      this.timeout(60_000);
      const redis = testClient();
      const prefix = uniquePrefix('scale');
      const bm = new Bitmapist({ redis: testRedisUrl(), keyPrefix: prefix, layout, shardBits: 10 });
      try {
        const product = buildProduct(20_000, 11);
        for (const event of SCALE_EVENTS) await writeBitmaps(redis, bm.keys, eventBitmaps(product, event));
        const cases = [['day', 30, 'first'], ['day', 30, 'unbounded'], ['week', 12, 'recurring'], ['month', 3, 'first']] as const;
        for (const [unit, size, mode] of cases) {
          const ours = await bm.getCohort('user:signed_up', 'user:active', { timeGroup: `${unit}s`, numRows: size, numCols: size, mode: mode as CohortMode, now: product.now });
          const expected = expectedCohort(product, { unit, size, mode });
          expect(expected.totals.every((total) => total > 0)).to.equal(true);
          expect(ours.cohort).to.deep.equal(expected.cohort);
          expect(ours.totals).to.deep.equal(expected.totals);
        }
      } finally {
        await bm.close();
        await deleteUnder(redis, prefix);
        redis.disconnect();
      }
    });
  }
});
