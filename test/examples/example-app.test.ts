import { expect } from 'chai';
import { appKeys, createExampleApp, VISITOR_IDS } from '../../examples/app.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { quiet, serve } from '../koa/support.js';

/** The example app on the test Redis, as the benchmark loads it. */
async function example(withMarks: boolean) {
  const prefix = uniquePrefix('example');
  const { app, bitmapist } = createExampleApp({
    bitmapist: { redisUrl: testRedisUrl(), keyPrefix: prefix, trackUnique: true, logger: quiet },
    withMarks,
  });
  const server = await serve(app);
  const raw = testClient();
  return {
    bitmapist,
    base: server.base,
    async close() {
      await server.close();
      await bitmapist.close();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    },
  };
}

/** The `name=value` pairs a response sets, as a Cookie header. */
function cookiesOf(response: Response): string {
  return response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
}

/** The visitor id a response's cookie holds, if it sets one. */
function visitorCookie(response: Response): number | undefined {
  const value = /(?:^|; )visitor=(\d+)/.exec(cookiesOf(response))?.[1];
  return value === undefined ? undefined : Number(value);
}

async function logIn(base: string, username: string): Promise<string> {
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `username=${username}&password=demo`,
  });
  expect([login.status, login.headers.get('location')]).to.deep.equal([302, '/']);
  return cookiesOf(login);
}

describe('examples: createExampleApp', () => {
  it('marks index:visited on / only with withMarks: the logged-in user, else a random visitor id from a signed cookie, never ?uid=', async () => {
    const marked = await example(true);
    const plain = await example(false);
    try {
      const first = await fetch(`${marked.base}/?uid=7`);
      const visitor = visitorCookie(first)!;
      expect([first.status, visitor >= VISITOR_IDS.min && visitor <= VISITOR_IDS.max]).to.deep.equal([200, true]);
      const again = await fetch(`${marked.base}/?uid=8`, { headers: { cookie: cookiesOf(first) } });
      expect([again.status, visitorCookie(again)]).to.deep.equal([200, undefined]);
      // A cookie the app did not sign names nobody: the visitor gets a new random id.
      const forged = await fetch(`${marked.base}/`, { headers: { cookie: 'visitor=7; visitor.sig=forged' } });
      const other = visitorCookie(forged)!;
      expect([forged.status, other !== 7, other >= VISITOR_IDS.min && other <= VISITOR_IDS.max]).to.deep.equal([200, true, true]);
      expect((await fetch(`${plain.base}/?uid=7`)).status).to.equal(200);

      const cookie = await logIn(marked.base, 'user42');
      const home = await (await fetch(`${marked.base}/`, { headers: { cookie } })).text();
      expect(home).to.contain('Hello, user42.');
      await marked.bitmapist.flush(5000);
      await plain.bitmapist.flush(5000);
      expect(await marked.bitmapist.engine.unique('index:visited').ids()).to.deep.equal([42, visitor, other].sort((a, b) => a - b));
      expect(await marked.bitmapist.engine.unique('user:logged_in').ids()).to.deep.equal([42]);
      expect(await plain.bitmapist.getEventNames()).to.deep.equal([]);
    } finally {
      await marked.close();
      await plain.close();
    }
  });

  it('signs cookies with APP_KEYS or a random key made at start, never a key from the repository', async () => {
    expect(appKeys({ APP_KEYS: ' first, second ,' })).to.deep.equal(['first', 'second']);
    const [one, two] = [appKeys({}), appKeys({ APP_KEYS: '' })];
    expect([one.length, two.length, one[0] !== two[0], one[0]!.length >= 40]).to.deep.equal([1, 1, true, true]);
    const a = await example(true);
    const b = await example(true);
    try {
      // A session signed by one process is not accepted by another that made its own key.
      const cookie = await logIn(a.base, 'user42');
      expect(await (await fetch(`${a.base}/`, { headers: { cookie } })).text()).to.contain('Hello, user42.');
      expect(await (await fetch(`${b.base}/`, { headers: { cookie } })).text()).to.contain('<a href="/login">Log in</a>');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
