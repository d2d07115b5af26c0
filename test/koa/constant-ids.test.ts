import { expect } from 'chai';
import Koa from 'koa';
import { BitmapistArgumentError } from '../../src/index.js';
import { checkAppUserId, hasUserIdForm } from '../../src/engine/ids/user-ids.js';
import { mark } from '../../src/koa/index.js';
import { passportUserId } from '../../src/koa/user-id.js';
import { serve, testApp } from './support.js';

/** Ids of every kind an app might hand over, good and bad. */
const SAMPLES: unknown[] = [
  0, 42, -1, 1.5, 2 ** 24, Number.NaN, 42n, -1n, 2n ** 64n, '42', '007', '-1', '1.5', '', 'abc', 'const-user-7f3a',
  '3f2b6c1e-8a4d-4f7e-9b21-0c5d6e7f8a90', 'x'.repeat(256), 'x'.repeat(257), 'a\uD800', null, undefined, {}, [],
];

/** What a call did with an id: the value it queued, or the message of the error it threw. */
function outcome(call: () => unknown): string {
  try {
    return `ok ${String(call())}`;
  } catch (error) {
    return `refused ${(error as Error).message}`;
  }
}

describe('koa: user ids follow the engine rules of the system that marks', () => {
  it('mark() with a constant string id marks it with mapped ids (checked at the first request, not at set-up)', async () => {
    const t = testApp({ userIds: 'mapped', disableRouter: true, trackUnique: true });
    // Before the fix this threw at set-up: "user id must be a non-negative integer or a string of digits".
    t.app.use(mark('report:const', 'const-user-7f3a'));
    t.app.use((ctx) => {
      ctx.body = 'ok';
    });
    const server = await serve(t.app);
    try {
      expect(await (await fetch(`${server.base}/`)).text()).to.equal('ok');
      expect(await (await fetch(`${server.base}/`)).text()).to.equal('ok');
      await t.bitmapist.flush(5000);
      expect(await t.bitmapist.engine.unique('report:const').ids()).to.deep.equal(['const-user-7f3a']);
      expect(t.errors).to.deep.equal([]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('mark() with a bad constant id answers the request and reports the refusal through app.emit(error), writing nothing', async () => {
    const t = testApp({ disableRouter: true, trackUnique: true });
    t.app.use(mark('report:const', 'const-user-7f3a'));
    t.app.use((ctx) => {
      ctx.body = 'ok';
    });
    const server = await serve(t.app);
    try {
      expect(await (await fetch(`${server.base}/path`)).text()).to.equal('ok');
      await t.bitmapist.flush(5000);
      expect(t.errors.map(({ error }) => [error.constructor, error.message])).to.deep.equal([
        [BitmapistArgumentError, 'uid: user id must be a non-negative integer or a string of digits, got "const-user-7f3a"'],
      ]);
      expect((t.errors[0]!.ctx as Koa.Context).path).to.equal('/path');
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 0 });
      expect(await t.bitmapist.getEventNames()).to.deep.equal([]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  for (const mode of ['integers', 'mapped'] as const) {
    it(`plugin.markEvent, forgetUser and exportUser accept and refuse exactly what the engine's rules do (${mode})`, async () => {
      const t = testApp({ userIds: mode, disableRouter: true });
      try {
        const engine = t.bitmapist.engine;
        for (const id of SAMPLES) {
          const expected = outcome(() => checkAppUserId(id, engine));
          const marked = outcome(() => t.bitmapist.markEvent('e', id as never));
          expect(marked.startsWith('refused'), `markEvent(${String(id)})`).to.equal(expected.startsWith('refused'));
          if (expected.startsWith('refused')) {
            expect(marked).to.equal(expected);
            expect(await t.bitmapist.forgetUser(id as never).then(() => 'ok', (error: Error) => `refused ${error.message}`)).to.equal(expected);
            expect(await t.bitmapist.exportUser(id as never).then(() => 'ok', (error: Error) => `refused ${error.message}`)).to.equal(expected);
          }
        }
        await t.bitmapist.flush(5000);
        expect(t.bitmapist.metrics.failed).to.equal(0);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('passport ids: a value with the form of an id of the mode, by the same rules (anything else is anonymous)', () => {
    for (const mode of ['integers', 'mapped'] as const) {
      for (const id of SAMPLES) {
        expect(passportUserId(id, mode), `${mode} ${String(id)}`).to.deep.equal(hasUserIdForm(id, mode) ? id : undefined);
        expect(passportUserId({ id }, mode), `${mode} { id: ${String(id)} }`).to.deep.equal(hasUserIdForm(id, mode) ? id : undefined);
      }
    }
  });
});
