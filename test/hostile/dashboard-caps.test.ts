import { expect } from 'chai';
import { DASHBOARD_LIMITS, MAX_LISTED_EVENTS } from '../../src/koa/index.js';
import { serve, testApp } from '../koa/support.js';

describe('dashboard caps over HTTP', function () {
  this.timeout(60_000);

  it('accepts every documented cap exactly and refuses one more with a 400 naming the parameter', async () => {
    const t = testApp();
    const now = new Date('2025-03-01T12:00:00Z');
    const longest = 'n'.repeat(DASHBOARD_LIMITS.maxEventNameLength);
    const extra = Array.from({ length: DASHBOARD_LIMITS.maxAdditionalEvents + 1 }, (_, i) => `extra${i}`);
    await t.bitmapist.engine.markEvents([longest, ...extra].map((event) => ({ event, uid: 1, now })));
    // One more event than the events page lists.
    await t.bitmapist.engine.markEvents(Array.from({ length: MAX_LISTED_EVENTS + 1 }, (_, i) => ({ event: `listed${i}`, uid: i, now })));
    const server = await serve(t.app);
    const get = async (path: string) => {
      const response = await fetch(server.base + path);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const cohort = (params: Record<string, string | string[]>) => {
      const query = new URLSearchParams({ primary: longest, secondary: longest, now: '2025-03-01', format: 'json' });
      for (const [key, value] of Object.entries(params)) {
        query.delete(key);
        for (const v of [value].flat()) query.append(key, v);
      }
      return get(`/bitmapist/cohort?${query}`);
    };
    try {
      const { maxRows, maxCols, maxAdditionalEvents, maxEventNameLength } = DASHBOARD_LIMITS;
      expect([maxRows, maxCols, maxAdditionalEvents, maxEventNameLength, MAX_LISTED_EVENTS]).to.deep.equal([90, 90, 10, 512, 500]);
      const heaviest = await cohort({ timeGroup: 'years', rows: '90', cols: '90', mode: 'unbounded', additional: extra.slice(0, maxAdditionalEvents) });
      expect([heaviest.status, heaviest.body.numRows, heaviest.body.numCols]).to.deep.equal([200, 90, 90]);
      const refused = async (params: Record<string, string | string[]>) => {
        const answer = await cohort(params);
        return [answer.status, answer.body.parameter, answer.body.error];
      };
      expect(await refused({ rows: '91' })).to.deep.equal([400, 'rows', 'rows: must be a whole number from 1 to 90, got "91"']);
      expect(await refused({ cols: '91' })).to.deep.equal([400, 'cols', 'cols: must be a whole number from 1 to 90, got "91"']);
      expect(await refused({ additional: extra })).to.deep.equal([400, 'additional', 'additional: at most 10 additional events, got 11']);
      expect(await refused({ secondary: `${longest}n` })).to.deep.equal([
        400, 'secondary', 'secondary: event names are at most 512 characters, got 513',
      ]);
      expect(await refused({ additional: `${longest}n` })).to.deep.equal([
        400, 'additional', 'additional: event names are at most 512 characters, got 513',
      ]);
      const prefix = await get(`/bitmapist/?format=json&prefix=${'p'.repeat(maxEventNameLength + 1)}`);
      expect([prefix.status, prefix.body.error]).to.deep.equal([400, 'prefix: is longer than 512 characters']);
      const events = 1 + extra.length + MAX_LISTED_EVENTS + 1;
      const listed = await get('/bitmapist/?format=json&now=2025-03-01');
      expect([listed.status, (listed.body.events as unknown[]).length, listed.body.omitted]).to.deep.equal([
        200, MAX_LISTED_EVENTS, events - MAX_LISTED_EVENTS,
      ]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
