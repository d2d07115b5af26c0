/**
 * The example app: a `/` route marked with `mark('index:visited', ...)` (the logged-in user, else an
 * anonymous visitor id from a signed cookie, see ./visitor.ts), a koa-passport login form and a logout
 * (marked `user:logged_in` / `user:logged_out` by the plugin), and the dashboard at /bitmapist, open to
 * logged-in users.
 *
 *   npx tsx examples/app.ts
 *     REDIS_URL or BITMAPIST_REDIS_URL   the Redis (default redis://localhost:6379)
 *     PORT, HOST                         where to listen (default 3000 on 127.0.0.1)
 *     APP_KEYS                           comma-separated keys signing the cookies (default: a random key
 *                                        made at start, so sessions end with the process)
 *
 * Demo accounts: user1 ... user1000, password `demo` (the seed's users).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import Koa, { type Context } from 'koa';
import passportModule from 'koa-passport';
import session from 'koa-session';
import { Strategy as LocalStrategy } from 'passport-local';
import { koaBitmapist, mark, type KoaBitmapist, type KoaBitmapistOptions } from '../src/koa/index.js';
import { identifyVisitor, visitorId } from './visitor.js';

export { VISITOR_COOKIE, VISITOR_IDS, visitorId } from './visitor.js';

/** Options of {@link createExampleApp}. */
export interface ExampleAppOptions {
  /** Options of the plugin (e.g. `{ redisUrl }`). */
  bitmapist?: KoaBitmapistOptions;
  /** Mark `index:visited` on `/` (default true); false builds the same route without `mark()`, for benchmarks. */
  withMarks?: boolean;
  /** The keys signing the session and visitor cookies (default {@link appKeys}). */
  keys?: string[];
}

/** The cookie-signing keys: env `APP_KEYS` (comma-separated), else one random key made now. Never a key in the repository. */
export function appKeys(env: NodeJS.ProcessEnv = process.env): string[] {
  const keys = (env.APP_KEYS ?? '').split(',').map((key) => key.trim()).filter((key) => key !== '');
  return keys.length > 0 ? keys : [randomBytes(32).toString('base64url')];
}

/** A demo user. */
export interface DemoUser {
  id: number;
  username: string;
}

/** The demo accounts: `user<N>` with password `demo`, N in 1..1000. */
export function findDemoUser(username: string, password?: string): DemoUser | undefined {
  const match = /^user([1-9]\d{0,3})$/.exec(username);
  const id = match ? Number(match[1]) : 0;
  if (id < 1 || id > 1000 || (password !== undefined && password !== 'demo')) return undefined;
  return { id, username };
}

/** Builds the example app and installs the plugin on it; the caller listens and later closes `bitmapist`. */
export function createExampleApp(options: ExampleAppOptions = {}): { app: Koa; bitmapist: KoaBitmapist } {
  const app = new Koa();
  app.keys = options.keys ?? appKeys();
  const passport = new passportModule.KoaPassport();
  passport.use(new LocalStrategy((username, password, done) => done(null, findDemoUser(username, password) ?? false)));
  passport.serializeUser((user, done) => done(null, (user as DemoUser).id));
  passport.deserializeUser((id: number, done) => done(null, findDemoUser(`user${id}`) ?? false));

  app.use(session({ sameSite: 'lax' }, app));
  app.use(bodyParser());
  app.use(passport.initialize());
  app.use(passport.session());
  // After the session middleware, so the login marks see the loaded session.
  const bitmapist = koaBitmapist(app, options.bitmapist);

  const router = new Router();
  const home = async function home(ctx: Context) {
    const user = ctx.state.user as DemoUser | undefined;
    ctx.body = page(
      'koa-bitmapist example',
      `<p>${user ? `Hello, ${user.username}. <form method="post" action="/logout"><button>Log out</button></form>` : '<a href="/login">Log in</a> (user1 / demo)'}</p>
<p><a href="/bitmapist/">Events</a> · <a href="/bitmapist/cohort?primary=user:created&amp;secondary=user:logged_in&amp;timeGroup=weeks&amp;mode=recurring">Cohorts</a></p>`,
    );
  };
  if (options.withMarks ?? true) router.get('/', identifyVisitor, mark('index:visited', visitorId), home);
  else router.get('/', identifyVisitor, home);
  router.get('/login', function loginForm(ctx: Context) {
    const failed = ctx.query.failed ? '<p>Wrong user name or password.</p>' : '';
    ctx.body = page(
      'Log in',
      `${failed}<form method="post" action="/login"><label>User <input name="username" value="user1"></label>
<label>Password <input name="password" type="password" value="demo"></label><button>Log in</button></form>`,
    );
  });
  router.post('/login', passport.authenticate('local', { successRedirect: '/', failureRedirect: '/login?failed=1' }));
  router.post('/logout', async function logout(ctx: Context) {
    await ctx.logout();
    ctx.redirect('/');
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, bitmapist };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const redisUrl = process.env.REDIS_URL ?? process.env.BITMAPIST_REDIS_URL;
  // The dashboard is for logged-in users; without authorize it would answer 403 outside development.
  const authorize = (ctx: Context) => ctx.isAuthenticated();
  const { app, bitmapist } = createExampleApp({ bitmapist: { redisUrl, authorize } });
  const host = process.env.HOST || '127.0.0.1';
  const server = app.listen(Number(process.env.PORT ?? 3000), host, () => {
    const { port } = server.address() as AddressInfo;
    console.log(`Example app on http://${host}:${port}/ (dashboard: /bitmapist/, log in first)`);
  });
  // Graceful shutdown: stop taking requests, then write the queued marks before exiting.
  const stop = () => {
    server.close();
    server.closeIdleConnections();
    bitmapist.close().finally(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
}
