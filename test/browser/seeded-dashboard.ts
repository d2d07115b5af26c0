import { createExampleApp } from '../../examples/app.js';
import { seed } from '../../examples/seed.js';
import { serve, quiet } from '../koa/support.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { launchChromium } from './chromium.js';

/** The moment the browser tests' demo data ends (screenshots stay the same from run to run). */
export const SEEDED_UNTIL = new Date('2025-03-15T12:00:00Z');

/**
 * The example app with the demo data seeded up to {@link SEEDED_UNTIL} under a prefix of its own, served on
 * a free port, and Chromium with a page size of `viewport`; `close()` stops all of it and deletes the data.
 */
export async function seededDashboard(viewport: { width: number; height: number }, label = 'browser') {
  const prefix = uniquePrefix(label);
  const { app, bitmapist } = createExampleApp({ bitmapist: { redisUrl: testRedisUrl(), keyPrefix: prefix, logger: quiet } });
  const server = await serve(app);
  const chromium = await launchChromium(viewport);
  const raw = testClient();
  const close = async () => {
    await chromium.close();
    await server.close();
    await bitmapist.close();
    await deleteUnder(raw, prefix);
    raw.disconnect();
  };
  try {
    await seed(bitmapist, { now: SEEDED_UNTIL });
  } catch (error) {
    await close();
    throw error;
  }
  return { prefix, bitmapist, server, chromium, raw, close };
}
