import { expect } from 'chai';
import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import Koa from 'koa';
import passportModule from 'koa-passport';
import session from 'koa-session';
import { Strategy as LocalStrategy } from 'passport-local';
import { koaBitmapist, type KoaBitmapistOptions } from '../../src/koa/index.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collectErrors, quiet, serve } from './support.js';

const USERS = [
  { id: 11, username: 'alice', password: 'wonderland' },
  { id: 12, username: 'bob', password: 'builder' },
];

/** A real login stack: koa-session, bodyparser, koa-passport with passport-local, then the plugin. */
function loginApp(pluginOptions: KoaBitmapistOptions = {}) {
  const prefix = uniquePrefix('login');
  const app = new Koa();
  app.keys = ['test secret'];
  const errors = collectErrors(app);
  const passport = new passportModule.KoaPassport();
  passport.use(
    new LocalStrategy((username, password, done) =>
      done(null, USERS.find((u) => u.username === username && u.password === password) ?? false),
    ),
  );
  passport.serializeUser((user, done) => done(null, (user as { id: number }).id));
  passport.deserializeUser((id: number, done) => done(null, USERS.find((u) => u.id === id) ?? false));
  app.use(session({}, app));
  app.use(bodyParser());
  app.use(passport.initialize());
  app.use(passport.session());
  const bitmapist = koaBitmapist(app, { redisUrl: testRedisUrl(), keyPrefix: prefix, trackUnique: true, disableRouter: true, logger: quiet, ...pluginOptions });
  const router = new Router();
  router.post('/login', passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login' }));
  router.get('/me', (ctx) => {
    ctx.body = (ctx.state.user as { username?: string } | undefined)?.username ?? 'anonymous';
  });
  router.post('/logout', async (ctx) => {
    await ctx.logout();
    ctx.redirect('/');
  });
  app.use(router.routes());
  const raw = testClient();
  return {
    app,
    bitmapist,
    errors,
    ids: async (event: string) => {
      await bitmapist.flush(5000);
      return bitmapist.engine.unique(event).ids();
    },
    async cleanup() {
      await bitmapist.close();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    },
  };
}

/** A cookie jar over fetch, enough for koa-session's two cookies. */
function browser(base: string) {
  const jar = new Map<string, string>();
  return async (path: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(base + path, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie } });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const cut = pair.indexOf('=');
      jar.set(pair.slice(0, cut), pair.slice(cut + 1));
    }
    return response;
  };
}

function form(fields: Record<string, string>): RequestInit {
  return { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

describe('koa: koa-passport login marks', () => {
  it('marks a login through a real form POST to passport.authenticate, and the logout', async () => {
    const t = loginApp();
    const server = await serve(t.app);
    const visit = browser(server.base);
    try {
      const login = await visit('/login', form({ username: 'alice', password: 'wonderland' }));
      expect([login.status, login.headers.get('location')]).to.deep.equal([302, '/me']);
      expect(await (await visit('/me')).text()).to.equal('alice');
      expect(await t.ids('user:logged_in')).to.deep.equal([11]);
      expect(await t.ids('user:logged_out')).to.deep.equal([]);
      const logout = await visit('/logout', { method: 'POST' });
      expect(logout.status).to.equal(302);
      expect(await (await visit('/me')).text()).to.equal('anonymous');
      expect(await t.ids('user:logged_out')).to.deep.equal([11]);
      expect(await t.ids('user:logged_in')).to.deep.equal([11]);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 2, dropped: 0, failed: 0 });
      expect(t.errors).to.have.length(0);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('marks nothing for a failed login, and a switch of user as a logout and a login', async () => {
    const t = loginApp();
    const server = await serve(t.app);
    const visit = browser(server.base);
    try {
      const failed = await visit('/login', form({ username: 'alice', password: 'wrong' }));
      expect(failed.headers.get('location')).to.equal('/login');
      expect(await t.ids('user:logged_in')).to.deep.equal([]);
      await visit('/login', form({ username: 'alice', password: 'wonderland' }));
      await visit('/login', form({ username: 'bob', password: 'builder' }));
      expect(await (await visit('/me')).text()).to.equal('bob');
      expect(await t.ids('user:logged_in')).to.deep.equal([11, 12]);
      expect(await t.ids('user:logged_out')).to.deep.equal([11]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('takes custom event names and user ids, and can be turned off', async () => {
    const custom = loginApp({ trackLogins: { loggedIn: 'auth:in', loggedOut: 'auth:out', userId: (user) => Number(user) + 1000 } });
    const off = loginApp({ trackLogins: false });
    const server = await serve(custom.app);
    const offServer = await serve(off.app);
    try {
      await browser(server.base)('/login', form({ username: 'bob', password: 'builder' }));
      await browser(offServer.base)('/login', form({ username: 'bob', password: 'builder' }));
      expect(await custom.ids('auth:in')).to.deep.equal([1012]);
      expect(await custom.bitmapist.getEventNames()).to.deep.equal(['auth:in']);
      await off.bitmapist.flush(5000);
      expect(await off.bitmapist.getEventNames()).to.deep.equal([]);
    } finally {
      await server.close();
      await offServer.close();
      await custom.cleanup();
      await off.cleanup();
    }
  });

  it('marks ctx.login() of a session-less app (the wrapped method)', async () => {
    const prefix = uniquePrefix('login');
    const app = new Koa();
    const passport = new passportModule.KoaPassport();
    // The plugin first: the wrappers catch koa-passport's assignment whatever the order.
    const bitmapist = koaBitmapist(app, { redisUrl: testRedisUrl(), keyPrefix: prefix, trackUnique: true, disableRouter: true, logger: quiet });
    app.use(passport.initialize());
    app.use(async (ctx) => {
      await ctx.login({ id: 21, name: 'token user' }, { session: false });
      ctx.body = String((ctx.state.user as { id: number }).id);
    });
    const server = await serve(app);
    const raw = testClient();
    try {
      expect(await (await fetch(`${server.base}/api`)).text()).to.equal('21');
      await bitmapist.flush(5000);
      expect(await bitmapist.engine.unique('user:logged_in').ids()).to.deep.equal([21]);
    } finally {
      await server.close();
      await bitmapist.close();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    }
  });
});
