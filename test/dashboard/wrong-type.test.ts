import { expect } from 'chai';
import { BitmapistWrongTypeError } from '../../src/index.js';
import { serve, testApp } from '../koa/support.js';

const now = new Date('2025-03-15T12:00:00Z');

describe('dashboard: a key of another type at a bitmap\'s name answers 409, reported to the app, never a 500', function () {
  this.timeout(30_000);

  it('pages reading it answer 409 with a clear message; the engine rejects with a BitmapistWrongTypeError', async () => {
    const t = testApp({ authorize: () => true });
    const server = await serve(t.app);
    try {
      await t.bitmapist.engine.markEvent('good', 1, { now });
      await t.bitmapist.engine.markEvent('planted', 1, { now: new Date('2025-03-14T12:00:00Z') });
      // A hash where the month bitmap of `planted` would be: the event is listed (its other keys are strings).
      await t.raw.del(`${t.prefix}planted_2025-3`);
      await t.raw.hset(`${t.prefix}planted_2025-3`, 'not', 'a bitmap');
      const planted = `${t.prefix}planted_2025-3`;
      const engineError = await t.bitmapist.engine.month('planted', now).count().then(() => undefined, (e: unknown) => e);
      expect(engineError).to.be.instanceOf(BitmapistWrongTypeError);
      // Named, as README promises (Redis's WRONGTYPE reply does not say which key).
      expect([(engineError as BitmapistWrongTypeError).key, (engineError as BitmapistWrongTypeError).type]).to.deep.equal([planted, 'hash']);
      expect((engineError as Error).message).to.contain(`key ${JSON.stringify(planted)} holds a hash, not a bitmap`);
      const paths = [
        '/bitmapist/?format=json&now=2025-03-15',
        '/bitmapist/trends?event=planted&timeGroup=months&periods=2&now=2025-03-15&format=json',
        '/bitmapist/cohort?primary=planted&secondary=good&timeGroup=months&rows=2&cols=2&now=2025-03-15&format=json',
        '/bitmapist/cohort?primary=good&secondary=planted&timeGroup=months&rows=2&cols=2&now=2025-03-15&format=json',
        '/bitmapist/lifecycle?event=planted&timeGroup=months&periods=2&now=2025-03-15&format=json',
      ];
      for (const path of paths) {
        const response = await fetch(server.base + path);
        expect(response.status, path).to.equal(409);
        expect(((await response.json()) as { error: string }).error).to.match(/holds another type/);
      }
      const reported = t.errors.filter(({ error, ctx }) => error instanceof BitmapistWrongTypeError && ctx !== undefined);
      expect(reported.map(({ error }) => (error as BitmapistWrongTypeError).key)).to.deep.equal(paths.map(() => planted));
      // Pages that do not read the key are not affected.
      expect((await fetch(`${server.base}/bitmapist/trends?event=good&periods=2&now=2025-03-15&format=json`)).status).to.equal(200);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it("a block registry of another type (sharded layout) makes every page answer 409 (the app is told the registry's name); the engine rejects with a BitmapistWrongTypeError", async () => {
    const t = testApp({ authorize: () => true, layout: 'sharded', shardBits: 8 });
    const server = await serve(t.app);
    try {
      await t.bitmapist.engine.markEvents([
        { event: 'a', uid: 1, now },
        { event: 'b', uid: 300, now },
      ]);
      await t.raw.del(`${t.prefix}~blocks`);
      await t.raw.hset(`${t.prefix}~blocks`, 'not', 'a set');
      const engineError = await t.bitmapist.engine.day('a', now).count().then(() => undefined, (e: unknown) => e);
      expect(engineError).to.be.instanceOf(BitmapistWrongTypeError);
      expect((engineError as Error).message).to.contain(`${t.prefix}~blocks`);
      const paths = [
        '/bitmapist/?format=json&now=2025-03-15',
        '/bitmapist/cohort?primary=a&secondary=b&rows=2&cols=2&now=2025-03-15&format=json',
        '/bitmapist/trends?event=a&periods=2&now=2025-03-15&format=json',
        '/bitmapist/active?event=a&days=2&now=2025-03-15&format=json',
        '/bitmapist/lifecycle?event=a&periods=2&now=2025-03-15&format=json',
        '/bitmapist/funnels?step=a&step=b&periods=2&now=2025-03-15&format=json',
      ];
      for (const path of paths) {
        const response = await fetch(server.base + path);
        expect(response.status, path).to.equal(409);
        expect(((await response.json()) as { error: string }).error, path).to.match(/holds another type/);
      }
      // The app hears which key it is.
      const reported = t.errors.filter(({ error }) => error instanceof BitmapistWrongTypeError);
      expect(reported).to.have.length(paths.length);
      expect(reported.every(({ error }) => error.message.includes(`${t.prefix}~blocks`))).to.equal(true);
    } finally {
      await server.close();
      await t.raw.del(`${t.prefix}~blocks`);
      await t.cleanup();
    }
  });
});
