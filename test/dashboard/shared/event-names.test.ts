import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { BitmapistArgumentError, type Bitmapist, type UserIdMode } from '../../../src/index.js';
import type { DashboardHost } from '../../../src/dashboard/host.js';
import { EventNameCache } from '../../../src/dashboard/shared/event-names.js';
import { serve, testApp } from '../../koa/support.js';

const NOW = new Date('2025-03-15T12:00:00Z');

/** How many times the test Redis has run a command so far. */
async function calls(raw: Redis, command: string): Promise<number> {
  const stats = await raw.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

describe('koa: an event marked just after a listing is never "unknown"', () => {
  it('finds it in its own bitmaps (no SCAN) however fresh the listing, and still refuses a name without bitmaps', async () => {
    const t = testApp({ disableRouter: true });
    // A listing that is never stale and never refreshed: only the event's own bitmaps can tell it exists.
    const names = new EventNameCache(t.bitmapist, 60_000, 60_000);
    try {
      await t.bitmapist.engine.markEvent('old', 1, { now: NOW });
      expect(await names.list('default')).to.deep.equal(['old']);

      await t.bitmapist.engine.markEvent('=SUM(A1)', 1, { now: NOW });
      await t.bitmapist.engine.markEvent('today', 2);
      await t.bitmapist.engine.markUnique('plan:pro', 3);
      const scans = await calls(t.raw, 'scan');
      // Before the fix: BitmapistArgumentError 'event: unknown event "=SUM(A1)"' (the listing predates the mark).
      await names.assertKnown('default', [['event', '=SUM(A1)']], NOW);
      await names.assertKnown('default', [['event', 'today'], ['segment', 'plan:pro']]);
      const refused = await names.assertKnown('default', [['event', 'old'], ['secondary', 'never:marked']], NOW).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(BitmapistArgumentError);
      expect((refused as BitmapistArgumentError).argument).to.equal('secondary');
      expect((refused as Error).message).to.equal('secondary: unknown event "never:marked"');
      expect(await calls(t.raw, 'scan')).to.equal(scans);
    } finally {
      await t.cleanup();
    }
  });

  it('over HTTP: an event marked right after the events page is listed opens its trend at once', async () => {
    const t = testApp();
    const server = await serve(t.app);
    try {
      await t.bitmapist.engine.markEvent('listed', 1, { now: NOW });
      expect((await fetch(`${server.base}/bitmapist/?format=json`)).status).to.equal(200);
      await t.bitmapist.engine.markEvent('=SUM(A1)', 1, { now: NOW });
      const answer = await fetch(`${server.base}/bitmapist/trends?event=${encodeURIComponent('=SUM(A1)')}&periods=2&now=2025-03-15&format=csv`);
      expect(answer.status).to.equal(200);
      expect((await answer.text()).split('\r\n')[0]).to.equal("Date,'=SUM(A1)");
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});

describe('koa: the events page with a name no read accepts in Redis', () => {
  it('lists the others: a name over 512 characters (Python bitmapist may write one) no longer makes it answer 400', async () => {
    const t = testApp();
    const server = await serve(t.app);
    try {
      await t.bitmapist.engine.markEvent('short', 1, { now: NOW });
      await t.raw.setbit(`${t.bitmapist.engine.keys.prefix}${'q'.repeat(600)}_2025-3-15`, 1, 1);
      const answer = await fetch(`${server.base}/bitmapist/?now=2025-03-15&format=json`);
      expect(answer.status).to.equal(200);
      const body = (await answer.json()) as { events: { name: string; day: number }[] };
      expect(body.events.map(({ name, day }) => [name, day])).to.deep.equal([['short', 1]]);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});

describe('koa: a listing that finishes while unknown names are looked up', () => {
  it('is the one judged stale or not: no second listing right after it', async () => {
    const t = testApp({ disableRouter: true });
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let looking = () => undefined as void;
    const lookingUp = new Promise<void>((resolve) => (looking = resolve));
    // The real engine, but its `hasEvent` waits until the test lets it go on.
    const engine = t.bitmapist.engine as Bitmapist<UserIdMode>;
    const held = new Proxy(engine, {
      get(target, property) {
        if (property === 'hasEvent') {
          return async (...args: Parameters<Bitmapist<UserIdMode>['hasEvent']>) => {
            looking();
            await gate;
            return target.hasEvent(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const host: DashboardHost = { defaultSystem: 'default', systemNames: ['default'], system: () => held };
    let clock = 0;
    const names = new EventNameCache(host, 2_000, 250, () => clock);
    try {
      await engine.markEvent('listed', 1, { now: NOW });
      await names.list('default');
      clock = 1_000; // the listing is old enough to be refreshed for an unknown name, not yet expired
      const refused = names.assertKnown('default', [['event', 'never:marked']], NOW).then(
        () => undefined,
        (error: unknown) => error,
      );
      await lookingUp;
      clock = 2_500; // expired: the events page lists again while the name is being looked up
      await names.list('default');
      const scans = await calls(t.raw, 'scan');
      release();
      const error = await refused;
      expect(error).to.be.instanceOf(BitmapistArgumentError);
      expect((error as Error).message).to.equal('event: unknown event "never:marked"');
      // Before the fix the check read the first listing's age (2.5 s) and listed the keyspace again at once.
      expect(await calls(t.raw, 'scan')).to.equal(scans);
    } finally {
      release();
      await t.cleanup();
    }
  });
});
