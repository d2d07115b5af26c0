import { expect } from 'chai';
import { testBitmapist } from './support/redis.js';

describe('smoke', () => {
  it('marks and counts', async () => {
    const t = testBitmapist();
    const now = new Date('2025-01-31T23:10:00Z');
    await t.bm.markEvent('x', 5, { now });
    await Promise.all([1, 2, 3].map((u) => t.bm.markEvent('x', u, { now })));
    expect(await t.bm.day('x', now).count()).to.equal(4);
    expect(await t.bm.day('x', now).ids()).to.deep.equal([1, 2, 3, 5]);
    expect(await t.keys()).to.have.length(3);
    const c = await t.bm.getCohort('x', 'x', { now, numRows: 3, numCols: 3 });
    console.log(c);
    await t.cleanup();
  });
});
