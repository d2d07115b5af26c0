/**
 * A compile-time test of the Koa typings (run by `tsc --noEmit` in `npm test`): each `@ts-expect-error`
 * fails the type check if the line it guards compiles, so `ctx.bitmapist` must really be typed.
 */
import { expect } from 'chai';
import { Router } from '@koa/router';
import Koa from 'koa';
import { mark, type BitmapistContext, type KoaBitmapist, type MarkQueueMetrics } from '../../src/koa/index.js';

describe('koa: typings', () => {
  it('types ctx.bitmapist through the Koa context augmentation, and mark() resolvers by app state', () => {
    const app = new Koa();
    app.use(async function typed(ctx, next) {
      const plugin: KoaBitmapist = ctx.bitmapist;
      plugin.markEvent('x', 1, { system: 'default' });
      const metrics: MarkQueueMetrics = ctx.bitmapist.metrics;
      // @ts-expect-error a user id is a number, bigint or string, not an object
      ctx.bitmapist.markEvent('x', { id: 1 });
      // @ts-expect-error markEvent returns nothing to await
      const awaited: Promise<void> = ctx.bitmapist.markEvent('x', 1);
      void metrics;
      void awaited;
      await next();
    });
    type State = { user?: { id: number } };
    const withState = new Koa<State>();
    withState.use(mark<State>('page:viewed', (ctx) => ctx.state.user?.id));
    // @ts-expect-error the resolver must return an id, not the user object
    withState.use(mark<State>('page:viewed', (ctx) => ctx.state.user));
    const router = new Router();
    router.get('/', mark('home:viewed', 1), (ctx) => {
      ctx.bitmapist.markEvent('home:rendered', '2');
    });
    const context = {} as BitmapistContext;
    expect(typeof context.bitmapist).to.equal('undefined');
    expect(app.middleware).to.have.length(1);
    expect(withState.middleware).to.have.length(2);
  });
});
