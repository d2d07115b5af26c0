import { mkdirSync, statSync } from 'node:fs';
import { expect } from 'chai';
import { seededDashboard } from './seeded-dashboard.js';

const AS_OF = new Date('2025-03-15T23:59:59.999Z');
const SHOT = 'docs/funnels.png';
const STEPS = ['user:signed_up', 'user:logged_in', 'user:product:purchased'];

describe('browser: the funnels page in chromium', function () {
  this.timeout(90_000);

  it('builds a funnel through the form without JavaScript, draws the engine figures per segment, and saves a screenshot', async () => {
    const { bitmapist, server, chromium, close } = await seededDashboard({ width: 1280, height: 900 }, 'browser-funnels');
    try {
      mkdirSync('docs', { recursive: true });
      const page = await chromium.context.newPage();
      await (await chromium.context.newCDPSession(page)).send('Emulation.setScriptExecutionDisabled', { value: true });
      await page.goto(`${server.base}/bitmapist/funnels`);
      expect(await page.locator('nav a.active').textContent()).to.equal('Funnels');
      // The form starts with two step fields; each submit offers one more blank field.
      expect(await page.locator('input[name=step]').count()).to.equal(2);
      for (const [i, step] of STEPS.entries()) {
        await page.locator('input[name=step]').nth(i).fill(step);
        if (i === 0) continue;
        await page.fill('input[name=now]', '2025-03-15');
        await Promise.all([page.waitForURL(/\/bitmapist\/funnels\?/), page.click('button[type=submit]')]);
      }
      expect(await page.locator('input[name=step]').count()).to.equal(STEPS.length + 1);
      // A breakdown by plan, and a step removed with its link then added back.
      await page.locator('input[name=breakdown]').first().fill('plan:free');
      await Promise.all([page.waitForURL(/breakdown=plan%3Afree/), page.click('button[type=submit]')]);
      await page.locator('input[name=breakdown]').nth(1).fill('plan:pro');
      await Promise.all([page.waitForURL(/breakdown=plan%3Apro/), page.click('button[type=submit]')]);
      await Promise.all([page.waitForURL(/\/bitmapist\/funnels\?/), page.locator('a.remove-step').nth(2).click()]);
      expect(await page.locator('input[name=step]').count()).to.equal(STEPS.length);
      await page.locator('input[name=step]').nth(2).fill(STEPS[2]!);
      await Promise.all([page.waitForURL(/\/bitmapist\/funnels\?/), page.click('button[type=submit]')]);

      const engine = bitmapist.system();
      const options = { periods: 30, window: 14, now: AS_OF };
      const [free, pro] = await Promise.all(['plan:free', 'plan:pro'].map((plan) => engine.getFunnel(STEPS, { ...options, segment: engine.unique(plan) })));
      const drawn = async (series: string) =>
        page.locator(`svg.grouped g[data-series="${series}"] rect.bar title`).allTextContents();
      expect((await drawn('plan:free')).map((title) => Number(/: (\d+)/.exec(title.split(', ').slice(1).join(', '))![1]))).to.deep.equal(free!.steps.map((s) => s.count));
      expect((await drawn('plan:pro')).map((title) => Number(/: (\d+)/.exec(title.split(', ').slice(1).join(', '))![1]))).to.deep.equal(pro!.steps.map((s) => s.count));
      expect(free!.steps[2]!.count).to.be.above(0);
      expect(pro!.steps[1]!.count).to.be.above(0);
      const all = await engine.getFunnel(STEPS, options);
      expect(await page.locator('table.funnel-entries tbody tr').count()).to.equal(30);
      expect(await page.locator('table.funnel-entries tr.incomplete').count()).to.equal(all.entries.filter((e) => !e.complete).length);
      expect(await page.locator('figcaption.legend .legend-item').allTextContents()).to.include.members(['plan:free', 'plan:pro']);
      await page.locator('section.funnel').screenshot({ path: SHOT });
      expect(statSync(SHOT).size).to.be.within(5_000, 600_000);
    } finally {
      await close();
    }
  });
});
