import { expect } from 'chai';
import { Router } from '@koa/router';
import Koa from 'koa';
import { BitmapistArgumentError, BitmapistConfigError } from '../../src/index.js';
import { mark } from '../../src/koa/index.js';
import { collectErrors, serve, testApp } from './support.js';

/** The plugin keeps all-time unique bitmaps here, so the checks do not depend on the clock. */
const options = { disableRouter: true, trackUnique: true };

describe('koa: mark() middleware', () => {
  it('marks after downstream middleware finished, with the user it resolved then; anonymous requests mark nothing', async () => {
    const t = testApp(options);
    t.app.use(mark('page:viewed', (ctx) => (ctx.state.user as { id: number } | undefined)?.id));
    t.app.use((ctx) => {
      if (ctx.query.as) ctx.state.user = { id: Number(ctx.query.as) };
      ctx.body = 'ok';
    });
    const server = await serve(t.app);
    try {
      for (const query of ['?as=3', '', '?as=1', '?as=3']) {
        expect(await (await fetch(`${server.base}/${query}`)).text()).to.equal('ok');
      }
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.engine.unique('page:viewed').ids()).to.deep.equal([1, 3]);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 3, dropped: 0, failed: 0 });
      expect(t.errors).to.have.length(0);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('marks nothing when downstream throws', async () => {
    const t = testApp(options);
    t.app.use(mark('risky', 7));
    t.app.use((ctx) => {
      if (ctx.path === '/boom') throw Object.assign(new Error('boom'), { status: 418, expose: true });
      ctx.body = 'fine';
    });
    const server = await serve(t.app);
    try {
      expect((await fetch(`${server.base}/boom`)).status).to.equal(418);
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.engine.unique('risky').count()).to.equal(0);
      expect(await (await fetch(`${server.base}/ok`)).text()).to.equal('fine');
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.engine.unique('risky').ids()).to.deep.equal([7]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('works on single @koa/router routes', async () => {
    const t = testApp(options);
    const router = new Router();
    router.get('/a', mark('a:viewed', 5), (ctx) => {
      ctx.body = 'a';
    });
    router.get('/b', (ctx) => {
      ctx.body = 'b';
    });
    router.get('/c/:id', mark('c:viewed', (ctx) => ctx.params.id), (ctx) => {
      ctx.body = 'c';
    });
    t.app.use(router.routes());
    const server = await serve(t.app);
    try {
      const bodies = await Promise.all(['/a', '/b', '/c/42', '/c/abc'].map(async (path) => (await fetch(server.base + path)).text()));
      expect(bodies).to.deep.equal(['a', 'b', 'c', 'c']);
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.getEventNames()).to.deep.equal(['a:viewed', 'c:viewed']);
      expect(await t.bitmapist.engine.unique('c:viewed').ids()).to.deep.equal([42]);
      expect(t.errors.map((e) => e.error.message)).to.deep.equal([
        'uid: user id must be a non-negative integer or a string of digits, got "abc"',
      ]);
      expect((t.errors[0]!.ctx as Koa.Context).path).to.equal('/c/abc');
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('does not hold the response for an async resolver', async () => {
    const t = testApp(options);
    let release: (id: number) => void = () => undefined;
    const gate = new Promise<number>((resolve) => (release = resolve));
    t.app.use(mark('slow:resolved', () => gate));
    t.app.use((ctx) => {
      ctx.body = 'answered';
    });
    const server = await serve(t.app);
    try {
      expect(await (await fetch(`${server.base}/`)).text()).to.equal('answered');
      expect(t.bitmapist.metrics.queued).to.equal(0);
      release(11);
      await new Promise((resolve) => setImmediate(resolve));
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.engine.unique('slow:resolved').ids()).to.deep.equal([11]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('reports resolver errors and a missing plugin to app.emit("error", err, ctx) and still answers', async () => {
    const t = testApp(options);
    t.app.use(mark('broken', () => {
      throw new Error('resolver failed');
    }));
    t.app.use((ctx) => {
      ctx.body = 'still fine';
    });
    const bare = new Koa();
    const bareErrors = collectErrors(bare);
    bare.use(mark('orphan', 1));
    bare.use((ctx) => {
      ctx.body = 'bare';
    });
    const server = await serve(t.app);
    const bareServer = await serve(bare);
    try {
      expect(await (await fetch(`${server.base}/x`)).text()).to.equal('still fine');
      expect(await (await fetch(`${bareServer.base}/y`)).text()).to.equal('bare');
      expect(t.errors.map((e) => [e.error.message, (e.ctx as Koa.Context).path])).to.deep.equal([['resolver failed', '/x']]);
      expect(bareErrors).to.have.length(1);
      expect(bareErrors[0]!.error).to.be.instanceOf(BitmapistConfigError);
      expect((bareErrors[0]!.ctx as Koa.Context).path).to.equal('/y');
    } finally {
      await server.close();
      await bareServer.close();
      await t.cleanup();
    }
  });

  it('refuses a bad event name when the middleware is built; a fixed id is checked with the marks, by its system', () => {
    expect(() => mark('', 1)).to.throw(BitmapistArgumentError, 'event name must be a non-empty string');
    // Any string is an id with userIds: 'mapped': which rules apply is known at the first request.
    expect(mark('x', 'not-a-number').name).to.equal('bitmapistMark');
    expect(mark('x', 1).name).to.equal('bitmapistMark');
  });
});
