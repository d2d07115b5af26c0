import { expect } from 'chai';
import { Cluster, type Redis } from 'ioredis';
import { BitmapistUnavailableError, MarkQueueOverflowError } from '../../src/koa/index.js';
import { startRedisCluster, type RedisCluster } from '../../src/testing/index.js';
import { runLoad, type Load } from './support/load.js';
import { ascending, DURABLE_REDIS_ARGS, latencies, LOAD_REQUEST_BOUND_MS, markingApp, sleep, until, watchBacklog } from './support/marking-app.js';

const PREFIX = 'bmtest_clrestart_';
const SHARD_BITS = 8;

/** The port of the master serving a key's slot. */
async function ownerOf(node: Redis, key: string): Promise<number> {
  const slot = (await node.call('CLUSTER', 'KEYSLOT', key)) as number;
  const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
}

describe('faults: one Redis Cluster master killed and restarted under load (sharded layout)', function () {
  this.timeout(120_000);
  let redisCluster: RedisCluster;

  before(async () => {
    redisCluster = await startRedisCluster({ masters: 3, args: DURABLE_REDIS_ARGS });
  });
  after(() => redisCluster?.stop());

  it('keeps landing the marks of the live masters during the outage and writes every mark after it', async () => {
    const cluster = new Cluster(redisCluster.nodes);
    const t = await markingApp({ redis: cluster, layout: 'sharded', shardBits: SHARD_BITS, keyPrefix: PREFIX, queueLimit: 100_000 });
    let load: Load | undefined;
    try {
      const node = cluster.nodes('master')[0]! as Redis;
      // The block registry lives in one slot: queries (and marks of blocks new to this process) need its
      // master, so the victim is another one (README, "Running on Redis Cluster").
      const registryPort = await ownerOf(node, `${PREFIX}~blocks`);
      const victim = redisCluster.servers.find((server) => server.port !== registryPort)!;
      const owners = new Map<number, number>();
      const blockOwner = async (uid: number) => {
        const { block } = t.bitmapist.engine.keys.locate(uid);
        if (!owners.has(block)) owners.set(block, await ownerOf(node, `{${block}}`));
        return owners.get(block)!;
      };

      load = runLoad({ url: `${t.server.base}/?uid=`, clients: 50, durationMs: 16_000, firstUid: 1, expectBody: 'ok' });
      await load.started;
      await sleep(3_000);
      await victim.kill();
      const killedAt = Date.now();
      const issuedAtKill = t.issued.length;
      await sleep(2_500);

      // While the master is down: every mark issued since the kill for a live master's block lands.
      const sinceKill = t.issued.slice(issuedAtKill);
      const live: number[] = [];
      const dead: number[] = [];
      for (const uid of sinceKill) ((await blockOwner(uid)) === victim.port ? dead : live).push(uid);
      expect(live).to.not.be.empty;
      expect(dead).to.not.be.empty;
      const visits = t.bitmapist.engine.unique('visit');
      // A GETBIT per mark sent all at once (not a script call each, two at a time), so that a check stays quick on
      // a busy machine; the live masters' blocks only.
      const engine = t.bitmapist.engine;
      const landed = async (uids: number[]) => {
        const bits = await Promise.all(uids.map((uid) => {
          const { block, bit } = engine.keys.locate(uid);
          return cluster.getbit(engine.keys.eventKey('visit', 'u', block), bit);
        }));
        return bits.every((bit) => bit === 1);
      };
      await until(() => landed(live), 15_000, 'the marks of the live masters land while one is down');
      const checkedAt = Date.now();
      expect(t.bitmapist.metrics.queued).to.be.at.least(dead.length);

      // From the restart until every mark issued while the master was down is written.
      const backlog = watchBacklog(t.bitmapist);
      const restartedAt = Date.now();
      await victim.start();
      await redisCluster.waitUntilHealthy();
      const healthyAt = Date.now();
      const { requests, errors } = await load.done;
      backlog.stop();

      expect(errors).to.deep.equal([]);
      expect(requests.filter((r) => !r.ok)).to.have.length(0);
      expect(latencies(requests).max, 'slowest request (ms)').to.be.below(LOAD_REQUEST_BOUND_MS);
      expect(await t.bitmapist.flush(20_000)).to.equal(0);
      const uids = ascending(requests.map((r) => r.uid));
      expect(ascending(t.issued)).to.deep.equal(uids);
      expect(await visits.ids()).to.deep.equal(uids);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: uids.length, dropped: 0, failed: 0 });
      expect(t.reported(BitmapistUnavailableError)).to.equal(1);
      expect(t.reported(MarkQueueOverflowError)).to.equal(0);
      console.log(
        `      figures: ${uids.length} requests, all ${JSON.stringify(latencies(requests))} ms, during the outage ` +
          `${JSON.stringify(latencies(requests.filter((r) => r.start >= killedAt && r.start < restartedAt)))} ms; ` +
          `${live.length} marks for live masters landed while one was down (checked ${checkedAt - killedAt} ms after the kill), ` +
          `${dead.length} for its blocks waited; peak queued ${t.stats.peakQueued}; healthy ${healthyAt - killedAt} ms after the kill, ` +
          `the ${backlog.backlog} marks issued until the restart written ${backlog.ms()} ms after it`,
      );
    } finally {
      load?.stop();
      await t.server.close();
      await t.bitmapist.engine.deleteAllEvents().catch(() => undefined);
      await t.bitmapist.close({ timeout: 1000 });
      await cluster.quit();
    }
  });
});
