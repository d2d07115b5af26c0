import { expect } from 'chai';
import { BitmapistUnavailableError, MarkQueueOverflowError } from '../../src/koa/index.js';
import { startRedisServer } from '../../src/testing/index.js';
import { runLoad, type Load } from './support/load.js';
import { ascending, DURABLE_REDIS_ARGS, markingApp, until } from './support/marking-app.js';

describe('faults: the mark queue overflows while Redis is down', function () {
  this.timeout(60_000);

  it('drops exactly the oldest marks beyond queueLimit, counts them, reports once, and never holds more', async () => {
    const limit = 1_000;
    const marks = 6_000;
    const redis = await startRedisServer({ args: DURABLE_REDIS_ARGS });
    const t = await markingApp({ redisUrl: redis.url, keyPrefix: 'bmtest_overflow_', queueLimit: limit });
    let load: Load | undefined;
    try {
      await redis.kill();
      load = runLoad({ url: `${t.server.base}/?uid=`, clients: 50, durationMs: 60_000, maxRequests: marks, firstUid: 1, expectBody: 'ok' });
      const { requests, errors } = await load.done;
      expect(errors).to.deep.equal([]);
      expect(requests.filter((r) => r.ok)).to.have.length(marks);
      expect(t.issued).to.have.length(marks);
      // Marks being written when they were dropped count once their write has failed.
      await until(() => t.bitmapist.metrics.dropped === marks - limit, 10_000, 'every dropped mark counted');
      expect(t.bitmapist.metrics).to.deep.equal({ queued: limit, written: 0, dropped: marks - limit, failed: 0 });
      expect(t.stats.peakQueued).to.equal(limit);

      await redis.start();
      expect(await t.bitmapist.flush(20_000)).to.equal(0);
      // The newest `limit` marks in the order the app issued them (50 clients race, so not by uid).
      expect(await t.bitmapist.engine.unique('visit').ids()).to.deep.equal(ascending(t.issued.slice(-limit)));
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: limit, dropped: marks - limit, failed: 0 });
      expect(t.reported(MarkQueueOverflowError)).to.equal(1);
      expect(t.reported(BitmapistUnavailableError)).to.equal(1);
      expect(t.errors).to.have.length(2);
    } finally {
      load?.stop();
      await t.server.close();
      await t.bitmapist.close({ timeout: 1000 });
      await redis.stop();
    }
  });
});
