import { expect } from 'chai';
import { BitmapistUnavailableError, MarkQueueOverflowError } from '../../src/koa/index.js';
import { startRedisServer } from '../../src/testing/index.js';
import { runLoad, type Load } from './support/load.js';
import { ascending, DURABLE_REDIS_ARGS, latencies, LOAD_REQUEST_BOUND_MS, markingApp, sleep, watchBacklog } from './support/marking-app.js';

describe('faults: redis-server killed and restarted under load', function () {
  this.timeout(90_000);

  it('answers all of 50 clients for 20 s within the bound and writes every mark after the restart', async () => {
    const redis = await startRedisServer({ args: DURABLE_REDIS_ARGS });
    const t = await markingApp({ redisUrl: redis.url, keyPrefix: 'bmtest_restart_', queueLimit: 100_000 });
    let load: Load | undefined;
    try {
      load = runLoad({ url: `${t.server.base}/?uid=`, clients: 50, durationMs: 20_000, firstUid: 1, expectBody: 'ok' });
      await load.started;
      await sleep(4_000);
      const killedAt = Date.now();
      await redis.kill();
      await sleep(3_000);
      // From the restart until every mark issued while Redis was down is written.
      const backlog = watchBacklog(t.bitmapist);
      await redis.start();
      const restartedAt = Date.now();
      const { requests, errors } = await load.done;
      backlog.stop();

      expect(errors).to.deep.equal([]);
      expect(requests.filter((r) => !r.ok)).to.have.length(0);
      const slowest = latencies(requests).max;
      expect(slowest, 'slowest request (ms)').to.be.below(LOAD_REQUEST_BOUND_MS);
      expect(await t.bitmapist.flush(20_000)).to.equal(0);
      const uids = ascending(requests.map((r) => r.uid));
      expect(ascending(t.issued)).to.deep.equal(uids);
      expect(await t.bitmapist.engine.unique('visit').ids()).to.deep.equal(uids);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: uids.length, dropped: 0, failed: 0 });
      expect(t.reported(BitmapistUnavailableError)).to.equal(1);
      expect(t.reported(MarkQueueOverflowError)).to.equal(0);
      expect(t.errors).to.have.length(1);

      const outage = latencies(requests.filter((r) => r.start >= killedAt && r.start < restartedAt));
      console.log(
        `      figures: ${uids.length} requests, all ${JSON.stringify(latencies(requests))} ms; ` +
          `during the outage ${JSON.stringify(outage)} ms; peak queued ${t.stats.peakQueued}; ` +
          `the ${backlog.backlog} marks issued until the restart written ${backlog.ms()} ms after it`,
      );
    } finally {
      load?.stop();
      await t.server.close();
      await t.bitmapist.close({ timeout: 1000 });
      await redis.stop();
    }
  });
});
