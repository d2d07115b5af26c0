import { expect } from 'chai';
import { DEFAULT_KEY_PREFIX, KeyNames } from '../../../src/index.js';
import { escapeGlob } from '../../../src/engine/keys/key-names.js';

describe('keys', () => {
  const keys = new KeyNames();

  it('builds <prefix><event>_<suffix> with the bitmapist prefix by default', () => {
    expect(DEFAULT_KEY_PREFIX).to.equal('trackist_');
    expect(keys.eventKey('user:logged_in', '2025-1-31')).to.equal('trackist_user:logged_in_2025-1-31');
    expect(new KeyNames('app_').eventKey('e', 'u')).to.equal('app_e_u');
  });

  it('reads the event name back from a key, underscores included', () => {
    expect(keys.eventOf('trackist_user:logged_in_2025-1-31')).to.equal('user:logged_in');
    expect(keys.eventOf('trackist_a_b_W2025-1')).to.equal('a_b');
    expect(keys.eventOf('trackist_x_u')).to.equal('x');
    expect(keys.eventOf('trackist_x_2025-1-31-23')).to.equal('x');
    expect(keys.eventOf('other_x_2025-1')).to.equal(undefined);
    expect(keys.eventOf('trackist_x_2025')).to.equal(undefined);
    expect(keys.eventOf('trackist__2025-1')).to.equal(undefined);
  });

  it('makes scratch keys unique per call that never read as event keys', () => {
    const a = keys.scratchKeys(3);
    const b = keys.scratchKeys(3);
    expect(new Set([...a, ...b]).size).to.equal(6);
    for (const key of [...a, ...b]) {
      expect(key.startsWith('trackist_')).to.equal(true);
      expect(keys.eventOf(key)).to.equal(undefined);
      expect(keys.isScratchKey(key)).to.equal(true);
    }
    expect(keys.isScratchKey('trackist_x_u')).to.equal(false);
  });

  it('escapes glob characters in SCAN patterns', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).to.equal('a\\*b\\?c\\[d\\]e\\\\f');
    expect(new KeyNames('p[1]_').scanPattern('user:*')).to.equal('p\\[1\\]_user:\\**');
  });
});
