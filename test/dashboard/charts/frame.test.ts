import { expect } from 'chai';
import { stackedBars } from '../../../src/dashboard/charts/bars.js';
import { CHART_STYLE, CHART_WIDTHS, LABEL_PX, labelWidth } from '../../../src/dashboard/charts/frame.js';
import { lineChart } from '../../../src/dashboard/charts/line.js';
import { chartColour } from '../../../src/dashboard/charts/scale.js';
import { retentionCurves } from '../../../src/dashboard/cohort/curves.js';
import { buildCohortView } from '../../../src/dashboard/cohort/data.js';
import { DASHBOARD_STYLE } from '../../../src/dashboard/shared/assets.js';

const days = (n: number) => Array.from({ length: n }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10));

/** A chart's outer SVG: its style's height and padding, and its x labels (text, x in percent, the widths they show at). */
function layout(svg: string) {
  const opening = /<svg class="[^"]+" width="100%" height="(\d+)" style="([^"]*)"/.exec(svg)!;
  const padding = /padding:(\d+)px (\d+)px (\d+)px (\d+)px/.exec(opening[2]!)!.slice(1).map(Number);
  const axis = /<g class="x-axis"[^>]*>(.*?)<\/g>/s.exec(svg)![1]!;
  const labels = [...axis.matchAll(/<text class="(tick [^"]*)" x="([\d.]+)%"[^>]*>([^<]*)<\/text>/g)].map((m) => ({
    widths: m[1]!.split(' ').slice(1).map((w) => Number(w.slice(1))),
    percent: Number(m[2]),
    text: m[3]!.replace(/&#39;/g, "'").replace(/&amp;/g, '&'),
  }));
  return { height: Number(opening[1]), style: opening[2]!, top: padding[0]!, right: padding[1]!, left: padding[3]!, labels };
}

/**
 * The x labels a chart `width` px wide shows (those of the widest of CHART_WIDTHS it reaches, as CHART_STYLE's
 * container queries pick them), each with its box in px by labelWidth's estimate.
 */
function shownAt(svg: string, width: number) {
  const { left, right, labels } = layout(svg);
  const tier = [...CHART_WIDTHS].reverse().find((w) => w <= width) ?? CHART_WIDTHS[0];
  return labels
    .filter((label) => label.widths.includes(tier))
    .map((label) => {
      const centre = left + (label.percent / 100) * (width - left - right);
      return { ...label, from: centre - labelWidth(label.text) / 2, to: centre + labelWidth(label.text) / 2 };
    });
}

/** Checks the x axis at every laid-out width and between them: no overlap, inside the SVG, first and last shown. */
function expectReadableAxis(svg: string, all: readonly string[], name: string) {
  for (const width of [240, ...CHART_WIDTHS.flatMap((w) => [w, w + 39]), 1400]) {
    const shown = shownAt(svg, width);
    const at = `${name} at ${width} px: ${shown.map((label) => label.text).join(', ')}`;
    expect(shown.at(-1)?.text, at).to.equal(all.at(-1));
    if (shown.length > 1 || all.length === 1) expect(shown[0]!.text, at).to.equal(all[0]);
    if (width >= CHART_WIDTHS[0] && all.length > 1) expect(shown.length, at).to.be.at.least(2);
    if (width >= CHART_WIDTHS[0]) {
      expect(shown[0]!.from, at).to.be.at.least(0);
      expect(shown.at(-1)!.to, at).to.be.at.most(width);
      shown.slice(1).forEach((label, i) => expect(label.from - shown[i]!.to, `${at}: gap before ${label.text}`).to.be.at.least(4));
    }
  }
}

