import type { FunnelResult } from '../../engine/insights/funnels.js';
import { csvDocument } from '../shared/csv.js';
import { localDay } from '../shared/labels.js';

/** A step as the page shows it: its users, and its conversion from the first and the previous step. */
export interface FunnelStepView {
  event: string;
  count: number;
  /** count / the first step's count, 4 decimals (null when that is 0). */
  fromFirst: number | null;
  /** count / the previous step's count, 4 decimals (null when that is 0). */
  fromPrevious: number | null;
}

/** One segment's steps, in a breakdown. */
export interface FunnelBreakdown {
  segment: string;
  steps: FunnelStepView[];
}

/** The funnel answer the page, JSON and CSV share. */
export interface FunnelView extends Omit<FunnelResult, 'steps'> {
  steps: FunnelStepView[];
  /** The segment shown (an event whose unique users alone count), if any. */
  segment?: string;
  breakdown?: FunnelBreakdown[];
}

/** A ratio with four decimals; null when dividing by 0. */
export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

/** Each step's conversion from the first and from the previous one. */
export function stepViews(steps: readonly { event: string; count: number }[]): FunnelStepView[] {
  return steps.map(({ event, count }, k) => ({
    event,
    count,
    fromFirst: ratio(count, steps[0]!.count),
    fromPrevious: k === 0 ? ratio(count, count) : ratio(count, steps[k - 1]!.count),
  }));
}

/** The view of a funnel, with its segment and the funnels of a breakdown. */
export function funnelView(result: FunnelResult, segment?: string, breakdown?: { segment: string; result: FunnelResult }[]): FunnelView {
  return {
    ...result,
    steps: stepViews(result.steps),
    ...(segment === undefined ? {} : { segment }),
    ...(breakdown === undefined || breakdown.length === 0 ? {} : { breakdown: breakdown.map((b) => ({ segment: b.segment, steps: stepViews(b.result.steps) })) }),
  };
}

/** The JSON answer: the view, dates as ISO strings. */
export function funnelJson(view: FunnelView): object {
  return { ...view, dates: view.dates.map((date) => date.toISOString()) };
}

/** The CSV answer: `Date,<step 1>,...`, a line per entry period (its local date), then a `Total` line. */
export function funnelCsv(view: FunnelView): string {
  const rows = view.entries.map((entry, i) => [localDay(view.dates[i]!, view.timeZone), ...entry.counts]);
  return csvDocument(['Date', ...view.steps.map((step) => step.event)], [...rows, ['Total', ...view.steps.map((step) => step.count)]]);
}
