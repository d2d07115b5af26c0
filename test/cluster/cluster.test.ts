import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import fc from 'fast-check';
import { Bitmapist, BitmapistConfigError, ShardedKeyNames } from '../../src/index.js';
import { expectSameAnswers, markBoth } from '../support/compare.js';
import { testBitmapist, testClusterNodes, uniquePrefix } from '../support/redis.js';

describe('Bitmapist on Redis Cluster (sharded layout)', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let t: ReturnType<typeof testBitmapist>;
  let sharded: Bitmapist;
  let prefix: string;
  const now = new Date('2025-02-20T12:00:00Z');

  before(async () => {
    cluster = new Cluster(testClusterNodes());
    await cluster.ping();
  });
  after(() => cluster.quit());
  beforeEach(() => {
    t = testBitmapist();
    prefix = uniquePrefix('cl');
    sharded = new Bitmapist({ redis: cluster, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
  });
  afterEach(async () => {
    await sharded.deleteAllEvents();
    await t.cleanup();
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

  it('refuses the compatible layout on a Cluster client', () => {
    expect(() => new Bitmapist({ redis: cluster })).to.throw(BitmapistConfigError, /sharded/);
  });

  it('answers exactly as the compatible layout on one Redis, with blocks spread over the masters', async () => {
    await markBoth(t.bm, sharded, { seed: 23, marks: 3000, maxUid: 6000, now, days: 60 });
    const byNode = await keysByNode();
    const populated = [...byNode.values()].filter((keys) => keys.length > 0);
    expect(populated.length).to.equal(testClusterNodes().length);
    await expectSameAnswers(t.bm, sharded, now);
  });

  it('lists and deletes events on every master', async () => {
    for (const uid of [1, 300, 900, 1700, 2500]) await sharded.markEvent('spread', uid, { now });
    expect(await sharded.getEventNames()).to.deep.equal(['spread']);
    expect(await sharded.deleteAllEvents()).to.equal(15 + 1); // with the registry
    const left = [...(await keysByNode()).values()].flat();
    expect(left).to.deep.equal([]);
  });

  it('keeps every key of a block in one slot, whatever braces the event name holds', async () => {
    const keys = new ShardedKeyNames(prefix, 20);
    const node = cluster.nodes('master')[0] as Redis;
    const slotOf = async (key: string) => (await node.call('CLUSTER', 'KEYSLOT', key)) as number;
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('{', '}', 'a', '_', ':', ' ', 'é', '1'), maxLength: 30 }),
        fc.integer({ min: 0, max: 4095 }),
        async (event, block) => {
          const tag = await slotOf(`{${block}}`);
          expect(await slotOf(keys.eventKey(event || 'e', '2025-1', block))).to.equal(tag);
          expect(await slotOf(keys.scratchKeys(1, block)[0]!)).to.equal(tag);
        },
      ),
      { numRuns: 200 },
    );
  });
});
