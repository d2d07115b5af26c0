import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { isRetryable } from '../../src/engine/redis/outage.js';
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

  /**
   * A master serving neither block 0 (where the first integers go) nor the block registry, with `bm`'s ids of
   * its map shards (`silent`) and of the other masters' shards (`live`).
   */
  async function quietMaster(bm: Bitmapist<'mapped'>): Promise<{ port: number; silent: string[]; live: string[] }> {
    const ownerOf = async (key: string) => {
      const slot = (await cluster.call('CLUSTER', 'KEYSLOT', key)) as number;
      const ranges = (await cluster.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
    };
    const busy = new Set([await ownerOf(`${prefix}{0}e`), await ownerOf(`${prefix}~blocks`)]);
    const port = cluster.nodes('master').map((node) => node.options.port!).find((candidate) => !busy.has(candidate))!;
    const shardOwners = await Promise.all(Array.from({ length: 16 }, (_, s) => ownerOf(bm.idMap!.shardKeys(s).ids)));
    const ids = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const onIt = (id: string) => shardOwners[bm.idMap!.shardOf(id)] === port;
    return { port, silent: ids.filter(onIt), live: ids.filter((id) => !onIt(id)) };
  }

  it('a master that does not answer fails only the marks of first-seen ids of its map shards; the others are written', async () => {
    const client = new Cluster(testClusterNodes(), { redisOptions: { commandTimeout: 300 } });
    const bm = new Bitmapist({ redis: client, keyPrefix: prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped' });
    const { port, silent, live } = await quietMaster(bm);
    const [silentId, liveIds] = [silent[0]!, live.slice(0, 3)];
    const control = new Redis({ host: '127.0.0.1', port });
    try {
      // The instance's first write records the prefix's id mode, wherever that key lives: done before the pause.
      await bm.markEvent('warm-up', 'someone', { now });
      await control.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      const prepared = bm.prepareMark('e', silentId, { now });
      expect(bm.partitionOfMark(prepared)).to.equal(-1 - bm.idMap!.shardOf(silentId));
      const settled = await Promise.allSettled([silentId, ...liveIds].map((id) => bm.markEvent('e', id, { now })));
      expect(settled.map((result) => result.status)).to.deep.equal(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(isRetryable((settled[0] as PromiseRejectedResult).reason)).to.equal(true);
      expect([...(await bm.day('e', now).ids())].sort()).to.deep.equal([...liveIds].sort());
      await control.call('CLIENT', 'UNPAUSE');
      await bm.markEvent('e', silentId, { now });
      expect([...(await bm.day('e', now).ids())].sort()).to.deep.equal([silentId, ...liveIds].sort());
    } finally {
      await control.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      control.disconnect();
      client.disconnect();
    }
  });

  it('while a map shard\'s master does not answer, the other marks of its batch are written without waiting for it', async function () {
    this.timeout(20_000); // before the fix, the other marks waited for the pause (30 s) to end
    const client = new Cluster(testClusterNodes()); // no commandTimeout: the call to the paused master just waits
    const bm = new Bitmapist({ redis: client, keyPrefix: prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped' });
    const { port, silent, live } = await quietMaster(bm);
    const [silentId, [seen, ...fresh]] = [silent[0]!, live.slice(0, 4)];
    const control = new Redis({ host: '127.0.0.1', port });
    try {
      await bm.markEvent('warm-up', seen!, { now }); // records the id mode, and the process caches `seen`
      await control.call('CLIENT', 'PAUSE', '30000', 'WRITE');
      let silentSettled = false;
      const held = bm.markEvent('e', silentId, { now }).finally(() => (silentSettled = true));
      await Promise.all([seen!, ...fresh].map((id) => bm.markEvent('e', id, { now })));
      expect([...(await bm.day('e', now).ids())].sort()).to.deep.equal([seen!, ...fresh].sort());
      expect(silentSettled).to.equal(false);
      await control.call('CLIENT', 'UNPAUSE');
      await held;
      expect([...(await bm.day('e', now).ids())].sort()).to.deep.equal([silentId, seen!, ...fresh].sort());
    } finally {
      await control.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      control.disconnect();
      client.disconnect();
    }
  });

  it('a mark waiting for a map shard\'s answer is not overtaken by a later unmark of its id', async function () {
    this.timeout(20_000);
    const client = new Cluster(testClusterNodes());
    const bm = new Bitmapist({ redis: client, keyPrefix: prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped' });
    const { port, silent, live } = await quietMaster(bm);
    const [silentId, liveId] = [silent[0]!, live[0]!];
    const control = new Redis({ host: '127.0.0.1', port });
    try {
      await bm.markEvent('warm-up', 'someone', { now });
      await control.call('CLIENT', 'PAUSE', '30000', 'WRITE');
      // One batch marks both first-seen ids; the next, issued after it, unmarks the live one.
      const marked = [silentId, liveId].map((id) => bm.markEvent('e', id, { now }));
      const unmarked = bm.unmarkEvent('e', liveId, { now });
      await unmarked;
      await control.call('CLIENT', 'UNPAUSE');
      await Promise.all(marked);
      expect(await bm.day('e', now).ids()).to.deep.equal([silentId]);
    } finally {
      await control.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      control.disconnect();
      client.disconnect();
    }
  });

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
