import { expect } from 'chai';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { BitmapistUnavailableError, koaBitmapist, mark, MarkQueueOverflowError, MarksNotWrittenError, type KoaBitmapistOptions } from '../../src/koa/index.js';
import { startRedisServer, type RedisServer } from '../../src/testing/index.js';
import { collectErrors, quiet, serve } from './support.js';

/**
 * The bound X of "a request is not delayed by a dead Redis": requests that mark answer in about a
 * millisecond here whether Redis is up or not; 250 ms leaves room for a loaded CI machine.
 */
const REQUEST_BOUND_MS = 250;
/** A dashboard read fails within about a second while Redis refuses connections (see PLUGIN_REDIS_OPTIONS). */
const DASHBOARD_BOUND_MS = 3_000;

/**
 * An app that marks `visit` for `?uid=`, on a private redis-server this test can kill; `client` makes the
 * app's own ioredis client of its URL and hands it to the plugin (`redis`).
 */
async function killableApp(options: KoaBitmapistOptions = {}, client?: (url: string) => Redis) {
  const redis: RedisServer = await startRedisServer();
  const app = new Koa();
  const errors = collectErrors(app);
  const own = client?.(redis.url);
  const bitmapist = koaBitmapist(app, { ...(own ? { redis: own } : { redisUrl: redis.url }), keyPrefix: 'bmtest_down_', trackUnique: true, logger: quiet, ...options });
  app.use(mark('visit', (ctx) => ctx.query.uid as string | undefined));
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  const server = await serve(app);
  const visit = async (uid: number) => {
    const started = performance.now();
    const response = await fetch(`${server.base}/?uid=${uid}`);
    expect(await response.text()).to.equal('ok');
    return performance.now() - started;
  };
  const ofType = (type: new (...args: never[]) => Error) => errors.filter((e) => e.error instanceof type).length;
  return {
    redis,
    app,
    bitmapist,
    errors,
    server,
    visit,
    ofType,
    async cleanup() {
      await server.close();
      await bitmapist.close({ timeout: 1000 });
      own?.disconnect();
      await redis.stop();
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('koa: when Redis is down', () => {
  it('answers every request at once, keeps the marks, and writes each one after Redis is back', async () => {
    const t = await killableApp();
    try {
      await t.visit(0);
      await t.bitmapist.flush(5000);
      await t.redis.kill();
      const latencies: number[] = [];
      for (const uid of range(1, 300)) latencies.push(await t.visit(uid));
      expect(Math.max(...latencies)).to.be.below(REQUEST_BOUND_MS);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 300, written: 1, dropped: 0, failed: 0 });

      const started = performance.now();
      const dashboard = await fetch(`${t.server.base}/bitmapist/cohort?primary=visit&secondary=visit&format=json`);
      expect(performance.now() - started).to.be.below(DASHBOARD_BOUND_MS);
      expect(dashboard.status).to.equal(503);
      expect(await dashboard.json()).to.deep.equal({ error: 'Redis is unavailable right now; try again in a moment.' });
      expect(t.ofType(BitmapistUnavailableError)).to.equal(1);

      await t.redis.start();
      expect(await t.bitmapist.flush(10_000)).to.equal(0);
      expect(await t.bitmapist.engine.unique('visit').ids()).to.deep.equal(range(1, 300));
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 301, dropped: 0, failed: 0 });
      expect(t.ofType(BitmapistUnavailableError)).to.equal(1);
      expect(t.ofType(MarkQueueOverflowError)).to.equal(0);
    } finally {
      await t.cleanup();
    }
  });

  it("reports the outage once as soon as a client of the app's own loses its connection, not when its queued commands fail", async () => {
    // Commands wait in this client's offline queue for as long as it reconnects: no write ever fails.
    const t = await killableApp({}, (url) => new Redis(url, { maxRetriesPerRequest: null }).on('error', () => undefined));
    try {
      await t.visit(0);
      await t.bitmapist.flush(5000);
      await t.redis.kill();
      await t.visit(1);
      await until(() => t.ofType(BitmapistUnavailableError) === 1, Number.POSITIVE_INFINITY);
      expect(t.bitmapist.metrics).to.deep.include({ written: 1, failed: 0 });

      await t.redis.start();
      expect(await t.bitmapist.flush(10_000)).to.equal(0);
      // The server restarts empty: only the mark queued during the outage is there.
      expect(await t.bitmapist.engine.unique('visit').ids()).to.deep.equal([1]);
      expect(t.ofType(BitmapistUnavailableError)).to.equal(1);
    } finally {
      await t.cleanup();
    }
  });

  it('drops the oldest marks beyond queueLimit, counts them, and reports the overflow once', async () => {
    const t = await killableApp({ queueLimit: 50 });
    try {
      await t.visit(0);
      await t.bitmapist.flush(5000);
      await t.redis.kill();
      for (const uid of range(1, 120)) await t.visit(uid);
      // Once the mark in flight at the kill has failed too, exactly the newest 50 are kept.
      await until(() => t.bitmapist.metrics.dropped === 70);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 50, written: 1, dropped: 70, failed: 0 });
      await t.redis.start();
      expect(await t.bitmapist.flush(10_000)).to.equal(0);
      expect(await t.bitmapist.engine.unique('visit').ids()).to.deep.equal(range(71, 120));
      expect(t.ofType(MarkQueueOverflowError)).to.equal(1);
      expect(t.ofType(BitmapistUnavailableError)).to.equal(1);
    } finally {
      await t.cleanup();
    }
  });

  it('close() gives up after its timeout against a Redis that stops answering, without waiting for its QUIT', async () => {
    const t = await killableApp();
    const admin = new Redis(t.redis.url);
    try {
      await t.visit(1);
      expect(await t.bitmapist.flush(5_000)).to.equal(0);
      // Connected but silent, as a Redis stuck in a long script or a paused server: nothing is answered.
      await admin.call('CLIENT', 'PAUSE', '60000', 'ALL');
      for (const uid of range(2, 6)) t.bitmapist.markEvent('visit', uid);
      const closing = t.bitmapist.close({ timeout: 300 });
      // Before the fix close() queued a QUIT behind the unanswered writes and waited for the plugin client's
      // 10 s command timeout. The wait here is a sentinel well above timeout + LATE_WRITES_MS + the 1 s QUIT bound.
      const outcome = await Promise.race([closing, new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 8_000))]);
      expect(outcome).to.equal(5);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 5 });
    } finally {
      admin.disconnect();
      await t.redis.kill();
      await t.cleanup();
    }
  });

  it('close() gives up after its timeout, resolves with the unwritten count and reports it', async () => {
    const t = await killableApp();
    try {
      await t.redis.kill();
      for (const uid of range(1, 5)) t.bitmapist.markEvent('visit', uid);
      const started = performance.now();
      expect(await t.bitmapist.close({ timeout: 300 })).to.equal(5);
      expect(performance.now() - started).to.be.below(DASHBOARD_BOUND_MS);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 5 });
      const reports = t.errors.filter((e) => e.error instanceof MarksNotWrittenError).map((e) => e.error.message);
      expect(reports).to.deep.equal(['koa-bitmapist: 5 queued marks could not be written before close() gave up after 300 ms']);
      // The plugin's client is gone for good: it does not come back when Redis does.
      await t.redis.start();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const probe = new Redis(t.redis.url);
      try {
        const clients = ((await probe.client('LIST')) as string).trim().split('\n');
        expect(clients).to.have.length(1);
      } finally {
        probe.disconnect();
      }
    } finally {
      await t.cleanup();
    }
  });
});
