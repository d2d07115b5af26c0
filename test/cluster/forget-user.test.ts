import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { daySuffixes } from '../../src/engine/time/suffixes.js';
import { testClusterNodes, uniquePrefix } from '../support/redis.js';
import { FORGOTTEN, forgottenMarks, markOf } from './support/busy-marks.js';

const MARKER = fileURLToPath(new URL('./support/busy-marker.ts', import.meta.url));
const DAY_MS = 86_400_000;

/** Starts the busy marker; resolves once its first marks are written. */
async function busyMarker(prefix: string) {
  const nodes = testClusterNodes().map(({ host, port }) => `${host}:${port}`).join(',');
  const child = spawn(process.execPath, ['--import', 'tsx', MARKER, nodes, prefix], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the busy marker exited');
    return value as string;
  };
  expect(await next()).to.equal('ready');
  return {
    /** Stops it and resolves to the number of marks it wrote. */
    async stop(): Promise<number> {
      child.stdin.end();
      const written = Number(await next());
      if (child.exitCode === null) await once(child, 'exit');
      return written;
    },
    kill: () => child.kill(),
  };
}

describe('forgetUser on the Redis Cluster while another process marks', function () {
  this.timeout(120_000);

  it("clears every bit of the user and leaves every mark of the other process's users intact", async () => {
    const prefix = uniquePrefix('fg');
    const cluster = new Cluster(testClusterNodes());
    const bm = new Bitmapist({ redis: cluster, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
    let marker: Awaited<ReturnType<typeof busyMarker>> | undefined;
    try {
      const mine = forgottenMarks();
      expect(await bm.markEvents(mine)).to.equal(mine.length);
      const bitmaps = new Set<string>();
      for (const { event, now } of mine) {
        const suffixes = daySuffixes(Math.floor(now.getTime() / DAY_MS));
        for (const suffix of Object.values(suffixes)) bitmaps.add(`${event}_${suffix}`);
      }
      marker = await busyMarker(prefix);
      const forgotten = await bm.forgetUser(FORGOTTEN);
      const written = await marker.stop();
      marker = undefined;
      expect(forgotten).to.equal(bitmaps.size);
      expect(written).to.be.above(200);

      // Every bitmap of the user's block holds no bit of the user.
      const { block, bit } = bm.keys.locate(FORGOTTEN);
      const owner = cluster.nodes('master');
      const blockKeys: string[] = [];
      for (const node of owner) {
        for await (const batch of node.scanStream({ match: `${prefix}{${block}}*`, count: 1000 })) blockKeys.push(...(batch as string[]));
      }
      expect(blockKeys.length).to.be.at.least(bitmaps.size);
      expect(blockKeys.every((key) => key.includes(`{${block}}`))).to.equal(true);
      const userBits = await Promise.all(blockKeys.map((key) => cluster.getbit(key, bit)));
      expect(userBits.reduce((a, b) => a + b, 0)).to.equal(0);

      // Every other user's marks written by the other process are there.
      const expected = new Map<string, Set<number>>();
      for (let i = 0; i < written; i++) {
        const { event, uid, now } = markOf(i);
        const day = `${event}|${now.toISOString()}`;
        if (!expected.has(day)) expected.set(day, new Set());
        expected.get(day)!.add(uid);
      }
      for (const [day, uids] of expected) {
        const [event, iso] = day.split('|') as [string, string];
        expect(await bm.day(event, new Date(iso)).ids(), day).to.deep.equal([...uids].sort((a, b) => a - b));
      }
      const monthly = await bm.month('e0', new Date('2025-01-20T00:00:00Z')).ids();
      expect(monthly).to.not.include(FORGOTTEN);
    } finally {
      marker?.kill();
      await bm.deleteAllEvents();
      await cluster.quit();
    }
  });
});
