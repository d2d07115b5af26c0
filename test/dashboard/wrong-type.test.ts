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
      const engineError = await t.bitmapist.engine.month('planted', now).count().then(() => undefined, (e: unknown) => e);
      expect(engineError).to.be.instanceOf(BitmapistWrongTypeError);
      for (const path of [
        '/bitmapist/?format=json&now=2025-03-15',
        '/bitmapist/trends?event=planted&timeGroup=months&periods=2&now=2025-03-15&format=json',
        '/bitmapist/cohort?primary=planted&secondary=good&timeGroup=months&rows=2&cols=2&now=2025-03-15&format=json',
      ]) {
        const response = await fetch(server.base + path);
        expect(response.status, path).to.equal(409);
        expect(((await response.json()) as { error: string }).error).to.match(/holds another type/);
      }
      const reported = t.errors.filter(({ error, ctx }) => error instanceof BitmapistWrongTypeError && ctx !== undefined);
      expect(reported).to.have.length(3);
      // Pages that do not read the key are not affected.
      expect((await fetch(`${server.base}/bitmapist/trends?event=good&periods=2&now=2025-03-15&format=json`)).status).to.equal(200);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
