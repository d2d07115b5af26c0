import { BitmapistArgumentError } from '../../engine/errors.js';
import { FUNNEL_LIMITS, type FunnelOrder, type FunnelTimeGroup } from '../../engine/insights/funnels.js';
import {
  eventParam,
  eventsParam,
  formatParam,
  integer,
  MAX_BREAKDOWN_SEGMENTS,
  nowParam,
  oneOf,
  systemParam,
  timeGroupParam,
  type Format,
  type Query,
} from '../shared/query.js';

/** The funnels page's parameters, checked. `steps` has fewer than 2 only on the HTML form. */
export interface FunnelsQuery {
  steps: string[];
  timeGroup: FunnelTimeGroup;
  periods: number;
  window: number;
  order: FunnelOrder;
  nowText: string;
  now?: Date;
  /** An event whose unique bitmap is the segment shown. */
  segment?: string;
  /** Events whose unique bitmaps are compared, one funnel each. */
  breakdown: string[];
  system?: string;
  format: Format;
}

/**
 * Checks `?step=a&step=b&timeGroup=&periods=&window=&order=&now=&segment=&breakdown=&format=`; throws a
 * `BitmapistArgumentError` naming the parameter. Blank steps are skipped (the form's way to remove one).
 */
export function parseFunnelsQuery(query: Query): FunnelsQuery {
  const format = formatParam(query);
  const steps = eventsParam(query, 'step', FUNNEL_LIMITS.maxSteps, false);
  // The HTML form shows itself until it has two steps; a data answer needs them.
  if (steps.length < FUNNEL_LIMITS.minSteps && format !== 'html') {
    throw new BitmapistArgumentError('step', `a funnel needs ${FUNNEL_LIMITS.minSteps} to ${FUNNEL_LIMITS.maxSteps} steps, got ${steps.length}`);
  }
  const raw = timeGroupParam(query, 'days');
  if (raw !== 'days' && raw !== 'weeks') throw new BitmapistArgumentError('timeGroup', `must be days or weeks, got "${raw}"`);
  const timeGroup: FunnelTimeGroup = raw;
  const periods = integer(query, 'periods', 1, FUNNEL_LIMITS.periods[timeGroup].max, FUNNEL_LIMITS.periods[timeGroup].default);
  const window = integer(query, 'window', 0, FUNNEL_LIMITS.window[timeGroup].max, FUNNEL_LIMITS.window[timeGroup].default);
  const order = oneOf(query, 'order', ['sequential', 'any'] as const, 'sequential');
  const { nowText, now } = nowParam(query);
  const segment = eventParam(query, 'segment');
  const breakdown = eventsParam(query, 'breakdown', MAX_BREAKDOWN_SEGMENTS);
  return { steps, timeGroup, periods, window, order, nowText, now, segment, breakdown, system: systemParam(query), format };
}
