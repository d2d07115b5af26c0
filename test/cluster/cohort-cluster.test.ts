import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { Bitmapist, type ChainedEvent, type CohortMode } from '../../src/index.js';
import { countCommands, prng } from '../support/model.js';
import { testBitmapist, testClusterNodes, uniquePrefix } from '../support/redis.js';
import { cohortPaths } from '../engine/insights/cohort/paths.js';

/**
 * On a Cluster each script call reads the keys of one block (one hash slot): per block in use one read_bitmaps
 * call for a cohort counted in the process; in Redis one cohort_windows call, then cohort_row calls covering many
 * rows for the blocks holding users of some row.
 */
describe('getCohort on Redis Cluster (sharded layout)', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let t: ReturnType<typeof testBitmapist>;
  let sharded: Bitmapist;
  const now = new Date('2025-04-10T09:00:00Z');

  before(async () => {
    cluster = new Cluster(testClusterNodes());
    await cluster.ping();
  });
  after(() => cluster.quit());
  beforeEach(() => {
    t = testBitmapist();
    sharded = new Bitmapist({ redis: cluster, keyPrefix: uniquePrefix('cc'), layout: 'sharded', shardBits: 8 });
  });
  afterEach(async () => {
    await sharded.deleteAllEvents();
    await t.cleanup();
  });

  it('answers like the compatible layout in calls that grow with the blocks, not rows x blocks', async () => {
    const random = prng(77);
    const marks: { event: string; uid: number; now: Date }[] = [];
    for (let n = 0; n < 2000; n++) {
      const day = Math.floor(random() * 40);
      const uid = Math.floor(random() * 300 * 256);
      marks.push({ event: 'signup', uid, now: new Date(now.getTime() - day * 86_400_000) });
      for (let later = day - 1; later >= 0; later -= 1 + Math.floor(random() * 6)) {
        marks.push({ event: random() < 0.8 ? 'active' : 'buy', uid, now: new Date(now.getTime() - later * 86_400_000) });
      }
    }
    await Promise.all([sharded.markEvents(marks), t.bm.markEvents(marks)]);
    const blocks = (await cluster.smembers(`${sharded.keys.prefix}~blocks`)).length;
    expect(blocks).to.equal(300);

    const chains: ChainedEvent[][] = [[], [{ name: 'buy', op: 'or' }]];
    for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
      for (const additionalEvents of chains) {
        const options = { numRows: 40, numCols: 40, mode, now, additionalEvents };
        const want = await t.bm.getCohort('signup', 'active', options);
        for (const [path, getCohort] of cohortPaths(sharded)) {
          const { result, names } = await countCommands(cluster, () => getCohort('signup', 'active', options));
          const what = `${path}: ${mode} ${JSON.stringify(additionalEvents)}`;
          expect(result, what).to.deep.equal(want);
          // Counted in the process: one read_bitmaps (or cohort_windows) call per block. In Redis: one
          // cohort_windows call per block and a few cohort_row calls per block. Not 40 rows x 300 blocks.
          const calls = names.filter((name) => name === 'evalsha').length;
          expect(calls, what).to.be.within(blocks, path === 'counted in Redis' ? 4 * blocks : blocks + 4);
        }
      }
    }
    const scratch: string[] = [];
    for (const node of cluster.nodes('master')) {
      for await (const batch of node.scanStream({ match: `${sharded.keys.prefix}*`, count: 1000 })) {
        scratch.push(...(batch as string[]).filter((key) => sharded.keys.isScratchKey(key)));
      }
    }
    expect(scratch).to.deep.equal([]);
  });
});
