import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { koaBitmapist, type KoaBitmapist, type KoaBitmapistOptions } from '../../src/koa/index.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';

/** A Koa app listening on a free loopback port. */
export async function serve(app: Koa): Promise<{ base: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every error the app reports through `app.emit('error', err, ctx)`. */
export function collectErrors(app: Koa): { error: Error; ctx: unknown }[] {
  const errors: { error: Error; ctx: unknown }[] = [];
  app.on('error', (error: Error, ctx: unknown) => errors.push({ error, ctx }));
  return errors;
}

/** Silences the dashboard's start-up warning in tests that do not check it. */
export const quiet = { warn: () => undefined };

/**
 * A Koa app with the plugin on the test Redis under a key prefix of its own; `cleanup()` closes the plugin
 * and deletes what the test wrote.
 */
export function testApp(options: KoaBitmapistOptions = {}) {
  const prefix = uniquePrefix('koa');
  const app = new Koa();
  const errors = collectErrors(app);
  const bitmapist: KoaBitmapist = koaBitmapist(app, { redisUrl: testRedisUrl(), keyPrefix: prefix, logger: quiet, ...options });
  const raw = testClient();
  return {
    app,
    bitmapist,
    errors,
    prefix,
    raw,
    async cleanup() {
      await bitmapist.close();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    },
  };
}
