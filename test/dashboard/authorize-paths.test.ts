import { request } from 'node:http';
import { expect } from 'chai';
import type { KoaBitmapistOptions } from '../../src/koa/index.js';
import { serve, testApp } from '../koa/support.js';

/** Sends `path` byte for byte (fetch and URL would normalize it), and reads the whole answer. */
function rawRequest(base: string, method: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An app with a marked event, the dashboard as configured, and a plain 404 for the paths nobody takes. */
async function guardedDashboard(options: KoaBitmapistOptions) {
  const t = testApp(options);
  await t.bitmapist.engine.markEvent('secret:event', 7, { now: new Date('2025-01-31T12:00:00Z') });
  t.app.use((ctx) => {
    ctx.status = 404;
    ctx.body = 'app 404';
  });
  const server = await serve(t.app);
  return {
    ...t,
    send: (method: string, path: string) => rawRequest(server.base, method, path),
    async close() {
      await server.close();
      await t.cleanup();
    },
  };
}

const COHORT_QUERY = 'primary=secret:event&secondary=secret:event&now=2025-01-31&format=json';

/** Every spelling of a dashboard path a router might route while a path-based check misses it. */
const SPELLINGS = [
  '/BITMAPIST/?format=json',
  '/Bitmapist/?format=json',
  '/BITMAPIST?format=json',
  `/Bitmapist/cohort?${COHORT_QUERY}`,
  `/bitmapist/COHORT?${COHORT_QUERY}`,
  `/BitMapist/CoHoRt?${COHORT_QUERY}`,
  '/%62itmapist/?format=json',
  '/%42ITMAPIST/?format=json',
  `/bitmapist/%63ohort?${COHORT_QUERY}`,
  `/bitmapist/%43OHORT?${COHORT_QUERY}`,
  '//bitmapist/?format=json',
  `//bitmapist//cohort?${COHORT_QUERY}`,
  `/bitmapist//cohort?${COHORT_QUERY}`,
  `/bitmapist/cohort/?${COHORT_QUERY}`,
  `/BITMAPIST/COHORT/?${COHORT_QUERY}`,
  '/bitmapist//?format=json',
  '/bitmapist/?format=json',
  `/bitmapist/cohort?${COHORT_QUERY}`,
  // The chart pages go through the same check.
  '/BITMAPIST/TRENDS?event=secret:event&now=2025-01-31&format=json',
  '/bitmapist/%74rends/?event=secret:event&now=2025-01-31&format=csv',
  '/Bitmapist/Active?event=secret:event&now=2025-01-31&format=json',
  '//bitmapist//active/?event=secret:event&now=2025-01-31&format=csv',
  '/bitmapist/SPARKLINE?event=secret:event&now=2025-01-31',
  '/BITMAPIST/LifeCycle?event=secret:event&now=2025-01-31&format=json',
  '/bitmapist/%6Cifecycle/?event=secret:event&now=2025-01-31&format=csv',
  // The metrics route too (its body would name bitmapist_marks_*).
  '/BITMAPIST/METRICS',
  '/Bitmapist/Metrics/',
  '/bitmapist/%6Detrics',
  '//bitmapist//metrics',
];

/** What a leaked answer would hold: the marked event's name, or the metrics' names. */
const leaked = (body: string) => body.includes('secret:event') || body.includes('bitmapist_marks');

describe('koa: dashboard access whatever the path spelling', () => {
  for (const denial of ['authorize() false', 'NODE_ENV=production']) {
    it(`never serves data with ${denial}: every spelling, GET and HEAD, answers 403 or 404`, async () => {
      let calls = 0;
      const options: KoaBitmapistOptions =
        denial === 'NODE_ENV=production'
          ? { env: { NODE_ENV: 'production' } }
          : {
              authorize: () => {
                calls += 1;
                return false;
              },
            };
      const t = await guardedDashboard(options);
      try {
        const leaks: string[] = [];
        for (const path of SPELLINGS) {
          for (const method of ['GET', 'HEAD']) {
            const answer = await t.send(method, path);
            if (![403, 404].includes(answer.status) || leaked(answer.body)) {
              leaks.push(`${method} ${path} -> ${answer.status}`);
            }
          }
        }
        expect(leaks).to.deep.equal([]);
        // Each spelling routed to a dashboard page asked authorize (a 404 never reached it).
        if (denial === 'authorize() false') expect(calls).to.be.at.least(2 * 2);
      } finally {
        await t.close();
      }
    });
  }

  it('still serves every routed spelling when authorize() is true, so the check is not a 404 in disguise', async () => {
    const t = await guardedDashboard({ authorize: () => true });
    try {
      const events = await t.send('GET', '/BITMAPIST/?format=json&now=2025-01-31');
      expect(events.status).to.equal(200);
      expect(JSON.parse(events.body).events.map((e: { name: string }) => e.name)).to.deep.equal(['secret:event']);
      const cohort = await t.send('GET', `/Bitmapist/COHORT?${COHORT_QUERY}`);
      expect([cohort.status, JSON.parse(cohort.body).total]).to.deep.equal([200, 1]);
      const metrics = await t.send('GET', '/Bitmapist/METRICS');
      expect([metrics.status, metrics.body.includes('bitmapist_marks_written_total{system="default"}')]).to.deep.equal([200, true]);
    } finally {
      await t.close();
    }
  });
});
