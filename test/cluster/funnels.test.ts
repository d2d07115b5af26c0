import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { Bitmapist } from '../../src/index.js';
import { modelFunnel } from '../support/funnel-model.js';
import { MarkModel, prng } from '../support/model.js';
import { testClusterNodes, uniquePrefix } from '../support/redis.js';

describe('getFunnel on Redis Cluster (sharded layout)', function () {
  this.timeout(120_000);

  it('equals the model in both orders, with and without a segment, over blocks on every master', async () => {
    const cluster = new Cluster(testClusterNodes());
    const bm = new Bitmapist({ redis: cluster, keyPrefix: uniquePrefix('fc'), layout: 'sharded', shardBits: 8 });
    const now = new Date('2025-04-10T09:00:00Z');
    const random = prng(91);
    const model = new MarkModel();
    const pro = new Set<number>();
    try {
      const marks = Array.from({ length: 2500 }, () => {
        const event = ['signup', 'active', 'buy'][Math.floor(random() * 3)]!;
        const uid = Math.floor(random() * 40 * 256);
        const at = new Date(now.getTime() - Math.floor(random() * 45 * 86_400_000));
        model.add(event, uid, at);
        return { event, uid, now: at };
      });
      await bm.markEvents(marks);
      for (const { uid } of marks.slice(0, 400)) {
        pro.add(uid);
        await bm.markUnique('plan:pro', uid);
      }
      for (const order of ['sequential', 'any'] as const) {
        for (const segmented of [false, true]) {
          const answer = await bm.getFunnel(['signup', 'active', 'buy'], {
            periods: 30, window: 7, order, now, segment: segmented ? bm.unique('plan:pro') : undefined,
          });
          const expected = modelFunnel(model.marks, ['signup', 'active', 'buy'], {
            unit: 'day', periods: 30, window: 7, order, now, segment: segmented ? pro : undefined,
          });
          expect(answer.entries, `${order} ${segmented}`).to.deep.equal(expected.entries);
          expect(answer.timeToConvert, `${order} ${segmented}`).to.deep.equal(expected.timeToConvert);
          expect(answer.steps[0]!.count).to.be.greaterThan(0);
        }
      }
    } finally {
      await bm.deleteAllEvents();
      await bm.close();
      cluster.disconnect();
    }
  });
});
