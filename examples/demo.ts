/**
 * `npm run demo`: a private redis-server (unless REDIS_URL is set), seed data through today, and the
 * example app with its dashboard, open without login (the plugin runs as in NODE_ENV=development).
 * Prints the dashboard URL. Ctrl-C, SIGTERM or SIGHUP (to the demo or to `npm run demo`) stop everything
 * it started.
 *
 *   PORT    the port to serve on (default 3000, or a free one if 3000 is taken; 0 picks a free one)
 *   HOST    the address to listen on (default 127.0.0.1: only this machine can see the demo)
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRedisServer, type RedisServer } from '../src/testing/index.js';
import type { KoaBitmapist } from '../src/koa/index.js';
import { createExampleApp } from './app.js';
import { watchLaunchers } from './launcher-watch.js';
import { printSummary, seed } from './seed.js';

/** How long stopping may take before the demo exits anyway (its redis-server is killed on exit). */
const STOP_TIMEOUT_MS = 5_000;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

let redis: RedisServer | undefined;
let server: Server | undefined;
let bitmapist: KoaBitmapist | undefined;
let stopping = false;

/** Stops what the demo started, in order: the HTTP server, the plugin (writes queued marks), redis-server. */
async function stop(reason: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${reason}: stopping`);
  setTimeout(() => process.exit(code || 1), STOP_TIMEOUT_MS).unref();
  try {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    await bitmapist?.close();
    await redis?.stop();
  } finally {
    process.exit(code);
  }
}

async function main(): Promise<void> {
  // Installed first, so a signal during start-up or seeding also stops the redis-server.
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop(signal));
  // npm forwards SIGTERM only to its shell, and dies of SIGHUP alone: watch the launchers too.
  watchLaunchers(() => void stop('npm run demo ended'));

  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redis = await startRedisServer();
    redisUrl = redis.url;
    console.log(`Started a private redis-server at ${redisUrl} (stopped on exit)`);
  }
  const demoEnv = { ...process.env, NODE_ENV: 'development' };
  const example = createExampleApp({ bitmapist: { redisUrl, env: demoEnv, logger: { warn: () => undefined } } });
  bitmapist = example.bitmapist;
  const existing = await bitmapist.getEventNames({ prefix: 'user:' });
  if (existing.length === 0) printSummary(await seed(bitmapist, { progress: process.stderr.isTTY === true }));
  else console.log(`${redisUrl} already holds user:* events: not seeding again`);

  const host = process.env.HOST || '127.0.0.1';
  server = await listen(example.app.callback(), host, process.env.PORT);
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const base = `http://${shown}:${(server.address() as AddressInfo).port}`;
  console.log(`\nExample app:  ${base}/   (log in as user1 / demo)`);
  console.log(`Events:       ${base}/bitmapist/`);
  console.log(`Dashboard:    ${base}/bitmapist/cohort?primary=user:created&secondary=user:logged_in&timeGroup=weeks&rows=12&cols=12&mode=recurring`);
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) console.log(`Listening on ${host}: the dashboard is open to everyone who can reach it.`);
  console.log(`Press Ctrl-C to stop (demo pid ${process.pid}).`);
}

/** Listens on HOST:PORT; without PORT, on 3000 or, if that is taken, on a free port. */
async function listen(handler: Parameters<typeof import('node:http').createServer>[1], host: string, portText: string | undefined): Promise<Server> {
  const { createServer } = await import('node:http');
  const attempt = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const candidate = createServer(handler);
      candidate.once('error', reject);
      candidate.listen(port, host, () => resolve(candidate));
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
  void stop('start-up failed', 1);
});
