import { expect } from 'chai';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { BitmapistArgumentError } from '../../src/index.js';
import { BitmapistUnavailableError, koaBitmapist } from '../../src/koa/index.js';
import { startRedisServer } from '../../src/testing/index.js';
import { keysUnder, testRedisUrl } from '../support/redis.js';
import { collectErrors, quiet, testApp } from './support.js';

const now = new Date('2025-01-31T23:10:00Z');

describe('koa: forgetUser on the plugin', () => {
  it('writes the marks still queued first, then clears the user from every bitmap of the system', async () => {
    const t = testApp({ disableRouter: true, trackUnique: true });
    try {
      t.bitmapist.markEvent('page:view', '7', { now });
      t.bitmapist.markEvent('page:view', 8, { now });
      t.bitmapist.markEvent('buy', 7n, { now });
      // No flush: the queued marks of user 7 must not come back after it is forgotten.
      expect(await t.bitmapist.forgetUser('7')).to.equal(8);
      expect(await t.bitmapist.flush(5000)).to.equal(0);
      expect(await t.bitmapist.getEventData('page:view', { now }).ids()).to.deep.equal([8]);
      expect(await t.bitmapist.engine.unique('page:view').ids()).to.deep.equal([8]);
      expect(await t.bitmapist.getEventData('buy', { now, timeGroup: 'months' }).count()).to.equal(0);
      expect(await t.bitmapist.forgetUser(7)).to.equal(0);
    } finally {
      await t.cleanup();
    }
  });

  it("drops the user's marks still queued after closeTimeout, so none of them sets the bit again once Redis takes writes", async () => {
    const redis = await startRedisServer();
    const raw = new Redis(redis.url);
    const app = new Koa();
    const errors = collectErrors(app);
    const bitmapist = koaBitmapist(app, { redisUrl: redis.url, keyPrefix: 'bmtest_forgetq_', closeTimeout: 100, logger: quiet });
    try {
      bitmapist.markEvent('page:view', 1, { now });
      expect(await bitmapist.flush(5000)).to.equal(0);
      // Redis refuses writes (OOM, a transient reply): user 1000's mark waits in the queue, probing.
      await raw.config('SET', 'maxmemory', '1');
      bitmapist.markEvent('page:view', 1000, { now });
      while (!errors.some(({ error }) => error instanceof BitmapistUnavailableError)) await new Promise((resolve) => setTimeout(resolve, 10));
      // Reads pass; user 1000 has no bit yet (its bitmaps are too short to hold it): nothing to clear.
      expect(await bitmapist.forgetUser(1000)).to.equal(0);
      expect(bitmapist.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 1, failed: 0 });
      await raw.config('SET', 'maxmemory', '0');
      bitmapist.markEvent('page:view', 2, { now });
      expect(await bitmapist.flush(5000)).to.equal(0);
      expect(await bitmapist.getEventData('page:view', { now }).ids()).to.deep.equal([1, 2]);
    } finally {
      await bitmapist.close();
      raw.disconnect();
      await redis.stop();
    }
  });

  it('takes `system` and refuses a bad id or an unknown system before touching Redis', async () => {
    const other = `${testRedisUrl()}`;
    const t = testApp({ disableRouter: true, systems: { reports: other } });
    try {
      t.bitmapist.markEvent('x', 5, { now, system: 'reports' });
      t.bitmapist.markEvent('x', 5, { now });
      expect(await t.bitmapist.forgetUser(5, { system: 'reports' })).to.equal(3);
      const before = await keysUnder(t.raw, t.prefix);
      for (const uid of [-1, 'abc', 2 ** 24]) {
        const error = await t.bitmapist.forgetUser(uid as number).then(() => undefined, (e: unknown) => e);
        expect(error, String(uid)).to.be.instanceOf(BitmapistArgumentError);
      }
      const unknown = await t.bitmapist.forgetUser(5, { system: 'nope' }).then(() => undefined, (e: unknown) => e);
      expect(unknown).to.be.instanceOf(BitmapistArgumentError);
      expect(await keysUnder(t.raw, t.prefix)).to.deep.equal(before);
    } finally {
      await t.cleanup();
    }
  });

  it('forgets a mapped id (UUID) with `userIds: mapped`', async () => {
    const t = testApp({ disableRouter: true, userIds: 'mapped' });
    try {
      const uuid = '0b7e4a53-2f0c-4f8e-8d1a-6c3e9b2a7f10';
      t.bitmapist.markEvent('page:view', uuid, { now });
      t.bitmapist.markEvent('page:view', 'other-user', { now });
      expect(await t.bitmapist.forgetUser(uuid)).to.equal(3);
      expect(await t.bitmapist.getEventData('page:view', { now }).ids()).to.deep.equal(['other-user']);
      expect(await t.bitmapist.engine.idMap!.lookup(uuid)).to.equal(undefined);
      const error = await t.bitmapist.forgetUser('').then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
    } finally {
      await t.cleanup();
    }
  });
});
