import { expect } from 'chai';
import { BitmapistArgumentError } from '../../../src/index.js';
import { buildCohortView, cohortCsv, cohortJson } from '../../../src/dashboard/cohort/data.js';
import { parseCohortQuery } from '../../../src/dashboard/cohort/query.js';
import { parseEventsQuery } from '../../../src/dashboard/events/query.js';
import { escapeHtml, html } from '../../../src/dashboard/shared/html.js';
import { columnLabel, periodLabel } from '../../../src/dashboard/shared/labels.js';
import type { Query } from '../../../src/dashboard/shared/query.js';

function refused(query: Query): { argument: string; message: string } {
  try {
    parseCohortQuery(query);
  } catch (error) {
    if (error instanceof BitmapistArgumentError) return { argument: error.argument, message: error.message };
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
}

describe('koa: dashboard query parsing', () => {
  it('applies the defaults and pairs additional events with their operators, skipping blank slots', () => {
    const query = parseCohortQuery({
      primary: 'a',
      secondary: 'b',
      additional: ['c', '', 'd'],
      additionalOp: ['or', 'and', 'and'],
      now: '2025-03-15',
    });
    expect(query).to.deep.equal({
      primary: 'a',
      secondary: 'b',
      additional: [
        { name: 'c', op: 'or' },
        { name: 'd', op: 'and' },
      ],
      timeGroup: 'days',
      rows: 10,
      cols: 10,
      display: 'counts',
      mode: 'first',
      nowText: '2025-03-15',
      now: new Date('2025-03-15T23:59:59.999Z'),
      system: undefined,
      format: 'html',
      suggest: '',
    });
    expect(parseCohortQuery({ primary: 'a', secondary: 'a', timeGroup: 'week', rows: '90', cols: '1' })).to.include({
      timeGroup: 'weeks',
      rows: 90,
      cols: 1,
    });
  });

  it('accepts a bare form (no events) only as HTML', () => {
    expect(parseCohortQuery({}).primary).to.equal(undefined);
    expect(refused({ format: 'json' })).to.deep.equal({ argument: 'primary', message: 'primary: is required: name an event' });
    expect(refused({ primary: 'a' }).argument).to.equal('secondary');
  });

  it('refuses every out-of-range or malformed parameter with a message naming it', () => {
    const base = { primary: 'a', secondary: 'b' };
    expect(refused({ ...base, rows: '91' }).message).to.equal('rows: must be a whole number from 1 to 90, got "91"');
    expect(refused({ ...base, rows: '0' }).argument).to.equal('rows');
    expect(refused({ ...base, cols: '-3' }).argument).to.equal('cols');
    expect(refused({ ...base, cols: '1e3' }).argument).to.equal('cols');
    expect(refused({ ...base, timeGroup: 'hours' }).message).to.equal('timeGroup: must be days, weeks, months or years, got "hours"');
    expect(refused({ ...base, display: 'ratio' }).message).to.equal('display: must be one of counts, percent, got "ratio"');
    expect(refused({ ...base, mode: 'sometimes' }).argument).to.equal('mode');
    expect(refused({ ...base, format: 'xml' }).argument).to.equal('format');
    expect(refused({ ...base, now: '2025-02-30' }).argument).to.equal('now');
    expect(refused({ ...base, now: 'yesterday' }).argument).to.equal('now');
    expect(refused({ ...base, rows: ['1', '2'] }).message).to.equal('rows: was given more than once');
    expect(refused({ ...base, additional: ['c'], additionalOp: ['xor'] }).message).to.equal('additionalOp: must be and or or, got "xor"');
    expect(refused({ ...base, additional: ['c', 'd'], additionalOp: ['and'] }).argument).to.equal('additionalOp');
    const eleven = Array.from({ length: 11 }, (_, i) => `e${i}`);
    expect(refused({ ...base, additional: eleven }).message).to.equal('additional: at most 10 additional events, got 11');
    expect(refused({ ...base, primary: 'x'.repeat(513) }).message).to.equal('primary: event names are at most 512 characters, got 513');
    expect(refused({ suggest: 's'.repeat(513) }).message).to.equal('suggest: is longer than 512 characters');
  });

  it('parses the events page query', () => {
    expect(parseEventsQuery({ prefix: 'user:', format: 'json' })).to.deep.equal({ format: 'json', prefix: 'user:', system: undefined, now: undefined });
    expect(() => parseEventsQuery({ format: 'csv' })).to.throw(BitmapistArgumentError, 'format: must be one of html, json');
  });
});

describe('koa: cohort view, JSON and CSV', () => {
  const result = {
    cohort: [
      [3, 1, 0],
      [null, null, null],
      [2, 2, null],
    ],
    dates: [new Date('2025-01-06T00:00:00Z'), new Date('2025-01-13T00:00:00Z'), new Date('2025-01-20T00:00:00Z')],
    totals: [4, 0, 3],
  };
  const view = buildCohortView(result, 'weeks', 3);

  it('adds percents of the row total, column totals and means of non-null cells', () => {
    expect(view.percents).to.deep.equal([
      [75, 25, 0],
      [null, null, null],
      [66.67, 66.67, null],
    ]);
    expect(view.total).to.equal(7);
    expect(view.colTotals).to.deep.equal([5, 3, 0]);
    expect(view.colTotalPercents).to.deep.equal([71.43, 42.86, 0]);
    expect(view.countAverages).to.deep.equal([2.5, 1.5, 0]);
    expect(view.percentAverages).to.deep.equal([70.83, 45.83, 0]);
  });

  it('answers JSON in counts or percents with ISO dates', () => {
    expect(cohortJson(view, false)).to.deep.equal({
      cohort: result.cohort,
      dates: ['2025-01-06T00:00:00.000Z', '2025-01-13T00:00:00.000Z', '2025-01-20T00:00:00.000Z'],
      totals: [4, 0, 3],
      total: 7,
      colTotals: [5, 3, 0],
      averages: [2.5, 1.5, 0],
      timeGroup: 'weeks',
      asPercent: false,
      numRows: 3,
      numCols: 3,
    });
    expect(cohortJson(view, true).cohort[2]).to.deep.equal([66.67, 66.67, null]);
    expect(cohortJson(view, true).averages).to.deep.equal([70.83, 45.83, 0]);
  });

  it('writes CSV as Date,Total,0,1,... with blanks for nulls', () => {
    expect(cohortCsv(view, false)).to.equal('Date,Total,0,1,2\r\n2025-01-06,4,3,1,0\r\n2025-01-13,0,,,\r\n2025-01-20,3,2,2,\r\n');
    expect(cohortCsv(view, true).split('\r\n')[1]).to.equal('2025-01-06,4,75,25,0');
  });

  it('labels periods and columns in UTC', () => {
    const date = new Date('2025-03-03T00:00:00Z');
    expect(periodLabel(date, 'days')).to.equal('Mon 3 Mar 2025');
    expect(periodLabel(date, 'weeks')).to.equal('Week of 3 Mar 2025');
    expect(periodLabel(date, 'months')).to.equal('Mar 2025');
    expect(periodLabel(date, 'years')).to.equal('2025');
    expect(columnLabel(4, 'months')).to.equal('Month 4');
  });
});

describe('koa: html escaping', () => {
  it('escapes every interpolated value unless it is already safe markup', () => {
    expect(escapeHtml(`<script>alert("x") & 'y'</script>`)).to.equal('&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;');
    const name = '<script>alert(1)</script>';
    expect(html`<a title="${name}">${[name, html`<b>${name}</b>`]}</a>${null}${false}${undefined}${0}`.value).to.equal(
      '<a title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;<b>&lt;script&gt;alert(1)&lt;/script&gt;</b></a>0',
    );
  });
});
