import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { Bitmapist } from '../../src/index.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';

const EVENT = 'shutdown:visit';
const VISITORS = Array.from({ length: 20 }, (_, i) => i + 1);

/** Starts test/koa/fixtures/shutdown-app.ts; resolves with the child and its port once it listens. */
async function startApp(prefix: string, graceful: boolean) {
  const env = { ...process.env, SHUTDOWN_REDIS_URL: testRedisUrl(), SHUTDOWN_KEY_PREFIX: prefix, SHUTDOWN_GRACEFUL: graceful ? '1' : '0' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/koa/fixtures/shutdown-app.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => ['exited'])])) as [string];
  const port = /^listening (\d+)$/.exec(line)?.[1];
  if (!port) throw new Error(`the app did not start: ${line}`);
  return { child, base: `http://127.0.0.1:${port}` };
}

describe('koa: graceful shutdown (README recipe)', function () {
  this.timeout(60_000);

  for (const graceful of [true, false]) {
    it(graceful
      ? 'writes the queued marks on SIGTERM when the app closes the server, then bitmapist'
      : 'loses the queued marks when SIGTERM ends the process without close()', async () => {
      const prefix = uniquePrefix('shutdown');
      const raw = testClient();
      const engine = new Bitmapist({ redis: testRedisUrl(), keyPrefix: prefix });
      const { child, base } = await startApp(prefix, graceful);
      try {
        // Redis holds every write for 2 s: the marks stay queued in the app when the signal comes.
        await raw.call('CLIENT', 'PAUSE', '2000', 'WRITE');
        const from = new Date();
        for (const uid of VISITORS) expect((await fetch(`${base}/?uid=${uid}`)).status).to.equal(200);
        const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
        child.kill('SIGTERM');
        const [code, signal] = await exited;
        await raw.call('CLIENT', 'UNPAUSE');
        const to = new Date();
        // The days the marks may fall in (one, unless midnight UTC passed meanwhile).
        const ids = new Set([...(await engine.day(EVENT, from).ids()), ...(await engine.day(EVENT, to).ids())]);
        if (graceful) expect([code, signal, [...ids].sort((a, b) => a - b)]).to.deep.equal([0, null, VISITORS]);
        else expect([code, signal, ids.size]).to.deep.equal([null, 'SIGTERM', 0]);
      } finally {
        await raw.call('CLIENT', 'UNPAUSE');
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await engine.close();
        await deleteUnder(raw, prefix);
        raw.disconnect();
      }
    });
  }
});
