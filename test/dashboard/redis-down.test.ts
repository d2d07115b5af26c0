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
    const get = async (path: string) => {
      const started = performance.now();
      const response = await fetch(server.base + path);
      await response.arrayBuffer();
      return { path, status: response.status, ms: performance.now() - started };
    };
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
});
