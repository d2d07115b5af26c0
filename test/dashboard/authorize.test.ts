import { expect } from 'chai';
import type { KoaBitmapistOptions } from '../../src/koa/index.js';
import { serve, testApp } from '../koa/support.js';

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

  it("reads the query only once access is allowed, in one bounded pass (never Koa's ctx.query): over 200 parameters answer 400", async () => {
    const t = await dashboard({ authorize: async (ctx) => ctx.get('x-admin') === 'yes' });
    // Koa builds ctx.query name by name, in time growing with the square of a repeated name's count.
    let queryReads = 0;
    const proto = t.app.context as object;
    const own = Object.getOwnPropertyDescriptor(proto, 'query');
    Object.defineProperty(proto, 'query', {
      configurable: true,
      get() {
        queryReads += 1;
        return {};
      },
    });
    try {
      const many = `?${Array.from({ length: 2000 }, () => 's').join('&')}`;
      expect((await t.get(`/bitmapist/${many}&format=json`)).status).to.equal(403);
      const refused = await t.get(`/bitmapist/cohort${many}&format=json`, { 'x-admin': 'yes' });
      expect([refused.status, JSON.parse(refused.body).parameter]).to.deep.equal([400, 'query']);
      const fits = `?${Array.from({ length: 199 }, () => 'unused=1').join('&')}&format=json`;
      expect((await t.get(`/bitmapist/${fits}`, { 'x-admin': 'yes' })).status).to.equal(200);
      // Repeated and prototype-like names are plain parameters.
      const odd = await t.get('/bitmapist/trends?event=a&event=b&__proto__=x&format=json', { 'x-admin': 'yes' });
      expect(odd.status).to.equal(400);
      expect(JSON.parse(odd.body).parameter).to.equal('event');
      expect(queryReads).to.equal(0);
    } finally {
      if (own) Object.defineProperty(proto, 'query', own);
      else delete (proto as { query?: unknown }).query;
      await t.close();
    }
  });

  it('without authorize: serves and warns only when NODE_ENV is exactly development or test', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    const dev = await dashboard({ logger, env: { NODE_ENV: 'development' } });
    const test = await dashboard({ logger, env: { NODE_ENV: 'test' } });
    try {
      const warning = (prefix: string) =>
        `koa-bitmapist: the dashboard at ${prefix} is open to every visitor because no authorize(ctx) option was given ` +
        'and NODE_ENV is development or test; with any other NODE_ENV it answers 403.';
      expect(warnings).to.deep.equal([warning('/bitmapist'), warning('/bitmapist')]);
      for (const open of [dev, test]) {
        expect((await open.get('/bitmapist/')).status).to.equal(200);
        expect((await open.get('/bitmapist/cohort')).status).to.equal(200);
      }
      expect(warnings).to.have.length(2);
    } finally {
      await dev.close();
      await test.close();
    }
  });

  it('without authorize: fails closed with a 403 saying how to open it for every other NODE_ENV, without a warning', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    const message =
      'The bitmapist dashboard is closed: give koaBitmapist an authorize(ctx) option, ' +
      'or run with NODE_ENV=development to open it to every visitor.';
    for (const NODE_ENV of [undefined, '', 'staging', 'Production', 'prod', 'production ', 'production', 'Development', ' test']) {
      const closed = await dashboard({ logger, env: NODE_ENV === undefined ? {} : { NODE_ENV } });
      try {
        const json = await closed.get('/bitmapist/cohort?format=json');
        expect([NODE_ENV, json.status, JSON.parse(json.body)]).to.deep.equal([NODE_ENV, 403, { error: message }]);
        const page = await closed.get('/bitmapist/');
        expect([NODE_ENV, page.status, page.body.includes(message)]).to.deep.equal([NODE_ENV, 403, true]);
      } finally {
        await closed.close();
      }
    }
    expect(warnings).to.deep.equal([]);
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
