import { expect } from 'chai';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { Bitmapist, BitmapistArgumentError, BitmapistConfigError, BitmapistError } from '../../src/index.js';
import { installedBitmapist, koaBitmapist, markEvent } from '../../src/koa/index.js';
import { startRedisServer } from '../../src/testing/index.js';
import { deleteUnder, keysUnder, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { quiet, serve, testApp } from './support.js';

const now = new Date('2025-01-31T23:10:00Z');

describe('koa: plugin', () => {
  it('is ctx.bitmapist and the returned object; marks by direct call on both and by the module export', async () => {
    const t = testApp({ disableRouter: true });
    let seen: unknown;
    t.app.use((ctx) => {
      seen = ctx.bitmapist;
      ctx.bitmapist.markEvent('x:direct', '8', { now });
      ctx.body = 'ok';
    });
    const server = await serve(t.app);
    try {
      expect(await (await fetch(`${server.base}/`)).text()).to.equal('ok');
      expect(seen).to.equal(t.bitmapist);
      t.bitmapist.markEvent('x:direct', 7, { now });
      markEvent('x:direct', 9n, { now });
      expect(await t.bitmapist.flush(5000)).to.equal(0);
      expect(await t.bitmapist.engine.day('x:direct', now).ids()).to.deep.equal([7, 8, 9]);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 3, dropped: 0, failed: 0 });
      expect(await keysUnder(t.raw, t.prefix)).to.deep.equal(
        [`${t.prefix}x:direct_2025-1`, `${t.prefix}x:direct_2025-1-31`, `${t.prefix}x:direct_W2025-5`].sort(),
      );
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('checks marks at once and queues nothing it refuses', async () => {
    const t = testApp({ disableRouter: true });
    try {
      expect(() => t.bitmapist.markEvent('', 1)).to.throw(BitmapistArgumentError, 'event name must be a non-empty string');
      expect(() => t.bitmapist.markEvent('a\uD800', 1)).to.throw(BitmapistArgumentError, 'event name must be well-formed Unicode');
      expect(() => t.bitmapist.markEvent('x', -1)).to.throw(BitmapistArgumentError, 'uid: user id must be an integer in [0, 16777215], got -1');
      expect(() => t.bitmapist.markEvent('x', '-1')).to.throw(BitmapistArgumentError, 'uid: user id must be a non-negative integer or a string of digits');
      expect(() => t.bitmapist.markEvent('x', 'abc')).to.throw(BitmapistArgumentError, 'got "abc"');
      expect(() => t.bitmapist.markEvent('x', 2 ** 32)).to.throw(BitmapistArgumentError, 'user id must be an integer in [0, 16777215]');
      // The default maxUserId (2^24 - 1) bounds what one request can make Redis allocate (2 MB a bitmap).
      expect(() => t.bitmapist.markEvent('x', 2 ** 24)).to.throw(BitmapistArgumentError, 'user id must be an integer in [0, 16777215], got 16777216');
      expect(() => t.bitmapist.markEvent('x', '16777216')).to.throw(BitmapistArgumentError, 'got 16777216');
      expect(() => t.bitmapist.markEvent('x', 1, { system: 'nope' })).to.throw(BitmapistArgumentError, 'unknown system "nope"');
      expect(() => t.bitmapist.markEvent('x', 1, { now: new Date(Number.NaN) })).to.throw(BitmapistArgumentError, 'now');
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 0 });
    } finally {
      await t.cleanup();
    }
  });

  it('binds the module markEvent to the most recently installed open plugin', async () => {
    expect(installedBitmapist()).to.equal(undefined);
    const a = testApp({ disableRouter: true });
    const b = testApp({ disableRouter: true });
    try {
      expect(installedBitmapist()).to.equal(b.bitmapist);
      markEvent('bound', 1, { now });
      await b.bitmapist.close();
      expect(installedBitmapist()).to.equal(a.bitmapist);
      markEvent('bound', 2, { now });
      await a.bitmapist.flush(5000);
      expect(await new Bitmapist({ redis: a.raw, keyPrefix: b.prefix }).day('bound', now).ids()).to.deep.equal([1]);
      expect(await a.bitmapist.engine.day('bound', now).ids()).to.deep.equal([2]);
      await a.bitmapist.close();
      expect(() => markEvent('bound', 3)).to.throw(BitmapistConfigError, 'no koa-bitmapist plugin is installed');
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('runs named systems on separate connections; marks and reads take `system`', async () => {
    const second = await startRedisServer();
    const t = testApp({ disableRouter: true, systems: { reports: second.url } });
    const raw2 = new Redis(second.url);
    try {
      expect(t.bitmapist.systemNames).to.deep.equal(['reports', 'default']);
      expect(t.bitmapist.system('reports')).to.not.equal(t.bitmapist.engine);
      t.bitmapist.markEvent('signup', 5, { now, system: 'reports' });
      t.bitmapist.markEvent('signup', 6, { now });
      t.bitmapist.markEvent('paid', 5, { now, system: 'reports' });
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.getEventData('signup', { now, system: 'reports' }).ids()).to.deep.equal([5]);
      expect(await t.bitmapist.getEventData('signup', { now }).ids()).to.deep.equal([6]);
      expect(await t.bitmapist.chainEvents('signup', [{ name: 'paid', op: 'and' }], { now, system: 'reports' }).ids()).to.deep.equal([5]);
      expect(await t.bitmapist.getEventNames({ system: 'reports' })).to.deep.equal(['paid', 'signup']);
      const cohort = await t.bitmapist.getCohort('signup', 'paid', { now, numRows: 1, numCols: 1, system: 'reports' });
      expect(cohort.cohort).to.deep.equal([[1]]);
      expect(await keysUnder(raw2, t.prefix)).to.have.length(6);
      await t.bitmapist.close();
      expect(t.bitmapist.system('reports').redis.status).to.equal('end');
    } finally {
      raw2.disconnect();
      await t.cleanup();
      await second.stop();
    }
  });

  it('closes the client it opened when the engine refuses an option: no socket is left behind', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap' || kind === 'ConnectWrap').length;
    const before = sockets();
    const refused: [Record<string, unknown>, new (...args: never[]) => BitmapistError][] = [
      [{ shardBits: 4, layout: 'sharded' }, BitmapistArgumentError],
      [{ keyPrefix: 'a{b}', layout: 'sharded' }, BitmapistConfigError],
      [{ maxUserId: -1 }, BitmapistArgumentError],
      [{ userIds: 'bogus' }, BitmapistArgumentError],
      [{ keyPrefix: 5 }, BitmapistArgumentError],
    ];
    for (const [options, type] of refused) {
      expect(() => koaBitmapist(new Koa(), { redisUrl: testRedisUrl(), logger: quiet, ...options })).to.throw(type);
    }
    // A client left open would have opened its socket by the next turn, and keep it (reconnecting) for good.
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    await nextTurn();
    while (sockets() > before) await nextTurn();
  });

  it('leaves no listener on a client of yours once closed, however often it is installed on it', async () => {
    const client = new Redis(testRedisUrl());
    const events = ['ready', 'close', 'reconnecting', 'error', 'end'] as const;
    const listeners = () => events.map((event) => client.listenerCount(event));
    try {
      await client.ping();
      const before = listeners();
      for (let i = 0; i < 12; i += 1) {
        const bitmapist = koaBitmapist(new Koa(), { redis: client, keyPrefix: uniquePrefix('koa'), logger: quiet });
        bitmapist.markEvent('e', i, { now });
        expect(await bitmapist.close()).to.equal(0);
      }
      expect(listeners()).to.deep.equal(before);
      expect(client.status).to.equal('ready');
    } finally {
      client.disconnect();
    }
  });

  it('refuses an options argument that is not an object, naming it, on every method that takes one', async () => {
    const t = testApp({ disableRouter: true });
    try {
      const outcome = async (call: () => unknown) => {
        try {
          await call();
        } catch (error) {
          return error;
        }
        return undefined;
      };
      const calls: [string, () => unknown][] = [
        ['markEvent', () => t.bitmapist.markEvent('e', 1, null as never)],
        ['getEventData', () => t.bitmapist.getEventData('e', null as never)],
        ['chainEvents', () => t.bitmapist.chainEvents('e', [], null as never)],
        ['getCohort', () => t.bitmapist.getCohort('e', 'e', null as never)],
        ['getFunnel', () => t.bitmapist.getFunnel(['e', 'e'], null as never)],
        ['getEventNames', () => t.bitmapist.getEventNames(null as never)],
        ['forgetUser', () => t.bitmapist.forgetUser(1, null as never)],
        ['exportUser', () => t.bitmapist.exportUser(1, null as never)],
      ];
      for (const [name, call] of calls) {
        const error = await outcome(call);
        expect(error, name).to.be.instanceOf(BitmapistArgumentError);
        expect((error as BitmapistArgumentError).argument, name).to.equal('options');
      }
      // The Promise-returning ones reject rather than throw.
      expect(() => t.bitmapist.getCohort('e', 'e', null as never).catch(() => undefined)).not.to.throw();
      expect(await keysUnder(t.raw, t.prefix)).to.deep.equal([]);
    } finally {
      await t.cleanup();
    }
  });

  it('close() writes what is queued first, and never closes a client or engine passed in', async () => {
    const prefix = uniquePrefix('koa');
    const client = new Redis(testRedisUrl());
    const engine = new Bitmapist({ redis: testRedisUrl(), keyPrefix: `${prefix}other_` });
    const app = new Koa();
    const bitmapist = koaBitmapist(app, { redis: client, keyPrefix: prefix, systems: { other: engine }, logger: quiet });
    try {
      for (let uid = 0; uid < 1000; uid += 1) bitmapist.markEvent('bulk', uid, { now });
      bitmapist.markEvent('bulk', 3, { now, system: 'other' });
      expect(await bitmapist.close()).to.equal(0);
      expect(bitmapist.metrics).to.deep.equal({ queued: 0, written: 1001, dropped: 0, failed: 0 });
      expect(client.status).to.equal('ready');
      expect(engine.redis.status).to.equal('ready');
      expect(await new Bitmapist({ redis: client, keyPrefix: prefix }).day('bulk', now).count()).to.equal(1000);
      expect(await engine.day('bulk', now).ids()).to.deep.equal([3]);
    } finally {
      await deleteUnder(client, prefix);
      client.disconnect();
      await engine.close();
    }
  });

  it('keeps hourly bitmaps when trackHourly is set (option or BITMAPIST_TRACK_HOURLY)', async () => {
    const t = testApp({ disableRouter: true, env: { BITMAPIST_TRACK_HOURLY: 'true' } });
    try {
      t.bitmapist.markEvent('hourly', 4, { now });
      await t.bitmapist.flush(5000);
      expect(await keysUnder(t.raw, `${t.prefix}hourly_2025-1-31-`)).to.deep.equal([`${t.prefix}hourly_2025-1-31-23`]);
      expect(await t.bitmapist.engine.hour('hourly', now).ids()).to.deep.equal([4]);
    } finally {
      await t.cleanup();
    }
  });
});
