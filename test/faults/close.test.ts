import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { MarksNotWrittenError } from '../../src/koa/index.js';
import { startRedisServer } from '../../src/testing/index.js';
import { keysUnder } from '../support/redis.js';
import { runLoad, type Load } from './support/load.js';
import { ascending, DURABLE_REDIS_ARGS, markingApp, sleep } from './support/marking-app.js';

const PREFIX = 'bmtest_close_';

/** The uids marked in `visit`'s unique bitmap, read through an engine of its own (the plugin is closed). */
async function markedUids(url: string): Promise<number[]> {
  const engine = new Bitmapist({ redis: url, keyPrefix: PREFIX });
  try {
    return await engine.unique('visit').ids();
  } finally {
    await engine.close();
  }
}

describe('faults: close() during load', function () {
  this.timeout(60_000);

  it('waits for Redis to come back and writes every queued mark before it resolves', async () => {
    const redis = await startRedisServer({ args: DURABLE_REDIS_ARGS });
    const t = await markingApp({ redisUrl: redis.url, keyPrefix: PREFIX, queueLimit: 100_000 });
    let load: Load | undefined;
    try {
      load = runLoad({ url: `${t.server.base}/?uid=`, clients: 50, durationMs: 5_000, firstUid: 1, expectBody: 'ok' });
      await load.started;
      await sleep(1_000);
      await redis.kill();
      await sleep(1_000);
      const accepted = t.issued.length;
      const queuedAtClose = t.bitmapist.metrics.queued;
      let closedAt = 0;
      const closing = t.bitmapist.close({ timeout: 20_000 }).then((unwritten) => ((closedAt = Date.now()), unwritten));
      await sleep(1_000);
      expect(closedAt, 'close() resolved while Redis was down').to.equal(0);
      await redis.start();
      const restartedAt = Date.now();
      expect(await closing).to.equal(0);
      const { requests, errors } = await load.done;

      expect(errors).to.deep.equal([]);
      expect(requests.filter((r) => !r.ok)).to.have.length(0);
      expect(queuedAtClose).to.be.above(0);
      expect(t.issued.length).to.be.above(accepted);
      expect(await markedUids(redis.url)).to.deep.equal(ascending(t.issued.slice(0, accepted)));
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: accepted, dropped: 0, failed: t.issued.length - accepted });
      const late = t.errors.filter((e) => e.error instanceof MarksNotWrittenError).map((e) => e.error.message);
      expect(late).to.deep.equal(['koa-bitmapist: system "default" is closed; marks issued after close() are not written']);
      console.log(`      figures: close() wrote ${queuedAtClose} queued marks, resolving ${closedAt - restartedAt} ms after Redis was back`);
    } finally {
      load?.stop();
      await t.server.close();
      await t.bitmapist.close();
      await redis.stop();
    }
  });

  it('a flush() still waiting when close() gives marks up resolves with their number, not 0', async () => {
    const redis = await startRedisServer({ args: DURABLE_REDIS_ARGS });
    const t = await markingApp({ redisUrl: redis.url, keyPrefix: PREFIX });
    try {
      await redis.kill();
      for (let uid = 1; uid <= 7; uid++) t.bitmapist.markEvent('visit', uid);
      // The outage is known (reported once) before close: the marks are held, none in flight.
      while (t.errors.length === 0) await sleep(10);
      const flushing = t.bitmapist.flush(60_000);
      const unwritten = await t.bitmapist.close({ timeout: 300 });
      expect([unwritten, await flushing]).to.deep.equal([7, 7]);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 7 });
    } finally {
      await t.server.close();
      await redis.stop();
    }
  });

  it('gives up after its timeout while Redis is down, resolves with the unwritten count and reports it', async () => {
    const redis = await startRedisServer({ args: DURABLE_REDIS_ARGS });
    const t = await markingApp({ redisUrl: redis.url, keyPrefix: PREFIX, queueLimit: 100_000 });
    let load: Load | undefined;
    try {
      await redis.kill();
      load = runLoad({ url: `${t.server.base}/?uid=`, clients: 50, durationMs: 3_000, firstUid: 1, expectBody: 'ok' });
      await load.started;
      await sleep(1_000);
      const accepted = t.issued.length;
      const started = Date.now();
      const unwritten = await t.bitmapist.close({ timeout: 500 });
      const tookMs = Date.now() - started;
      const { requests, errors } = await load.done;

      expect(errors).to.deep.equal([]);
      expect(requests.filter((r) => !r.ok)).to.have.length(0);
      expect(unwritten).to.equal(accepted);
      expect(tookMs, 'close() did not hang').to.be.below(5_000);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: t.issued.length });
      const reports = t.errors.filter((e) => e.error instanceof MarksNotWrittenError).map((e) => e.error.message);
      expect(reports).to.deep.equal([
        'koa-bitmapist: system "default" is closed; marks issued after close() are not written',
        `koa-bitmapist: ${accepted} queued marks could not be written before close() gave up after 500 ms`,
      ]);
      await redis.start();
      const raw = new Redis(redis.url);
      try {
        expect(await keysUnder(raw, PREFIX)).to.deep.equal([]);
      } finally {
        raw.disconnect();
      }
      console.log(`      figures: close({ timeout: 500 }) gave up ${unwritten} marks after ${tookMs} ms`);
    } finally {
      load?.stop();
      await t.server.close();
      await redis.stop();
    }
  });
});
