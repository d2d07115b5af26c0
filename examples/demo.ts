/**
 * `npm run demo`: a private redis-server (unless REDIS_URL is set), seed data, and the example app with
 * its dashboard. Prints the dashboard URL; Ctrl-C stops everything it started.
 *
 *   PORT    the port to serve on (default 3000, or a free one if 3000 is taken; 0 picks a free one)
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startRedisServer, type RedisServer } from '../src/testing/index.js';
import { createExampleApp } from './app.js';
import { printSummary, seed } from './seed.js';

async function main(): Promise<void> {
  let redis: RedisServer | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redis = await startRedisServer();
    redisUrl = redis.url;
    console.log(`Started a private redis-server at ${redisUrl} (stopped on exit)`);
  }
  const { app, bitmapist } = createExampleApp({ bitmapist: { redisUrl, logger: { warn: () => undefined } } });
  const existing = await bitmapist.getEventNames({ prefix: 'user:' });
  if (existing.length === 0) printSummary(await seed(bitmapist, { progress: process.stderr.isTTY === true }));
  else console.log(`${redisUrl} already holds user:* events: not seeding again`);

  const server = await listen(app.callback(), process.env.PORT);
  const base = `http://localhost:${(server.address() as AddressInfo).port}`;
  console.log(`\nExample app:  ${base}/   (log in as user1 / demo)`);
  console.log(`Events:       ${base}/bitmapist/`);
  console.log(`Dashboard:    ${base}/bitmapist/cohort?primary=user:created&secondary=user:logged_in&timeGroup=weeks&rows=12&cols=12&mode=recurring`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await bitmapist.close();
    await redis?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Listens on PORT; without PORT, on 3000 or, if that is taken, on a free port. */
async function listen(handler: Parameters<typeof import('node:http').createServer>[1], portText: string | undefined): Promise<Server> {
  const { createServer } = await import('node:http');
  const attempt = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer(handler);
      server.once('error', reject);
      server.listen(port, () => resolve(server));
    });
  if (portText !== undefined && portText !== '') return attempt(Number(portText));
  try {
    return await attempt(3000);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return attempt(0);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
