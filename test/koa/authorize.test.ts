import { expect } from 'chai';
import type { KoaBitmapistOptions } from '../../src/index.js';
import { serve, testApp } from './support.js';

/** An app with the dashboard as configured, and a fallback answer for the paths the dashboard does not take. */
async function dashboard(options: KoaBitmapistOptions) {
  const t = testApp(options);
  t.app.use((ctx) => {
    ctx.status = 404;
    ctx.body = 'app 404';
  });
  const server = await serve(t.app);
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(server.base + path, { headers });
    return { status: response.status, body: await response.text() };
  };
  return {
    ...t,
    get,
    async close() {
      await server.close();
      await t.cleanup();
    },
  };
}

describe('koa: dashboard access', () => {
  it('answers 403 when authorize(ctx) is false, and serves when it is true', async () => {
    const t = await dashboard({ authorize: async (ctx) => ctx.get('x-admin') === 'yes' });
    try {
      const denied = await t.get('/bitmapist/cohort?format=json');
      expect([denied.status, JSON.parse(denied.body)]).to.deep.equal([403, { error: 'You are not allowed to see the bitmapist dashboard.' }]);
      const page = await t.get('/bitmapist/');
      expect(page.status).to.equal(403);
      expect(page.body).to.contain('<h1>Forbidden</h1>');
      const allowed = await t.get('/bitmapist/?format=json', { 'x-admin': 'yes' });
      expect([allowed.status, JSON.parse(allowed.body).events]).to.deep.equal([200, []]);
    } finally {
      await t.close();
    }
  });

  it('without authorize: serves and warns once outside production, answers 403 in production without a warning', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    const dev = await dashboard({ logger, env: { NODE_ENV: 'development' } });
    const prod = await dashboard({ logger, env: { NODE_ENV: 'production' } });
    try {
      expect(warnings).to.deep.equal([
        'koa-bitmapist: the dashboard at /bitmapist is open to every visitor because no authorize(ctx) option was given; ' +
          'it answers 403 when NODE_ENV=production.',
      ]);
      expect((await dev.get('/bitmapist/')).status).to.equal(200);
      expect((await dev.get('/bitmapist/cohort')).status).to.equal(200);
      expect(warnings).to.have.length(1);
      const denied = await prod.get('/bitmapist/cohort?format=json');
      expect([denied.status, JSON.parse(denied.body).error]).to.deep.equal([
        403,
        'The bitmapist dashboard is disabled in production until the app gives koaBitmapist an authorize(ctx) option.',
      ]);
      expect((await prod.get('/bitmapist/')).status).to.equal(403);
    } finally {
      await dev.close();
      await prod.close();
    }
  });

  it('mounts at `prefix`, and not at all with disableRouter or BITMAPIST_DISABLE_ROUTER', async () => {
    const moved = await dashboard({ prefix: '/admin/stats' });
    const off = await dashboard({ env: { BITMAPIST_DISABLE_ROUTER: 'true' } });
    try {
      expect((await moved.get('/admin/stats/cohort')).status).to.equal(200);
      expect(await moved.get('/bitmapist/')).to.deep.equal({ status: 404, body: 'app 404' });
      expect(off.bitmapist.router).to.equal(undefined);
      expect(await off.get('/bitmapist/')).to.deep.equal({ status: 404, body: 'app 404' });
      expect(await off.get('/bitmapist/cohort')).to.deep.equal({ status: 404, body: 'app 404' });
    } finally {
      await moved.close();
      await off.close();
    }
  });
});
