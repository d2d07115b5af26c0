import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import Koa from 'koa';
import { Bitmapist, BitmapistOfflineError } from '../../src/index.js';
import { BitmapistUnavailableError, koaBitmapist } from '../../src/koa/index.js';
import { startRedisCluster, type RedisCluster } from '../../src/testing/index.js';
import { collectErrors, quiet } from '../koa/support.js';

const PREFIX = 'bmtest_stalled_';
const NOW = new Date('2025-03-15T12:00:00Z');
const BLOCKS = 40;
const PER_BLOCK = 225;

/** Resolves once `condition()` holds, asking again every 50 ms; rejects after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('koa on Redis Cluster: a master that stops answering (sharded layout)', function () {
  this.timeout(60_000);
  let redisCluster: RedisCluster;

  // A cluster of its own: one of its masters is stopped, which must not reach the other Cluster tests.
  before(async () => {
    redisCluster = await startRedisCluster({ masters: 3 });
  });
  after(() => redisCluster?.stop());

  it("holds back only its own blocks' marks, with ioredis's default options (no command timeout), and writes them once it answers", async () => {
    const cluster = new Cluster(redisCluster.nodes);
    const direct = redisCluster.nodes.map((node) => new Redis(node.port, node.host));
    const app = new Koa();
    const errors = collectErrors(app);
    const bitmapist = koaBitmapist(app, { redis: cluster, layout: 'sharded', shardBits: 8, keyPrefix: PREFIX, logger: quiet, disableRouter: true });
    let stopped: number | undefined;
    try {
      // Every block registered first, so no mark below needs the block registry.
      for (let block = 0; block < BLOCKS; block++) bitmapist.markEvent('e', block * 256, { now: NOW });
      expect(await bitmapist.flush(10_000)).to.equal(0);
      const masterOf = async (key: string) => {
        const slot = Number(await direct[0]!.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await direct[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const port = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
        return redisCluster.nodes.findIndex((node) => node.port === port);
      };
      const dayKey = (block: number) => `${PREFIX}{${block}}e_2025-3-15`;
      const owners = await Promise.all(Array.from({ length: BLOCKS }, (_, block) => masterOf(dayKey(block))));
      const registry = await masterOf(`${PREFIX}~blocks`);
      const silent = [0, 1, 2].find((master) => master !== registry && owners.includes(master))!;
      const live = owners.flatMap((owner, block) => (owner === silent ? [] : [block]));
      expect(live.length).to.be.within(1, BLOCKS - 1);

      // The master stops (as a process frozen by its host): its connections stay open, nothing is answered.
      const pid = Number(/process_id:(\d+)/.exec(await direct[silent]!.info('server'))![1]);
      process.kill(pid, 'SIGSTOP');
      stopped = pid;
      // Far more of its marks than the queue may have in flight (2,000), interleaved with the others'.
      for (let i = 1; i <= PER_BLOCK; i++) {
        for (let block = 0; block < BLOCKS; block++) bitmapist.markEvent('e', block * 256 + i, { now: NOW });
      }
      // Before the fix the silent master's writes filled every place in flight, and the other masters' marks
      // queued behind them waited for as long as it stayed silent.
      const liveLanded = async () => {
        const counts = await Promise.all(live.map((block) => direct[owners[block]!]!.bitcount(dayKey(block))));
        return counts.every((count) => count === PER_BLOCK + 1);
      };
      await until(liveLanded, 20_000);
      expect(bitmapist.metrics.queued).to.be.at.least((BLOCKS - live.length) * PER_BLOCK);
      const reports = errors.filter((e) => e.error instanceof BitmapistUnavailableError).map((e) => e.error.message);
      expect(reports).to.have.length(1);
      expect(reports[0]).to.contain('a write got no answer within 1000 ms');

      process.kill(pid, 'SIGCONT');
      stopped = undefined;
      expect(await bitmapist.flush(30_000)).to.equal(0);
      for (let block = 0; block < BLOCKS; block++) expect(await direct[owners[block]!]!.bitcount(dayKey(block))).to.equal(PER_BLOCK + 1);
      expect(bitmapist.metrics).to.deep.equal({ queued: 0, written: BLOCKS * (PER_BLOCK + 1), dropped: 0, failed: 0 });
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      await bitmapist.close({ timeout: 1_000 });
      cluster.disconnect();
      for (const client of direct) client.disconnect();
    }
  });

  it('reads: one master silent keeps the engine offline until every master answers its PING (one healthy master is not enough)', async () => {
    const cluster = new Cluster(redisCluster.nodes);
    const direct = redisCluster.nodes.map((node) => new Redis(node.port, node.host));
    const bm = new Bitmapist({ redis: cluster, layout: 'sharded', shardBits: 8, keyPrefix: `${PREFIX}reads_` });
    let stopped: number | undefined;
    try {
      const ids = Array.from({ length: BLOCKS }, (_, block) => block * 256 + 1);
      await Promise.all(ids.map((uid) => bm.markEvent('e', uid, { now: NOW })));
      const count = () => bm.day('e', NOW).count();
      expect(await count()).to.equal(BLOCKS);
      const pid = Number(/process_id:(\d+)/.exec(await direct[1]!.info('server'))![1]);
      const failure = (read: Promise<unknown>) => read.then(() => undefined, (error: unknown) => error);
      // Before the fix one PING, sent to a master ioredis picks at random, ended the silence: two times in three a
      // healthy master answered it at once, and each later read waited SILENT_AFTER_MS for the silent one. Four
      // silences, so that the old code passes one run in 81 at most.
      for (let silence = 0; silence < 4; silence++) {
        process.kill(pid, 'SIGSTOP');
        stopped = pid;
        const first = await Promise.race([failure(count()), new Promise((resolve) => setTimeout(() => resolve('stuck'), 8_000))]);
        expect(first).to.be.instanceOf(BitmapistOfflineError);
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (let i = 0; i < 3; i++) {
          expect(bm.reachable).to.equal(false);
          const next = await Promise.race([failure(count()), new Promise((resolve) => setTimeout(() => resolve('waited'), 500))]);
          expect(next).to.be.instanceOf(BitmapistOfflineError);
        }
        process.kill(pid, 'SIGCONT');
        stopped = undefined;
        while (!bm.reachable) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await count()).to.equal(BLOCKS);
      }
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      await bm.close();
      cluster.disconnect();
      for (const client of direct) client.disconnect();
    }
  });
});
