import { expect } from 'chai';
import {
  Bitmapist,
  BitmapistArgumentError,
  BitmapistIdModeError,
  BitmapistLimitError,
  BitmapistWrongTypeError,
  IdMap,
  KeyNames,
  MAX_MAPPED_ID_LENGTH,
} from '../../../src/index.js';
import { countCommands } from '../../support/model.js';
import { expectSameCohorts, randomMarks } from '../support/mapped-marks.js';
import { keysUnder, testBitmapist, testRedisUrl } from '../../support/redis.js';

const now = new Date('2025-02-20T12:00:00Z');
const uuidA = '3f2b6c1e-8a4d-4f7e-9b21-0c5d6e7f8a90';
const uuidB = 'b7e1d2c3-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const objectId = '507f1f77bcf86cd799439011';

for (const layout of ['compatible', 'sharded'] as const) {
  describe(`mapped user ids (${layout} layout)`, () => {
    let t: ReturnType<typeof testBitmapist>;
    let bm: Bitmapist<'mapped'>;
    const mapped = (extra: { maxMappedIds?: number; keyPrefix?: string } = {}) =>
      new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 8, userIds: 'mapped', ...extra });
    beforeEach(() => {
      t = testBitmapist();
      bm = mapped();
    });
    afterEach(() => t.cleanup());

    it('marks UUID, ObjectId and arbitrary string ids and reads them back in order of first sight', async () => {
      await bm.markEvent('login', uuidA, { now });
      await bm.markEvent('login', objectId, { now });
      await bm.markEvent('login', 'ünïcødé, with commas & {braces}', { now });
      await bm.markEvent('login', uuidA, { now });
      await bm.markEvent('buy', objectId, { now });
      const firstSight = [uuidA, objectId, 'ünïcødé, with commas & {braces}'];
      // One map gives order of first sight; the sharded layout's stride shards, ascending internal integers.
      const integers = await Promise.all(firstSight.map((id) => bm.idMap!.lookup(id)));
      const ascending = layout === 'compatible' ? firstSight : firstSight.map((id, i) => ({ id, n: integers[i]! })).sort((x, y) => x.n - y.n).map(({ id }) => id);
      expect(await bm.day('login', now).ids()).to.deep.equal(ascending);
      if (layout === 'compatible') expect(integers).to.deep.equal([0, 1, 2]);
      expect(await bm.day('login', now).count()).to.equal(3);
      expect(await bm.day('login', now).has(uuidA)).to.equal(true);
      expect(await bm.day('buy', now).has(uuidA)).to.equal(false);
      expect(await bm.day('login', now).and(bm.day('buy', now)).ids()).to.deep.equal([objectId]);
      expect(await bm.day('login', now).and(bm.day('buy', now).not()).ids()).to.deep.equal([
        uuidA,
        'ünïcødé, with commas & {braces}',
      ]);
    });

    it('treats 42, 42n and "42" as one user', async () => {
      await bm.markEvent('login', 42, { now });
      await bm.markEvent('login', 42n, { now });
      await bm.markEvent('login', '42', { now });
      expect(await bm.day('login', now).ids()).to.deep.equal(['42']);
      expect(await bm.day('login', now).has(42n)).to.equal(true);
      expect(await bm.idMap!.lookup(42)).to.be.a('number');
    });

    it('allocates nothing for has() of an unknown id, and an unmark of one writes nothing', async () => {
      await bm.markEvent('login', uuidA, { now });
      const before = await keysUnder(t.raw, t.prefix);
      expect(await bm.day('login', now).has(uuidB)).to.equal(false);
      expect(await bm.day('login', now).not().has(uuidB)).to.equal(false);
      await bm.unmarkEvent('login', uuidB, { now });
      expect(await keysUnder(t.raw, t.prefix)).to.deep.equal(before);
      expect(await bm.idMap!.lookup(uuidB)).to.equal(undefined);
      await bm.unmarkEvent('login', uuidA, { now });
      expect(await bm.day('login', now).ids()).to.deep.equal([]);
    });

    it('refuses bad ids with a BitmapistArgumentError and writes nothing', async () => {
      const bad: unknown[] = ['', 'x'.repeat(MAX_MAPPED_ID_LENGTH + 1), 'a\uD800', 1.5, Number.NaN, null, undefined, {}, true, 2 ** 60];
      for (const uid of bad) {
        let error: unknown;
        try {
          await bm.markEvent('login', uid as string, { now });
        } catch (caught) {
          error = caught;
        }
        expect(error, String(uid)).to.be.instanceOf(BitmapistArgumentError);
      }
      // Counted as JavaScript's length, as the message says: 200 emoji are 400 code units.
      const emoji = await bm.markEvent('login', '\u{1F600}'.repeat(200), { now }).then(() => undefined, (e: Error) => e.message);
      expect(emoji).to.equal('uid: user id must be 1 to 256 characters long (UTF-16 code units, as JavaScript\'s length: an emoji counts 2), got 400');
      await bm.markEvent('login', 'x'.repeat(MAX_MAPPED_ID_LENGTH), { now });
      expect(await bm.day('login', now).count()).to.equal(1);
      expect((await keysUnder(t.raw, t.prefix)).filter((key) => key.includes('login')).length).to.equal(3);
    });

    it('gives dense integers in order of first sight, also to marks of one tick and bulk imports', async () => {
      await Promise.all(['u1', 'u2', 'u1', 'u3'].map((uid) => bm.markEvent('login', uid, { now })));
      const written = await bm.markEvents(Array.from({ length: 1200 }, (_, i) => ({ event: 'seen', uid: `user-${i % 1000}`, now })));
      expect(written).to.equal(1200);
      expect(await bm.day('seen', now).count()).to.equal(1000);
      const ids = await bm.day('seen', now).ids();
      expect(new Set(ids).size).to.equal(1000);
      const integers = await Promise.all(['u1', 'u2', 'u3', ...ids].map((id) => bm.idMap!.lookup(id)));
      const sorted = [...integers].sort((a, b) => a! - b!);
      // One map: exactly 0..1002; the sharded layout's 16 stride shards: distinct and below 1003 + 16 * 16.
      expect(new Set(integers).size).to.equal(1003);
      if (layout === 'compatible') expect(sorted).to.deep.equal(Array.from({ length: 1003 }, (_, i) => i));
      else expect(sorted.at(-1)).to.be.below(1003 + 16 * 16);
    });

    it('marks an id already seen with one script call and no map command', async () => {
      await bm.markEvent('login', uuidA, { now });
      const { names } = await countCommands(t.raw, () => bm.markEvent('visit', uuidA, { now }));
      expect(names.filter((name) => !['sadd'].includes(name))).to.deep.equal(['evalsha']);
    });

    it(`marks a first-seen id with ${layout === 'compatible' ? 'one script call (allocation inside the mark)' : 'one map call, then the mark'}`, async () => {
      await bm.markEvent('login', uuidA, { now });
      const { names } = await countCommands(t.raw, () => bm.markEvent('login', uuidB, { now }));
      const calls = names.filter((name) => name !== 'sadd');
      expect(calls).to.deep.equal(layout === 'compatible' ? ['evalsha'] : ['evalsha', 'evalsha']);
      expect(await bm.day('login', now).count()).to.equal(2);
    });

    it('records the mode under the prefix and refuses integer writers after it (nothing written)', async () => {
      await bm.markEvent('login', uuidA, { now });
      expect(await t.raw.get(`${t.prefix}~idmode`)).to.equal('mapped');
      const integers = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 8 });
      const before = await keysUnder(t.raw, t.prefix);
      for (const write of [() => integers.markEvent('login', 7, { now }), () => integers.markEvents([{ event: 'x', uid: 1, now }])]) {
        let error: unknown;
        await write().catch((caught: unknown) => (error = caught));
        expect(error).to.be.instanceOf(BitmapistIdModeError);
      }
      expect(await keysUnder(t.raw, t.prefix)).to.deep.equal(before);
    });

    it('refuses to map ids in a prefix holding integer ids (nothing written)', async () => {
      const integers = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 8 });
      await integers.markEvent('login', 7, { now });
      const before = await keysUnder(t.raw, t.prefix);
      let error: unknown;
      await bm.markEvent('login', uuidA, { now }).catch((caught: unknown) => (error = caught));
      expect(error).to.be.instanceOf(BitmapistIdModeError);
      expect(await keysUnder(t.raw, t.prefix)).to.deep.equal(before);
    });

    it('refuses the marks of new ids past maxMappedIds with a BitmapistLimitError, writing nothing of them; the other marks of the call are written', async () => {
      // Compatible: 3 ids fill the map. Sharded: 16 shards allocate in a stride, so under a cap of 16 each
      // shard hands out one integer: new ids of the shard of 'a' find it full.
      const cap = layout === 'compatible' ? 3 : 16;
      const capped = mapped({ maxMappedIds: cap });
      const first = layout === 'compatible' ? ['a', 'b', 'c'] : ['a', 'b'];
      await capped.markEvents(first.map((uid) => ({ event: 'login', uid, now })));
      const sameShard = (id: string) => layout === 'compatible' || capped.idMap!.shardOf(id) === capped.idMap!.shardOf('a');
      const fresh = Array.from({ length: 400 }, (_, i) => `new-${i}`).filter(sameShard).slice(0, 3);
      // Another process: 'a' and 'b' are known to the map, not to its cache.
      const other = mapped({ maxMappedIds: cap });
      const settled = await Promise.allSettled(['a', ...fresh, 'b'].map((uid) => other.markEvent('buy', uid, { now })));
      expect(settled.map((result) => result.status)).to.deep.equal(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
      for (const result of settled.slice(1, 4)) expect((result as PromiseRejectedResult).reason).to.be.instanceOf(BitmapistLimitError);
      expect([...(await other.day('buy', now).ids())].sort()).to.deep.equal(['a', 'b']);
      expect(await Promise.all(fresh.map((id) => other.idMap!.lookup(id)))).to.deep.equal([undefined, undefined, undefined]);
      let error: unknown;
      const written = await other.markEvents(['a', ...fresh].map((uid) => ({ event: 'signup', uid, now }))).catch((caught: unknown) => (error = caught));
      expect(error, `markEvents resolved to ${String(written)}`).to.be.instanceOf(BitmapistLimitError);
      expect(await other.day('signup', now).ids()).to.deep.equal(['a']);
    });

    it('hands out what fits of the cap: of two new ids in one call with room for one, the first is marked', async () => {
      const capped = mapped({ maxMappedIds: layout === 'compatible' ? 3 : 16 });
      // Compatible: 'a' and 'b' leave room for one. Sharded: two new ids of one shard, which has room for one.
      const shardIds = Array.from({ length: 400 }, (_, i) => `id-${i}`);
      const pair = layout === 'compatible' ? ['c', 'd'] : shardIds.filter((id) => capped.idMap!.shardOf(id) === capped.idMap!.shardOf('id-0')).slice(0, 2);
      if (layout === 'compatible') await capped.markEvents(['a', 'b'].map((uid) => ({ event: 'login', uid, now })));
      const settled = await Promise.allSettled(pair.map((uid) => capped.markEvent('login', uid, { now })));
      expect(settled.map((result) => result.status)).to.deep.equal(['fulfilled', 'rejected']);
      expect(await capped.day('login', now).has(pair[0]!)).to.equal(true);
      expect(await capped.idMap!.lookup(pair[1]!)).to.equal(undefined);
    });

    it('answers cohorts exactly as the same marks with integer ids (random marks)', async () => {
      const marks = randomMarks({ seed: 3, marks: 2000, users: 500, now, days: 21 });
      const integers = testBitmapist();
      try {
        await integers.bm.markEvents(marks.map(({ event, user, at }) => ({ event, uid: user, now: at })));
        await bm.markEvents(marks.map(({ event, user, at }) => ({ event, uid: `user-${user}`, now: at })));
        await expectSameCohorts(integers.bm, bm, now);
        const expected = (await integers.bm.week('buy', now).ids()).map((user) => `user-${user}`).sort();
        expect([...(await bm.week('buy', now).ids())].sort()).to.deep.equal(expected);
      } finally {
        await integers.cleanup();
      }
    });

    it('a map key of another type than a hash: reads reject with a BitmapistWrongTypeError naming it, not a bare ReplyError', async () => {
      await bm.markEvent('login', uuidA, { now });
      await bm.markEvent('login', uuidB, { now });
      // Every shard's reverse map (integer -> id) planted with a string.
      const uids = (await keysUnder(t.raw, t.prefix)).filter((key) => key.includes('~uids'));
      expect(uids.length).to.be.above(0);
      for (const key of uids) {
        await t.raw.del(key);
        await t.raw.set(key, 'not a hash');
      }
      const error = await bm.day('login', now).ids().then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistWrongTypeError);
      expect(uids).to.include((error as BitmapistWrongTypeError).key);
      expect((error as BitmapistWrongTypeError).type).to.equal('string');
      expect((error as Error).message).to.match(/holds a string, not a hash/);
    });

    it('deleteAllEvents() deletes the bitmaps and keeps the id map and the mode record', async () => {
      await bm.markEvent('login', uuidA, { now });
      const integer = await bm.idMap!.lookup(uuidA);
      await bm.deleteAllEvents();
      expect(await bm.day('login', now).count()).to.equal(0);
      expect(await t.raw.get(`${t.prefix}~idmode`)).to.equal('mapped');
      bm.idMap!.invalidate();
      expect(await bm.idMap!.lookup(uuidA)).to.equal(integer);
    });

    it('forget() removes the id from the map; the integer is never handed out again', async () => {
      await bm.markEvent('login', uuidA, { now });
      const first = await bm.idMap!.lookup(uuidA);
      expect(await bm.idMap!.forget(uuidA)).to.equal(first);
      expect(await bm.idMap!.lookup(uuidA)).to.equal(undefined);
      expect(await bm.day('login', now).ids()).to.deep.equal([]);
      await bm.markEvent('login', uuidA, { now });
      expect(await bm.idMap!.lookup(uuidA)).to.not.equal(first);
      expect(await bm.idMap!.forget('never-seen')).to.equal(undefined);
    });

    it('a mark sent while forget() is on its way leaves no forgotten integer in the cache for later marks', async () => {
      await bm.markEvent('login', uuidA, { now });
      const first = await bm.idMap!.lookup(uuidA);
      bm.idMap!.invalidate(uuidA);
      // The mark asks Redis for the id's integer after forget()'s HGET and before its HDEL: Redis answers the old one.
      await Promise.all([bm.idMap!.forget(uuidA), bm.markEvent('visit', uuidA, { now })]);
      await bm.markEvent('later', uuidA, { now });
      const fresh = mapped();
      const integer = await fresh.idMap!.lookup(uuidA);
      expect(integer).to.be.a('number').and.not.equal(first);
      expect(await bm.idMap!.lookup(uuidA)).to.equal(integer);
      expect(await fresh.day('later', now).ids()).to.deep.equal([uuidA]);
    });

    it('a forget of one id leaves the answers for other ids to the cache', async () => {
      await bm.markEvent('login', uuidA, { now });
      await Promise.all([bm.idMap!.forget(uuidA), bm.markEvent('login', uuidB, { now })]);
      expect(bm.idMap!.peek(uuidB)).to.be.a('number');
      const { names } = await countCommands(t.raw, () => bm.markEvent('visit', uuidB, { now }));
      expect(names.filter((name) => name !== 'evalsha' && name !== 'setbit' && name !== 'type')).to.deep.equal([]);
    });
  });
}

