import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { seededDashboard } from './seeded-dashboard.js';

/** The chart pages tried, each with the x label its last period must show (always labelled). */
const PAGES = [
  { name: 'trends by day', path: '/trends?event=user:logged_in&event=user:created&timeGroup=days&periods=30&now=2025-03-15', last: ['2025-03-15'] },
  { name: 'trends by week', path: '/trends?event=user:logged_in&timeGroup=weeks&periods=12&now=2025-03-15', last: ['2025-03-10'] },
  { name: 'active users', path: '/active?event=user:logged_in&days=30&now=2025-03-15', last: ['2025-03-15', '2025-03-15'] },
  { name: 'lifecycle', path: '/lifecycle?event=user:logged_in&created=user:created&timeGroup=days&periods=30&now=2025-03-15', last: ['15 Mar'] },
  { name: 'retention curves', path: '/cohort?primary=user:created&secondary=user:logged_in&timeGroup=weeks&rows=12&cols=12&now=2025-03-15', last: ['Week 11'] },
  {
    name: 'funnels',
    path: '/funnels?step=user:signed_up&step=user:logged_in&step=user:product:purchased&periods=30&window=14&now=2025-03-15&breakdown=plan:free&breakdown=plan:pro',
    last: ['3', '14'],
  },
] as const;

const WIDTHS = [390, 1280];
/** The smallest rendered font size, in CSS pixels, an axis label may have. */
const MIN_FONT_PX = 10;

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface Label extends Box {
  text: string;
  /** The font size as drawn: the computed size times the scale from the SVG's user units to the screen. */
  px: number;
}

interface DrawnChart {
  svg: Box & { role: string | null; title: string };
  xLabels: Label[];
  yLabels: Label[];
}

/**
 * What Chromium drew: per visible chart SVG (a `<figure class="chart">`'s), its visible x and y axis labels
 * with their boxes and drawn font sizes; and the ids used more than once on the page.
 */
async function drawnCharts(page: Page): Promise<{ charts: DrawnChart[]; duplicateIds: string[] }> {
  return page.evaluate(() => {
    // The browser's DOM, typed loosely (the tests compile without the DOM library).
    interface Node {
      getBoundingClientRect(): Box;
      checkVisibility(): boolean;
      querySelectorAll(selector: string): Iterable<Node>;
      querySelector(selector: string): Node | null;
      getAttribute(name: string): string | null;
      getScreenCTM(): { a: number; d: number } | null;
      textContent: string | null;
      id: string;
    }
    const browser = globalThis as unknown as {
      document: Node;
      getComputedStyle(node: Node): { fontSize: string };
    };
    // No named functions in here: tsx would wrap them in a helper the page does not have.
    const charts = [...browser.document.querySelectorAll('figure.chart svg')]
      .filter((svg) => svg.checkVisibility() && svg.getAttribute('role') === 'img')
      .map((svg) => {
        const { left, right, top, bottom } = svg.getBoundingClientRect();
        const [xLabels, yLabels] = ['g.x-axis text', 'g.grid text'].map((selector) =>
          [...svg.querySelectorAll(selector)]
            .filter((text) => text.checkVisibility())
            .map((text) => {
              const rect = text.getBoundingClientRect();
              const scale = text.getScreenCTM()!;
              return {
                left: rect.left,
                right: rect.right,
                top: rect.top,
                bottom: rect.bottom,
                text: text.textContent ?? '',
                px: parseFloat(browser.getComputedStyle(text).fontSize) * Math.min(scale.a, scale.d),
              };
            }),
        );
        const svgTitle = svg.querySelector('title')?.textContent ?? '';
        return { svg: { left, right, top, bottom, role: svg.getAttribute('role'), title: svgTitle }, xLabels: xLabels!, yLabels: yLabels! };
      });
    const ids = [...browser.document.querySelectorAll('[id]')].map((node) => node.id);
    return { charts, duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i) };
  });
}

const overlap = (a: Box, b: Box) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;

describe('browser: every chart reads on a phone (390 px) and on a desktop (1280 px)', function () {
  this.timeout(120_000);

  it('keeps axis labels at a legible size, thins them out instead of overlapping, and keeps the last one', async () => {
    const { server, chromium, close } = await seededDashboard({ width: 1280, height: 900 }, 'browser-phone');
    try {
      // The charts need no script: the same checks hold with JavaScript off.
      const scripted = await chromium.context.newPage();
      const plain = await chromium.context.newPage();
      await (await chromium.context.newCDPSession(plain)).send('Emulation.setScriptExecutionDisabled', { value: true });
      for (const [width, page, script] of WIDTHS.flatMap((width) => [[width, scripted, 'on'], [width, plain, 'off']] as const)) {
        await page.setViewportSize({ width, height: 900 });
        for (const { name, path, last } of PAGES) {
          const where = `${name} at ${width} px (script ${script})`;
          await page.goto(`${server.base}/bitmapist${path}`);
          const { charts, duplicateIds } = await drawnCharts(page);
          expect(duplicateIds, `${where}: ids used twice`).to.deep.equal([]);
          expect(charts.length, `${where}: visible charts`).to.equal(last.length);
          charts.forEach((chart, n) => {
            const at = `${where}, chart ${n} (${chart.svg.title})`;
            expect(chart.svg.title, at).not.to.equal('');
            expect(chart.svg.right, `${at}: fits the page`).to.be.at.most(width);
            const all = [...chart.xLabels, ...chart.yLabels];
            expect(chart.xLabels.length, `${at}: x labels`).to.be.at.least(2);
            expect(chart.yLabels.length, `${at}: y labels`).to.be.at.least(2);
            for (const label of all) {
              expect(label.px, `${at}: font size of "${label.text}"`).to.be.at.least(MIN_FONT_PX);
              expect(label.left, `${at}: "${label.text}" on screen`).to.be.at.least(0);
              expect(label.right, `${at}: "${label.text}" on screen`).to.be.at.most(width);
            }
            const overlaps = all.flatMap((a, i) => all.slice(i + 1).filter((b) => overlap(a, b)).map((b) => `"${a.text}" over "${b.text}"`));
            expect(overlaps, `${at}: overlapping labels`).to.deep.equal([]);
            const rightmost = [...chart.xLabels].sort((a, b) => a.right - b.right).at(-1)!;
            expect(rightmost.text, `${at}: the last period is labelled`).to.equal(last[n]);
          });
        }
      }
    } finally {
      await close();
    }
  });
});
