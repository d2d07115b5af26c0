import { expect } from 'chai';
import { Bitmapist, BitmapistArgumentError, BitmapistOfflineError } from '../../../src/index.js';
import { startRedisServer } from '../../../src/testing/index.js';
import { killAndRecordSent } from '../support/offline.js';


describe('forgetUser, exportUser and deleteAllEvents while Redis is unreachable', function () {
  this.timeout(30_000);

  for (const userIds of ['integers', 'mapped'] as const) {
    it(`reject at once with a BitmapistOfflineError, sending nothing; a bad id is still a BitmapistArgumentError (${userIds} ids)`, async () => {
      const redis = await startRedisServer();
      const bm = new Bitmapist({ redis: redis.url, keyPrefix: 'bmtest_off_', userIds } as { redis: string; keyPrefix: string; userIds: 'integers' });
      try {
        await bm.markEvent('e', 1);
        const sent = await killAndRecordSent(bm as never, redis);
        for (const call of [() => bm.forgetUser(1), () => bm.exportUser(1), () => bm.deleteAllEvents()]) {
          const error = await call().then(() => undefined, (e: unknown) => e);
          expect(error).to.be.instanceOf(BitmapistOfflineError);
        }
        const bad = await bm.forgetUser('' as never).then(() => undefined, (e: unknown) => e);
        expect(bad).to.be.instanceOf(BitmapistArgumentError);
        expect(sent).to.deep.equal([]);
      } finally {
        await bm.close();
        await redis.stop();
      }
    });
  }
});
