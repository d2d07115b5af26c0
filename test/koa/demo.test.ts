import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

describe('examples: npm run demo', function () {
  this.timeout(60_000);

  it('starts a private redis-server, seeds, serves the dashboard, and stops everything on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
    delete env.REDIS_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const output = await waitForOutput(child, /Press Ctrl-C to stop\./, 30_000);
      const redisUrl = /private redis-server at (redis:\/\/\S+)/.exec(output)![1]!;
      const dashboard = /Dashboard:\s+(\S+)/.exec(output)![1]!;
      expect(output).to.match(/Seeded \d+ marks for 1000 users/);
      const page = await fetch(dashboard);
      expect(page.status).to.equal(200);
      const body = await page.text();
      expect(body).to.contain('<table class="cohort">');
      expect(body).to.contain('<option value="user:created" selected>user:created</option>');
      const home = await fetch(new URL('/?uid=5', dashboard));
      expect(home.status).to.equal(200);
      expect(await refusesConnections(redisUrl)).to.equal(false);

      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).to.equal(0);
      expect(await refusesConnections(redisUrl)).to.equal(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
