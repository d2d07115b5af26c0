import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { testBitmapist, testClusterNodes, uniquePrefix } from '../support/redis.js';
import { expectSameCohorts, randomMarks } from '../engine/support/mapped-marks.js';

describe('mapped user ids on Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let prefix: string;
  let mapped: Bitmapist<'mapped'>;
  const now = new Date('2025-02-20T12:00:00Z');

  before(async () => {
    cluster = new Cluster(testClusterNodes());
    await cluster.ping();
  });
  after(() => cluster.quit());
  beforeEach(() => {
    prefix = uniquePrefix('clm');
    mapped = new Bitmapist({ redis: cluster, keyPrefix: prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped' });
  });
  afterEach(async () => {
    for (const node of cluster.nodes('master')) {
      for await (const batch of node.scanStream({ match: `${prefix}*`, count: 1000 })) {
        for (const key of batch as string[]) await node.del(key);
      }
    }
  });

  /** Every key of the test prefix on every master, by node port. */
  async function keysByNode(): Promise<Map<number, string[]>> {
    const byNode = new Map<number, string[]>();
    for (const node of cluster.nodes('master')) {
      const keys: string[] = [];
      for await (const batch of node.scanStream({ match: `${prefix}*`, count: 1000 })) keys.push(...(batch as string[]));
      byNode.set(node.options.port!, [...new Set(keys)]); // SCAN may repeat a key
    }
    return byNode;
  }

  it('spreads the id map over the masters and reads the app ids back', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await Promise.all(ids.map((id) => mapped.markEvent('login', id, { now })));
    expect(await mapped.day('login', now).count()).to.equal(300);
    expect([...(await mapped.day('login', now).ids())].sort()).to.deep.equal([...ids].sort());
    expect(await mapped.day('login', now).has(ids[17]!)).to.equal(true);
    expect(await mapped.day('login', now).has('never-seen')).to.equal(false);
    const mapNodes = [...(await keysByNode()).values()].filter((keys) => keys.some((key) => key.includes('~ids{m')));
    expect(mapNodes.length).to.equal(cluster.nodes('master').length);
  });

  it('answers cohorts exactly as integer ids on one Redis (random marks)', async () => {
    const marks = randomMarks({ seed: 7, marks: 1500, users: 400, now, days: 21 });
    const t = testBitmapist();
    try {
      await t.bm.markEvents(marks.map(({ event, user, at }) => ({ event, uid: user, now: at })));
      await mapped.markEvents(marks.map(({ event, user, at }) => ({ event, uid: `user-${user}`, now: at })));
      await expectSameCohorts(t.bm, mapped, now);
    } finally {
      await t.cleanup();
    }
  });

  it('refuses integer writers on the same prefix once mapped ids were written', async () => {
    await mapped.markEvent('login', 'someone', { now });
    const integers = new Bitmapist({ redis: cluster, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
    let error: unknown;
    await integers.markEvent('login', 5, { now }).catch((caught: unknown) => (error = caught));
    expect((error as Error).name).to.equal('BitmapistIdModeError');
  });
});
