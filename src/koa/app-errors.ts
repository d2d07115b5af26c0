import type Koa from 'koa';

/**
 * Hands an error to the app as Koa does, `app.emit('error', err, ctx)`; when nobody listens yet (before
 * `app.listen()` installs Koa's default listener) it goes to `app.onerror`, so it is logged, never thrown.
 */
export function emitAppError(app: Koa, error: unknown, ctx?: object): void {
  const err = error instanceof Error ? error : new Error(String(error));
  if (app.listenerCount('error') > 0) app.emit('error', err, ctx);
  else app.onerror(err);
}
