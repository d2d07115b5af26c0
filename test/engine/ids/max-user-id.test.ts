import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Bitmapist, BitmapistArgumentError, DEFAULT_MAX_USER_ID, MAX_BITMAP_USER_ID } from '../../../src/index.js';
import { testBitmapist } from '../../support/redis.js';

/** The memory one mark may make Redis allocate with default options. */
const EIGHT_MB = 8 * 2 ** 20;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function memoryUsage(redis: Redis, keys: string[]): Promise<number> {
  const sizes = await Promise.all(keys.map(async (key) => Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))));
  return sizes.reduce((sum, size) => sum + size, 0);
}

describe('the default maxUserId bounds what one mark allocates', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-01-31T10:00:00Z');

  it('is 2^24 - 1 in the compatible layout, and a mark there allocates under 8 MB', async () => {
    expect(DEFAULT_MAX_USER_ID).to.equal(16_777_215);
    expect(t.bm.maxUserId).to.equal(DEFAULT_MAX_USER_ID);
    await t.bm.redis.ping();
    const before = await usedMemory(t.raw);
    await t.bm.markEvent('e', DEFAULT_MAX_USER_ID, { now });
    const grown = (await usedMemory(t.raw)) - before;
    const keys = await t.keys();
    expect(keys).to.have.length(3);
    for (const key of keys) expect(await t.raw.strlen(key)).to.equal(2 ** 24 / 8);
    expect(await memoryUsage(t.raw, keys)).to.be.within(3 * 2 ** 21, EIGHT_MB);
    expect(grown).to.be.below(EIGHT_MB);
    expect(await t.bm.day('e', now).ids()).to.deep.equal([DEFAULT_MAX_USER_ID]);
  });

  it('refuses maxUserId + 1 with a BitmapistArgumentError and writes nothing', async () => {
    for (const [mark, argument] of [
      [() => t.bm.markEvent('e', DEFAULT_MAX_USER_ID + 1, { now }), 'uid'],
      [() => t.bm.unmarkEvent('e', DEFAULT_MAX_USER_ID + 1, { now }), 'uid'],
      [() => t.bm.markUnique('e', DEFAULT_MAX_USER_ID + 1), 'uid'],
      [() => t.bm.markEvents([{ event: 'e', uid: DEFAULT_MAX_USER_ID + 1, now }]), 'marks[0].uid'],
    ] as const) {
      const error = await mark().then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
      expect((error as BitmapistArgumentError).message).to.equal(`${argument}: user id must be an integer in [0, 16777215], got 16777216`);
    }
    expect(await t.keys()).to.deep.equal([]);
  });

  it('goes up to 2^32 - 1 when set explicitly, and no further', async () => {
    const wide = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, maxUserId: MAX_BITMAP_USER_ID });
    expect(wide.maxUserId).to.equal(MAX_BITMAP_USER_ID);
    const error = await wide.markEvent('e', MAX_BITMAP_USER_ID + 1, { now }).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(BitmapistArgumentError);
    expect(() => new Bitmapist({ redis: t.raw, maxUserId: MAX_BITMAP_USER_ID + 1 })).to.throw(BitmapistArgumentError, /maxUserId/);
    const raised = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, maxUserId: 20_000_000 });
    await raised.markEvent('e', 20_000_000, { now });
    expect(await raised.day('e', now).ids()).to.deep.equal([20_000_000]);
  });

  it('is 2^32 - 1 in the sharded layout, where a mark allocates one block per bitmap', async () => {
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded' });
    expect(sharded.maxUserId).to.equal(MAX_BITMAP_USER_ID);
    await sharded.markEvent('e', MAX_BITMAP_USER_ID, { now });
    const keys = (await t.keys()).filter((key) => key.includes('}'));
    expect(keys).to.have.length(3);
    for (const key of keys) expect(await t.raw.strlen(key)).to.equal(2 ** 20 / 8);
    expect(await memoryUsage(t.raw, keys)).to.be.below(EIGHT_MB / 8);
    const error = await sharded.markEvent('e', MAX_BITMAP_USER_ID + 1, { now }).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(BitmapistArgumentError);
  });
});
