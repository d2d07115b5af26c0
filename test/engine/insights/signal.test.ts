import { expect } from 'chai';
import { BitmapistArgumentError } from '../../../src/index.js';
import { activeUsers } from '../../../src/engine/insights/active-users.js';
import { periodCounts } from '../../../src/engine/insights/period-counts.js';
import { trendCounts } from '../../../src/engine/insights/trends.js';
import { testBitmapist } from '../../support/redis.js';

const NOW = new Date('2025-01-31T12:00:00Z');
const day = (offset: number) => new Date(NOW.getTime() + offset * 86_400_000);

for (const layout of ['compatible', 'sharded'] as const) describe(`insights: a signal stops the work at its next Redis call (${layout} layout)`, () => {
  let t: ReturnType<typeof testBitmapist>;
  let scripts = 0;
  let commands = 0;
  /** Runs before the next script call is sent (once). */
  let beforeScript: (() => void) | undefined;

  before(async () => {
    t = testBitmapist(layout === 'sharded' ? { trackUnique: true, layout, shardBits: 8 } : { trackUnique: true });
    for (let n = 0; n < 40; n++) {
      // Over three blocks of 256 ids in the sharded layout.
      const uid = n * 17;
      for (const [event, share] of [['a', 1], ['b', 2], ['c', 3], ['pro', 4]] as const) {
        if (n % share === 0) await t.bm.markEvent(event, uid, { now: day(-(n % 10)) });
      }
    }
    const redis = t.bm.redis as unknown as { sendCommand: (...args: any[]) => Promise<unknown> };
    const original = redis.sendCommand;
    redis.sendCommand = function (this: unknown, command: { name: string }, ...rest: unknown[]) {
      commands += 1;
      if (command.name === 'evalsha') {
        scripts += 1;
        const hook = beforeScript;
        beforeScript = undefined;
        hook?.();
      }
      return original.call(this, command, ...rest);
    };
  });
  after(() => t.cleanup());

  // Each makes at least two script calls here: a segment's (or the population's) first, then the counts.
  const segment = () => t.bm.unique('pro').or(t.bm.unique('c'));
  const insights: Record<string, (signal: unknown) => Promise<unknown>> = {
    getCohort: (signal) => t.bm.getCohort('a', 'b', { now: NOW, segment: segment(), signal: signal as AbortSignal }),
    getFunnel: (signal) => t.bm.getFunnel(['a', 'b', 'c'], { now: NOW, periods: 10, segment: segment(), signal: signal as AbortSignal }),
    getLifecycle: (signal) => t.bm.getLifecycle('a', { now: NOW, periods: 10, segment: segment(), signal: signal as AbortSignal }),
    trendCounts: (signal) => trendCounts(t.bm, ['a', 'b'], { now: NOW, segment: segment(), signal: signal as AbortSignal }),
    activeUsers: (signal) => activeUsers(t.bm, 'a', { now: NOW, days: 10, segment: segment(), signal: signal as AbortSignal }),
    periodCounts: (signal) => periodCounts(t.bm, ['a', 'b', 'c'], ['day', 'week'], NOW, signal as AbortSignal),
  };

  for (const [name, run] of Object.entries(insights)) {
    it(`${name}: an aborted signal rejects with its reason and sends nothing; an abort during the work stops it, leaving no scratch key`, async () => {
      const keysBefore = (await t.keys()).sort();
      const whole = { scripts: 0 };
      scripts = 0;
      await run(new AbortController().signal);
      whole.scripts = scripts;

      const reason = new Error('the client left');
      const aborted = new AbortController();
      aborted.abort(reason);
      commands = 0;
      expect(await run(aborted.signal).then(() => 'answered', (e: unknown) => e)).to.equal(reason);
      // Nothing at all: no script, and not the sharded layout's block registry either.
      expect(commands).to.equal(0);

      if (whole.scripts >= 2) {
        const leaving = new AbortController();
        scripts = 0;
        beforeScript = () => leaving.abort(reason);
        expect(await run(leaving.signal).then(() => 'answered', (e: unknown) => e)).to.equal(reason);
        // The call under way when it aborted, nothing after it.
        expect(scripts).to.equal(1);
      }
      expect((await t.keys()).sort()).to.deep.equal(keysBefore);

      const refused = await run('not a signal').then(() => undefined, (e: unknown) => e);
      expect(refused).to.be.instanceOf(BitmapistArgumentError);
      expect((refused as BitmapistArgumentError).argument).to.equal('signal');
    });
  }

  it('most of them take several calls here, so the abort during the work is tested', async () => {
    let several = 0;
    for (const run of Object.values(insights)) {
      scripts = 0;
      await run(undefined);
      if (scripts >= 2) several += 1;
    }
    expect(several).to.be.at.least(3);
  });
});
