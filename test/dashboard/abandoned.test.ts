import { expect } from 'chai';
import type { Context, Next } from 'koa';
import { Dashboard } from '../../src/dashboard/index.js';
import type { DashboardHost } from '../../src/dashboard/host.js';
import { ABANDONED_MESSAGE, BUSY_MESSAGE } from '../../src/dashboard/guard.js';
import { jsonAnswer } from '../../src/dashboard/shared/respond.js';
import { serve, testApp } from '../koa/support.js';
import { keysUnder } from '../support/redis.js';

const NOW = new Date('2025-01-31T12:00:00Z');
const day = (offset: number) => new Date(NOW.getTime() + offset * 86_400_000);
const FUNNEL =
  '/bitmapist/funnels?step=a&step=b&step=c&periods=20&window=10&now=2025-01-31&format=json' +
  ['x', 'y', 'z', 'w', 'v'].map((segment) => `&breakdown=${segment}`).join('');

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Counts the script calls a client sends; `beforeNext` runs before the next one goes out (once), and the call
 * waits for it.
 */
function watchScripts(client: unknown) {
  const redis = client as { sendCommand: (...args: any[]) => Promise<unknown> };
  const original = redis.sendCommand;
  const watch = {
    sent: 0,
    beforeNext: undefined as (() => Promise<void>) | undefined,
    restore: () => void (redis.sendCommand = original),
  };
  redis.sendCommand = function (this: unknown, command: { name: string }, ...rest: unknown[]) {
    if (command.name !== 'evalsha') return original.call(this, command, ...rest);
    watch.sent += 1;
    const before = watch.beforeNext;
    watch.beforeNext = undefined;
    return before === undefined ? original.call(this, command, ...rest) : before().then(() => original.call(this, command, ...rest));
  };
  return watch;
}

