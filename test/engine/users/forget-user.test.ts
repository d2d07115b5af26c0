import { expect } from 'chai';
import { Bitmapist, BitmapistArgumentError } from '../../../src/index.js';
import { FORGET_BATCH_SIZE } from '../../../src/engine/users/user-bitmaps.js';
import { countCommands } from '../../support/model.js';
import { keysUnder, testBitmapist } from '../../support/redis.js';

const now = new Date('2025-02-20T12:00:00Z');
const KEY_COUNT = 10_000;

/** The script calls (EVALSHA, or EVAL after a NOSCRIPT) among recorded command names. */
const scriptCalls = (names: string[]) => names.filter((name) => name === 'evalsha' || name === 'eval').length;

/** `count` day bitmaps named `<head>e<i % 100>_2025-1-<day>`-like, each with bits `uids`; every other one also `target`. */
async function fillBitmaps(raw: Bitmapist['redis'], head: string, target: number, neighbours: number[]): Promise<string[]> {
  const names: string[] = [];
  const pipeline = raw.pipeline();
  for (let i = 0; i < KEY_COUNT; i++) {
    const day = new Date(Date.UTC(2000, 0, 1) + Math.floor(i / 100) * 86_400_000);
    const key = `${head}e${i % 100}_${day.getUTCFullYear()}-${day.getUTCMonth() + 1}-${day.getUTCDate()}`;
    names.push(key);
    for (const uid of neighbours) pipeline.setbit(key, uid, 1);
    if (i % 2 === 0) pipeline.setbit(key, target, 1);
  }
  await pipeline.exec();
  return names;
}

async function bitsOf(raw: Bitmapist['redis'], keys: string[], offset: number): Promise<number> {
  const pipeline = raw.pipeline();
  for (const key of keys) pipeline.getbit(key, offset);
  return ((await pipeline.exec()) ?? []).reduce((sum, [, bit]) => sum + Number(bit), 0);
}

describe('forgetUser: clearing one user from every bitmap', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  it('clears every event, period, hour and unique bitmap of the user and nothing else', async () => {
    await t.bm.markEvent('login', 7, { now, trackHourly: true, trackUnique: true });
    await t.bm.markEvent('login', 8, { now, trackHourly: true, trackUnique: true });
    await t.bm.markEvent('buy', 7, { now: new Date('2025-03-02T00:00:00Z') });
    await t.bm.markUnique('signup', 7);
    expect(await t.bm.forgetUser(7)).to.equal(5 + 3 + 1);
    expect(await t.bm.day('login', now).ids()).to.deep.equal([8]);
    expect(await t.bm.hour('login', now).ids()).to.deep.equal([8]);
    expect(await t.bm.unique('login').ids()).to.deep.equal([8]);
    expect(await t.bm.month('buy', new Date('2025-03-02T00:00:00Z')).count()).to.equal(0);
    expect(await t.bm.unique('signup').has(7)).to.equal(false);
    expect(await t.bm.forgetUser(7)).to.equal(0);
  });

  it("also clears the user from Python bitmapist's BitOp results (copies of users' bits), and no event can hide there", async () => {
    await t.bm.markEvent('login', 7, { now });
    await t.bm.markEvent('login', 8, { now });
    // What Python bitmapist's BitOp('OR', ...) leaves under the prefix.
    const bitop = `${t.prefix}bitop_OR_${t.prefix}login_2025-2-${t.prefix}login_2025-2-20`;
    await t.raw.bitop('OR', bitop, `${t.prefix}login_2025-2`, `${t.prefix}login_2025-2-20`);
    expect(await t.raw.getbit(bitop, 7)).to.equal(1);
    expect(await t.bm.forgetUser(7)).to.equal(3 + 1);
    expect(await t.raw.getbit(bitop, 7)).to.equal(0);
    expect(await t.raw.getbit(bitop, 8)).to.equal(1);
    // An event whose keys read as a BitOp result would be a scratch key to both libraries: refused, nothing
    // written. Before the fix `bitop` itself was taken, and its bitmaps were left out of the event names and
    // of exportUser, though forgetUser cleared them.
    for (const event of ['bitop_clicked', 'bitop_', 'bitop']) {
      const error = await t.bm.markEvent(event, 7, { now }).then(() => undefined, (reason: unknown) => reason);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
      expect((error as BitmapistArgumentError).argument).to.equal('event');
    }
    expect(await t.raw.exists(`${t.prefix}bitop_clicked_2025-2-20`, `${t.prefix}bitop_2025-2-20`)).to.equal(0);
    expect(await t.bm.getEventNames()).to.deep.equal(['login']);
  });

  it('at 10,000 keys (compatible layout): one script call per 500 keys, other users intact, no bitmap grows', async () => {
    const keys = await fillBitmaps(t.raw, t.prefix, 4242, [4241, 4243, 3]);
    // A bitmap too short to hold bit 4242: forgetting must not grow it.
    await t.raw.setbit(`${t.prefix}short_2025-1-1`, 9, 1);
    // Not ours to touch: a hash at a bitmap's name, and a key of another prefix.
    await t.raw.hset(`${t.prefix}hash_2025-1-1`, 'f', 'v');
    await t.raw.setbit(`${t.prefix.slice(0, -1)}x_other_2025-1-1`, 4242, 1);
    const { result, names } = await countCommands(t.bm.redis, () => t.bm.forgetUser(4242));
    expect(result).to.equal(KEY_COUNT / 2);
    expect(scriptCalls(names)).to.equal(Math.ceil((KEY_COUNT + 1) / FORGET_BATCH_SIZE));
    expect(await bitsOf(t.raw, keys, 4242)).to.equal(0);
    for (const uid of [4241, 4243, 3]) expect(await bitsOf(t.raw, keys, uid)).to.equal(KEY_COUNT);
    expect(await t.raw.strlen(`${t.prefix}short_2025-1-1`)).to.equal(2);
    expect(await t.raw.hget(`${t.prefix}hash_2025-1-1`, 'f')).to.equal('v');
    expect(await t.raw.getbit(`${t.prefix.slice(0, -1)}x_other_2025-1-1`, 4242)).to.equal(1);
    await t.raw.del(`${t.prefix.slice(0, -1)}x_other_2025-1-1`);
  });

  it("at 10,000 keys (sharded layout): touches only the user's block", async () => {
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8 });
    // uid 4242 = block 16, bit 146; bit 146 of block 15 is uid 3986, another user.
    const keys = await fillBitmaps(t.raw, `${t.prefix}{16}`, 146, [145, 147]);
    const otherBlock = await fillBitmaps(t.raw, `${t.prefix}{15}`, 146, [146]);
    const { result, names } = await countCommands(t.raw, () => sharded.forgetUser(4242));
    expect(result).to.equal(KEY_COUNT / 2);
    expect(scriptCalls(names)).to.equal(KEY_COUNT / FORGET_BATCH_SIZE);
    expect(await bitsOf(t.raw, keys, 146)).to.equal(0);
    for (const bit of [145, 147]) expect(await bitsOf(t.raw, keys, bit)).to.equal(KEY_COUNT);
    expect(await bitsOf(t.raw, otherBlock, 146)).to.equal(KEY_COUNT);
  });

  it('refuses a bad user id and writes nothing', async () => {
    await t.bm.markEvent('login', 7, { now });
    const before = await keysUnder(t.raw, t.prefix);
    for (const uid of [-1, 1.5, '7', 2 ** 24, Number.NaN, undefined]) {
      const error = await t.bm.forgetUser(uid as number).then(() => undefined, (e: unknown) => e);
      expect(error, String(uid)).to.be.instanceOf(BitmapistArgumentError);
      expect((error as BitmapistArgumentError).argument).to.equal('uid');
    }
    expect(await keysUnder(t.raw, t.prefix)).to.deep.equal(before);
    expect(await t.bm.day('login', now).ids()).to.deep.equal([7]);
  });
});

