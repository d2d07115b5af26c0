import type { DefaultContext, DefaultState, Middleware, Next, ParameterizedContext } from 'koa';
import { BitmapistConfigError } from '../engine/errors.js';
import { assertEventName } from '../engine/keys/names.js';
import { emitAppError } from './app-errors.js';
import type { KoaBitmapist, KoaMarkOptions } from './plugin.js';
import type { UserId } from './user-id.js';

/** Who did the event: null or undefined means an anonymous request, which marks nothing. */
export type UserIdResolver<StateT = DefaultState, ContextT = DefaultContext> = (
  ctx: ParameterizedContext<StateT, ContextT>,
) => UserId | null | undefined | Promise<UserId | null | undefined>;

/** Options of {@link mark}: the system and the engine's per-mark options (`now` is the request's time). */
export type MarkMiddlewareOptions = Omit<KoaMarkOptions, 'now'>;

/**
 * Middleware that marks `event` for the request's user once the downstream middleware has finished
 * without throwing. `uid` is an id, or a function of the context (an anonymous request resolves to
 * null/undefined and marks nothing; an async resolver is not awaited by the response). Use it on
 * `app.use` or on single `@koa/router` routes. Errors never fail the request: they go to
 * `app.emit('error', err, ctx)`. Give your state type for a typed resolver: `mark<MyState>('x', (ctx) => ...)`.
 */
export function mark<StateT = DefaultState, ContextT = DefaultContext>(
  event: string,
  uid: UserId | UserIdResolver<StateT, ContextT>,
  options: MarkMiddlewareOptions = {},
): Middleware<StateT, ContextT> {
  assertEventName(event);
  // A constant id is checked with the marks, by the rules of the system that marks it (known at the first request).
  return async function bitmapistMark(ctx: ParameterizedContext<StateT, ContextT>, next: Next): Promise<void> {
    await next();
    const issuedAt = new Date();
    const report = (error: unknown) => emitAppError(ctx.app, error, ctx);
    const enqueue = (id: UserId | null | undefined) => {
      if (id === null || id === undefined) return;
      const plugin = (ctx as { bitmapist?: KoaBitmapist }).bitmapist;
      if (plugin === undefined) throw new BitmapistConfigError('mark(): install koaBitmapist(app) on this app first');
      plugin.enqueue(event, id, { ...options, now: issuedAt }, ctx);
    };
    try {
      const id = typeof uid === 'function' ? uid(ctx) : uid;
      if (isPromiseLike(id)) {
        id.then((resolved) => {
          try {
            enqueue(resolved);
          } catch (error) {
            report(error);
          }
        }, report);
      } else {
        enqueue(id);
      }
    } catch (error) {
      report(error);
    }
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<UserId | null | undefined> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
