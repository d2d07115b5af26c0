import { expect } from 'chai';
import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import Koa from 'koa';
import passportModule from 'koa-passport';
import session from 'koa-session';
import { Strategy as LocalStrategy } from 'passport-local';
import { BitmapistArgumentError, type Bitmapist } from '../../src/index.js';
import { koaBitmapist, mark, type KoaBitmapistOptions } from '../../src/koa/index.js';
import { keysUnder, deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collectErrors, quiet, serve } from './support.js';

/** The shape of a MongoDB ObjectId (bson's has the same `toHexString()`), as a driver hands `_id` out. */
class ObjectIdLike {
  constructor(private readonly hex: string) {}
  toHexString(): string {
    return this.hex;
  }
}

const alice = { id: '3f2b6c1e-8a4d-4f7e-9b21-0c5d6e7f8a90', username: 'alice', password: 'wonderland' };
const bob = { _id: new ObjectIdLike('507f1f77bcf86cd799439011'), username: 'bob', password: 'builder' };
const USERS = [alice, bob];

/** A real login stack whose users have a UUID `id` or an ObjectId `_id`, and a mark() route. */
function uuidApp(options: KoaBitmapistOptions = {}) {
  const prefix = uniquePrefix('mapped');
  const app = new Koa();
  app.keys = ['test secret'];
  const errors = collectErrors(app);
  const passport = new passportModule.KoaPassport();
  passport.use(
    new LocalStrategy((username, password, done) =>
      done(null, USERS.find((u) => u.username === username && u.password === password) ?? false),
    ),
  );
  // The session holds the id string (the UUID, the ObjectId's hex): the default id extractor reads it.
  passport.serializeUser((user, done) => done(null, userIdOf(user)));
  passport.deserializeUser((id: string, done) => done(null, USERS.find((u) => userIdOf(u) === id) ?? false));
  app.use(session({}, app));
  app.use(bodyParser());
  app.use(passport.initialize());
  app.use(passport.session());
  const settings = { redisUrl: testRedisUrl(), keyPrefix: prefix, trackUnique: true, disableRouter: true, logger: quiet, ...options };
  const bitmapist = koaBitmapist(app, settings);
  const router = new Router();
  router.post('/login', passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login' }));
  router.get('/me', (ctx) => {
    ctx.body = (ctx.state.user as { username?: string } | undefined)?.username ?? 'anonymous';
  });
  router.get('/buy', mark('buy', (ctx) => userIdOf(ctx.state.user)), (ctx) => {
    ctx.body = 'bought';
  });
  app.use(router.routes());
  const raw = testClient();
  return {
    app,
    bitmapist,
    errors,
    prefix,
    raw,
    ids: async (event: string) => {
      await bitmapist.flush(5000);
      return bitmapist.engine.unique(event).ids() as Promise<(string | number)[]>;
    },
    async cleanup() {
      await bitmapist.close();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    },
  };
}

/** What an app's resolver returns: the UUID, or the ObjectId's hex string. */
function userIdOf(user: unknown): string | undefined {
  if (user === undefined || user === null) return undefined;
  if (typeof user === 'string') return user;
  const { id, _id } = user as { id?: string; _id?: ObjectIdLike };
  return id ?? _id?.toHexString();
}

/** A cookie jar over fetch, enough for koa-session's two cookies. */
function browser(base: string) {
  const jar = new Map<string, string>();
  return async (path: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(base + path, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie } });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return response;
  };
}

const login = (username: string, password: string): RequestInit => ({
  method: 'POST',
  body: new URLSearchParams({ username, password }).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

describe('koa: mapped user ids (UUID, ObjectId)', () => {
  it('marks passport logins and mark() routes of UUID and ObjectId users over real HTTP', async () => {
    const t = uuidApp({ userIds: 'mapped' });
    const server = await serve(t.app);
    const asAlice = browser(server.base);
    const asBob = browser(server.base);
    try {
      expect((await asAlice('/login', login('alice', 'wonderland'))).status).to.equal(302);
      expect((await asBob('/login', login('bob', 'builder'))).status).to.equal(302);
      expect(await (await asBob('/buy')).text()).to.equal('bought');
      expect(await (await browser(server.base)('/buy')).text()).to.equal('bought'); // anonymous: no mark
      expect(await t.ids('user:logged_in')).to.deep.equal([alice.id, '507f1f77bcf86cd799439011']);
      expect(await t.ids('buy')).to.deep.equal(['507f1f77bcf86cd799439011']);
      const engine = t.bitmapist.engine as unknown as Bitmapist<'mapped'>;
      expect(await engine.unique('buy').has('507f1f77bcf86cd799439011')).to.equal(true);
      expect(t.errors).to.have.length(0);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('reads passport ids: a UUID id, an ObjectId _id, a serialized string (any string only with mapped ids)', async () => {
    const { passportUserId } = await import('../../src/koa/user-id.js');
    expect(passportUserId(alice, 'mapped')).to.equal(alice.id);
    expect(passportUserId(bob, 'mapped')).to.equal('507f1f77bcf86cd799439011');
    expect(passportUserId('some-session-id', 'mapped')).to.equal('some-session-id');
    expect(passportUserId(alice)).to.equal(undefined);
    expect(passportUserId({ id: '42' })).to.equal('42');
  });

  it('plugin.markEvent takes strings, numbers and bigints as one kind of id, and refuses bad ones at once', async () => {
    const t = uuidApp({ userIds: 'mapped' });
    try {
      t.bitmapist.markEvent('visit', 'a@example.com');
      t.bitmapist.markEvent('visit', 42);
      t.bitmapist.markEvent('visit', 42n);
      expect(() => t.bitmapist.markEvent('visit', '')).to.throw(BitmapistArgumentError);
      expect(() => t.bitmapist.markEvent('visit', 'x'.repeat(257))).to.throw(BitmapistArgumentError);
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.getEventData('visit').ids()).to.deep.equal(['a@example.com', '42']);
      expect(t.errors).to.have.length(0);
    } finally {
      await t.cleanup();
    }
  });

  it('with integer ids (the default) a UUID login is not marked and a UUID mark() is reported, nothing written', async () => {
    const t = uuidApp();
    const server = await serve(t.app);
    const visit = browser(server.base);
    try {
      expect((await visit('/login', login('alice', 'wonderland'))).status).to.equal(302);
      expect(await (await visit('/buy')).text()).to.equal('bought');
      await t.bitmapist.flush(5000);
      expect(t.errors.map(({ error }) => error.name)).to.deep.equal(['BitmapistArgumentError']);
      expect(await keysUnder(t.raw, t.prefix)).to.deep.equal([]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
