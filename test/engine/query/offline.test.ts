import { expect } from 'chai';
import { connect, createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import {
  activeUsers,
  Bitmapist,
  BitmapistArgumentError,
  BitmapistOfflineError,
  periodCounts,
  SILENT_AFTER_MS,
  trendCounts,
} from '../../../src/index.js';
import { startRedisServer } from '../../../src/testing/index.js';
import { killAndRecordSent } from '../support/offline.js';
import { CohortRunner } from '../../../src/engine/insights/cohort/runner.js';
import { RedisBlockRegistry } from '../../../src/engine/keys/blocks.js';
import type { ShardedKeyNames } from '../../../src/engine/keys/key-names.js';

const failureOf = (call: () => Promise<unknown>) => call().then(() => undefined, (error: unknown) => error);

describe('reads while Redis is unreachable', function () {
  this.timeout(30_000);

  for (const layout of ['compatible', 'sharded'] as const) {
    for (const userIds of ['integers', 'mapped'] as const) {
      it(`every read rejects at once with a BitmapistOfflineError and sends nothing; bad arguments are still refused as such (${layout} layout, ${userIds} ids)`, async () => {
        const redis = await startRedisServer();
        const bm = new Bitmapist({ redis: redis.url, keyPrefix: 'bmtest_offread_', layout, userIds } as { redis: string; userIds: 'integers' });
        const now = new Date('2025-02-20T12:00:00Z');
        // With mapped ids, 1 is this process's (cached) and 2 another's (looked up in Redis).
        const [mine, theirs] = userIds === 'mapped' ? ['1', '2'] as unknown as number[] : [1, 2];
        try {
          await bm.markEvent('e', mine!, { now });
          const sent = await killAndRecordSent(bm as never, redis);
          const reads: [string, () => Promise<unknown>][] = [
            ['count', () => bm.day('e', now).count()],
            ['has (cached id)', () => bm.day('e', now).has(mine!)],
            ['has (id not cached)', () => bm.day('e', now).has(theirs!)],
            ['ids', () => bm.day('e', now).ids()],
            ['hasEvent', () => bm.hasEvent('e', [now])],
            ['getEventNames', () => bm.getEventNames()],
            ['getCohort', () => bm.getCohort('e', 'e', { now, numRows: 3, numCols: 3 })],
            ['getFunnel', () => bm.getFunnel(['e', 'e'], { now, periods: 3 })],
            ['getLifecycle', () => bm.getLifecycle('e', { now, periods: 3 })],
            ['activeUsers', () => activeUsers(bm, 'e', { now, days: 3 })],
            ['trendCounts', () => trendCounts(bm, ['e'], { now, periods: 3 })],
            ['periodCounts', () => periodCounts(bm, ['e'], ['day', 'year'], now)],
          ];
          if (bm.idMap) reads.push(['idMap.lookup (id not cached)', () => bm.idMap!.lookup('2')]);
          for (const [name, read] of reads) {
            expect(await failureOf(read), name).to.be.instanceOf(BitmapistOfflineError);
            expect(sent, name).to.deep.equal([]);
          }
          // Arguments are checked first: a bad one is still a BitmapistArgumentError.
          for (const [name, read] of [
            ['getEventNames', () => bm.getEventNames({ prefix: 5 as never })],
            ['hasEvent', () => bm.hasEvent('', [now])],
            ['getFunnel', () => bm.getFunnel(['e'], { now })],
          ] as const) {
            expect(await failureOf(read), name).to.be.instanceOf(BitmapistArgumentError);
          }
          expect(sent).to.deep.equal([]);
        } finally {
          await bm.close();
          await redis.stop();
        }
      });
    }
  }

  for (const [layout, userIds] of [['compatible', 'mapped'], ['sharded', 'integers']] as const) {
    it(`a read Redis leaves unanswered (a frozen host) rejects after SILENT_AFTER_MS, the reads after it at once, until Redis answers (${layout} layout, ${userIds} ids)`, async () => {
      const redis = await startRedisServer();
      // The engine's own client: no command timeout, so before the fix such a read waited as long as Redis was frozen.
      const bm = new Bitmapist({ redis: redis.url, keyPrefix: 'bmtest_silent_', layout, userIds } as { redis: string; userIds: 'integers' });
      const now = new Date('2025-02-20T12:00:00Z');
      const uid = (userIds === 'mapped' ? '1' : 1) as number;
      let frozen: number | undefined;
      try {
        await bm.markEvent('e', uid, { now });
        const pid = Number(/process_id:(\d+)/.exec(await bm.redis.info('server'))![1]);
        // Each a different first read: a script call, SCAN, EXISTS, the user's bitmaps, HGET of the id map, SMEMBERS of the block registry.
        const reads: [string, () => Promise<unknown>][] = [
          ['count', () => bm.day('e', now).count()],
          ['getEventNames', () => bm.getEventNames()],
          ['hasEvent', () => bm.hasEvent('e', [now])],
          ['exportUser', () => bm.exportUser(uid)],
        ];
        if (bm.idMap) reads.push(['idMap.lookup (id not cached)', () => bm.idMap!.lookup('2')]);
        for (const [name, read] of reads) {
          process.kill(pid, 'SIGSTOP');
          frozen = pid;
          const outcome = await Promise.race([failureOf(read), new Promise((resolve) => setTimeout(() => resolve('stuck'), 8_000))]);
          expect(outcome, name).to.be.instanceOf(BitmapistOfflineError);
          expect(bm.reachable, name).to.equal(false);
          const next = await Promise.race([failureOf(read), new Promise((resolve) => setTimeout(() => resolve('waited'), 500))]);
          expect(next, name).to.be.instanceOf(BitmapistOfflineError);
          process.kill(pid, 'SIGCONT');
          frozen = undefined;
          while (!bm.reachable) await new Promise((resolve) => setTimeout(resolve, 20));
          expect(await failureOf(read), name).to.equal(undefined);
        }
      } finally {
        if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
        await bm.close();
        await redis.stop();
      }
    });
  }

  it('a cohort whose Redis freezes between its cohort_row calls rejects after SILENT_AFTER_MS (its cleanup waits no longer)', async () => {
    const redis = await startRedisServer();
    const bm = new Bitmapist({ redis: redis.url, keyPrefix: 'bmtest_silent_cohort_', layout: 'sharded', shardBits: 8 });
    const now = new Date('2025-01-31T12:00:00Z');
    let frozen: number | undefined;
    try {
      const marks = [];
      for (let uid = 0; uid < 3000; uid += 5) for (const event of ['a', 'b']) for (let d = 0; d < 30; d += 2) marks.push({ event, uid, now: new Date(now.getTime() - d * 86_400_000) });
      await bm.markEvents(marks);
      const pid = Number(/process_id:(\d+)/.exec(await bm.redis.info('server'))![1]);
      // Cohorts counted in Redis in many short calls (no local counting, a 1 us budget): 30 window calls, then 120
      // cohort_row calls; freeze at the 40th call, in the chains.
      const runner = new CohortRunner(bm.redis, bm.keys, new RedisBlockRegistry(bm.redis, bm.keys as ShardedKeyNames), { localBytes: 0, localScanBytes: 0, callBudget: 1 }, bm.readLimiter);
      Object.assign(bm, { cohorts: runner });
      let scripts = 0;
      const send = bm.redis.sendCommand.bind(bm.redis);
      bm.redis.sendCommand = ((command: { name: string }) => {
        if (command.name === 'evalsha' && ++scripts === 40) {
          process.kill(pid, 'SIGSTOP');
          frozen = pid;
        }
        return send(command as never);
      }) as typeof bm.redis.sendCommand;
      const outcome = await Promise.race([failureOf(() => bm.getCohort('a', 'b', { now, numRows: 20, numCols: 10 })), new Promise((resolve) => setTimeout(() => resolve('stuck'), 8_000))]);
      expect(frozen).to.equal(pid);
      expect(outcome).to.be.instanceOf(BitmapistOfflineError);
    } finally {
      if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
      await bm.close();
      await redis.stop();
    }
  });

  it('a first read issued before Redis is up waits for the connection, however long past SILENT_AFTER_MS', async () => {
    const redis = await startRedisServer();
    await redis.kill();
    const bm = new Bitmapist({ redis: redis.url, keyPrefix: 'bmtest_late_' });
    try {
      const read = bm.day('e', new Date('2025-02-20T12:00:00Z')).count();
      // Only time connected counts toward silence: before the fix this read failed after 2 s, the client never
      // having reached Redis.
      await new Promise((resolve) => setTimeout(resolve, SILENT_AFTER_MS + 1_000));
      await redis.start();
      expect(await read).to.equal(0);
      expect(bm.reachable).to.equal(true);
    } finally {
      await bm.close();
      await redis.stop();
    }
  });

  it('a Redis frozen before the client first connects (TCP accepted, nothing answered): reads reject after SILENT_AFTER_MS, later ones at once', async () => {
    const redis = await startRedisServer();
    const admin = new Redis(redis.url);
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
    admin.disconnect();
    process.kill(pid, 'SIGSTOP');
    const bm = new Bitmapist({ redis: redis.url, keyPrefix: 'bmtest_frozen_start_' });
    try {
      const day = new Date('2025-02-20T12:00:00Z');
      // The client stays in 'connect' (its ready check unanswered). Before the fix its reads waited as long as Redis
      // stayed frozen, each getting "the time again" for a client not ready.
      const outcome = await Promise.race([failureOf(() => bm.day('e', day).count()), new Promise((resolve) => setTimeout(() => resolve('stuck'), 8_000))]);
      expect(outcome).to.be.instanceOf(BitmapistOfflineError);
      expect(bm.reachable).to.equal(false);
      const next = await Promise.race([failureOf(() => bm.day('e', day).count()), new Promise((resolve) => setTimeout(() => resolve('waited'), 500))]);
      expect(next).to.be.instanceOf(BitmapistOfflineError);
    } finally {
      process.kill(pid, 'SIGCONT');
      await bm.close();
      await redis.stop();
    }
  });

  it('a read issued while the client connects to a slow Redis is answered: the time its ready check took does not count', async () => {
    const redis = await startRedisServer();
    // A link that delays every answer of Redis by 900 ms: the ready check and the read take 1.8 s in all.
    const proxy = createServer((client) => {
      const upstream = connect(redis.port, '127.0.0.1');
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), 900));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const client = new Redis((proxy.address() as AddressInfo).port, '127.0.0.1');
    const bm = new Bitmapist({ redis: client, keyPrefix: 'bmtest_slow_link_' });
    try {
      // Before the fix the read had waited over 2 s when its time was up, the client was ready: Redis taken for silent.
      expect(await bm.day('e', new Date('2025-02-20T12:00:00Z')).count()).to.equal(0);
      expect(bm.reachable).to.equal(true);
    } finally {
      await bm.close();
      client.disconnect();
      proxy.close();
      await redis.stop();
    }
  });
});
