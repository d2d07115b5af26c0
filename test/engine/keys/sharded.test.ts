import { expect } from 'chai';
import { Bitmapist, BitmapistConfigError, ShardedKeyNames } from '../../../src/index.js';
import { expectSameAnswers, markBoth } from '../../support/compare.js';
import { countCommands } from '../../support/model.js';
import { keysUnder, testBitmapist, testRedisUrl, uniquePrefix } from '../../support/redis.js';

describe('Bitmapist sharded layout (single Redis)', () => {
  let t: ReturnType<typeof testBitmapist>;
  let sharded: Bitmapist;
  let compatible: Bitmapist;
  const now = new Date('2025-02-20T12:00:00Z');
  beforeEach(() => {
    t = testBitmapist();
    sharded = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}s_`, layout: 'sharded', shardBits: 8 });
    compatible = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}c_` });
  });
  afterEach(() => t.cleanup());

  it('names keys <prefix>{<block>}<event>_<suffix> with block = uid >> shardBits', async () => {
    await sharded.markEvent('user:in', 5, { now });
    await sharded.markEvent('user:in', 256 * 3 + 7, { now, trackUnique: true });
    const keys = await keysUnder(t.raw, `${t.prefix}s_`);
    expect(keys).to.deep.equal([
      `${t.prefix}s_{0}user:in_2025-2`, `${t.prefix}s_{0}user:in_2025-2-20`, `${t.prefix}s_{0}user:in_W2025-8`,
      `${t.prefix}s_{3}user:in_2025-2`, `${t.prefix}s_{3}user:in_2025-2-20`, `${t.prefix}s_{3}user:in_W2025-8`,
      `${t.prefix}s_{3}user:in_u`, `${t.prefix}s_~blocks`,
    ]);
    expect(await t.raw.getbit(`${t.prefix}s_{3}user:in_2025-2`, 7)).to.equal(1);
    expect(await t.raw.smembers(`${t.prefix}s_~blocks`)).to.have.members(['0', '3']);
    expect(await sharded.day('user:in', now).ids()).to.deep.equal([5, 775]);
  });

  it('answers exactly as the compatible layout on the same random marks', async () => {
    await markBoth(compatible, sharded, { seed: 11, marks: 3000, maxUid: 5000, now, days: 60 });
    expect((await t.raw.smembers(`${t.prefix}s_~blocks`)).length).to.be.above(15);
    await expectSameAnswers(compatible, sharded, now);
  });

  it('answers has() under NOT like the compatible layout, also for ids in blocks without bitmaps', async () => {
    for (const bm of [compatible, sharded]) {
      await bm.markEvent('b', 2000, { now }); // block 7 with shardBits 8
      await bm.markEvent('b', 10, { now }); // block 0
    }
    for (const uid of [10, 11, 600, 1999, 2000, 2007, 2008, 5000]) {
      expect(await sharded.day('b', now).not().has(uid), `uid ${uid}`).to.equal(await compatible.day('b', now).not().has(uid));
    }
    expect(await sharded.day('b', now).not().has(600)).to.equal(true);
  });

  it('registers the blocks of every write batch in its script call (see test/engine/keys/blocks.test.ts)', async () => {
    await sharded.markEvent('e', 1, { now });
    await sharded.redis.ping();
    const { names } = await countCommands(sharded.redis, async () => {
      await sharded.markEvent('e', 2, { now });
      await sharded.markEvent('e', 3, { now });
    });
    expect(names).to.deep.equal(['evalsha', 'evalsha']);
  });

  it('costs one block for a mark at uid 4,000,000,000', async () => {
    const big = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}big_`, layout: 'sharded' });
    await big.markEvent('huge', 4_000_000_000, { now });
    expect(await big.day('huge', now).ids()).to.deep.equal([4_000_000_000]);
    const [key] = (await keysUnder(t.raw, `${t.prefix}big_`)).filter((k) => k.endsWith('2025-2-20'));
    const bytes = (await t.raw.call('MEMORY', 'USAGE', key!)) as number;
    expect(bytes).to.be.below(2 ** 20 / 8 + 4096); // one 128 KB block, not 500 MB
    expect(key).to.equal(`${t.prefix}big_{${Math.floor(4_000_000_000 / 2 ** 20)}}huge_2025-2-20`);
  });

  it('accepts ids past 2^32 only in the sharded layout', async () => {
    const wide = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}w_`, layout: 'sharded', maxUserId: 2 ** 40 });
    await wide.markEvent('e', 2 ** 40, { now });
    expect(await wide.day('e', now).ids()).to.deep.equal([2 ** 40]);
    expect(() => new Bitmapist({ redis: t.raw, maxUserId: 2 ** 40 })).to.throw(/maxUserId/);
  });

  it('deletes every key of the layout, registry included', async () => {
    await markBoth(compatible, sharded, { seed: 5, marks: 200, maxUid: 2000, now, days: 5 });
    expect(await sharded.deleteAllEvents()).to.be.above(20);
    expect(await keysUnder(t.raw, `${t.prefix}s_`)).to.deep.equal([]);
    await sharded.markEvent('again', 1000, { now });
    expect(await sharded.day('again', now).ids()).to.deep.equal([1000]);
  });

  it('refuses prefixes with braces and bad shard sizes', () => {
    expect(() => new Bitmapist({ redis: t.raw, keyPrefix: 'a{b}', layout: 'sharded' })).to.throw(BitmapistConfigError, /braces/);
    expect(() => new ShardedKeyNames('p_', 4)).to.throw(BitmapistConfigError, /shardBits/);
    expect(() => new Bitmapist({ redis: testRedisUrl(), keyPrefix: uniquePrefix(), layout: 'hashed' as 'sharded' })).to.throw(/layout/);
  });
});
