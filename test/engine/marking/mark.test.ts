import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../../src/testing/index.js';
import { Bitmapist, BitmapistConfigError } from '../../../src/index.js';
import { countCommands } from '../../support/model.js';
import { testBitmapist, testClient, testRedisUrl, uniquePrefix } from '../../support/redis.js';

describe('Bitmapist marking', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-01-31T23:10:00Z');

  it('writes the month, ISO week and day keys, byte for byte, with the user bit set', async () => {
    await t.bm.markEvent('user:logged_in', 42, { now });
    expect(await t.keys()).to.deep.equal(
      ['2025-1', '2025-1-31', 'W2025-5'].map((s) => `${t.prefix}user:logged_in_${s}`),
    );
    for (const key of await t.keys()) {
      expect(await t.raw.getbit(key, 42)).to.equal(1);
      expect(await t.raw.bitcount(key)).to.equal(1);
      expect(await t.raw.strlen(key)).to.equal(6); // bit 42 lives in byte 5
    }
  });

  it('adds the hour and unique keys when asked, per call or per instance', async () => {
    await t.bm.markEvent('e', 1, { now, trackHourly: true, trackUnique: true });
    expect(await t.keys()).to.deep.equal(
      ['2025-1', '2025-1-31', '2025-1-31-23', 'W2025-5', 'u'].map((s) => `${t.prefix}e_${s}`),
    );
    const hourly = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, trackHourly: true });
    await hourly.markEvent('f', 1, { now: new Date('2025-03-05T04:00:00Z') });
    await hourly.markEvent('g', 1, { now, trackHourly: false });
    const keys = await t.keys();
    expect(keys).to.include(`${t.prefix}f_2025-3-5-4`);
    expect(keys.filter((k) => k.startsWith(`${t.prefix}g_`))).to.have.length(3);
  });

  it('uses the ISO year in late December (2024-12-30 is W2025-1)', async () => {
    await t.bm.markEvent('e', 7, { now: new Date('2024-12-30T10:00:00Z') });
    expect(await t.keys()).to.deep.equal([`${t.prefix}e_2024-12`, `${t.prefix}e_2024-12-30`, `${t.prefix}e_W2025-1`]);
    expect(await t.bm.week('e', new Date('2025-01-02T00:00:00Z')).has(7)).to.equal(true);
  });

  it('costs one script call per mark, and one for many marks made in the same tick', async () => {
    await t.bm.redis.ping(); // connected: the handshake is not part of the count
    const one = await countCommands(t.bm.redis, () => t.bm.markEvent('e', 1, { now, trackHourly: true, trackUnique: true }));
    expect(one.names).to.deep.equal(['evalsha']);
    const many = await countCommands(t.bm.redis, () =>
      Promise.all(Array.from({ length: 100 }, (_, uid) => t.bm.markEvent('e', uid, { now }))),
    );
    expect(many.names).to.deep.equal(['evalsha']);
    expect(await t.bm.day('e', now).count()).to.equal(100);
  });

  it('unmarks exactly what a mark set', async () => {
    await t.bm.markEvent('e', 3, { now, trackHourly: true, trackUnique: true });
    await t.bm.markEvent('e', 4, { now, trackHourly: true, trackUnique: true });
    await t.bm.unmarkEvent('e', 3, { now, trackHourly: true, trackUnique: true });
    for (const set of [t.bm.day('e', now), t.bm.week('e', now), t.bm.month('e', now), t.bm.hour('e', now), t.bm.unique('e')]) {
      expect(await set.ids()).to.deep.equal([4]);
    }
  });

  it('marks and unmarks the unique bitmap alone', async () => {
    await t.bm.markUnique('signup', 10);
    await t.bm.markUnique('signup', 11);
    expect(await t.keys()).to.deep.equal([`${t.prefix}signup_u`]);
    await t.bm.unmarkUnique('signup', 10);
    expect(await t.bm.unique('signup').ids()).to.deep.equal([11]);
  });

  it('keeps the order of marks and unmarks issued in the same tick', async () => {
    await Promise.all([
      t.bm.markEvent('e', 1, { now }),
      t.bm.unmarkEvent('e', 1, { now }),
      t.bm.markEvent('e', 2, { now }),
      t.bm.unmarkEvent('e', 2, { now }),
      t.bm.markEvent('e', 2, { now }),
    ]);
    expect(await t.bm.day('e', now).ids()).to.deep.equal([2]);
  });

  it('marks the largest allowed id', async () => {
    const small = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, maxUserId: 1_000_000 });
    await small.markEvent('e', 1_000_000, { now });
    expect(await small.day('e', now).ids()).to.deep.equal([1_000_000]);
  });

  it('closes only a connection it opened', async () => {
    const client = testClient();
    const borrowed = new Bitmapist({ redis: client, keyPrefix: uniquePrefix() });
    await borrowed.close();
    expect(await client.ping()).to.equal('PONG');
    client.disconnect();
    const owned = new Bitmapist({ redis: testRedisUrl(), keyPrefix: uniquePrefix() });
    await owned.day('e', now).count();
    await owned.close();
    expect(owned.redis.status).to.equal('end');
  });

  it('closes its own connection to a Redis that stopped answering, without waiting for QUIT', async () => {
    const server = await startRedisServer();
    const admin = new Redis(server.url);
    const owned = new Bitmapist({ redis: server.url, keyPrefix: uniquePrefix() });
    try {
      await owned.markEvent('e', 1, { now });
      // Connected but silent (a long script, a paused server): QUIT queued behind a pending read is never answered.
      await admin.call('CLIENT', 'PAUSE', '60000', 'ALL');
      const pending = owned.day('e', now).count().then(
        () => 'answered',
        (error: unknown) => (error as Error).message,
      );
      // Before the fix close() awaited QUIT for as long as Redis stayed silent (a minute here).
      const outcome = await Promise.race([owned.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('stuck'), 8_000))]);
      expect(outcome).to.equal('closed');
      expect(await pending).to.equal('Connection is closed.');
      expect(owned.redis.status).to.equal('end');
    } finally {
      admin.disconnect();
      await server.kill();
    }
  });

  it('reads BITMAPIST_REDIS_URL when no redis option is given', async () => {
    const saved = process.env.BITMAPIST_REDIS_URL;
    process.env.BITMAPIST_REDIS_URL = testRedisUrl();
    try {
      const bm = new Bitmapist({ keyPrefix: t.prefix });
      await bm.markEvent('env', 5, { now });
      expect(await t.bm.day('env', now).ids()).to.deep.equal([5]);
      await bm.close();
    } finally {
      if (saved === undefined) delete process.env.BITMAPIST_REDIS_URL;
      else process.env.BITMAPIST_REDIS_URL = saved;
    }
  });

  it('refuses an ioredis client with its own keyPrefix', () => {
    const client = testClient();
    client.options.keyPrefix = 'x:';
    try {
      expect(() => new Bitmapist({ redis: client })).to.throw(BitmapistConfigError, /keyPrefix/);
    } finally {
      client.disconnect();
    }
  });
});

describe('Bitmapist.close while Redis is away', () => {
  it('resolves, and stops reconnecting, when Redis is gone', async () => {
    const { startRedisServer } = await import('../../../src/testing/index.js');
    const server = await startRedisServer();
    const bm = new Bitmapist({ redis: server.url, keyPrefix: uniquePrefix() });
    await bm.day('e').count();
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the client notices and starts reconnecting
    await bm.close(); // before the fix this never resolved: mocha's timeout would fail the test
    await server.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bm.redis.status).to.not.equal('ready'); // closed for good: it does not reconnect
    await server.stop();
  });
});
