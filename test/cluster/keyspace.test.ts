import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import Koa from 'koa';
import { Bitmapist, BitmapistScanError } from '../../src/index.js';
import { koaBitmapist } from '../../src/koa/index.js';
import { startRedisCluster, type RedisCluster } from '../../src/testing/index.js';
import { quiet, serve } from '../koa/support.js';
import { testClusterNodes, uniquePrefix } from '../support/redis.js';

const now = new Date('2025-02-20T12:00:00Z');
/** With shardBits 8, these ids fall in blocks 0, 1, 3, 6 and 9, spread over the masters. */
const SPREAD_UIDS = [1, 300, 900, 1700, 2500];

/** Every key under a prefix on every master, by port. */
async function keysByMaster(cluster: Cluster, prefix: string): Promise<Map<number, string[]>> {
  const byPort = new Map<number, string[]>();
  for (const node of cluster.nodes('master')) {
    const keys: string[] = [];
    for await (const batch of node.scanStream({ match: `${prefix}*`, count: 1000 })) keys.push(...(batch as string[]));
    byPort.set(node.options.port!, [...new Set(keys)].sort()); // SCAN may repeat a key
  }
  return byPort;
}

async function portOfSlot(node: Redis, key: string): Promise<number> {
  const slot = (await node.call('CLUSTER', 'KEYSLOT', key)) as number;
  const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
}

describe('Cluster keyspace: event names and deletion scan every master of the slot map', function () {
  this.timeout(60_000);

  it('waits for a Cluster client that is not ready yet (new Cluster(nodes), then at once)', async () => {
    const prefix = uniquePrefix('ks');
    const setup = new Cluster(testClusterNodes());
    try {
      const writer = new Bitmapist({ redis: setup, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
      for (const uid of SPREAD_UIDS) await writer.markEvent('spread', uid, { now });
      await writer.markEvent('other', 2, { now });

      const fresh = new Cluster(testClusterNodes());
      const listed = await new Bitmapist({ redis: fresh, keyPrefix: prefix, layout: 'sharded', shardBits: 8 }).getEventNames();
      expect(listed).to.deep.equal(['other', 'spread']);
      await fresh.quit();

      const deleter = new Cluster(testClusterNodes());
      expect(deleter.status).to.not.equal('ready');
      expect(await new Bitmapist({ redis: deleter, keyPrefix: prefix, layout: 'sharded', shardBits: 8 }).deleteAllEvents()).to.equal(18 + 1); // with the registry
      await deleter.quit();
      expect([...(await keysByMaster(setup, prefix)).values()].flat()).to.deep.equal([]);
    } finally {
      await setup.quit();
    }
  });

  describe('with a master down (a cluster of its own)', () => {
    let redisCluster: RedisCluster;
    let cluster: Cluster;
    before(async () => {
      redisCluster = await startRedisCluster({ masters: 3 });
      cluster = new Cluster(redisCluster.nodes);
      await cluster.ping();
    });
    after(async () => {
      cluster?.disconnect();
      await redisCluster?.stop();
    });

    it("a master that is up but does not answer fails them after the client's command timeout, deleting nothing", async () => {
      const prefix = uniquePrefix('mute');
      const client = new Cluster(redisCluster.nodes, { redisOptions: { commandTimeout: 300 } });
      const mute = new Redis({ host: '127.0.0.1', port: redisCluster.nodes[0]!.port });
      const pid = Number(/process_id:(\d+)/.exec(await mute.info('server'))![1]);
      try {
        const sharded = new Bitmapist({ redis: client, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
        for (const uid of SPREAD_UIDS) await sharded.markEvent('spread', uid, { now });
        const before = [...(await keysByMaster(client, prefix)).values()].flat().sort();
        // The master keeps its connections but answers nothing until it is continued.
        process.kill(pid, 'SIGSTOP');
        try {
          for (const call of [() => sharded.getEventNames(), () => sharded.deleteAllEvents()]) {
            const error = await call().then(() => undefined, (e: unknown) => e);
            expect(error).to.be.instanceOf(BitmapistScanError);
            expect((error as Error).message).to.contain(String(redisCluster.nodes[0]!.port));
          }
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        expect([...(await keysByMaster(client, prefix)).values()].flat().sort()).to.deep.equal(before);
        expect(await sharded.deleteAllEvents()).to.equal(before.length);
      } finally {
        mute.disconnect();
        client.disconnect();
      }
    });

    it('fails with a BitmapistScanError and deletes nothing, the registry included', async () => {
      const prefix = uniquePrefix('down');
      const sharded = new Bitmapist({ redis: cluster, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
      for (const uid of SPREAD_UIDS) await sharded.markEvent('spread', uid, { now });
      const node = cluster.nodes('master')[0] as Redis;
      const registryPort = await portOfSlot(node, `${prefix}~blocks`);
      const blockPorts = await Promise.all(SPREAD_UIDS.map((uid) => portOfSlot(node, `{${Math.floor(uid / 256)}}`)));
      // A master holding bitmaps but not the registry: without the fix its keys would be skipped, the rest deleted.
      const victim = redisCluster.servers.find((server) => server.port !== registryPort && blockPorts.includes(server.port))!;
      expect(victim).to.not.equal(undefined);
      const before = await keysByMaster(cluster, prefix);
      expect(before.get(victim.port)!.length).to.be.above(0);

      await victim.kill();
      try {
        for (const call of [() => sharded.getEventNames(), () => sharded.deleteAllEvents()]) {
          const error = await call().then(() => undefined, (e: unknown) => e);
          expect(error).to.be.instanceOf(BitmapistScanError);
          expect((error as Error).message).to.contain(String(victim.port));
        }
        // Every key of the masters still up is there, the registry included.
        let checked = 0;
        for (const { port } of redisCluster.nodes.filter((n) => n.port !== victim.port)) {
          const master = new Redis({ host: '127.0.0.1', port });
          try {
            const keys: string[] = [];
            for await (const batch of master.scanStream({ match: `${prefix}*`, count: 1000 })) keys.push(...(batch as string[]));
            expect([...new Set(keys)].sort(), `keys on ${port}`).to.deep.equal(before.get(port));
            checked += keys.length;
          } finally {
            master.disconnect();
          }
        }
        expect(checked).to.equal([...before.values()].flat().length - before.get(victim.port)!.length);
        expect(checked).to.be.above(0);
        expect(await cluster.exists(`${prefix}~blocks`)).to.equal(1);
        // The dashboard's events page answers 503, not a partial list.
        const app = new Koa();
        app.on('error', () => undefined);
        const plugin = koaBitmapist(app, { redis: cluster, layout: 'sharded', shardBits: 8, keyPrefix: prefix, authorize: () => true, logger: quiet });
        const server = await serve(app);
        try {
          const response = await fetch(`${server.base}/bitmapist/?format=json`);
          expect(response.status).to.equal(503);
        } finally {
          await server.close();
          await plugin.close();
        }
      } finally {
        await victim.start();
        await redisCluster.waitUntilHealthy();
      }
      await sharded.deleteAllEvents();
    });
  });
});
