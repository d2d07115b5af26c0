import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import Koa from 'koa';
import { koaBitmapist, mark } from '../../src/koa/index.js';
import { startRedisServer } from '../../src/testing/index.js';
import { collectErrors, quiet, serve } from '../koa/support.js';

/** Every dashboard route in every format it answers (HTML, JSON, CSV, SVG). */
const ROUTES = [
  '/bitmapist/',
  '/bitmapist/?format=json',
  '/bitmapist/cohort',
  '/bitmapist/cohort?primary=event:1&secondary=event:2',
  '/bitmapist/cohort?primary=event:1&secondary=event:2&format=json',
  '/bitmapist/cohort?primary=event:1&secondary=event:2&format=csv',
  '/bitmapist/trends',
  '/bitmapist/trends?event=event:1&event=event:2',
  '/bitmapist/trends?event=event:1&format=json',
  '/bitmapist/trends?event=event:1&format=csv',
  '/bitmapist/active',
  '/bitmapist/active?event=event:1',
  '/bitmapist/active?event=event:1&format=json',
  '/bitmapist/active?event=event:1&format=csv',
  '/bitmapist/lifecycle',
  '/bitmapist/lifecycle?event=event:1',
  '/bitmapist/lifecycle?event=event:1&format=json',
  '/bitmapist/lifecycle?event=event:1&format=csv',
  '/bitmapist/sparkline?event=event:1',
];
/** What the issue asks of every route while Redis is unreachable. */
const ANSWER_WITHIN_MS = 1_000;
/** How long Redis stays down: longer than ioredis's reconnection backoff ever grows. */
const DOWN_FOR_MS = 30_000;

/** The SHA1 of a script, as ioredis sends it in EVALSHA. */
const scriptSha = (file: string) => createHash('sha1').update(readFileSync(new URL(`../../lua/${file}`, import.meta.url), 'utf8')).digest('hex');
const READ_SCRIPTS = new Set(['evaluate.lua', 'cohort_row.lua', 'cohort_windows.lua'].map(scriptSha));

/** A request to the app at `base`, answered whole: its status and how long it took. */
async function timedGet(base: string, path: string) {
  const started = performance.now();
  const response = await fetch(base + path);
  await response.arrayBuffer();
  return { path, status: response.status, ms: performance.now() - started };
}

describe('koa: the dashboard while Redis is down', function () {
  this.timeout(120_000);

  it('answers every route 503 within a second, however long Redis has been down, without sending it any read', async () => {
    const redis = await startRedisServer();
    const app = new Koa();
    const errors = collectErrors(app);
    const bitmapist = koaBitmapist(app, { redisUrl: redis.url, keyPrefix: 'bmtest_pages_', logger: quiet });
    app.use(mark('visit', (ctx) => ctx.query.uid as string | undefined));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const client = bitmapist.engine.redis;
    // Every read the dashboard could send while Redis is away: listings, block registry reads, read scripts.
    const reads: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string; args: unknown[] }) => {
      const script = command.name === 'evalsha' ? String(command.args[0]) : '';
      if (command.name === 'scan' || command.name === 'smembers' || READ_SCRIPTS.has(script)) reads.push(command.name);
      return send(command as never);
    }) as typeof client.sendCommand;
    const server = await serve(app);
    const get = (path: string) => timedGet(server.base, path);
    try {
      for (let i = 0; i < 120; i++) bitmapist.markEvent(`event:${i}`, i);
      expect(await bitmapist.flush(10_000)).to.equal(0);
      // The events page lists and counts all 120 events while Redis is up (and caches the listing).
      expect((await get('/bitmapist/?format=json')).status).to.equal(200);

      await redis.kill();
      while (client.status === 'ready') await sleep(10);
      for (let uid = 0; uid < 5; uid++) expect((await get(`/?uid=${uid}`)).status).to.equal(200);

      const sweep = async () => {
        reads.length = 0;
        const answers = [];
        for (const path of ROUTES) answers.push(await get(path));
        return answers;
      };
      const started = Date.now();
      let sweeps = 0;
      do {
        const answers = await sweep();
        sweeps += 1;
        expect(answers.filter((a) => a.status !== 503).map((a) => `${a.path}: ${a.status}`)).to.deep.equal([]);
        expect(answers.filter((a) => a.ms >= ANSWER_WITHIN_MS).map((a) => `${a.path}: ${Math.round(a.ms)} ms`)).to.deep.equal([]);
        expect(reads).to.deep.equal([]);
        await sleep(3_000);
      } while (Date.now() - started < DOWN_FOR_MS);
      expect(sweeps).to.be.at.least(5);

      await redis.start();
      // Back: the pages answer again once the client has reconnected.
      while (!bitmapist.engine.reachable || client.status !== ('ready' as string)) await sleep(20);
      expect((await get('/bitmapist/?format=json')).status).to.equal(200);
      // The server kept nothing (no persistence): mark the cohort's events again.
      bitmapist.markEvent('event:1', 1);
      bitmapist.markEvent('event:2', 1);
      expect(await bitmapist.flush(10_000)).to.equal(0);
      expect((await get('/bitmapist/cohort?primary=event:1&secondary=event:2&format=json')).status).to.equal(200);
      expect(errors.length).to.be.greaterThan(0);
    } finally {
      await server.close();
      await bitmapist.close({ timeout: 1_000 });
      await redis.stop();
    }
  });

  it('answers 503 in bounded time while Redis is connected but silent (a frozen host), and serves again once it answers', async () => {
    const redis = await startRedisServer();
    const app = new Koa();
    collectErrors(app);
    const bitmapist = koaBitmapist(app, { redisUrl: redis.url, keyPrefix: 'bmtest_frozen_', logger: quiet });
    const server = await serve(app);
    const get = (path: string) => timedGet(server.base, path);
    let frozen: number | undefined;
    try {
      for (let i = 0; i < 20; i++) bitmapist.markEvent(`event:${i}`, i);
      expect(await bitmapist.flush(10_000)).to.equal(0);
      expect((await get('/bitmapist/?format=json')).status).to.equal(200);
      const pid = Number(/process_id:(\d+)/.exec(await bitmapist.engine.redis.info('server'))![1]);
      process.kill(pid, 'SIGSTOP');
      frozen = pid;
      // A burst of views: before the fix each read waited for the client's 10 s command timeout in turn behind
      // the others (the last of 40 trends answered after 70 s); now the first reads give up after 2 s
      // (SILENT_AFTER_MS) and every read waiting behind them fails at once.
      const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`/bitmapist/trends?event=event:${i % 20}&format=json`)));
      expect(burst.filter((a) => a.status !== 503).map((a) => `${a.path}: ${a.status}`)).to.deep.equal([]);
      expect(Math.max(...burst.map((a) => a.ms))).to.be.below(8_000);
      expect(bitmapist.engine.reachable).to.equal(false);
      // Silent: no read is sent, every route answers at once.
      for (const path of ROUTES) {
        const answer = await get(path);
        expect([answer.path, answer.status]).to.deep.equal([path, 503]);
        expect(answer.ms).to.be.below(ANSWER_WITHIN_MS);
      }
      process.kill(pid, 'SIGCONT');
      frozen = undefined;
      // Back once Redis answers the engine's PING.
      while (!bitmapist.engine.reachable) await sleep(20);
      expect((await get('/bitmapist/trends?event=event:1&format=json')).status).to.equal(200);
    } finally {
      if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
      await server.close();
      await bitmapist.close({ timeout: 1_000 });
      await redis.stop();
    }
  });
});
