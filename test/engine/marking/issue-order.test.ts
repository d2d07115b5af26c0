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

describe('issue order: mapped ids in the sharded layout (integers asked of the map shards)', () => {
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

  it('marks of one bit of an id waiting behind its unmark are located and written together, not one by one', async () => {
    const events = Array.from({ length: 20 }, (_, i) => `e${i}`);
    const { names } = await countCommands(client, () =>
      Promise.all([bm.unmarkEvent('e0', 'new-user', { now }), ...events.map((event) => bm.markEvent(event, 'new-user', { now }))]),
    );
    // The unmark asks its shard (an id never seen: nothing to clear); the marks then ask once and are written once.
    expect(names.filter((name) => name === 'evalsha' || name === 'eval')).to.have.length(3);
    for (const event of events) expect(await bm.day(event, now).has('new-user')).to.equal(true);
  });
});

for (const layout of ['compatible', 'sharded'] as const) {
  describe(`issue order: mapped ids, ${layout} layout, batches of cached and new ids`, () => {
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

for (const [layout, userIds, x] of [
  ['compatible', 'mapped', 'x'],
  ['sharded', 'mapped', 'x'],
  ['compatible', 'integers', 5],
  ['sharded', 'integers', 5],
] as const) {
  describe(`issue order: ${userIds === 'mapped' ? 'mapped' : 'integer'} ids, ${layout} layout, new instances and bulk imports`, () => {
    let prefix: string;
    let client: Redis;
    beforeEach(async () => {
      prefix = uniquePrefix('order');
      client = new Redis(testRedisUrl());
      // The prefix's id mode and time zone are recorded: a new instance's checks read them.
      await new Bitmapist({ redis: client, keyPrefix: prefix, layout, userIds }).markEvent('warm-up', x, { now });
    });
    afterEach(async () => {
      await deleteUnder(client, prefix);
      client.disconnect();
    });

    it('a batch waiting for a new instance\'s first checks is not overtaken by one issued as they pass', async () => {
      // The unmark is issued 0 to 30 microtasks after the check's read is answered, so that one of them comes
      // while the check has passed but the mark's batch has not been sent yet.
      const get = client.get.bind(client);
      let answered: (() => void) | undefined;
      client.get = ((...args: Parameters<typeof get>) =>
        get(...args).then((value) => {
          const hook = answered;
          answered = undefined;
          hook?.();
          return value;
        })) as typeof client.get;
      for (let hops = 0; hops <= 30; hops++) {
        const bm = new Bitmapist({ redis: client, keyPrefix: prefix, layout, userIds }) as unknown as Bitmapist<'mapped'>;
        const event = `e${hops}`;
        let unmarked: Promise<void> | undefined;
        answered = () => {
          void (async () => {
            for (let hop = 0; hop < hops; hop++) await null;
            unmarked = bm.unmarkEvent(event, x as never, { now });
          })();
        };
        await bm.markEvent(event, x as never, { now });
        while (unmarked === undefined) await new Promise((resolve) => setImmediate(resolve));
        await unmarked;
        expect(await bm.day(event, now).has(x as never), `unmark issued ${hops} microtasks after the check's read`).to.equal(false);
        await bm.close();
      }
    });

    it('a bulk import issued after a mark or unmark lands after it', async () => {
      const bm = new Bitmapist({ redis: client, keyPrefix: prefix, layout, userIds }) as unknown as Bitmapist<'mapped'>;
      await bm.markEvent('e', x as never, { now });
      const unmarked = bm.unmarkEvent('e', x as never, { now });
      const imported = bm.markEvents([{ event: 'e', uid: x as never, now }]);
      await Promise.all([unmarked, imported]);
      expect(await bm.day('e', now).has(x as never)).to.equal(true);
    });
  });
}

describe('batches waiting for a new instance\'s first checks', () => {
  it('share one attempt of the check: a refused id mode is read once, not once per batch', async () => {
    const prefix = uniquePrefix('order');
    const client = new Redis(testRedisUrl());
    try {
      await new Bitmapist({ redis: client, keyPrefix: prefix, layout: 'sharded', userIds: 'mapped' }).markEvent('e', 'someone', { now });
      const integers = new Bitmapist({ redis: client, keyPrefix: prefix, layout: 'sharded' }); // its check starts now
      const { result, names } = await countCommands(client, async () => {
        const marks: Promise<unknown>[] = [];
        for (let uid = 0; uid < 10; uid++) {
          marks.push(integers.markEvent('e', uid, { now }).catch((error: unknown) => error));
          await Promise.resolve(); // a batch of its own
          await Promise.resolve();
        }
        return Promise.all(marks);
      });
      for (const error of result) expect((error as Error).name).to.equal('BitmapistIdModeError');
      expect(names.filter((name) => name === 'get').length).to.be.at.most(1);
      await integers.close();
    } finally {
      await deleteUnder(client, prefix);
      client.disconnect();
    }
  });
});
