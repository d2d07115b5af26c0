import { expect } from 'chai';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import Koa from 'koa';
import { Bitmapist, trendCounts } from '../../src/index.js';
import { koaBitmapist } from '../../src/koa/index.js';
import { quiet } from '../koa/support.js';
import { countCommands, prng } from '../support/model.js';
import { testClusterNodes, uniquePrefix } from '../support/redis.js';

const SHARD_BITS = 8;
const BLOCK = 2 ** SHARD_BITS;
/** The blocks the tests mark in: enough to land on every master (checked in `before`). */
const BLOCKS = Array.from({ length: 30 }, (_, block) => block);
const now = new Date('2025-02-20T12:00:00Z');
const ascending = (ids: Iterable<number>) => [...new Set(ids)].sort((a, b) => a - b);

/**
 * ioredis's auto-pipelining files a `defineCommand` script under the slot of its first argument, the number of
 * keys, not under its first key: script calls for blocks on different masters then share one auto-pipeline,
 * which ioredis refuses whole ("All keys in the pipeline should belong to the same slots allocation group").
 * Every engine call here goes through a Cluster client with `enableAutoPipelining: true`, and its answers are
 * checked against an engine on a plain client over the same keys.
 */
describe('a Cluster client with enableAutoPipelining (sharded layout)', function () {
  this.timeout(60_000);
  let plain: Cluster;
  let auto: Cluster;
  let prefix: string;
  /** The engine under test, on the auto-pipelining client. */
  let bm: Bitmapist;
  /** The same prefix on a client without auto-pipelining. */
  let reference: Bitmapist;
  /** The master (port) owning each block of {@link BLOCKS}. */
  const ownerOfBlock = new Map<number, number>();

  before(async () => {
    plain = new Cluster(testClusterNodes());
    auto = new Cluster(testClusterNodes(), { enableAutoPipelining: true });
    await Promise.all([plain.ping(), auto.ping()]);
    const node = plain.nodes('master')[0]!;
    const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    for (const block of BLOCKS) {
      const slot = (await node.call('CLUSTER', 'KEYSLOT', `{${block}}`)) as number;
      ownerOfBlock.set(block, ranges.find(([from, to]) => slot >= from && slot <= to)![2][1]);
    }
    // The condition of the defect: calls of one tick for blocks on different masters.
    expect(new Set(ownerOfBlock.values()).size, 'the blocks span every master').to.equal(plain.nodes('master').length);
  });
  after(async () => {
    await Promise.all([plain.quit(), auto.quit()]);
  });
  beforeEach(() => {
    prefix = uniquePrefix('ap');
    bm = new Bitmapist({ redis: auto, keyPrefix: prefix, layout: 'sharded', shardBits: SHARD_BITS });
    reference = new Bitmapist({ redis: plain, keyPrefix: prefix, layout: 'sharded', shardBits: SHARD_BITS });
  });
  afterEach(async () => {
    await reference.deleteAllEvents();
  });

  /** The blocks in the registry, ascending. */
  const registered = async () => ascending((await plain.smembers(`${prefix}~blocks`)).map(Number));

  it('writes single marks, one at a time, in blocks on every master (and unmarks)', async () => {
    // One block per master, and per master one uid marked, then cleared, then marked again.
    const blocks = [...new Map([...ownerOfBlock].map(([block, port]) => [port, block])).values()];
    const uids = blocks.map((block) => block * BLOCK + 7);
    for (const uid of uids) await bm.markEvent('single', uid, { now });
    for (const uid of uids) await bm.unmarkEvent('single', uid, { now });
    expect(await reference.day('single', now).ids()).to.deep.equal([]);
    for (const uid of uids) await bm.markEvent('single', uid, { now });
    for (const uid of uids) await bm.markUnique('single', uid);
    expect(await reference.day('single', now).ids()).to.deep.equal(ascending(uids));
    expect(await reference.unique('single').ids()).to.deep.equal(ascending(uids));
    expect(await registered()).to.deep.equal(ascending(blocks));
  });

  it('writes many concurrent marks across blocks: one call per master and one SADD, every mark resolved', async () => {
    const uids = Array.from({ length: 300 }, (_, i) => BLOCKS[i % BLOCKS.length]! * BLOCK + ((i * 37) % BLOCK));
    const { names } = await countCommands(auto, () => Promise.all(uids.map((uid) => bm.markEvent('many', uid, { now }))));
    const masters = new Set(BLOCKS.map((block) => auto.slots[calculateSlot(`{${block}}`)]![0]));
    expect(names.filter((name) => name === 'evalsha')).to.have.length(masters.size);
    expect(names.filter((name) => name === 'sadd')).to.have.length(1);
    expect(await reference.day('many', now).ids()).to.deep.equal(ascending(uids));
    expect(await registered()).to.deep.equal(BLOCKS);
    for (const node of auto.nodes('master')) expect(node.stream.writableCorked, 'every socket uncorked').to.equal(0);
  });

  it('writes marks from 64 callers that each await their mark', async () => {
    const uids = Array.from({ length: 1500 }, (_, i) => (i * 7919) % (BLOCKS.length * BLOCK));
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < uids.length) await bm.markEvent('callers', uids[next++]!, { now });
      }),
    );
    expect(await reference.day('callers', now).ids()).to.deep.equal(ascending(uids));
  });

  it('imports with markEvents in bulk across blocks', async () => {
    const random = prng(2109);
    const marks = Array.from({ length: 3000 }, () => ({
      event: random() < 0.5 ? 'bulk:a' : 'bulk:b',
      uid: Math.floor(random() * BLOCKS.length * BLOCK),
      now: new Date(now.getTime() - Math.floor(random() * 10) * 86_400_000),
    }));
    expect(await bm.markEvents(marks)).to.equal(marks.length);
    for (const event of ['bulk:a', 'bulk:b']) {
      expect(await reference.month(event, now).ids()).to.deep.equal(ascending(marks.filter((mark) => mark.event === event).map((mark) => mark.uid)));
    }
  });

  it('reads (sets, a cohort, a funnel, trends, a lifecycle) answer like a client without auto-pipelining', async () => {
    const random = prng(77);
    const marks: { event: string; uid: number; now: Date }[] = [];
    for (let n = 0; n < 1500; n++) {
      const day = Math.floor(random() * 20);
      const uid = Math.floor(random() * BLOCKS.length * BLOCK);
      marks.push({ event: 'signup', uid, now: new Date(now.getTime() - day * 86_400_000) });
      for (let later = day - 1; later >= 0; later -= 1 + Math.floor(random() * 4)) {
        marks.push({ event: random() < 0.8 ? 'active' : 'buy', uid, now: new Date(now.getTime() - later * 86_400_000) });
      }
    }
    await reference.markEvents(marks);

    const answers = async (engine: Bitmapist) => ({
      count: await engine.month('active', now).count(),
      ids: await engine.day('signup', now).ids(),
      algebra: await engine.month('signup', now).and(engine.month('buy', now).not()).count(),
      has: await engine.month('active', now).has(marks[0]!.uid),
      cohort: await engine.getCohort('signup', 'active', { numRows: 20, numCols: 10, now }),
      recurring: await engine.getCohort('signup', 'active', { numRows: 20, numCols: 10, now, mode: 'recurring', additionalEvents: [{ name: 'buy', op: 'or' }] }),
      funnel: await engine.getFunnel(['signup', 'active', 'buy'], { periods: 20, window: 7, now }),
      trend: await trendCounts(engine, ['signup', 'active', 'buy'], { periods: 20, now }),
      lifecycle: await engine.getLifecycle('active', { periods: 14, now }),
      hasEvent: await engine.hasEvent('buy', [now]),
      exported: await engine.exportUser(marks[0]!.uid),
    });
    const expected = await answers(reference);
    expect(expected.count).to.be.above(0);
    expect(expected.cohort.totals.some((total) => total > 0)).to.equal(true);
    expect(await answers(bm)).to.deep.equal(expected);
  });

  it('the Koa plugin on an auto-pipelining Cluster writes every mark, with no error', async () => {
    const app = new Koa();
    const errors: unknown[] = [];
    app.on('error', (error: unknown) => errors.push(error));
    const plugin = koaBitmapist(app, { redis: auto, keyPrefix: prefix, layout: 'sharded', shardBits: SHARD_BITS, logger: quiet });
    const uids = Array.from({ length: 400 }, (_, i) => BLOCKS[i % BLOCKS.length]! * BLOCK + (i % BLOCK));
    try {
      for (const uid of uids) plugin.markEvent('plugin', uid, { now });
      expect(await plugin.flush(20_000), 'marks still queued').to.equal(0);
      expect(plugin.metrics).to.deep.include({ written: uids.length, dropped: 0, failed: 0 });
      expect(errors).to.deep.equal([]);
    } finally {
      await plugin.close();
    }
    expect(await reference.day('plugin', now).ids()).to.deep.equal(ascending(uids));
  });
});