describe('forgetUser with mapped ids', function () {
  this.timeout(30_000);
  for (const layout of ['compatible', 'sharded'] as const) {
    it(`clears the bits and removes the map entries; the integer is never reused (${layout} layout)`, async () => {
      const t = testBitmapist();
      const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 8, userIds: 'mapped', trackUnique: true });
      try {
        const alice = '6f1c2a8e-0d7b-4c1e-9a55-3b2f0c9d4e11';
        await bm.markEvent('login', alice, { now });
        await bm.markEvent('login', 'bob', { now });
        await bm.markEvent('buy', alice, { now });
        const integer = await bm.idMap!.lookup(alice);
        expect(integer).to.be.a('number');
        expect(await bm.forgetUser(alice)).to.equal(4 + 4);
        expect(await bm.day('login', now).ids()).to.deep.equal(['bob']);
        expect(await bm.unique('login').has(alice)).to.equal(false);
        expect(await bm.month('buy', now).count()).to.equal(0);
        expect(await bm.idMap!.lookup(alice)).to.equal(undefined);
        expect(await bm.forgetUser(alice)).to.equal(0);
        expect(await bm.forgetUser('never-seen')).to.equal(0);
        await bm.markEvent('login', alice, { now });
        const again = await bm.idMap!.lookup(alice);
        expect(again).to.not.equal(integer);
        expect(again).to.be.above(integer!);
        expect(await bm.day('login', now).ids()).to.have.members(['bob', alice]);
      } finally {
        await t.cleanup();
      }
    });

    it(`a mark prepared before forgetUser and written after it marks a new integer, which reads and erasure find (${layout} layout)`, async () => {
      const t = testBitmapist();
      const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 8, userIds: 'mapped' });
      try {
        // Prepared both before bob's integer is known here and once it is (then the mark holds the integer).
        const unknown = bm.prepareMark('e', 'bob', { now });
        await bm.writeMark(unknown);
        const prepared = bm.prepareMark('e', 'bob', { now });
        await bm.markEvent('e', 'alice', { now });
        const old = await bm.idMap!.lookup('bob');
        expect(await bm.forgetUser('bob')).to.equal(3);
        await bm.writeMark(prepared);
        await bm.writeMark(unknown);
        const fresh = await bm.idMap!.lookup('bob');
        expect(fresh).to.be.a('number').and.not.equal(old);
        // Every bit set is one a read names: the old integer stays clear.
        expect(await bm.day('e', now).count()).to.equal(2);
        expect(await bm.day('e', now).ids()).to.have.members(['alice', 'bob']);
        expect((await bm.exportUser('bob')).map((mark) => mark.granularity)).to.deep.equal(['month', 'week', 'day']);
        expect(await bm.forgetUser('bob')).to.equal(3);
        expect(await bm.day('e', now).ids()).to.deep.equal(['alice']);
        expect(await bm.day('e', now).count()).to.equal(1);
      } finally {
        await t.cleanup();
      }
    });
  }
});
