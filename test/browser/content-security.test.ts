import { expect } from 'chai';
import { seededDashboard } from './seeded-dashboard.js';
import { DASHBOARD_PAGES } from '../../src/dashboard/pages.js';

/** Pages with the parameters that draw their charts and tables (the others open on their empty form). */
const DRAWN: Record<string, string> = {
  '/': '?now=2025-03-15',
  '/cohort': '?primary=user:created&secondary=user:logged_in&now=2025-03-15',
  '/trends': '?event=user:logged_in&now=2025-03-15',
  '/active': '?event=user:logged_in&now=2025-03-15',
  '/lifecycle': '?event=user:logged_in&now=2025-03-15',
  '/funnels': '?step=user:created&step=user:logged_in&now=2025-03-15',
};

describe('browser: the dashboard under its Content-Security-Policy', function () {
  this.timeout(60_000);

  it('runs its own script and loads its sparklines on every page, and the policy refuses nothing of its own', async () => {
    const { server, chromium, close } = await seededDashboard({ width: 1280, height: 860 });
    try {
      const refused: string[] = [];
      const page = await chromium.context.newPage();
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      await page.addInitScript({
        content: "document.addEventListener('securitypolicyviolation', (e) => console.error('Content Security Policy: ' + e.violatedDirective));",
      });
      const pages = DASHBOARD_PAGES.filter((p) => p.nav !== undefined).map((p) => p.path);
      expect(pages).to.have.members(Object.keys(DRAWN));
      for (const path of pages) {
        const response = await page.goto(`${server.base}/bitmapist${path}${DRAWN[path]}`);
        expect([path, response?.status()]).to.deep.equal([path, 200]);
        expect(response?.headers()['content-security-policy']).to.match(/script-src 'sha256-/);
      }

      // The events page's sparklines are images of the dashboard itself: each one loaded.
      await page.goto(`${server.base}/bitmapist/?now=2025-03-15`);
      const sparklines = await page.$$eval('img.sparkline', (images) => images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth));
      expect(sparklines.length).to.be.above(3);
      expect(sparklines.every((width) => width > 0)).to.equal(true);

      // The page's script ran: it toggles the cohort table to percents.
      await page.goto(`${server.base}/bitmapist${'/cohort'}${DRAWN['/cohort']}`);
      await page.click('.toggle a[data-display=percent]');
      expect(await page.getAttribute('table.cohort', 'class')).to.equal('cohort show-percent');

      expect(refused).to.deep.equal([]);

      // A script the page did not bring is refused: the policy is in force, not only sent.
      await page.evaluate(`{
        const injected = document.createElement('script');
        injected.textContent = 'document.body.dataset.injected = "ran"';
        document.body.appendChild(injected);
      }`);
      for (let waited = 0; refused.length === 0 && waited < 100; waited += 1) await page.waitForTimeout(50);
      expect(refused.length).to.be.above(0);
      expect(await page.getAttribute('body', 'data-injected')).to.equal(null);
    } finally {
      await close();
    }
  });
});
