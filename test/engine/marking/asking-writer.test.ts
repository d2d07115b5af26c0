import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Bitmapist } from '../../../src/index.js';
import { countCommands } from '../../support/model.js';
import { deleteUnder, testRedisUrl, uniquePrefix } from '../../support/redis.js';

const now = new Date('2025-03-01T12:00:00Z');

/** One `map_ids` call as the gate sees it: its map shard and its place among the calls (1 = first). */
interface MapCall {
  shard: number;
  index: number;
}

/**
 * Holds back the replies of the client's id map calls over the real Redis: `hold(call)` returns a promise the
 * reply waits for (or undefined to let it through). Redis has run the call; only its answer is late, as when
 * the client is busy or the network slow.
 */
function gateMapAnswers(client: Redis, hold: (call: MapCall) => Promise<void> | undefined): void {
  const methods = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = methods.bitmapistMapIds!.bind(client);
  let index = 0;
  methods.bitmapistMapIds = (...args: unknown[]) => {
    const call = { shard: Number(/\{m(\d+)\}$/.exec(String(args[1]))![1]), index: ++index };
    return original(...args).then(async (reply) => {
      await hold(call);
      return reply;
    });
  };
}

describe('marks of mapped ids keep their issue order (sharded layout: integers asked of the map shards)', () => {
  let prefix: string;
  let client: Redis;
  let bm: Bitmapist<'mapped'>;
  beforeEach(async () => {
    prefix = uniquePrefix('order');
    client = new Redis(testRedisUrl());
    bm = new Bitmapist({ redis: client, keyPrefix: prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped' });
    await bm.markEvent('warm-up', 'someone', { now }); // the id mode is recorded: later writes need not wait for it
  });
  afterEach(async () => {
    await deleteUnder(client, prefix);
    client.disconnect();
  });

  it('an unmark issued while the id\'s mark waits for its shard is sent after it, though a lookup cached the id meanwhile', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const askedFirst = new Promise<void>((resolve) => (asked = resolve));
    gateMapAnswers(client, ({ index }) => {
      if (index !== 1) return undefined;
      asked();
      return held;
    });
    const marked = bm.markEvent('e', 'x', { now });
    await askedFirst;
    expect(await bm.idMap!.lookup('x')).to.be.a('number'); // Redis allocated it; the lookup caches it
    const unmarked = bm.unmarkEvent('e', 'x', { now });
    await new Promise((resolve) => setImmediate(resolve)); // the unmark's batch has been written, or is waiting
    release();
    await Promise.all([marked, unmarked]);
    expect(await bm.day('e', now).has('x')).to.equal(false);
  });

  it('a mark issued after an unmark that still waits for its shard\'s answer is sent after it, though the id is cached', async () => {
    await bm.markEvent('e', 'x', { now });
    bm.idMap!.invalidate('x'); // known in Redis, not cached here (as in a second process)
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    gateMapAnswers(client, ({ index }) => (index === 1 ? undefined : held));
    // Issue order: mark, unmark, mark: the id ends marked.
    const first = bm.markEvent('e', 'x', { now });
    const unmarked = bm.unmarkEvent('e', 'x', { now });
    await first; // its answer cached the id
    const last = bm.markEvent('e', 'x', { now });
    await last;
    release();
    await unmarked;
    expect(await bm.day('e', now).has('x')).to.equal(true);
  });

  it('answers of batches that come in one turn do not let a later mark of an id overtake an earlier unmark', async () => {
    await bm.markEvent('e', 'x', { now });
    bm.idMap!.invalidate('x');
    const other = Array.from({ length: 100 }, (_, i) => `z-${i}`).find((id) => bm.idMap!.shardOf(id) !== bm.idMap!.shardOf('x'))!;
    // x's shard answers once the other shard's answer has been handled, in the same turn of the event loop.
    let release!: () => void;
    const xAnswers = new Promise<void>((resolve) => (release = resolve));
    gateMapAnswers(client, ({ shard }) => {
      if (shard === bm.idMap!.shardOf('x')) return xAnswers;
      void (async () => {
        for (let hop = 0; hop < 50; hop++) await null;
        release();
      })();
      return undefined;
    });
    const unmarked = bm.unmarkEvent('e', 'x', { now }); // a batch of its own
    const marked = [bm.markEvent('e', 'x', { now }), bm.markEvent('e', other, { now })]; // the next batch
    await Promise.all([unmarked, ...marked]);
    expect(await bm.day('e', now).has('x')).to.equal(true);
    expect(await bm.day('e', now).has(other)).to.equal(true);
  });

  it('marks of one bit of an id waiting for its shard all go in one write, not one after another', async () => {
    const events = ['a', 'b', 'c', 'd'];
    const { names } = await countCommands(client, () => bm.markEvents(events.map((event) => ({ event, uid: 'new-user', now }))));
    expect(names.filter((name) => name === 'evalsha' || name === 'eval')).to.have.length(2); // its shard, then the marks
    for (const event of events) expect(await bm.day(event, now).has('new-user')).to.equal(true);
  });
});

for (const layout of ['compatible', 'sharded'] as const) {
  describe(`marks of mapped ids keep their issue order (${layout} layout, batches of known and new ids)`, () => {
    it('a mark of a cached id in a batch with a new id is not overtaken by a later unmark of the cached id', async () => {
      const prefix = uniquePrefix('order');
      const client = new Redis(testRedisUrl());
      const bm = new Bitmapist({ redis: client, keyPrefix: prefix, layout, shardBits: 8, userIds: 'mapped' });
      try {
        await bm.markEvent('e', 'x', { now });
        await bm.unmarkEvent('e', 'x', { now }); // x is cached, and unmarked
        // One tick: mark x with a new id (one batch), then unmark x (the next): x ends unmarked.
        const marks = [bm.markEvent('e', 'x', { now }), bm.markEvent('e', 'new', { now })];
        const unmarked = bm.unmarkEvent('e', 'x', { now });
        await Promise.all([...marks, unmarked]);
        expect(await bm.day('e', now).has('x')).to.equal(false);
        expect(await bm.day('e', now).has('new')).to.equal(true);
      } finally {
        await deleteUnder(client, prefix);
        client.disconnect();
      }
    });
  });
}
