import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';

/** Reads the child's stdout until `pattern` shows up. */
function waitForOutput(child: ReturnType<typeof spawn>, pattern: RegExp, timeoutMs: number): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${timeoutMs} ms; output so far:\n${output}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
  });
}

async function refusesConnections(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return false;
  } catch {
    return true;
  } finally {
    client.disconnect();
  }
}

/** The pid of the redis-server at `url`. */
async function serverPid(url: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return Number(/^process_id:(\d+)/m.exec(await client.info('server'))![1]);
  } finally {
    client.disconnect();
  }
}

/** Whether `pid` is a live process (a zombie nobody reaped has exited). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return !existsSync('/proc/self/stat'); // gone between the two checks; without /proc, kill(0) decided
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** An IPv4 address of this machine other than loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

/** Waits until `pid` has exited (true), or gives up after `timeoutMs` (false). */
async function exits(pid: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    if (!isRunning(pid)) return true;
  }
  return !isRunning(pid);
}

/**
 * Starts the demo with PORT=0 and no REDIS_URL, directly (`node --import tsx examples/demo.ts`) or through
 * `npm run demo` (npm -> sh -> tsx -> node); resolves once it serves.
 */
async function startDemo(through: 'node' | 'npm' = 'node') {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  delete env.REDIS_URL;
  delete env.HOST;
  const [command, args] = through === 'npm' ? ['npm', ['run', 'demo']] : [process.execPath, ['--import', 'tsx', 'examples/demo.ts']];
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = await waitForOutput(child, /Press Ctrl-C to stop \(demo pid \d+\)\./, 30_000);
  const redisUrl = /private redis-server at (redis:\/\/\S+)/.exec(output)![1]!;
  return {
    child,
    output,
    redisUrl,
    demoPid: Number(/demo pid (\d+)/.exec(output)![1]),
    redisPid: await serverPid(redisUrl),
    events: /Events:\s+(\S+)/.exec(output)![1]!,
    dashboard: /Dashboard:\s+(\S+)/.exec(output)![1]!,
  };
}

describe('examples: npm run demo', function () {
  this.timeout(60_000);

  it('starts a private redis-server, seeds through today, serves the dashboard on loopback, and stops everything on Ctrl-C', async () => {
    const demo = await startDemo();
    const { child } = demo;
    try {
      expect(demo.output).to.match(/Seeded \d+ marks for 1000 users/);
      expect(new URL(demo.dashboard).hostname).to.equal('127.0.0.1');
      const page = await fetch(demo.dashboard);
      expect(page.status).to.equal(200);
      const body = await page.text();
      expect(body).to.contain('<table class="cohort">');
      expect(body).to.contain('<input name="primary" list="bitmapist-events" value="user:created"');
      // The events page shows activity today, right after the seed.
      const today = (await (await fetch(`${demo.events}?format=json`)).json()) as { events: { name: string; day: number }[] };
      expect(today.events.find((event) => event.name === 'user:logged_in')!.day).to.be.above(0);
      const home = await fetch(new URL('/', demo.dashboard));
      expect(home.status).to.equal(200);
      const outside = outsideAddress();
      if (outside !== undefined) {
        const port = new URL(demo.dashboard).port;
        const refused = await fetch(`http://${outside}:${port}/`).then(() => false, () => true);
        expect([outside, refused]).to.deep.equal([outside, true]);
      }
      expect(await refusesConnections(demo.redisUrl)).to.equal(false);

      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).to.equal(0);
      expect(await refusesConnections(demo.redisUrl)).to.equal(true);
      expect(isRunning(demo.redisPid)).to.equal(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (isRunning(demo.redisPid)) process.kill(demo.redisPid, 'SIGKILL');
    }
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`stops the demo and its redis-server on ${signal} to the demo or to npm run demo`, async () => {
      for (const through of ['node', 'npm'] as const) {
        const demo = await startDemo(through);
        const { child } = demo;
        try {
          expect([isRunning(demo.demoPid), isRunning(demo.redisPid)]).to.deep.equal([true, true]);
          child.kill(signal);
          // npm forwards SIGTERM to its shell only and dies of SIGHUP alone: the demo must notice either way.
          expect([through, await exits(demo.demoPid, 15_000), await exits(demo.redisPid, 5_000)]).to.deep.equal([through, true, true]);
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          for (const pid of [demo.demoPid, demo.redisPid]) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
        }
      }
    });
  }
});
