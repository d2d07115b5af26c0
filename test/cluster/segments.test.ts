import { expect } from 'chai';
import fc from 'fast-check';
import { Cluster } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { testClusterNodes, uniquePrefix } from '../support/redis.js';
import { commandsOf, dataArbitrary, expectFigures, segmentArbitrary, segmentModel, segmentSet, writeData } from '../engine/insights/support/segments.js';

/**
 * Segments on Redis Cluster (sharded layout): a cohort evaluates its segment per block, in the block's slot,
 * and ANDs it into the block's populations; the other insights count `set.and(segment)` per block.
 */
describe('segments on Redis Cluster (sharded layout)', function () {
  this.timeout(240_000);
  const now = new Date('2025-03-15T18:00:00Z');
  let cluster: Cluster;

  before(async () => {
    cluster = new Cluster(testClusterNodes());
    await cluster.ping();
  });
  after(() => cluster.quit());

  /** The scratch keys of a prefix left on any master. */
  async function scratchKeys(bm: Bitmapist): Promise<string[]> {
    const found: string[] = [];
    for (const node of cluster.nodes('master')) {
      for await (const batch of node.scanStream({ match: `${bm.keys.prefix}*`, count: 1000 })) {
        found.push(...(batch as string[]).filter((key) => bm.keys.isScratchKey(key)));
      }
    }
    return found;
  }

  it('matches the model restricted to random segments, leaving no scratch key on any master', async () => {
    let excluded = 0;
    await fc.assert(
      fc.asyncProperty(dataArbitrary(now, { days: 20, maxUid: 1500, marks: 300, uniques: 120 }), segmentArbitrary, async (data, segment) => {
        const bm = new Bitmapist({ redis: cluster, keyPrefix: uniquePrefix('segc'), layout: 'sharded', shardBits: 8 });
        try {
          await writeData(bm, data);
          const sizes = { cohortRows: 6, trendPeriods: 7, activeDays: 5, lifecyclePeriods: 6 };
          const within = await expectFigures(bm, segmentSet(bm, segment), segmentModel(data, segment), now, sizes, JSON.stringify(segment));
          const everyone = await expectFigures(bm, undefined, segmentModel(data, undefined), now, sizes, 'no segment');
          if (within < everyone) excluded++;
          expect(await scratchKeys(bm)).to.deep.equal([]);
        } finally {
          await bm.deleteAllEvents();
          await bm.close();
        }
      }),
      { numRuns: 6, seed: 5 },
    );
    expect(excluded).to.be.above(2);
  });

  it('evaluates an expression segment once per block with users, in calls that grow with the blocks', async () => {
    const bm = new Bitmapist({ redis: cluster, keyPrefix: uniquePrefix('segc'), layout: 'sharded', shardBits: 8 });
    try {
      const marks: { event: string; uid: number; now: Date }[] = [];
      for (let block = 0; block < 40; block++) {
        for (let day = 0; day < 10; day++) {
          const uid = block * 256 + ((day * 37) % 256);
          marks.push({ event: 'signup', uid, now: new Date(now.getTime() - day * 86_400_000) });
          marks.push({ event: 'active', uid, now: new Date(now.getTime() - Math.max(0, day - 1) * 86_400_000) });
          if (day % 2 === 0) await bm.markUnique('plan:pro', uid);
          if (day % 4 === 0) await bm.markUnique('beta', uid);
        }
      }
      await bm.markEvents(marks);
      const options = { numRows: 10, numCols: 10, now };
      const { result: plain, sent: plainSent } = await commandsOf(cluster, () => bm.getCohort('signup', 'active', options));
      const segment = bm.unique('plan:pro').and(bm.unique('beta').not());
      const { result, sent } = await commandsOf(cluster, () => bm.getCohort('signup', 'active', { ...options, segment }));
      const count = (list: string[], name: string) => list.filter((sentName) => sentName === name).length;
      // Per block (40 blocks): one evaluate call for its segment, its scratch key deleted once; windows as before.
      expect(count(plainSent, 'evaluate.lua')).to.equal(0);
      // (The Cluster client may send a command twice, after a redirection or a slot-map refresh: not 80.)
      expect(count(sent, 'evaluate.lua')).to.be.within(40, 44);
      expect(count(sent, 'unlink')).to.be.within(40, 44);
      // Without a segment, each block's rows are read in one call and counted in the process.
      expect(count(plainSent, 'read_bitmaps.lua')).to.be.within(40, 44);
      expect(count(plainSent, 'cohort_windows.lua') + count(plainSent, 'cohort_row.lua')).to.equal(0);
      expect(count(sent, 'cohort_windows.lua')).to.be.within(40, 44);
      // With the segment, each block's rows and segment are read in one MULTI (one slot) and counted in the process.
      expect(count(sent, 'multi')).to.be.within(40, 44);
      expect(count(sent, 'cohort_row.lua')).to.equal(0);
      // Days 2 and 6 of each block are pro without beta: one signup each, active the day after.
      expect(result.totals.reduce((a, b) => a + b, 0)).to.equal(80);
      expect(plain.totals.reduce((a, b) => a + b, 0)).to.equal(400);
      expect(await scratchKeys(bm)).to.deep.equal([]);
    } finally {
      await bm.deleteAllEvents();
      await bm.close();
    }
  });
});
