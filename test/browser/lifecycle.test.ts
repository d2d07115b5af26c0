import { mkdirSync, statSync } from 'node:fs';
import { expect } from 'chai';
import { seededDashboard } from './seeded-dashboard.js';

const AS_OF = new Date('2025-03-15T23:59:59.999Z');
const CURVES_SHOT = 'docs/retention-curves.png';
const LIFECYCLE_SHOT = 'docs/lifecycle.png';

describe('browser: retention curves and the lifecycle chart in chromium', function () {
  this.timeout(60_000);

  it('draws both charts from the engine figures, without JavaScript too, and saves screenshots', async () => {
    const { bitmapist, server, chromium, close } = await seededDashboard({ width: 1280, height: 900 });
    try {
      mkdirSync('docs', { recursive: true });
      const page = await chromium.context.newPage();

      // The cohort page: a faint curve per row with users, the bold average on top, above the heat map.
      await page.goto(`${server.base}/bitmapist/cohort?primary=user:created&secondary=user:logged_in&timeGroup=weeks&rows=12&cols=12&now=2025-03-15`);
      const cohort = await bitmapist.getCohort('user:created', 'user:logged_in', { timeGroup: 'weeks', numRows: 12, numCols: 12, now: AS_OF });
      expect(await page.locator('svg.retention-chart path.row-curve').count()).to.equal(cohort.totals.filter((total) => total > 0).length);
      expect(await page.locator('svg.retention-chart g.average circle.point').count()).to.equal(12);
      const curves = await page.locator('svg.retention-chart').boundingBox();
      const table = await page.locator('table.cohort').boundingBox();
      expect(curves!.width).to.be.above(500);
      expect(curves!.y + curves!.height).to.be.at.most(table!.y);
      const average = await page.locator('path.average-curve').boundingBox();
      expect(average!.width).to.be.above(curves!.width * 0.8);
      await page.locator('section.curves').screenshot({ path: CURVES_SHOT });
      expect(statSync(CURVES_SHOT).size).to.be.within(2_000, 300_000);

      // The lifecycle page, filled in through its form.
      await page.goto(`${server.base}/bitmapist/lifecycle`);
      await page.fill('input[name=event]', 'user:logged_in');
      await page.fill('input[name=created]', 'user:created');
      await page.selectOption('select[name=timeGroup]', 'days');
      await page.fill('input[name=periods]', '30');
      await page.fill('input[name=now]', '2025-03-15');
      await Promise.all([page.waitForURL(/\/bitmapist\/lifecycle\?/), page.click('button[type=submit]')]);
      const lifecycle = await bitmapist.engine.getLifecycle('user:logged_in', { timeGroup: 'days', periods: 30, now: AS_OF, created: 'user:created' });
      for (const layer of ['new', 'returning', 'resurrecting', 'dormant'] as const) {
        const drawn = await page.locator(`svg.bar-chart g[data-series="${layer}"] rect`).count();
        expect(drawn, layer).to.equal(lifecycle[layer].filter((n) => n > 0).length);
      }
      expect(lifecycle.returning.reduce((a, b) => a + b, 0)).to.be.above(100);
      expect(lifecycle.dormant.reduce((a, b) => a + b, 0)).to.be.above(100);
      // Dormant bars hang below the zero line, the others stand on it.
      const zero = await page.locator('svg.bar-chart g.grid line[stroke="#6b7280"]').boundingBox();
      const dormant = await page.locator('svg.bar-chart g[data-series="dormant"] rect').first().boundingBox();
      const returning = await page.locator('svg.bar-chart g[data-series="returning"] rect').first().boundingBox();
      expect(dormant!.y).to.be.at.least(zero!.y - 1);
      expect(returning!.y + returning!.height).to.be.at.most(zero!.y + 1);
      await page.locator('section.lifecycle').screenshot({ path: LIFECYCLE_SHOT });
      expect(statSync(LIFECYCLE_SHOT).size).to.be.within(2_000, 300_000);

      // Without JavaScript the charts are the same server-rendered SVG.
      const plain = await chromium.context.newPage();
      const devtools = await chromium.context.newCDPSession(plain);
      await devtools.send('Emulation.setScriptExecutionDisabled', { value: true });
      await plain.goto(page.url());
      expect(await plain.locator('svg.bar-chart rect').count()).to.equal(await page.locator('svg.bar-chart rect').count());
      expect(await plain.locator('svg.bar-chart title').first().textContent()).to.equal('Lifecycle of user:logged_in by days');
    } finally {
      await close();
    }
  });
});
