import type Koa from 'koa';
import type { Context, Next } from 'koa';
import { emitAppError } from './app-errors.js';
import type { TrackLoginsOptions } from './options.js';
import type { KoaBitmapist } from './plugin.js';
import { passportUserId } from './user-id.js';

type Settings = Required<Omit<TrackLoginsOptions, 'system'>> & { system?: string };
type Marker = (event: string, user: unknown, ctx: Context) => void;

/**
 * Installs the login marks. koa-passport 6 runs its own passport 0.6, which emits no events, and
 * `passport.authenticate()` logs in without calling `ctx.login`; so a middleware compares the session's
 * passport user before and after each request (a new user is a login, a vanished one a logout), and
 * `ctx.login` / `ctx.logout` are wrapped for apps without sessions. Marks are idempotent bits, so a login
 * seen both ways is counted once.
 */
export function installLoginTracking(app: Koa, plugin: KoaBitmapist, options: TrackLoginsOptions): void {
  const settings: Settings = {
    loggedIn: options.loggedIn ?? 'user:logged_in',
    loggedOut: options.loggedOut ?? 'user:logged_out',
    userId: options.userId ?? ((user) => passportUserId(user, plugin.system(options.system).userIds)),
    system: options.system,
    wrapLogin: options.wrapLogin ?? true,
  };
  const mark: Marker = (event, user, ctx) => {
    try {
      const id = settings.userId(user);
      if (id !== undefined && id !== null) plugin.enqueue(event, id, { system: settings.system }, ctx);
    } catch (error) {
      emitAppError(app, error, ctx);
    }
  };
  app.use(sessionLoginTracker(settings, mark));
  if (settings.wrapLogin) wrapPassportMethods(app, settings, mark);
}

function sessionLoginTracker(settings: Settings, mark: Marker) {
  return async function bitmapistTrackLogins(ctx: Context, next: Next): Promise<void> {
    const before = sessionUser(ctx);
    try {
      await next();
    } finally {
      const after = sessionUser(ctx);
      const beforeId = idOf(settings, before);
      const afterId = idOf(settings, after);
      if (beforeId !== afterId) {
        if (beforeId !== undefined) mark(settings.loggedOut, before, ctx);
        if (afterId !== undefined) mark(settings.loggedIn, after, ctx);
      }
    }
  };
}

/** The serialized passport user of the request's session, if any (koa-session keeps it at `session.passport.user`). */
function sessionUser(ctx: Context): unknown {
  try {
    const session = (ctx as { session?: { passport?: { user?: unknown } } | null }).session;
    return session?.passport?.user;
  } catch {
    return undefined;
  }
}

function hasSession(ctx: Context): boolean {
  try {
    return Boolean((ctx as { session?: unknown }).session);
  } catch {
    return false;
  }
}

function idOf(settings: Settings, user: unknown): string | undefined {
  if (user === undefined || user === null) return undefined;
  try {
    const id = settings.userId(user);
    return id === undefined || id === null ? undefined : String(id);
  } catch {
    return undefined;
  }
}

const wrapped = Symbol('bitmapist.passportMethods');
type Holder = { [wrapped]?: Record<string, unknown> };

/**
 * koa-passport assigns `ctx.login`, `ctx.logIn`, `ctx.logout`, `ctx.logOut` on every request; accessors on
 * `app.context` catch those assignments and hand back wrappers, whatever the middleware order.
 */
function wrapPassportMethods(app: Koa, settings: Settings, mark: Marker): void {
  const methods = { login: 'in', logIn: 'in', logout: 'out', logOut: 'out' } as const;
  for (const [name, kind] of Object.entries(methods)) {
    if (Object.prototype.hasOwnProperty.call(app.context, name)) continue;
    Object.defineProperty(app.context, name, {
      configurable: true,
      get(this: Holder) {
        return this[wrapped]?.[name];
      },
      set(this: Holder & Context, fn: unknown) {
        const ctx = this;
        const store = (ctx[wrapped] ??= {});
        if (typeof fn !== 'function') {
          store[name] = fn;
          return;
        }
        store[name] = function bitmapistPassportMethod(this: unknown, ...args: unknown[]): unknown {
          const user = kind === 'in' ? args[0] : (ctx.state as { user?: unknown } | undefined)?.user;
          const result: unknown = fn.apply(this, args);
          // With a session, the session tracker sees the change; only session-less logins are marked here.
          const sessionLess = !hasSession(ctx) || (kind === 'in' && (args[1] as { session?: boolean } | undefined)?.session === false);
          const event = kind === 'in' ? settings.loggedIn : settings.loggedOut;
          if (sessionLess) Promise.resolve(result).then(() => mark(event, user, ctx), () => undefined);
          return result;
        };
      },
    });
  }
}
