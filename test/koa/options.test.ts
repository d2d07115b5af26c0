import { expect } from 'chai';
import Koa from 'koa';
import { BitmapistConfigError, BitmapistError } from '../../src/index.js';
import { koaBitmapist, type KoaBitmapistOptions } from '../../src/koa/index.js';
import { envBoolean, resolveOptions } from '../../src/koa/options.js';

describe('koa: options and environment', () => {
  it('uses the documented defaults when nothing is set', () => {
    const resolved = resolveOptions({ env: {} });
    expect(resolved.defaultSystem).to.equal('default');
    expect([...resolved.sources]).to.deep.equal([['default', 'redis://localhost:6379']]);
    expect(resolved.trackHourly).to.equal(false);
    expect(resolved.disableRouter).to.equal(false);
    expect(resolved.prefix).to.equal('/bitmapist');
    expect(resolved.openWithoutAuthorize).to.equal(false);
    expect(resolved.queueLimit).to.equal(10_000);
    expect(resolved.closeTimeout).to.equal(5_000);
    expect(resolved.trackLogins).to.deep.equal({});
  });

  it('reads BITMAPIST_REDIS_URL, BITMAPIST_REDIS_SYSTEM, BITMAPIST_TRACK_HOURLY, BITMAPIST_DISABLE_ROUTER and NODE_ENV', () => {
    const resolved = resolveOptions({
      env: {
        BITMAPIST_REDIS_URL: 'redis://cache:6380/2',
        BITMAPIST_REDIS_SYSTEM: 'analytics',
        BITMAPIST_TRACK_HOURLY: 'YES',
        BITMAPIST_DISABLE_ROUTER: '1',
        NODE_ENV: 'production',
      },
    });
    expect([...resolved.sources]).to.deep.equal([['analytics', 'redis://cache:6380/2']]);
    expect(resolved.defaultSystem).to.equal('analytics');
    expect(resolved.trackHourly).to.equal(true);
    expect(resolved.disableRouter).to.equal(true);
    expect(resolved.openWithoutAuthorize).to.equal(false);
  });

  it('lets options win over the environment and adds named systems', () => {
    const resolved = resolveOptions({
      env: { BITMAPIST_REDIS_URL: 'redis://env:1', BITMAPIST_TRACK_HOURLY: 'true', BITMAPIST_DISABLE_ROUTER: 'true' },
      redisUrl: 'redis://option:2',
      trackHourly: false,
      disableRouter: false,
      systems: { reports: 'redis://reports:3' },
      prefix: '/admin/stats/',
      trackLogins: false,
    });
    expect([...resolved.sources]).to.deep.equal([
      ['reports', 'redis://reports:3'],
      ['default', 'redis://option:2'],
    ]);
    expect(resolved.trackHourly).to.equal(false);
    expect(resolved.disableRouter).to.equal(false);
    expect(resolved.prefix).to.equal('/admin/stats');
    expect(resolved.trackLogins).to.equal(false);
  });

  it('keeps a default system given in systems when no URL option is given', () => {
    const resolved = resolveOptions({ env: { BITMAPIST_REDIS_URL: 'redis://env:1' }, systems: { default: 'redis://mine:4' } });
    expect([...resolved.sources]).to.deep.equal([['default', 'redis://mine:4']]);
  });

  it('refuses unreadable booleans, prefixes and bounds with a BitmapistConfigError', () => {
    expect(() => envBoolean({ BITMAPIST_TRACK_HOURLY: 'maybe' }, 'BITMAPIST_TRACK_HOURLY')).to.throw(
      BitmapistConfigError,
      'BITMAPIST_TRACK_HOURLY must be true or false, got "maybe"',
    );
    expect(envBoolean({ X: '' }, 'X')).to.equal(undefined);
    expect(envBoolean({ X: 'Off' }, 'X')).to.equal(false);
    expect(() => resolveOptions({ env: {}, prefix: 'bitmapist' })).to.throw(BitmapistConfigError, 'prefix must be a path');
    expect(() => resolveOptions({ env: {}, prefix: '/' })).to.throw(BitmapistConfigError, 'prefix cannot be the root');
    // Characters a router would read as a pattern (a parameter, a group, a wildcard) or a browser would encode.
    for (const prefix of ['/stats(v2)', '/stats*', '/a+b', '/a:b', '/{x}', '/a!b', '/ä', '/a%2Fb', '/a//b', '/a\\b']) {
      expect(() => resolveOptions({ env: {}, prefix }), prefix).to.throw(BitmapistConfigError, 'prefix must be segments of letters, digits');
    }
    for (const [prefix, mounted] of [['/admin/stats-v2/', '/admin/stats-v2'], ['/x.y_z~1', '/x.y_z~1']]) {
      expect(resolveOptions({ env: {}, prefix }).prefix).to.equal(mounted);
    }
    // trackLogins: checked when the plugin is created, not at the first login.
    const refusals: [KoaBitmapistOptions['trackLogins'], string][] = [
      [{ system: 'reports' }, 'trackLogins.system "reports" is not a system of the plugin (default)'],
      [{ loggedIn: '' }, 'trackLogins.loggedIn:'],
      [{ loggedOut: 'bitop_x' }, 'trackLogins.loggedOut:'],
      [{ userId: 'id' as unknown as () => number }, 'trackLogins.userId must be a function'],
      [{ wrapLogin: 'no' as unknown as boolean }, 'trackLogins.wrapLogin must be true or false'],
      ['yes' as unknown as boolean, 'trackLogins must be true, false or'],
    ];
    for (const [trackLogins, message] of refusals) {
      expect(() => resolveOptions({ env: {}, trackLogins }), message).to.throw(BitmapistError, message);
    }
    expect(resolveOptions({ env: {}, systems: { reports: 'redis://x' }, trackLogins: { system: 'reports' } }).trackLogins).to.deep.equal({ system: 'reports' });
    expect(() => resolveOptions({ env: {}, queuelimit: 5 } as KoaBitmapistOptions)).to.throw(BitmapistError, 'queuelimit: is not an option of koaBitmapist (did you mean queueLimit?)');
    for (const options of ['redis://127.0.0.1:1', null, []]) {
      expect(() => resolveOptions(options as unknown as KoaBitmapistOptions), String(options)).to.throw(BitmapistError, /^options: must be an object/);
    }
    // Refused before anything is installed: no connection, no middleware, no ctx.bitmapist.
    const app = new Koa();
    expect(() => koaBitmapist(app, { prefix: '/stats(v2)', redisUrl: 'redis://127.0.0.1:1' })).to.throw(BitmapistConfigError);
    expect([app.middleware.length, 'bitmapist' in app.context]).to.deep.equal([0, false]);
    expect(() => resolveOptions({ env: {}, queueLimit: 0 })).to.throw(BitmapistConfigError, 'queueLimit must be an integer >= 1');
    expect(() => resolveOptions({ env: {}, system: '' })).to.throw(BitmapistConfigError, 'system must be a non-empty string');
  });
});
