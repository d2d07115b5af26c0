import { expect } from 'chai';
import { Redis } from 'ioredis';
import { refuseForeignData } from './global.js';
import { TEST_KEY_PREFIX, testRedisUrl } from './redis.js';

describe('test harness guard', () => {
  // Database 9 of the test server: the guard must refuse it while it holds a key the tests did not write.
  const foreignKey = `guard_foreign_${process.pid}_${Date.now()}`;
  let url: string;
  let client: Redis;
  before(() => {
    url = `${testRedisUrl().replace(/\/\d+$/, '')}/9`;
    client = new Redis(url);
  });
  after(async () => {
    await client.del(foreignKey, `${TEST_KEY_PREFIX}guard`);
    client.disconnect();
  });

  it('accepts a database holding only test keys and refuses one holding foreign keys', async () => {
    await client.set(`${TEST_KEY_PREFIX}guard`, '1');
    await refuseForeignData(url);
    await client.set(foreignKey, '1');
    let refused: unknown;
    await refuseForeignData(url).catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/Refusing to test against .*guard_foreign_/);
  });
});
