import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { CLUSTER_LINGER } from '../../src/engine/marking/marker.js';
import { countCommands } from '../support/model.js';
import { testClusterNodes, uniquePrefix } from '../support/redis.js';

/** Lets the current turn of the event loop end (the batcher sends a Cluster's marks at the next one). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('marking on Redis Cluster (sharded layout)', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let bm: Bitmapist;
  let prefix: string;
  const now = new Date('2025-02-20T12:00:00Z');

  before(async () => {
    cluster = new Cluster(testClusterNodes());
    await cluster.ping();
  });
  after(() => cluster.quit());
  beforeEach(async () => {
    prefix = uniquePrefix('clm');
    bm = new Bitmapist({ redis: cluster, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
    await Promise.all(cluster.nodes('master').map((node) => node.ping()));
  });
  afterEach(async () => {
    await bm.deleteAllEvents();
  });

  /** The port of the master serving a key's slot. */
  async function ownerOf(key: string): Promise<number> {
    const node = cluster.nodes('master')[0]!;
    const slot = (await node.call('CLUSTER', 'KEYSLOT', key)) as number;
    const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
  }

  it("writes a tick's marks with one script call per block and one SADD, each master's calls in one write", async () => {
    const uids = Array.from({ length: 64 }, (_, i) => (i % 10) * 256 + i);
    // Counts what ioredis writes to a master's socket while it is not corked (one write per call otherwise).
    const uncorked = new Map<number, number>();
    const restore: (() => void)[] = [];
    for (const node of cluster.nodes('master')) {
      const { stream } = node;
      const write = stream.write;
      uncorked.set(node.options.port!, 0);
      stream.write = function (this: typeof stream, ...args: unknown[]) {
        if (stream.writableCorked === 0) uncorked.set(node.options.port!, uncorked.get(node.options.port!)! + 1);
        return (write as (...a: unknown[]) => boolean).apply(this, args);
      } as typeof stream.write;
      restore.push(() => (stream.write = write));
    }
    let names: string[];
    try {
      ({ names } = await countCommands(cluster, () => Promise.all(uids.map((uid) => bm.markEvent('e', uid, { now })))));
    } finally {
      for (const undo of restore) undo();
    }
    expect(names.filter((name) => name === 'sadd')).to.have.length(1);
    expect(names.filter((name) => name === 'evalsha')).to.have.length(10);
    expect([...uncorked.values()]).to.deep.equal(cluster.nodes('master').map(() => 0));
    expect(await bm.day('e', now).ids()).to.deep.equal([...uids].sort((a, b) => a - b));
    expect((await cluster.smembers(`${prefix}~blocks`)).map(Number).sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const node of cluster.nodes('master')) expect(node.stream.writableCorked, 'every socket uncorked').to.equal(0);
  });

  it('writes a lone mark at once: one script call and one SADD, no linger', async () => {
    const { names } = await countCommands(cluster, () => bm.markEvent('e', 300, { now }));
    expect(names).to.deep.equal(['sadd', 'evalsha']);
    expect(await bm.day('e', now).ids()).to.deep.equal([300]);
  });

  it('marks from 64 callers at random ids over 10 blocks all land, with fewer calls than marks', async () => {
    let next = 0;
    const uids = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 2560);
    const { names } = await countCommands(cluster, () =>
      Promise.all(Array.from({ length: 64 }, async () => {
        while (next < uids.length) await bm.markEvent('many', uids[next++]!, { now });
      })),
    );
    expect(await bm.day('many', now).ids()).to.deep.equal([...new Set(uids)].sort((a, b) => a - b));
    expect(names.filter((name) => name === 'evalsha').length).to.be.below(uids.length);
  });

  it('a master that does not answer holds back only its own blocks: the others wait at most the linger', async () => {
    // The registry's master answers every batch (its SADD), so the silent master is another one.
    const registryPort = await ownerOf(`${prefix}~blocks`);
    const owners = new Map<number, number>();
    for (let block = 0; block < 60; block += 1) owners.set(block, await ownerOf(`{${block}}`));
    const silentPort = [...new Set(owners.values())].find((port) => port !== registryPort)!;
    const silentBlock = [...owners].find(([, port]) => port === silentPort)![0];
    const liveBlock = [...owners].find(([, port]) => port !== silentPort)![0];
    const silent = cluster.nodes('master').find((node) => node.options.port === silentPort)!;
    const control = new Redis({ host: silent.options.host, port: silentPort });
    const settled: string[] = [];
    const track = (name: string, promise: Promise<void>) => promise.then(() => void settled.push(name));
    try {
      // Write commands wait, unanswered, until CLIENT UNPAUSE (or 60 s).
      await control.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      const first = track('first', bm.markEvent('e', silentBlock * 256 + 1, { now }));
      await nextTurn();
      const second = track('second', bm.markEvent('e', silentBlock * 256 + 2, { now }));
      await nextTurn();
      // CLUSTER_LINGER.maxInFlight batches are in flight, held by the silent master: the next mark lingers,
      // at most CLUSTER_LINGER.maxMs, then goes on its own and is answered while the master is still silent.
      expect(CLUSTER_LINGER.maxInFlight).to.equal(2);
      await track('live', bm.markEvent('e', liveBlock * 256 + 3, { now }));
      expect(settled).to.deep.equal(['live']);
      await control.call('CLIENT', 'UNPAUSE');
      await Promise.all([first, second]);
      expect(settled).to.have.members(['live', 'first', 'second']);
      expect(await bm.day('e', now).ids()).to.deep.equal(
        [silentBlock * 256 + 1, silentBlock * 256 + 2, liveBlock * 256 + 3].sort((a, b) => a - b),
      );
    } finally {
      await control.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      control.disconnect();
    }
  });
});
