import { mkdirSync, statSync } from 'node:fs';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { activeUsers } from '../../src/engine/insights/active-users.js';
import { trendCounts } from '../../src/engine/insights/trends.js';
import { seededDashboard } from './seeded-dashboard.js';
import { SEED_EVENTS, SEED_SEGMENTS } from '../../examples/seed.js';

const AS_OF = new Date('2025-03-15T23:59:59.999Z');

/** What Chromium drew: per line chart, its paths' lengths on screen and its number of points. */
async function drawnCharts(page: Page): Promise<{ paths: number[]; points: number; width: number }[]> {
  return page.$$eval('svg.line-chart', (charts) =>
    charts.map((chart) => ({
      paths: [...chart.querySelectorAll('path.line')].map((path) => Math.round((path as unknown as { getTotalLength(): number }).getTotalLength())),
      points: chart.querySelectorAll('circle.point').length,
      width: Math.round(chart.getBoundingClientRect().width),
    })),
  );
}

/** The data table under a chart, as text: one array per row (label first). */
async function tableText(page: Page, selector: string): Promise<string[][]> {
  return page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((row) => [...row.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
  );
}

describe('browser: trends, active users and sparklines in chromium', function () {
  this.timeout(90_000);

  it('draws the trend and active-users charts, their tables match the engine, and saves screenshots', async () => {
    const { bitmapist, server, chromium, close } = await seededDashboard({ width: 1280, height: 900 }, 'browser-trends');
    try {
      const engine = bitmapist.system();
      const page = await chromium.context.newPage();

      await page.goto(`${server.base}/bitmapist/?now=2025-03-15`);
      // Every listed event's sparkline image loads (an SVG answered by its own request) and is drawn.
      await page.waitForFunction("[...document.querySelectorAll('img.sparkline')].every((img) => img.complete)");
      const sparklines = await page.$$eval('img.sparkline', (images) => images.map((img) => (img as unknown as { naturalWidth: number }).naturalWidth));
      expect(sparklines).to.deep.equal(Array(SEED_EVENTS.length + SEED_SEGMENTS.length).fill(84));
      await Promise.all([page.waitForURL(/\/bitmapist\/trends\?/), page.locator('td.trend a').first().click()]);
      expect((await drawnCharts(page)).map((chart) => chart.points)).to.deep.equal([30]);

      await page.goto(`${server.base}/bitmapist/trends?event=user:logged_in&event=user:created&timeGroup=days&periods=30&now=2025-03-15`);
      const trend = await trendCounts(engine, ['user:logged_in', 'user:created'], { periods: 30, now: AS_OF });
      const charts = await drawnCharts(page);
      expect(charts.map((chart) => [chart.paths.length, chart.points])).to.deep.equal([[2, 60]]);
      expect(charts[0]!.paths.every((length) => length > 600)).to.equal(true);
      expect(charts[0]!.width).to.be.above(800);
      const rows = await tableText(page, 'table.trend-data');
      expect(rows.map((row) => row.slice(1))).to.deep.equal(trend.dates.map((_, i) => trend.series.map((s) => String(s.counts[i]))));
      expect(rows.at(-1)![0]).to.equal('2025-03-15');
      expect(trend.series[0]!.counts.reduce((a, b) => a + b, 0)).to.be.above(300);
      expect(await page.locator('svg.line-chart title').first().textContent()).to.equal('Users per day: user:logged_in, user:created');
      mkdirSync('docs', { recursive: true });
      await page.screenshot({ path: 'docs/trends.png', fullPage: true });
      expect(statSync('docs/trends.png').size).to.be.below(300_000);

      await page.goto(`${server.base}/bitmapist/active?event=user:logged_in&days=30&now=2025-03-15`);
      const active = await activeUsers(engine, 'user:logged_in', { days: 30, now: AS_OF });
      expect((await drawnCharts(page)).map((chart) => [chart.paths.length, chart.points])).to.deep.equal([[3, 90], [1, 30]]);
      const activeRows = await tableText(page, 'table.active-data');
      expect(activeRows.map((row) => row.slice(1, 4))).to.deep.equal(active.dau.map((dau, i) => [dau, active.wau[i], active.mau[i]].map(String)));
      expect(activeRows.map((row) => row[4])).to.deep.equal(active.stickiness.map((s) => (s === null ? '' : `${(s * 100).toFixed(1)}%`)));
      await page.screenshot({ path: 'docs/active-users.png', fullPage: true });
      expect(statSync('docs/active-users.png').size).to.be.below(300_000);
    } finally {
      await close();
    }
  });
});
