import { expect } from 'chai';
import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { BitmapistArgumentError, type ChainedEvent } from '../../src/index.js';
import { DASHBOARD_LIMITS, koaBitmapist } from '../../src/koa/index.js';
import { buildCohortView, cohortJson } from '../../src/dashboard/cohort/data.js';
import { quiet, serve } from '../koa/support.js';
import { testClusterNodes, testRedisUrl, uniquePrefix } from '../support/redis.js';
import {
  allKeys,
  deleteKeys,
  fitsInUrl,
  freshName,
  hostileApp,
  hostileQuery,
  hostileText,
  MAX_USER_ID,
  PAGES,
  PARAMS,
  seedMarks,
  validCohort,
} from './support/hostile-http.js';

for (const layout of ['compatible', 'sharded'] as const) {
  describe(`hostile input over HTTP, ${layout} layout (property-based)`, function () {
    this.timeout(120_000);
    const prefix = uniquePrefix(`http${layout[0]}`);
    const rejections: unknown[] = [];
    const trap = (reason: unknown) => rejections.push(reason);
    let client: Redis | Cluster;
    let t: ReturnType<typeof hostileApp>;
    let server: Awaited<ReturnType<typeof serve>>;
    let keysBefore: Set<string>;
    const get = async (path: string) => {
      const response = await fetch(server.base + path);
      return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
    };

    before(async () => {
      process.on('unhandledRejection', trap);
      client = layout === 'sharded' ? new Cluster(testClusterNodes()) : new Redis(testRedisUrl());
      keysBefore = await allKeys(client);
      t = hostileApp((app) =>
        koaBitmapist(app, { redis: client, keyPrefix: prefix, layout, shardBits: 8, trackUnique: true, maxUserId: MAX_USER_ID, logger: quiet }),
      );
      await t.bitmapist.engine.markEvents(seedMarks());
      server = await serve(t.app);
    });

    after(async () => {
      process.off('unhandledRejection', trap);
      await server?.close();
      await t?.bitmapist.close();
      const written = [...(await allKeys(client))].filter((key) => !keysBefore.has(key));
      await deleteKeys(client, written);
      client.disconnect();
    });

    afterEach(() => expect(rejections, 'unhandled rejections').to.deep.equal([]));

    it('answers any query string to the events page and the cohort page with 200 or a 400 that says why, never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...PAGES), hostileQuery, async (page, query) => {
          const answer = await get(`${page}${query}`);
          expect([200, 400], `${answer.status} for ${page}${query.slice(0, 200)}: ${answer.body.slice(0, 200)}`).to.include(answer.status);
          if (answer.status === 200) return;
          if (answer.type.startsWith('application/json')) {
            const { error, parameter } = JSON.parse(answer.body) as { error: string; parameter?: string };
            expect(PARAMS).to.include(parameter);
            expect(error.startsWith(`${parameter}: `), error).to.equal(true);
          }
          else if (answer.type.startsWith('text/plain')) expect(answer.body).to.match(/^\S.*: .+\n$/s);
          else expect(answer.body).to.contain('<h1>Bad request</h1>');
        }),
        { numRuns: 300 },
      );
      expect(t.errors.filter((e) => !(e.error instanceof BitmapistArgumentError))).to.deep.equal([]);
    });

    it('answers a valid cohort as JSON exactly as engine.getCohort does for the same parameters', async () => {
      await fc.assert(
        fc.asyncProperty(validCohort, async (p) => {
          const dayText = p.now.toISOString().slice(0, 10);
          const now = p.dayOnly ? new Date(`${dayText}T23:59:59.999Z`) : p.now;
          const query = new URLSearchParams({ primary: p.primary, secondary: p.secondary, timeGroup: p.timeGroup });
          for (const { name, op } of p.additional) {
            query.append('additional', name);
            query.append('additionalOp', op);
          }
          for (const [k, v] of Object.entries({ rows: p.rows, cols: p.cols, mode: p.mode, display: p.display, format: 'json' })) query.set(k, String(v));
          query.set('now', p.dayOnly ? dayText : p.now.toISOString());
          const answer = await get(`/bitmapist/cohort?${query}`);
          expect(answer.status, answer.body).to.equal(200);
          const additionalEvents: ChainedEvent[] = p.additional;
          const expected = await t.bitmapist.engine.getCohort(p.primary, p.secondary, {
            additionalEvents, timeGroup: p.timeGroup, numRows: p.rows, numCols: p.cols, mode: p.mode, now,
          });
          const body = JSON.parse(answer.body);
          if (p.display === 'counts') {
            expect(body.cohort).to.deep.equal(expected.cohort);
            expect(body.totals).to.deep.equal(expected.totals);
            expect(body.dates).to.deep.equal(expected.dates.map((date) => date.toISOString()));
          }
          expect(body).to.deep.equal(cohortJson(buildCohortView(expected, p.timeGroup, p.cols), p.display === 'percent'));
        }),
        { numRuns: 60 },
      );
    });

    it('marks the valid uids the mark() route receives, reports the others, and always answers 200', async () => {
      const hostileUid = fc.oneof(
        fc.integer({ min: 0, max: 100_000 }).map(String),
        fc.constantFrom('0', '007', String(MAX_USER_ID), String(MAX_USER_ID + 1), '4294967295', '9'.repeat(15), '9'.repeat(16), '2'.repeat(10_240)),
        hostileText,
      );
      const marked = new Set<number>();
      let refused = 0;
      const reportedBefore = t.errors.length;
      await fc.assert(
        fc.asyncProperty(fc.array(hostileUid, { minLength: 1, maxLength: 3 }).filter(fitsInUrl), async (uids) => {
          // One uid, or the same parameter repeated (an array in ctx.query: refused).
          const query = uids.map((uid) => `uid=${encodeURIComponent(uid)}`).join('&');
          const answer = await get(`/visit?${query}`);
          expect([answer.status, answer.body]).to.deep.equal([200, 'ok']);
          const uid = uids[0]!;
          if (uids.length === 1 && /^\d{1,15}$/.test(uid) && Number(uid) <= MAX_USER_ID) marked.add(Number(uid));
          else refused += 1;
        }),
        { numRuns: 300 },
      );
      expect(await t.bitmapist.flush(10_000)).to.equal(0);
      expect(await t.bitmapist.engine.unique('visit').ids()).to.deep.equal([...marked].sort((a, b) => a - b));
      const reports = t.errors.slice(reportedBefore);
      expect(reports.filter((e) => e.error instanceof BitmapistArgumentError)).to.have.length(refused);
      expect(reports).to.have.length(refused);
    });

    it('marks any valid event name through HTTP under the prefix, braces included, and refuses the rest with a 400', async () => {
      const model = new Map<string, Set<number>>();
      await fc.assert(
        fc.asyncProperty(freshName, fc.oneof(fc.integer({ min: 0, max: 5_000 }).map(String), hostileText), async (event, uid) => {
          if (!fitsInUrl([event, uid])) return;
          const answer = await get(`/track?event=${encodeURIComponent(event)}&uid=${encodeURIComponent(uid)}`);
          const validEvent = event.length >= 1 && event.length <= DASHBOARD_LIMITS.maxEventNameLength;
          const validUid = /^\d{1,15}$/.test(uid) && Number(uid) <= MAX_USER_ID;
          if (validEvent && validUid) {
            expect([answer.status, answer.body]).to.deep.equal([200, 'ok']);
            if (!model.has(event)) model.set(event, new Set());
            model.get(event)!.add(Number(uid));
          } else {
            expect(answer.status).to.equal(400);
            expect(JSON.parse(answer.body).parameter).to.equal(validEvent ? 'uid' : 'event');
          }
        }),
        { numRuns: 300 },
      );
      expect(await t.bitmapist.flush(10_000)).to.equal(0);
      for (const [event, uids] of model) {
        expect(await t.bitmapist.engine.unique(event).ids(), event).to.deep.equal([...uids].sort((a, b) => a - b));
      }
      const names = await t.bitmapist.engine.getEventNames();
      for (const event of model.keys()) expect(names).to.include(event);

      const written = [...(await allKeys(client))].filter((key) => !keysBefore.has(key));
      expect(written.filter((key) => !key.startsWith(prefix))).to.deep.equal([]);
      if (client instanceof Cluster) {
        // Every key of a block hashes like its block tag, whatever braces the event name holds.
        const node = client.nodes('master')[0]!;
        const slot = async (key: string) => (await node.call('CLUSTER', 'KEYSLOT', key)) as number;
        for (const key of written) {
          if (key === `${prefix}~blocks`) continue;
          const tag = /^\{(\d+)\}/.exec(key.slice(prefix.length));
          expect(tag, key).to.not.equal(null);
          expect(await slot(key), key).to.equal(await slot(`{${tag![1]}}`));
        }
      }
    });
  });
}
