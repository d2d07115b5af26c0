import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Bitmapist } from '../../../src/index.js';
import { countCommands } from '../../support/model.js';
import { testBitmapist, testRedisUrl } from '../../support/redis.js';

const CHILD = fileURLToPath(new URL('../support/mark-process.ts', import.meta.url));

/** Another Node process marking through its own Bitmapist; `mark()` resolves once that process's mark resolved. */
async function markingProcess(prefix: string, shardBits: number) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', CHILD, testRedisUrl(), prefix, String(shardBits)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await answers.next();
    if (done) throw new Error('the marking process exited');
    return value as string;
  };
  expect(await next()).to.equal('ready');
  return {
    async mark(event: string, uid: number, now: Date) {
      child.stdin.write(`${JSON.stringify({ event, uid, now: now.toISOString() })}\n`);
      expect(await next()).to.equal('ok');
    },
    async stop() {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

describe('the block registry of the sharded layout', function () {
  this.timeout(30_000);
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-02-20T12:00:00Z');

  it("heals at once after another process's deleteAllEvents: a block marked again is visible immediately", async () => {
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8 });
    const other = await markingProcess(t.prefix, 8);
    try {
      await other.mark('e', 300, now);
      await other.mark('e', 5, now);
      expect(await sharded.day('e', now).ids()).to.deep.equal([5, 300]);
      expect(await sharded.deleteAllEvents()).to.equal(6 + 1); // with the registry
      expect(await t.raw.exists(`${t.prefix}~blocks`)).to.equal(0);
      await other.mark('e', 301, now);
      expect(await sharded.day('e', now).count()).to.equal(1);
      expect(await sharded.day('e', now).ids()).to.deep.equal([301]);
      expect(await t.raw.smembers(`${t.prefix}~blocks`)).to.deep.equal(['1']);
    } finally {
      await other.stop();
    }
  });

  it('registers the blocks of every write batch inside its one script call (one server)', async () => {
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8 });
    await sharded.redis.ping();
    const { names } = await countCommands(sharded.redis, async () => {
      await Promise.all([1, 2, 300, 301, 900].map((uid) => sharded.markEvent('e', uid, { now })));
      await sharded.markEvent('e', 3, { now });
    });
    // The first batch covers blocks 0, 1 and 3: one script call, which adds them (a Cluster: see test/cluster/marking.test.ts).
    expect(names).to.deep.equal(['evalsha', 'evalsha']);
    expect((await t.raw.smembers(`${t.prefix}~blocks`)).sort()).to.deep.equal(['0', '1', '3']);
  });

  it('registers the block of an unmark never marked, so NOT answers as in the compatible layout', async () => {
    const compatible = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}c_` });
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}s_`, layout: 'sharded', shardBits: 8 });
    for (const bm of [compatible, sharded]) {
      await bm.markEvent('a', 10, { now });
      // Creates a zero-filled bitmap up to uid 2000 in the compatible layout: NOT's universe grows with it.
      await bm.unmarkEvent('a', 2000, { now });
    }
    expect(await t.raw.smembers(`${t.prefix}s_~blocks`)).to.have.members(['0', '7']);
    const expected = await compatible.day('a', now).not().count();
    expect(expected).to.equal(2007);
    expect(await sharded.day('a', now).not().count()).to.equal(expected);
    expect(await sharded.day('a', now).not().ids()).to.deep.equal(await compatible.day('a', now).not().ids());
    expect(await sharded.day('a', now).not().has(1500)).to.equal(true);
  });
});
