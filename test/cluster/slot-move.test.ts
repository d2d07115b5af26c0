import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { startRedisCluster, type RedisCluster } from '../../src/testing/index.js';

const PREFIX = 'bmtest_slotmove_';

/** Resolves once `condition()` holds, asking again after each short pause. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('marking on Redis Cluster while a slot moves (sharded layout)', function () {
  this.timeout(60_000);
  let redisCluster: RedisCluster;

  // A cluster of its own: the test moves a slot, which must not leak into the other Cluster tests.
  before(async () => {
    redisCluster = await startRedisCluster({ masters: 3 });
  });
  after(() => redisCluster?.stop());

  it("a batch sent to the master taking a slot in leaves that slot's block out: no copy of a bitmap still on the other master", async () => {
    // A block held back while its keys are split between the masters is retried (TRYAGAIN) until the move
    // ends, however long that takes here.
    const cluster = new Cluster(redisCluster.nodes, { maxRedirections: 10_000 });
    const direct = redisCluster.nodes.map((node) => new Redis(node.port, node.host));
    const bm = new Bitmapist({ redis: cluster, keyPrefix: PREFIX, layout: 'sharded', shardBits: 8 });
    try {
      const ids = await Promise.all(direct.map(async (node) => String(await node.call('CLUSTER', 'MYID'))));
      const slotOf = async (key: string) => Number(await direct[0]!.call('CLUSTER', 'KEYSLOT', key));
      const ownerOf = async (slot: number) => {
        const ranges = (await direct[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const port = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
        return redisCluster.nodes.findIndex((node) => node.port === port);
      };
      // 2025-01-31 and 2025-02-01 share ISO week 2025-W05: a mark of the second day writes the week's bitmap,
      // which exists already, beside a new month and a new day.
      const jan31 = new Date('2025-01-31T10:00:00Z');
      const feb1 = new Date('2025-02-01T10:00:00Z');
      const block = 32;
      await bm.markEvent('e', block * 256 + 1, { now: jan31 });
      const slot = await slotOf(`{${block}}`);
      const from = await ownerOf(slot);
      const to = (from + 1) % direct.length;
      let mate = 0;
      while (mate === block || (await ownerOf(await slotOf(`{${mate}}`))) !== from) mate += 1;
      const keysOf = async (node: number) => ((await direct[node]!.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]).sort();
      const moving = await keysOf(from);
      expect(moving).to.have.length(3);

      // The slot starts to move (as `redis-cli --cluster reshard` does it), no key moved yet.
      await direct[to]!.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[from]!);
      await direct[from]!.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[to]!);
      // One turn, two blocks of one master: one call, routed by a new bitmap of the moving block, so the master
      // moving the slot out sends it (ASK) to the one taking it in.
      const marks = Promise.all([bm.markEvent('e', block * 256 + 2, { now: feb1 }), bm.markEvent('e', mate * 256 + 2, { now: feb1 })]);
      // The call has run once the other block's mark is on its master.
      const mateDay = `${PREFIX}{${mate}}e_2025-2-1`;
      await until(async () => (await direct[from]!.getbit(mateDay, 2)) === 1);
      expect(await keysOf(to), 'keys written on the master taking the slot in').to.deep.equal([]);

      // The move ends: every key of the slot goes over (MIGRATE refuses a key the target holds already).
      await direct[from]!.migrate(redisCluster.nodes[to]!.host, redisCluster.nodes[to]!.port, '', 0, 5000, 'KEYS', ...moving);
      for (const node of [to, from, ...direct.keys()]) await direct[node]!.call('CLUSTER', 'SETSLOT', slot, 'NODE', ids[to]!);
      await marks;

      expect(await keysOf(from)).to.deep.equal([]);
      expect(await keysOf(to)).to.deep.equal([...moving, `${PREFIX}{${block}}e_2025-2`, `${PREFIX}{${block}}e_2025-2-1`].sort());
      expect(await bm.week('e', feb1).ids()).to.deep.equal([mate * 256 + 2, block * 256 + 1, block * 256 + 2].sort((a, b) => a - b));
      expect(await bm.day('e', feb1).ids()).to.deep.equal([mate * 256 + 2, block * 256 + 2].sort((a, b) => a - b));
      expect(await bm.month('e', jan31).ids()).to.deep.equal([block * 256 + 1]);
    } finally {
      await bm.close();
      cluster.disconnect();
      for (const node of direct) node.disconnect();
    }
  });
  it('a call that reaches a master by ASK once its routing slot has settled leaves out a block of the next slot it takes in', async () => {
    // As ioredis sends it after an ASK: ASKING, then the script, when the move of the routing key's slot has ended
    // meanwhile and the reshard has begun to move the next slot: the client's ASKING holds for the whole script.
    const script = readFileSync(new URL('../../lua/mark_node.lua', import.meta.url), 'utf8');
    const direct = redisCluster.nodes.map((node) => new Redis(node.port, node.host));
    try {
      const ids = await Promise.all(direct.map(async (node) => String(await node.call('CLUSTER', 'MYID'))));
      const slotOf = async (key: string) => Number(await direct[0]!.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await direct[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const ownerOf = (slot: number) => redisCluster.nodes.findIndex((node) => node.port === ranges.find(([from, to]) => slot >= from && slot <= to)![2][1]);
      const [from, to] = [0, 1];
      let [settled, moving] = [0, 0];
      while (ownerOf(await slotOf(`{${settled}}`)) !== to) settled += 1;
      while (ownerOf(await slotOf(`{${moving}}`)) !== from) moving += 1;
      const key = (block: number, suffix: string) => `${PREFIX}race{${block}}e_${suffix}`;
      const slot = await slotOf(`{${moving}}`);
      // The moving block's week bitmap is on the master moving the slot out.
      await direct[from]!.setbit(key(moving, 'W'), 5, 1);
      await direct[to]!.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[from]!);
      await direct[from]!.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[to]!);
      try {
        const blocks = [settled, moving].flatMap((block) => [2, key(block, 'D'), key(block, 'W'), 1, '1,2', '7']);
        const replies = await direct[to]!.pipeline().call('ASKING').eval(script, 1, key(settled, 'D'), 1, 1000, 2, ...blocks).exec();
        const [error, reply] = replies![1]!;
        expect(error).to.equal(null);
        // The settled block's mark is written; the moving block is left out whole (block 2, group 0, its first key).
        expect((reply as unknown[]).slice(0, 4)).to.deep.equal([1, 2, 0, 1]);
        expect(await direct[to]!.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)).to.deep.equal([]);
        expect(await direct[to]!.getbit(key(settled, 'W'), 7)).to.equal(1);
      } finally {
        for (const node of [to, from, ...direct.keys()]) await direct[node]!.call('CLUSTER', 'SETSLOT', slot, 'STABLE');
        await direct[from]!.del(key(moving, 'W'));
        await direct[to]!.del(key(settled, 'D'), key(settled, 'W'));
      }
    } finally {
      for (const node of direct) node.disconnect();
    }
  });
});
