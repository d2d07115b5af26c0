import { expect } from 'chai';
import { SEED_EVENTS, seed } from '../../examples/seed.js';
import { testBitmapist } from '../support/redis.js';

describe('examples: the demo seed', function () {
  this.timeout(60_000);

  it('seeds through today: the day of `now` has activity, and nothing is marked after `now`', async () => {
    const t = testBitmapist();
    const now = new Date('2025-03-15T12:00:00Z');
    const tomorrow = new Date('2025-03-16T12:00:00Z');
    try {
      const summary = await seed(t.bm, { now, users: 300 });
      expect(summary.marks).to.be.above(1_000);
      const today = await t.bm.day('user:logged_in', now).count();
      expect(today).to.be.above(0);
      const later = await Promise.all(SEED_EVENTS.map((event) => t.bm.day(event, tomorrow).count()));
      expect(later).to.deep.equal(SEED_EVENTS.map(() => 0));
      // Every seeded user signed up within the history: `days` (120) days back through today.
      expect(await t.bm.day('user:created', new Date('2024-11-14T12:00:00Z')).count()).to.equal(0);
    } finally {
      await t.cleanup();
    }
  });
});
