import { expect } from 'chai';
import { buildCohortView } from '../../../src/dashboard/cohort/data.js';
import { retentionCurveData, retentionCurves } from '../../../src/dashboard/cohort/curves.js';
import { MarkModel, prng } from '../../support/model.js';
import { serve, testApp } from '../../koa/support.js';

const NOW = new Date('2025-06-18T23:59:59.999Z');
const day = (n: number) => new Date(Date.UTC(2025, 5, 18 + n, 9));

/** The points of an SVG path's `d` (M and L commands). */
const points = (d: string) => (d.match(/[ML][\d.]+,[\d.]+/g) ?? []).length;

describe('koa: retention curves on the cohort page', function () {
  this.timeout(30_000);

  it('gives one curve per row with users, percent of its total, nulls left out, and the column averages', () => {
    const dates = [0, 1, 2].map((n) => new Date(Date.UTC(2025, 5, 16 + n)));
    const view = buildCohortView(
      { cohort: [[4, 1, 2], [null, null, null], [3, null, null]], totals: [4, 0, 6], dates },
      'days',
      3,
    );
    const data = retentionCurveData(view);
    expect(data.rows).to.deep.equal([
      { name: 'Mon 16 Jun 2025', percents: [100, 25, 50] },
      { name: 'Wed 18 Jun 2025', percents: [50, null, null] },
    ]);
    expect(data.average).to.deep.equal([75, 25, 50]);
    const svg = retentionCurves(view, 'Retention of <a> → b').value;
    expect(svg).to.contain('<title id="retention-title">Retention of &lt;a&gt; → b</title>');
    expect(svg).to.contain('2 cohort rows in percent of each row&#39;s users; average: Day 0 75.0%, Day 1 25.0%, Day 2 50.0%.');
    const rowPaths = [...svg.matchAll(/<path class="row-curve" d="([^"]*)"/g)].map((m) => points(m[1]!));
    expect(rowPaths).to.deep.equal([3, 1]);
  });

  it('draws the curves above the heat map, from the same figures as the model', async () => {
    const t = testApp();
    const server = await serve(t.app);
    try {
      const model = new MarkModel();
      const random = prng(4242);
      const marks = [];
      for (let uid = 0; uid < 60; uid++) {
        const joined = -Math.floor(random() * 6);
        marks.push({ event: 'signup', uid, now: day(joined) });
        model.add('signup', uid, day(joined));
        for (let later = joined; later <= 0; later++) {
          if (random() < 0.4) {
            marks.push({ event: 'visit', uid, now: day(later) });
            model.add('visit', uid, day(later));
          }
        }
      }
      await t.bitmapist.engine.markEvents(marks);
      const page = await (await fetch(`${server.base}/bitmapist/cohort?primary=signup&secondary=visit&rows=6&cols=6&now=2025-06-18`)).text();
      const expected = model.cohort('signup', 'visit', { unit: 'day', rows: 6, cols: 6, mode: 'first', now: NOW });
      expect(page.indexOf('<svg class="retention-chart"')).to.be.greaterThan(0).and.lessThan(page.indexOf('<table class="cohort'));
      expect(page).to.contain('role="img" aria-labelledby="retention-title retention-desc"');
      // Row i of 6 has 6 - i complete periods (days after now are left out).
      const rows = expected.totals.map((total, i) => ({ total, i })).filter((row) => row.total > 0);
      const rowPaths = [...page.matchAll(/<path class="row-curve" d="([^"]*)"/g)].map((m) => points(m[1]!));
      expect(rowPaths).to.deep.equal(rows.map((row) => 6 - row.i));
      // The average point of each column: the mean of the rows' percents there, as the model computes it.
      const averages = Array.from({ length: 6 }, (_, j) => {
        const values = expected.cohort.flatMap((row, i) => (row[j] === null || expected.totals[i] === 0 ? [] : [(row[j]! / expected.totals[i]!) * 100]));
        return values.reduce((a, b) => a + b, 0) / values.length;
      });
      const titles = [...page.matchAll(/<title>Average, Day (\d): ([\d.]+)%<\/title>/g)].map((m) => [Number(m[1]), m[2]]);
      expect(titles).to.deep.equal(averages.map((average, j) => [j, (Math.round(average * 100) / 100).toFixed(1)]));
      expect(points(page.match(/<path class="average-curve" d="([^"]*)"/)![1]!)).to.equal(6);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
