import { expect } from 'chai';
import { Bitmapist, type CohortMode } from '../../../../src/index.js';
import { countCommands, prng } from '../../../support/model.js';
import { testBitmapist } from '../../../support/redis.js';
import { cohortInRedis } from './paths.js';

/**
 * The sharded layout runs a cohort per block: one cohort_windows call per block in use, then cohort_row
 * calls only for blocks holding users of some row, each covering many rows. Round trips grow with the
 * blocks, not with rows x blocks (which made a 90x90 cohort over 4,096 blocks issue 368,640 calls).
 */
describe('getCohort over many blocks (sharded layout)', function () {
  this.timeout(120_000);
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-05-30T18:00:00Z');

  it('runs a 90x90 cohort over 4,096 blocks in a bounded number of calls, equal to the compatible layout', async () => {
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}s_`, layout: 'sharded', shardBits: 8 });
    const compatible = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}c_` });
    const random = prng(4096);
    const marks: { event: string; uid: number; now: Date }[] = [];
    // Every block holds marks (ids spread over 4,096 blocks of 256 ids); sign-ups come in a few blocks a day.
    for (let block = 0; block < 4096; block++) {
      marks.push({ event: 'active', uid: block * 256 + Math.floor(random() * 256), now: new Date(now.getTime() - Math.floor(random() * 90) * 86_400_000) });
    }
    for (let n = 0; n < 1500; n++) {
      const day = Math.floor(random() * 90);
      const uid = Math.floor(random() * 4096) * 256 + Math.floor(random() * 256);
      marks.push({ event: 'signup', uid, now: new Date(now.getTime() - day * 86_400_000) });
      for (let later = day - 1; later >= 0; later -= 1 + Math.floor(random() * 20)) {
        marks.push({ event: 'active', uid, now: new Date(now.getTime() - later * 86_400_000) });
      }
    }
    await Promise.all([sharded.markEvents(marks), compatible.markEvents(marks)]);
    expect(await t.raw.scard(`${t.prefix}s_~blocks`)).to.equal(4096);

    const heapBefore = process.memoryUsage().heapUsed;
    for (const mode of ['first', 'unbounded'] as CohortMode[]) {
      const options = { numRows: 90, numCols: 90, mode, now };
      const { result, names } = await countCommands(sharded.redis, () => sharded.getCohort('signup', 'active', options));
      const calls = names.filter((name) => name === 'evalsha').length;
      // Counted in the process: read_bitmaps calls of at most 512 bitmaps (2 blocks) each. In Redis: cohort_windows
      // calls for 64 blocks at a time, then cohort_row calls for the rows with users, as many rows to a call as the
      // wall-clock budget allows. Either way far from a call per row and block (368,640).
      expect(calls, mode).to.be.within(64, 8000);
      expect(result, mode).to.deep.equal(await compatible.getCohort('signup', 'active', options));
      expect(result.totals.reduce((a, b) => a + b, 0), mode).to.be.above(1000);
      // Counted in Redis (as bigger cohorts are), the same.
      expect(await cohortInRedis(sharded)('signup', 'active', options), mode).to.deep.equal(result);
    }
    expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(400 * 2 ** 20);
    for (const key of await t.keys()) expect(sharded.keys.isScratchKey(key), key).to.equal(false);
    await Promise.all([sharded.close(), compatible.close()]);
  });
});
