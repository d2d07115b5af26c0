import { expect } from 'chai';
import { Redis } from 'ioredis';
import { refuseForeignData } from './global.js';
import { TEST_KEY_PREFIX, testRedisUrl } from './redis.js';

describe('test harness guard', () => {
  // The test database itself (the one REDIS_URL names, or the private server's): no other database of a server
  // the user runs is ever written. The foreign key lives only for this test.
  const foreignKey = `guard_foreign_${process.pid}_${Date.now()}`;
  const testKey = `${TEST_KEY_PREFIX}guard_${process.pid}`;
  let url: string;
  let client: Redis;
  before(() => {
    url = testRedisUrl();
    client = new Redis(url);
  });
  after(async () => {
    await client.del(foreignKey, testKey);
    client.disconnect();
  });

  it('accepts a database holding only test keys and refuses one holding foreign keys', async () => {
    await client.set(testKey, '1');
    await refuseForeignData(url);
    let refused: unknown;
    try {
      await client.set(foreignKey, '1');
      await refuseForeignData(url).catch((error: unknown) => (refused = error));
    } finally {
      await client.del(foreignKey);
    }
    expect(String(refused)).to.match(/Refusing to test against .*guard_foreign_/);
    await refuseForeignData(url);
  });
});