describe('mapped user ids: a prepared mark after forgetUser', () => {
  let t: ReturnType<typeof testBitmapist>;
  afterEach(() => t.cleanup());

  it('is located at the id\'s new integer, block and all (the mark queue files it there)', async () => {
    t = testBitmapist();
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped' });
    await bm.markEvent('login', uuidA, { now });
    const old = await bm.idMap!.lookup(uuidA);
    const prepared = bm.prepareMark('visit', uuidA, { now });
    expect(bm.partitionOfMark(prepared)).to.equal(bm.keys.locate(old!).block);
    await bm.markEvents(Array.from({ length: 600 }, (_, i) => ({ event: 'login', uid: `user-${i}`, now })));
    expect(await bm.forgetUser(uuidA)).to.equal(3);
    await bm.writeMark(prepared);
    const integer = await bm.idMap!.lookup(uuidA);
    const block = bm.keys.locate(integer!).block;
    expect(block).to.not.equal(bm.keys.locate(old!).block);
    expect(bm.partitionOfMark(prepared)).to.equal(block);
    expect(await bm.day('visit', now).ids()).to.deep.equal([uuidA]);
  });
});

describe('integer ids and the id mode marker', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => (t = testBitmapist()));
  afterEach(() => t.cleanup());

  it('write nothing but the bitmaps (no marker, no map), as Python bitmapist', async () => {
    await t.bm.markEvent('login', 7, { now });
    await t.bm.markEvents([{ event: 'buy', uid: 8, now }, { event: 'buy', uid: 9, now }]);
    expect((await t.keys()).map((key) => key.slice(t.prefix.length))).to.deep.equal([
      'buy_2025-2', 'buy_2025-2-20', 'buy_W2025-8', 'login_2025-2', 'login_2025-2-20', 'login_W2025-8',
    ]);
  });

  it('are refused inside the mark script once the prefix holds mapped ids, even after this process checked', async () => {
    await t.bm.markEvent('login', 7, { now });
    await t.bm.deleteAllEvents();
    const mapped = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, userIds: 'mapped' });
    await mapped.markEvent('login', uuidA, { now });
    const before = await t.keys();
    for (const write of [() => t.bm.markEvent('login', 7, { now }), () => t.bm.markEvents([{ event: 'a', uid: 1, now }, { event: 'b', uid: 2, now }])]) {
      let error: unknown;
      await write().catch((caught: unknown) => (error = caught));
      expect(error).to.be.instanceOf(BitmapistIdModeError);
    }
    expect(await t.keys()).to.deep.equal(before);
  });
});

