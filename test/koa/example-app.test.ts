import { expect } from 'chai';
import { createExampleApp } from '../../examples/app.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { quiet, serve } from './support.js';

/** The example app on the test Redis, as the benchmark loads it. */
async function example(withMarks: boolean) {
  const prefix = uniquePrefix('example');
  const { app, bitmapist } = createExampleApp({
    bitmapist: { redisUrl: testRedisUrl(), keyPrefix: prefix, trackUnique: true, logger: quiet },
    withMarks,
  });
  const server = await serve(app);
  const raw = testClient();
  return {
    bitmapist,
    base: server.base,
    async close() {
      await server.close();
      await bitmapist.close();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    },
  };
}

describe('examples: createExampleApp', () => {
  it('marks index:visited on / only with withMarks, and marks the login of its form', async () => {
    const marked = await example(true);
    const plain = await example(false);
    try {
      for (const base of [marked.base, plain.base]) {
        expect((await fetch(`${base}/?uid=7`)).status).to.equal(200);
        expect((await fetch(`${base}/`)).status).to.equal(200);
      }
      const login = await fetch(`${marked.base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=user42&password=demo',
      });
      expect([login.status, login.headers.get('location')]).to.deep.equal([302, '/']);
      const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
      const home = await (await fetch(`${marked.base}/`, { headers: { cookie } })).text();
      expect(home).to.contain('Hello, user42.');
      await marked.bitmapist.flush(5000);
      await plain.bitmapist.flush(5000);
      expect(await marked.bitmapist.engine.unique('index:visited').ids()).to.deep.equal([7, 42]);
      expect(await marked.bitmapist.engine.unique('user:logged_in').ids()).to.deep.equal([42]);
      expect(await plain.bitmapist.getEventNames()).to.deep.equal([]);
    } finally {
      await marked.close();
      await plain.close();
    }
  });
});
