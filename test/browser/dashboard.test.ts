import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { CohortResult } from '../../src/index.js';
import { seededDashboard } from './seeded-dashboard.js';
import { SEED_EVENTS, SEED_SEGMENTS } from '../../examples/seed.js';

const AS_OF = new Date('2025-03-15T23:59:59.999Z');
const ARTIFACT = 'test/artifacts/dashboard.png';
const DOCS_COPY = 'docs/dashboard.png';

/** The table as a user sees it: per row, the label, the total and the visible text of each cell. */
async function visibleTable(page: Page): Promise<{ label: string; total: string; cells: string[] }[]> {
  return page.$$eval('table.cohort tbody tr:not(.summary)', (rows) =>
    rows.map((row) => {
      const cells = [...row.querySelectorAll('td')].map((td) => (td as unknown as { innerText: string }).innerText.trim());
      return { label: cells[0]!, total: cells[1]!, cells: cells.slice(2) };
    }),
  );
}

function expectedCells(result: CohortResult, display: 'counts' | 'percent'): string[][] {
  return result.cohort.map((row, i) =>
    row.map((count) => {
      if (count === null) return '';
      if (display === 'counts') return String(count);
      return `${(Math.round((count / result.totals[i]!) * 10_000) / 100).toFixed(1)}%`;
    }),
  );
}

describe('browser: the cohort dashboard in chromium', function () {
  this.timeout(60_000);

  it('submits the form with an additional event, matches getCohort, switches to percent, and saves a screenshot', async () => {
    const { bitmapist, server, chromium, close } = await seededDashboard({ width: 1280, height: 860 });
    try {
      const page = await chromium.context.newPage();
      await page.goto(`${server.base}/bitmapist/cohort`);
      expect(await page.locator('table.cohort').count()).to.equal(0);

      expect(await page.locator('#bitmapist-events option').count()).to.equal(SEED_EVENTS.length + SEED_SEGMENTS.length);
      await page.fill('input[name=primary]', 'user:created');
      await page.fill('input[name=secondary]', 'user:logged_in');
      await page.locator('select[name=additionalOp]').first().selectOption('or');
      await page.locator('input[name=additional]').first().fill('user:product:read_reviews');
      await page.click('button.add-event');
      expect(await page.locator('.additional-row').count()).to.equal(2);
      // The added row starts blank (a blank additional event is skipped on submit).
      expect(await page.locator('input[name=additional]').last().inputValue()).to.equal('');
      expect(await page.locator('select[name=additionalOp]').last().inputValue()).to.equal('and');
      await page.selectOption('select[name=timeGroup]', 'weeks');
      await page.fill('input[name=rows]', '12');
      await page.fill('input[name=cols]', '12');
      await page.selectOption('select[name=mode]', 'recurring');
      await page.fill('input[name=now]', '2025-03-15');
      await Promise.all([page.waitForURL(/\/bitmapist\/cohort\?/), page.click('button[type=submit]')]);

      const expected = await bitmapist.getCohort('user:created', 'user:logged_in', {
        additionalEvents: [{ name: 'user:product:read_reviews', op: 'or' }],
        timeGroup: 'weeks',
        numRows: 12,
        numCols: 12,
        mode: 'recurring',
        now: AS_OF,
      });
      const counts = await visibleTable(page);
      expect(counts.map((row) => row.total)).to.deep.equal(expected.totals.map(String));
      expect(counts.map((row) => row.cells)).to.deep.equal(expectedCells(expected, 'counts'));
      expect(counts[0]!.label).to.equal('Week of 23 Dec 2024');
      expect(expected.totals.reduce((a, b) => a + b, 0)).to.be.above(500);

      await page.click('.toggle a[data-display=percent]');
      expect(await page.getAttribute('table.cohort', 'class')).to.equal('cohort show-percent');
      expect(page.url()).to.contain('display=percent');
      const percents = await visibleTable(page);
      expect(percents.map((row) => row.cells)).to.deep.equal(expectedCells(expected, 'percent'));

      const csvHref = await page.getAttribute('a.csv', 'href');
      expect(csvHref).to.contain('display=percent');
      const csv = await (await fetch(new URL(csvHref!, server.base))).text();
      const firstRow = expectedCells(expected, 'counts')[0]!.map((cell, j) =>
        cell === '' ? '' : String(Math.round((expected.cohort[0]![j]! / expected.totals[0]!) * 10_000) / 100),
      );
      expect(csv.split('\r\n')[1]).to.equal(['2024-12-23', String(expected.totals[0]), ...firstRow].join(','));

      mkdirSync('test/artifacts', { recursive: true });
      mkdirSync('docs', { recursive: true });
      await page.screenshot({ path: ARTIFACT, fullPage: true });
      copyFileSync(ARTIFACT, DOCS_COPY);
      expect(statSync(DOCS_COPY).size).to.be.below(300_000);

      // Without JavaScript the same switch is a plain link the server renders.
      const plain = await chromium.context.newPage();
      const devtools = await chromium.context.newCDPSession(plain);
      await devtools.send('Emulation.setScriptExecutionDisabled', { value: true });
      await plain.goto(page.url());
      await Promise.all([plain.waitForURL(/display=counts/), plain.click('.toggle a[data-display=counts]')]);
      expect(await plain.getAttribute('table.cohort', 'class')).to.equal('cohort');
      expect((await visibleTable(plain)).map((row) => row.cells)).to.deep.equal(expectedCells(expected, 'counts'));
      expect(await plain.locator('button.add-event').isHidden()).to.equal(true);
    } finally {
      await close();
    }
  });
});