describe('dashboard charts: drawn at their real size, x labels thinned to fit every width', () => {
  it('draws a line chart without a viewBox, at a fixed height, its labels in its padding at 12 px', () => {
    const svg = lineChart({ title: 'Users', xLabels: days(30), series: [{ name: 'a', values: days(30).map((_, i) => i * 10) }] }).value;
    const { height, style, left, right } = layout(svg);
    expect(svg).not.to.match(/<svg class="line-chart"[^>]*viewBox/);
    expect(height).to.equal(280);
    expect(style).to.contain('width:100%;height:280px;').and.contain('overflow:visible');
    // 0 to 290 on an axis up to 500: room for the widest y label ("375") and half of the first and last x labels, which are centred on the edges.
    expect(left).to.equal(Math.max(Math.ceil(labelWidth('375')) + 10, Math.ceil(labelWidth('2025-01-01') / 2) + 2));
    expect(right).to.equal(Math.ceil(labelWidth('2025-01-30') / 2) + 2);
    expect(svg.match(/font-size="(\d+)"/g)!.every((size) => size === `font-size="${LABEL_PX}"`)).to.equal(true);
    // The line in a nested SVG stretched to the plot's width, its stroke not stretched; points in percent.
    expect(svg).to.match(/<svg class="plot" width="100%" height="224" viewBox="0 0 1000 224" preserveAspectRatio="none"/);
    expect(svg).to.match(/<path class="line" d="M0,224L34.5,219.5L69,215L[^"]*L1000,94.1" [^>]*vector-effect="non-scaling-stroke"/);
    expect(svg).to.contain('<circle class="point" cx="0%" cy="224"').and.contain('<circle class="point" cx="100%" cy="94.1"');
  });

  it('never overlaps x labels, at any width, on line charts, stacked bars and retention curves', () => {
    for (const count of [1, 2, 3, 7, 12, 30, 31, 90]) {
      const labels = days(count);
      expectReadableAxis(lineChart({ title: 't', xLabels: labels, series: [{ name: 'a', values: labels.map(() => 1) }] }).value, labels, `${count} days`);
      const bars = stackedBars({ title: 't', description: 'd', xLabels: labels, series: [{ name: 'a', values: labels.map(() => 5), colour: '#000' }] }).value;
      expectReadableAxis(bars, labels, `${count} bars`);
    }
    const short = days(30).map((day) => `${Number(day.slice(8))} Jan`);
    const bars = stackedBars({ title: 't', description: 'd', xLabels: days(30), axisLabels: short, series: [{ name: 'a', values: short.map(() => 5), colour: '#000' }] }).value;
    expectReadableAxis(bars, short, '30 bars with axis labels');
    for (const columns of [1, 2, 6, 12, 24]) {
      const dates = Array.from({ length: columns }, (_, i) => new Date(Date.UTC(2025, 0, 6 + 7 * i)));
      const cohort = dates.map((_, i) => Array.from({ length: columns }, (_, j) => (j < columns - i ? 10 - Math.min(j, 9) : null)));
      const view = buildCohortView({ cohort, totals: dates.map(() => 10), dates }, 'weeks', columns);
      const weeks = Array.from({ length: columns }, (_, j) => `Week ${j}`);
      expectReadableAxis(retentionCurves(view, 'Retention').value, weeks, `${columns} weeks of retention`);
    }
  });

  it('never labels both Week 10 and Week 11 of the retention curves at one width (they overlapped at any width)', () => {
    const dates = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2025, 0, 6 + 7 * i)));
    const view = buildCohortView({ cohort: dates.map(() => Array(12).fill(1)), totals: dates.map(() => 2), dates }, 'weeks', 12);
    const { labels } = layout(retentionCurves(view, 'Retention').value);
    const week = (text: string) => labels.find((label) => label.text === text)?.widths ?? [];
    expect(week('Week 11')).to.deep.equal([...CHART_WIDTHS]);
    for (const width of CHART_WIDTHS) {
      const shown = shownAt(retentionCurves(view, 'Retention').value, width).map((label) => label.text);
      expect(shown.includes('Week 10') && shown.includes('Week 11'), `${width}: ${shown.join(', ')}`).to.equal(width >= 820 && shown.length === 12);
    }
  });

  it('shows each width its own labels through container queries on the figure, the narrowest by default', () => {
    expect(DASHBOARD_STYLE).to.contain(CHART_STYLE);
    expect(CHART_STYLE).to.contain('figure.chart{container-type:inline-size}');
    expect(CHART_STYLE).to.contain(`figure.chart .x-axis text.tick:not(.w${CHART_WIDTHS[0]}){display:none}`);
    for (const width of CHART_WIDTHS.slice(1)) {
      expect(CHART_STYLE).to.contain(
        `@container (min-width:${width}px){figure.chart .x-axis text.tick:not(.w${width}){display:none}figure.chart .x-axis text.tick.w${width}{display:inline}}`,
      );
    }
  });

  it('draws a series in its own colour, dashed when asked, and says so in the legend', () => {
    const svg = lineChart({
      title: 'Breakdown',
      xLabels: days(3),
      series: [
        { name: 'plain', values: [1, 2, 3] },
        { name: 'pro', values: [1, 2, 3], colour: '#0b6fa4', dash: true },
        { name: 'odd', values: [1, null, 3], colour: 'red;background:url(x)' },
      ],
    }).value;
    const strokes = [...svg.matchAll(/<path class="line" d="[^"]*" fill="none" stroke="([^"]+)" stroke-width="2"( stroke-dasharray="6 4")?/g)].map((m) => [m[1], Boolean(m[2])]);
    expect(strokes).to.deep.equal([[chartColour(0), false], ['#0b6fa4', true], [chartColour(2), false]]);
    expect([...svg.matchAll(/<circle class="point"[^>]* fill="([^"]+)"/g)].map((m) => m[1])).to.deep.equal([
      ...Array(3).fill(chartColour(0)),
      ...Array(3).fill('#0b6fa4'),
      ...Array(2).fill(chartColour(2)),
    ]);
    const legend = /<figcaption class="legend">(.*)<\/figcaption>/s.exec(svg)![1]!;
    expect(legend).to.contain(`<span class="swatch" style="background:${chartColour(0)}"></span>plain`);
    expect(legend).to.contain('<span class="swatch dashed" style="background:repeating-linear-gradient(90deg,#0b6fa4 0 5px,transparent 5px 8px)"></span>pro');
    expect(legend).to.contain(`<span class="swatch" style="background:${chartColour(2)}"></span>odd`);
    expect(svg).not.to.contain('url(x)');
  });

  it('keeps the accessible parts: role="img", a title and description, a title on every point and bar', () => {
    const line = lineChart({ title: 'Users <b>', xLabels: days(2), series: [{ name: 'a&b', values: [1, 2] }] }).value;
    expect(line).to.match(/<svg class="line-chart" [^>]*role="img" aria-labelledby="(chart-[a-z0-9]+)-title \1-desc"/);
    expect(line).to.contain('-title">Users &lt;b&gt;</title>');
    expect(line.match(/<circle class="point"[^>]*><title>a&amp;b, 2025-01-0[12]: [12]<\/title><\/circle>/g)).to.have.length(2);
    const bars = stackedBars({ title: 'Life', description: 'cycle', xLabels: ['x', 'y'], series: [{ name: 'n', values: [1, 0], colour: '#000' }] }).value;
    expect(bars).to.contain('role="img" aria-labelledby="bars-title bars-desc"').and.contain('<title id="bars-title">Life</title>');
    expect(bars.match(/<rect class="bar" x="[\d.]+%" y="[\d.]+" width="[\d.]+%" height="[\d.]+" fill="#000"><title>n, x: 1<\/title><\/rect>/g)).to.have.length(1);
  });
});