describe('mapped user ids: the id cache and the types', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => (t = testBitmapist()));
  afterEach(() => t.cleanup());

  it('keeps the most recently used ids up to its size; invalidate() drops one id or all', async () => {
    const map = new IdMap(t.raw, new KeyNames(t.prefix), 1000, 2);
    map.remember('a', 0);
    map.remember('b', 1);
    expect(map.cached('a')).to.equal(0); // 'a' is now the most recent
    map.remember('c', 2);
    expect([map.cached('a'), map.cached('b'), map.cached('c')]).to.deep.equal([0, undefined, 2]);
    map.invalidate('a');
    expect(map.cached('a')).to.equal(undefined);
    map.invalidate();
    expect(map.cached('c')).to.equal(undefined);
  });

  it('a process whose cache is stale marks the old integer until it invalidates the id', async () => {
    const one = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, userIds: 'mapped' });
    const two = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, userIds: 'mapped' });
    await one.markEvent('a', 'ada', { now });
    await two.markEvent('a', 'ada', { now }); // two caches ada's integer
    await one.idMap!.forget('ada');
    await one.markEvent('b', 'ada', { now }); // a new integer
    two.idMap!.invalidate('ada');
    expect(await two.idMap!.lookup('ada')).to.equal(await one.idMap!.lookup('ada'));
    expect(await one.idMap!.lookup('ada')).to.equal(1);
  });

  it('types ids() of a mapped instance as strings and of the default one as numbers', async () => {
    const mapped = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, userIds: 'mapped' });
    const strings: string[] = await mapped.day('a', now).ids();
    const numbers: number[] = await t.bm.day('a', now).ids();
    expect([strings, numbers]).to.deep.equal([[], []]);
  });
});

describe('mapped user ids: options', () => {
  it('refuses an unknown userIds value and a maxMappedIds past maxUserId + 1', () => {
    expect(() => new Bitmapist({ redis: testRedisUrl(), userIds: 'uuids' as 'mapped' })).to.throw(BitmapistArgumentError, /userIds/);
    expect(() => new Bitmapist({ redis: testRedisUrl(), userIds: 'mapped', maxUserId: 99, maxMappedIds: 101 })).to.throw(BitmapistArgumentError, /maxMappedIds/);
  });
});
