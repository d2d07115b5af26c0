import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { serve, testApp } from '../../koa/support.js';

/** How many SCAN commands the test Redis has run so far. */
async function scanCalls(raw: Redis): Promise<number> {
  const stats = await raw.info('commandstats');
  return Number(/^cmdstat_scan:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

describe('koa: the dashboard lists event names once for concurrent requests', function () {
  this.timeout(60_000);

  it('runs one listing for 20 events-page views and 20 cohorts naming an unknown event, and at most one more per refresh interval', async () => {
    const t = testApp();
    await t.bitmapist.engine.markEvent('user:known', 1, { now: new Date('2025-01-31T12:00:00Z') });
    // Foreign keys under the same prefix, so that one listing takes several SCAN calls.
    const pipeline = t.raw.pipeline();
    for (let i = 0; i < 20_000; i += 1) pipeline.set(`${t.prefix}foreign:${i}`, '1');
    await pipeline.exec();
    const server = await serve(t.app);
    const get = async (path: string) => {
      const response = await fetch(server.base + path);
      return { status: response.status, body: await response.text() };
    };
    const burst = () =>
      Promise.all([
        ...Array.from({ length: 20 }, () => get('/bitmapist/?format=json&now=2025-01-31')),
        ...Array.from({ length: 20 }, () => get('/bitmapist/cohort?primary=user:known&secondary=user:unknown&format=json')),
      ]);
    try {
      let before = await scanCalls(t.raw);
      expect(await t.bitmapist.getEventNames()).to.deep.equal(['user:known']);
      const perListing = (await scanCalls(t.raw)) - before;
      expect(perListing).to.be.at.least(10);

      before = await scanCalls(t.raw);
      const answers = await burst();
      const firstBurst = (await scanCalls(t.raw)) - before;
      // One shared listing (before: one per request, 40 listings).
      expect(firstBurst).to.be.at.most(perListing * 2);
      expect(answers.slice(0, 20).map((a) => [a.status, JSON.parse(a.body).events?.length])).to.deep.equal(Array(20).fill([200, 1]));
      expect(answers.slice(20).map((a) => [a.status, JSON.parse(a.body).parameter])).to.deep.equal(Array(20).fill([400, 'secondary']));

      // Past the refresh interval the unknown name asks again, once for the whole burst.
      await sleep(300);
      before = await scanCalls(t.raw);
      await burst();
      expect((await scanCalls(t.raw)) - before).to.be.at.most(perListing * 2);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