describe('dashboard: a view whose client leaves stops its Redis work', () => {
  it('over HTTP: the funnel with five breakdowns stops at its next script call, deletes its scratch keys, reports nothing', async () => {
    const t = testApp({ env: { NODE_ENV: 'test' }, trackUnique: true });
    // Observes each dashboard request from the outside: when its response closed, and when its route settled.
    const seen = { closed: false, settled: 0 };
    t.app.middleware.unshift(async (ctx: Context, next: Next) => {
      ctx.res.once('close', () => (seen.closed = true));
      try {
        await next();
      } finally {
        seen.settled += 1;
      }
    });
    for (let uid = 0; uid < 60; uid++) {
      for (const [event, share] of [['a', 1], ['b', 2], ['c', 3], ['x', 2], ['y', 3], ['z', 4], ['w', 5], ['v', 6]] as const) {
        if (uid % share === 0) t.bitmapist.markEvent(event, uid, { now: day(-(uid % 15)) });
      }
    }
    await t.bitmapist.flush(5000);
    const server = await serve(t.app);
    const scripts = watchScripts(t.bitmapist.engine.redis);
    try {
      const whole = await fetch(server.base + FUNNEL);
      expect([whole.status, whole.status === 200 ? "" : await whole.clone().text()]).to.deep.equal([200, ""]);
      expect(((await whole.json()) as { breakdown: unknown[] }).breakdown).to.have.length(5);
      const wholeScripts = scripts.sent;
      expect(wholeScripts).to.be.at.least(8);
      const keysBefore = (await keysUnder(t.raw, t.prefix)).sort();

      scripts.sent = 0;
      seen.closed = false;
      const settledBefore = seen.settled;
      const client = new AbortController();
      // The view's first script call: the client leaves, and the call goes out once the server has seen it go.
      scripts.beforeNext = async () => {
        client.abort();
        while (!seen.closed) await turn();
      };
      const request = fetch(server.base + FUNNEL, { signal: client.signal }).then(
        () => 'answered',
        (error: Error) => error.name,
      );
      expect(await request).to.equal('AbortError');
      while (seen.settled === settledBefore) await turn();
      // The call in flight when it left (and at most one sent beside it), nothing after.
      expect(scripts.sent).to.be.within(1, 2);
      expect((await keysUnder(t.raw, t.prefix)).sort()).to.deep.equal(keysBefore);
      expect(t.errors).to.deep.equal([]);
      // The dashboard answers the next view whole.
      expect((await fetch(server.base + FUNNEL)).status).to.equal(200);
    } finally {
      scripts.restore();
      await server.close();
      await t.cleanup();
    }
  });

  it('over HTTP: a client gone before the route starts (a middleware in front still at work) starts nothing; trends with breakdowns clean up before answering', async () => {
    const t = testApp({ env: { NODE_ENV: 'test' }, trackUnique: true });
    const seen = { closed: false, entered: 0, settled: 0, holdUntilClosed: false };
    t.app.middleware.unshift(async (ctx: Context, next: Next) => {
      seen.entered += 1;
      ctx.res.once('close', () => (seen.closed = true));
      try {
        // An app middleware that is slow: the client leaves while it works, before the dashboard route runs.
        while (seen.holdUntilClosed && !seen.closed) await turn();
        await next();
      } finally {
        seen.settled += 1;
      }
    });
    for (let uid = 0; uid < 60; uid++) {
      for (const [event, share] of [['a', 1], ['b', 2], ['x', 2], ['y', 3], ['z', 4]] as const) {
        if (uid % share === 0) t.bitmapist.markEvent(event, uid, { now: day(-(uid % 15)) });
      }
    }
    await t.bitmapist.flush(5000);
    const server = await serve(t.app);
    const scripts = watchScripts(t.bitmapist.engine.redis);
    const leave = async (path: string) => {
      seen.closed = false;
      const [settledBefore, enteredBefore] = [seen.settled, seen.entered];
      const client = new AbortController();
      const request = fetch(server.base + path, { signal: client.signal }).catch(() => undefined);
      return {
        client,
        request,
        entered: async () => { while (seen.entered === enteredBefore) await turn(); },
        settled: async () => { while (seen.settled === settledBefore) await turn(); },
      };
    };
    const trends = '/bitmapist/trends?event=a&event=b&periods=20&now=2025-01-31&format=json&breakdown=x&breakdown=y&breakdown=z';
    try {
      expect((await fetch(server.base + trends)).status).to.equal(200);
      const keysBefore = (await keysUnder(t.raw, t.prefix)).sort();
      // Gone before the route: not one script call.
      seen.holdUntilClosed = true;
      scripts.sent = 0;
      const early = await leave(trends);
      await early.entered();
      early.client.abort();
      while (!seen.closed) await turn();
      await early.request;
      await early.settled();
      expect(scripts.sent).to.equal(0);
      seen.holdUntilClosed = false;

      // Trends of two events with three breakdowns, left at its first script call: when the route has answered,
      // every breakdown's work has stopped and its scratch keys are gone.
      const gone = await leave(trends);
      scripts.beforeNext = async () => {
        gone.client.abort();
        while (!seen.closed) await turn();
      };
      await gone.request;
      await gone.settled();
      expect((await keysUnder(t.raw, t.prefix)).sort()).to.deep.equal(keysBefore);
      expect(t.errors).to.deep.equal([]);
      expect((await fetch(server.base + trends)).status).to.equal(200);
    } finally {
      scripts.restore();
      await server.close();
      await t.cleanup();
    }
  });

  it('a view waiting its turn leaves the queue at once when its client leaves, giving its place to the next', async () => {
    const releases: (() => void)[] = [];
    let ran = 0;
    const slow = {
      path: '/slow',
      handle: async () => {
        ran += 1;
        await new Promise<void>((resolve) => releases.push(resolve));
        return jsonAnswer({ ok: true });
      },
    };
    // One running, one waiting: a third view would be refused as busy.
    const dashboard = new Dashboard({} as DashboardHost, '/bitmapist', [slow], { running: 1, waiting: 1 });
    const route = dashboard.routes[0]!;
    const first = route.handle('format=json', 'allowed');
    const leaving = new AbortController();
    const second = route.handle('format=json', 'allowed', leaving.signal);
    while (releases.length < 1) await turn();
    expect((await route.handle('format=json', 'allowed')).body).to.deep.equal({ error: BUSY_MESSAGE });
    leaving.abort();
    expect(await second).to.deep.equal({ status: 503, type: 'json', body: { error: ABANDONED_MESSAGE } });
    // Its place is free at once, while the first still runs.
    const third = route.handle('format=json', 'allowed');
    releases[0]!();
    while (releases.length < 2) await turn();
    releases[1]!();
    expect([(await first).status, (await third).status]).to.deep.equal([200, 200]);
    expect(ran).to.equal(2);
  });
});
