import { expect } from 'chai';
import { EVENT_SUGGESTION_LIMITS, suggestEvents } from '../../../src/dashboard/shared/suggestions.js';
import { escapeHtml } from '../../../src/dashboard/shared/html.js';
import { serve, testApp } from '../../koa/support.js';

const TWO_MB = 2 * 1024 * 1024;

/** Undoes the dashboard's HTML escaping of an attribute value. */
function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** What a browser without JavaScript submits for the cohort form: its action and its fields' current values. */
function formSubmission(page: string): { action: string; fields: [string, string][] } {
  const form = /<form class="cohort-form[^"]*" method="get" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page);
  expect(form, 'the cohort form').to.not.equal(null);
  const fields: [string, string][] = [];
  for (const tag of form![2]!.matchAll(/<input ([^>]*)>|<select name="([^"]+)">([\s\S]*?)<\/select>/g)) {
    if (tag[2] !== undefined) {
      const selected = /<option value="([^"]*)" selected>/.exec(tag[3]!) ?? /<option value="([^"]*)"/.exec(tag[3]!);
      fields.push([tag[2], unescape(selected![1]!)]);
      continue;
    }
    const attr = (name: string) => new RegExp(`(?:^| )${name}="([^"]*)"`).exec(tag[1]!)?.[1];
    const name = attr('name');
    if (name === undefined || (attr('type') === 'radio' && !/ checked/.test(tag[1]!))) continue;
    fields.push([name, unescape(attr('value') ?? '')]);
  }
  return { action: form![1]!, fields };
}

describe('koa: cohort form size', function () {
  this.timeout(60_000);

  it('stays under 2 MB with 5,000 events of 512 characters, and still submits any event typed in', async () => {
    const t = testApp();
    const now = new Date();
    // Half the names escape to five times their length in HTML (&amp;): the worst case for the page size.
    const names = Array.from({ length: 5_000 }, (_, i) => `${String(i).padStart(4, '0')}:`.padEnd(512, i % 2 === 0 ? '&' : 'n'));
    for (let i = 0; i < names.length; i += 500) {
      await t.bitmapist.engine.markEvents(names.slice(i, i + 500).map((event) => ({ event, uid: 1, now })));
    }
    const server = await serve(t.app);
    const get = async (path: string) => {
      const response = await fetch(server.base + path);
      return { status: response.status, body: await response.text() };
    };
    try {
      const bare = await get('/bitmapist/cohort');
      expect(bare.status).to.equal(200);
      expect(Buffer.byteLength(bare.body)).to.be.below(TWO_MB);
      const suggested = bare.body.match(/<option value="\d{4}:[&n]/g)?.length ?? 0;
      expect(suggested).to.be.within(100, 1_000);
      expect(bare.body).to.contain(`Suggesting ${suggested} of 5000 events`);
      expect(bare.body.match(/<datalist /g)).to.have.length(1);

      // Without JavaScript: type the last name (not among the suggestions) and submit the form as it is.
      const last = names.at(-1)!;
      const { action, fields } = formSubmission(bare.body);
      const query = new URLSearchParams(
        fields.map(([name, value]): [string, string] => [name, name === 'primary' || name === 'secondary' ? last : value]),
      );
      expect(fields.map(([name]) => name)).to.include.members(['primary', 'secondary', 'additional', 'timeGroup', 'rows', 'cols', 'mode', 'now', 'display', 'suggest']);
      const cohort = await get(`${action}?${query}`);
      expect(cohort.status).to.equal(200);
      expect(cohort.body).to.contain('<table class="cohort">');
      expect(cohort.body).to.contain('(first · 1 users)');
      expect(Buffer.byteLength(cohort.body)).to.be.below(TWO_MB);

      // The heaviest page the caps allow: a 90 x 90 heat map under the same form.
      query.set('rows', '90');
      query.set('cols', '90');
      const heaviest = await get(`${action}?${query}`);
      expect(heaviest.status).to.equal(200);
      expect(Buffer.byteLength(heaviest.body)).to.be.below(TWO_MB);

      // The filter narrows the suggestions to the names starting with it.
      const narrowed = await get(`/bitmapist/cohort?suggest=${encodeURIComponent('4999:')}`);
      expect(narrowed.body.match(/<option value="\d{4}:[&n]/g)).to.have.length(1);
      expect(narrowed.body).to.contain(`<option value="${last}"></option>`);
      expect(narrowed.body).to.contain('Suggesting 1 of 1 events starting with <code>4999:</code>');
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('suggests at most 1,000 names and 512 KB of markup, names starting with the filter first to last', () => {
    expect(EVENT_SUGGESTION_LIMITS).to.deep.equal({ maxNames: 1_000, maxBytes: 512 * 1024 });
    const short = Array.from({ length: 1_200 }, (_, i) => `e${String(i).padStart(4, '0')}`);
    expect(suggestEvents(short, '')).to.deep.equal({ names: short.slice(0, 1_000), matching: 1_200, filter: '' });
    expect(suggestEvents(short, 'e11')).to.deep.equal({ names: short.slice(1_100, 1_200), matching: 100, filter: 'e11' });
    // Names that escape to five times their length: as many as fit in 512 KB of <option value="…"></option>.
    const heavy = Array.from({ length: 300 }, (_, i) => `${i}`.padEnd(512, '&'));
    const markup = (names: string[]) => names.reduce((sum, name) => sum + Buffer.byteLength(`<option value="${escapeHtml(name)}"></option>`), 0);
    const picked = suggestEvents(heavy, '').names;
    expect(picked).to.deep.equal(heavy.slice(0, picked.length));
    expect([markup(picked) <= 512 * 1024, markup(heavy.slice(0, picked.length + 1)) > 512 * 1024]).to.deep.equal([true, true]);
  });

  it('suggests every event and shows no filter when the events fit', async () => {
    const t = testApp();
    await t.bitmapist.engine.markEvents(['b:two', 'a:one'].map((event) => ({ event, uid: 1 })));
    const server = await serve(t.app);
    try {
      const page = await (await fetch(`${server.base}/bitmapist/cohort?primary=a:one&secondary=b:two`)).text();
      expect(page).to.contain('<datalist id="bitmapist-events"><option value="a:one"></option><option value="b:two"></option></datalist>');
      expect(page).to.contain('<input name="primary" list="bitmapist-events" value="a:one"');
      expect(page).to.not.contain('name="suggest"');
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
