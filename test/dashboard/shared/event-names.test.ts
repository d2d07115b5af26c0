import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { BitmapistArgumentError } from '../../../src/index.js';
import { EventNameCache } from '../../../src/dashboard/shared/event-names.js';
import { serve, testApp } from '../../koa/support.js';

const NOW = new Date('2025-03-15T12:00:00Z');

/** How many times the test Redis has run a command so far. */
async function calls(raw: Redis, command: string): Promise<number> {
  const stats = await raw.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

describe('koa: an event marked just after a listing is never "unknown"', () => {
  it('finds it in its own bitmaps (no SCAN) however fresh the listing, and still refuses a name without bitmaps', async () => {
    const t = testApp({ disableRouter: true });
    // A listing that is never stale and never refreshed: only the event's own bitmaps can tell it exists.
    const names = new EventNameCache(t.bitmapist, 60_000, 60_000);
    try {
      await t.bitmapist.engine.markEvent('old', 1, { now: NOW });
      expect(await names.list('default')).to.deep.equal(['old']);

      await t.bitmapist.engine.markEvent('=SUM(A1)', 1, { now: NOW });
      await t.bitmapist.engine.markEvent('today', 2);
      await t.bitmapist.engine.markUnique('plan:pro', 3);
      const scans = await calls(t.raw, 'scan');
      // Before the fix: BitmapistArgumentError 'event: unknown event "=SUM(A1)"' (the listing predates the mark).
      await names.assertKnown('default', [['event', '=SUM(A1)']], NOW);
      await names.assertKnown('default', [['event', 'today'], ['segment', 'plan:pro']]);
      const refused = await names.assertKnown('default', [['event', 'old'], ['secondary', 'never:marked']], NOW).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(BitmapistArgumentError);
      expect((refused as BitmapistArgumentError).argument).to.equal('secondary');
      expect((refused as Error).message).to.equal('secondary: unknown event "never:marked"');
      expect(await calls(t.raw, 'scan')).to.equal(scans);
    } finally {
      await t.cleanup();
    }
  });

  it('over HTTP: an event marked right after the events page is listed opens its trend at once', async () => {
    const t = testApp();
    const server = await serve(t.app);
    try {
      await t.bitmapist.engine.markEvent('listed', 1, { now: NOW });
      expect((await fetch(`${server.base}/bitmapist/?format=json`)).status).to.equal(200);
      await t.bitmapist.engine.markEvent('=SUM(A1)', 1, { now: NOW });
      const answer = await fetch(`${server.base}/bitmapist/trends?event=${encodeURIComponent('=SUM(A1)')}&periods=2&now=2025-03-15&format=csv`);
      expect(answer.status).to.equal(200);
      expect((await answer.text()).split('\r\n')[0]).to.equal("Date,'=SUM(A1)");
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
