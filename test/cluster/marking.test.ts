import { expect } from 'chai';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, ReplyError } from 'ioredis';
import { Bitmapist, BitmapistArgumentError, BitmapistKeyTypeError } from '../../src/index.js';
import { CLUSTER_LINGER } from '../../src/engine/marking/marker.js';
import { runScript } from '../../src/engine/redis/scripts.js';
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
    // Lets go of the shared client's events (the client stays open).
    await bm.close();
    // Keys the tests write themselves (a planted hash, direct script calls) are not in the block registry.
    for (const node of cluster.nodes('master')) {
      const left = await node.keys(`${prefix}*`);
      if (left.length > 0) await Promise.all(left.map((key) => node.del(key)));
    }
  });

  /** The port of the master serving a key's slot. */
  async function ownerOf(key: string): Promise<number> {
    const node = cluster.nodes('master')[0]!;
    const slot = (await node.call('CLUSTER', 'KEYSLOT', key)) as number;
    const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
  }

  /** Blocks 0..59 by the port of the master serving them. */
  async function blocksByMaster(): Promise<Map<number, number[]>> {
    const byMaster = new Map<number, number[]>();
    for (let block = 0; block < 60; block += 1) {
      const port = await ownerOf(`{${block}}`);
      byMaster.set(port, [...(byMaster.get(port) ?? []), block]);
    }
    return byMaster;
  }

  /** The script calls `work` issues through the cluster client: their number of keys and arguments. */
  async function scriptCalls(work: () => Promise<unknown>): Promise<(string | number)[][]> {
    const calls: (string | number)[][] = [];
    const original = cluster.sendCommand;
    cluster.sendCommand = function (this: Cluster, command: { name: string; args: (string | number)[] }, ...rest: unknown[]) {
      if (command.name === 'evalsha' || command.name === 'eval') calls.push(command.args.slice(1).map(String));
      return (original as (...a: unknown[]) => unknown).call(this, command, ...rest);
    } as typeof cluster.sendCommand;
    try {
      await work();
    } finally {
      cluster.sendCommand = original;
    }
    return calls;
  }

  it("writes a tick's marks with one script call per master and one SADD, each master's calls in one write", async () => {
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
    const masters = new Set(await Promise.all(Array.from({ length: 10 }, (_, block) => ownerOf(`{${block}}`))));
    expect(names.filter((name) => name === 'sadd')).to.have.length(1);
    expect(names.filter((name) => name === 'evalsha')).to.have.length(masters.size);
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
      // CLUSTER_LINGER.maxInFlight batches in flight, held by the silent master, each issued in a turn of its own.
      const held = Array.from({ length: CLUSTER_LINGER.maxInFlight }, (_, i) => i + 1);
      const silentMarks: Promise<void>[] = [];
      for (const i of held) {
        silentMarks.push(track(`silent ${i}`, bm.markEvent('e', silentBlock * 256 + i, { now })));
        await nextTurn();
      }
      // The next mark lingers, at most CLUSTER_LINGER.maxMs, then goes on its own and is answered while the
      // master is still silent.
      await track('live', bm.markEvent('e', liveBlock * 256 + 100, { now }));
      expect(settled).to.deep.equal(['live']);
      await control.call('CLIENT', 'UNPAUSE');
      await Promise.all(silentMarks);
      expect(settled).to.have.members(['live', ...held.map((i) => `silent ${i}`)]);
      expect(await bm.day('e', now).ids()).to.deep.equal(
        [...held.map((i) => silentBlock * 256 + i), liveBlock * 256 + 100].sort((a, b) => a - b),
      );
    } finally {
      await control.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      control.disconnect();
    }
  });

  /**
   * Runs `work` with two blocks x and y of different masters, while the client believes y's slot is served by
   * x's master, as after a resharding it has not heard of.
   */
  async function withStaleSlot<T>(work: (x: number, y: number) => Promise<T>): Promise<{ x: number; y: number; value: T }> {
    const [onX, onY] = [...(await blocksByMaster()).values()] as [number[], number[]];
    const [x, y] = [onX[0]!, onY[0]!];
    const slotY = calculateSlot(`{${y}}`);
    const saved = cluster.slots[slotY]!;
    cluster.slots[slotY] = cluster.slots[calculateSlot(`{${x}}`)]!;
    try {
      return { x, y, value: await work(x, y) };
    } finally {
      cluster.slots[slotY] = saved;
    }
  }

  it('a block the client places on the wrong master is left out there, and sent again on its own', async () => {
    const { x, y, value: calls } = await withStaleSlot((x, y) =>
      scriptCalls(() => Promise.all([bm.markEvent('e', x * 256 + 1, { now }), bm.markEvent('e', y * 256 + 2, { now })])),
    );
    const blocksNamed = (args: (string | number)[]) => [x, y].filter((block) => args.some((arg) => String(arg).startsWith(`${prefix}{${block}}`)));
    // One call to x's master for both blocks (one declared key, two blocks), which writes x and leaves y out;
    // then y alone, which ioredis routes and redirects.
    expect([calls[0]![0], calls[0]![4]]).to.deep.equal(['1', '2']);
    expect(calls.map(blocksNamed)).to.deep.equal([[x, y], [y]]);
    expect(await bm.day('e', now).ids()).to.deep.equal([x * 256 + 1, y * 256 + 2].sort((a, b) => a - b));
  });

  it("a block sent again settles on its own: its failure rejects only its marks, and the master's other blocks do not wait for it", async () => {
    const method = cluster.bitmapistMark;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The call that sends y again (one mark: the single-mark script) answers late, and with a refusal.
    cluster.bitmapistMark = (() => held.then(() => Promise.reject(new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot')))) as unknown as typeof method;
    try {
      const { x, value } = await withStaleSlot(async (x, y) => {
        const markX = bm.markEvent('e', x * 256 + 1, { now });
        const markY = bm.markEvent('e', y * 256 + 2, { now });
        await markX; // while y's call is still held
        release();
        return Promise.allSettled([markX, markY]);
      });
      expect(value.map((outcome) => outcome.status)).to.deep.equal(['fulfilled', 'rejected']);
      expect(String((value[1] as PromiseRejectedResult).reason)).to.contain('TRYAGAIN');
      expect(await bm.day('e', now).ids()).to.deep.equal([x * 256 + 1]);
    } finally {
      cluster.bitmapistMark = method;
    }
  });

  it('marks and unmarks of a block land in issue order, also when the block is sent again after a master left it out', async () => {
    // One tick: y's mark rides the call to x's master, which leaves it out; the unmark issued after it is a call
    // of its own, redirected by ioredis, and must not land before the mark is sent again.
    const { x } = await withStaleSlot((x, y) =>
      Promise.all([
        bm.markEvent('e', x * 256 + 1, { now }),
        bm.markEvent('e', y * 256 + 2, { now }),
        bm.unmarkEvent('e', y * 256 + 2, { now }),
        bm.unmarkEvent('e', x * 256 + 1, { now }),
        bm.markEvent('e', x * 256 + 1, { now }),
      ]),
    );
    expect(await bm.day('e', now).ids()).to.deep.equal([x * 256 + 1]);
  });

  it('a write of a block waits for what its earlier write of the same bit waits for (a full batch between a mark and an unmark)', async () => {
    // One tick, one block: mark y; unmark x (waits for y's mark); a full batch of other marks (waits for the
    // unmark); mark x, the last word on x: it must not go before the unmark.
    const others = Array.from({ length: 500 }, (_, i) => 10 + i);
    await Promise.all([
      bm.markEvent('e', 2, { now }),
      bm.unmarkEvent('e', 1, { now }),
      ...others.map((uid) => bm.markEvent('e', uid, { now })),
      bm.markEvent('e', 1, { now }),
    ]);
    expect(await bm.day('e', now).has(1)).to.equal(true);
    expect(await bm.day('e', now).count()).to.equal(502);
  });

  it("a block with a key of another type is left out whole; the master's other blocks are written", async () => {
    const [a, b] = [...(await blocksByMaster()).values()].find((blocks) => blocks.length >= 2)!;
    const dayKey = (block: number) => `${prefix}{${block}}e_2025-2-20`;
    await cluster.hset(dayKey(a!), 'f', 'v');
    const calls = await scriptCalls(async () => {
      const [refused, written] = await Promise.allSettled([bm.markEvent('e', a! * 256 + 1, { now }), bm.markEvent('e', b! * 256 + 2, { now })]);
      expect(refused.status).to.equal('rejected');
      const error = (refused as PromiseRejectedResult).reason as BitmapistKeyTypeError;
      expect(error).to.be.instanceOf(BitmapistKeyTypeError);
      expect([error.key, error.type]).to.deep.equal([dayKey(a!), 'hash']);
      expect(written.status).to.equal('fulfilled');
    });
    expect(calls).to.have.length(1);
    expect(await cluster.exists(`${prefix}{${a}}e_2025-2`)).to.equal(0);
    expect(await bm.month('e', now).ids()).to.deep.equal([b! * 256 + 2]);
    expect(await cluster.hgetall(dayKey(a!))).to.deep.equal({ f: 'v' });
  });

  it('a Cluster that cannot run the per-master script gets a call per block, then and from then on', async () => {
    const [, blocks] = [...(await blocksByMaster())].find(([, on]) => on.length >= 2)!;
    const [a, b] = blocks as [number, number];
    const method = cluster.bitmapistMarkNode;
    let refusedCalls = 0;
    // What Redis 6, which has no script flags, answers to the script's first line.
    cluster.bitmapistMarkNode = (() => {
      refusedCalls += 1;
      return Promise.reject(new ReplyError("ERR Error compiling script (new function): user_script:1: unexpected symbol near '#'"));
    }) as unknown as typeof method;
    try {
      const first = await scriptCalls(() => Promise.all([bm.markEvent('e', a * 256 + 1, { now }), bm.markEvent('e', b * 256 + 2, { now })]));
      const second = await scriptCalls(() => Promise.all([bm.markEvent('e', a * 256 + 3, { now }), bm.markEvent('e', b * 256 + 4, { now })]));
      expect([refusedCalls, first.length, second.length]).to.deep.equal([1, 2, 2]);
    } finally {
      cluster.bitmapistMarkNode = method;
    }
    expect(await bm.day('e', now).ids()).to.deep.equal([a * 256 + 1, a * 256 + 3, b * 256 + 2, b * 256 + 4].sort((p, q) => p - q));
  });

  describe('the mark_node script', () => {
    it('refuses malformed calls before its first write', async () => {
      const [, [a, b]] = [...(await blocksByMaster())].find(([, on]) => on.length >= 2)! as [number, number[]];
      const k = (block: number, suffix: string) => `${prefix}{${block}}e_${suffix}`;
      const [a1, a2, b1] = [k(a!, '2025-2'), k(a!, '2025-2-20'), k(b!, '2025-2-20')];
      const call = (...args: (string | number)[]) => runScript(cluster.bitmapistMarkNode(1, a1, ...args));
      const good = [2, a1, a2, 1, '1,2', '5', 1, b1, 1, '1', '7'];
      const malformed: (string | number)[][] = [
        [2, 255, 2, ...good], // bit
        [1, 'x', 2, ...good], // max offset
        [1, 255, 0], // no block
        [1, 255, 3, ...good], // fewer blocks than said
        [1, 255, 1, ...good], // arguments past the last block
        [1, 255, 2, 0, 1, '1', '5', 1, b1, 1, '1', '7'], // a block without bitmaps
        [1, 255, 2, 2, a1, a2, 0, 1, b1, 1, '1', '7'], // a block without groups
        [1, 255, 2, 2, a1, a2, 1, '1,3', '5', 1, b1, 1, '1', '7'], // key index past the block's bitmaps
        [1, 255, 2, 2, a1, a2, 1, '1,2', '5', 1, b1, 1, '1', '256'], // offset past the max, in the last block
        [1, 255, 2, 2, a1, a2, 1, '1,2', '05', 1, b1, 1, '1', '7'],
        [1, 255, 2, 2, a1, a2, 1, '1,2', '5', 1, b1, 1, '1', ''],
      ];
      for (const args of malformed) {
        try {
          await call(...args);
          expect.fail(`accepted ${JSON.stringify(args)}`);
        } catch (error) {
          expect(error, JSON.stringify(args)).to.be.instanceOf(BitmapistArgumentError);
        }
      }
      for (const key of [a1, a2, b1]) expect(await cluster.exists(key), key).to.equal(0);
      // Two keys declared: the Cluster refuses it before the script runs (CROSSSLOT), or the script does.
      await runScript(cluster.bitmapistMarkNode(2, a1, a2, 1, 255, 2, ...good)).then(() => expect.fail('accepted two keys'), () => undefined);
      expect(await call(1, 255, 2, ...good)).to.deep.equal([2]);
      // Block a's group sets offset 5 in its month and day bitmaps; block b's sets offset 7 in its day bitmap.
      const bits = await Promise.all([[a1, 5], [a2, 5], [b1, 7], [a2, 7], [b1, 5]].map(([key, offset]) => cluster.getbit(key as string, offset as number)));
      expect(bits).to.deep.equal([1, 1, 1, 0, 0]);
      expect(await Promise.all([a1, a2, b1].map((key) => cluster.bitcount(key)))).to.deep.equal([1, 1, 1]);
    });
  });
});
