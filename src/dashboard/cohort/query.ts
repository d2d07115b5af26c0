import type { CohortMode } from '../../engine/insights/cohort/plan.js';
import type { ChainedEvent } from '../../engine/query/chain.js';
import { BitmapistArgumentError } from '../../engine/errors.js';
import { MAX_EVENT_NAME_LENGTH } from '../../engine/keys/names.js';
import type { TimeGroup } from '../../engine/time/time-groups.js';
import {
  checkName,
  eventParam,
  formatParam,
  integer,
  list,
  namePrefix,
  nowParam,
  oneOf,
  shown,
  systemParam,
  timeGroupParam,
  type Format,
  type Query,
} from '../shared/query.js';

/**
 * Caps of the cohort page's parameters, so one request cannot tie up Redis: a cohort costs a few script calls
 * per row, each reading at most `cols` periods of `1 + additional events` bitmaps.
 */
export const DASHBOARD_LIMITS = {
  maxRows: 90,
  maxCols: 90,
  maxAdditionalEvents: 10,
  maxEventNameLength: MAX_EVENT_NAME_LENGTH,
} as const;

/** What the cohort page shows when a parameter is not given. */
export const COHORT_DEFAULTS = { timeGroup: 'days', rows: 10, cols: 10, display: 'counts', mode: 'first' } as const;

/** The cohort page's parameters, checked. `primary`/`secondary` are absent only on the bare HTML form. */
export interface CohortQuery {
  primary?: string;
  secondary?: string;
  additional: ChainedEvent[];
  timeGroup: TimeGroup;
  rows: number;
  cols: number;
  display: 'counts' | 'percent';
  mode: CohortMode;
  /** The `now` parameter as given ('' when absent) and as a date. */
  nowText: string;
  now?: Date;
  system?: string;
  format: Format;
  /** The name prefix the form's event suggestions are narrowed to ('' for all). */
  suggest: string;
  /** An event whose unique bitmap is the segment shown. */
  segment?: string;
}

/** Checks the cohort page's query; throws `BitmapistArgumentError` naming the bad parameter. */
export function parseCohortQuery(query: Query): CohortQuery {
  const format = formatParam(query);
  const primary = eventParam(query, 'primary');
  const secondary = eventParam(query, 'secondary');
  const bareForm = format === 'html' && primary === undefined && secondary === undefined;
  if (!bareForm && (primary === undefined || secondary === undefined)) {
    throw new BitmapistArgumentError(primary === undefined ? 'primary' : 'secondary', 'is required: name an event');
  }
  const timeGroup = timeGroupParam(query, COHORT_DEFAULTS.timeGroup);
  const additional = additionalEvents(query);
  const rows = integer(query, 'rows', 1, DASHBOARD_LIMITS.maxRows, COHORT_DEFAULTS.rows);
  const cols = integer(query, 'cols', 1, DASHBOARD_LIMITS.maxCols, COHORT_DEFAULTS.cols);
  const display = oneOf(query, 'display', ['counts', 'percent'] as const, COHORT_DEFAULTS.display);
  const mode = oneOf(query, 'mode', ['first', 'recurring', 'unbounded'] as const, COHORT_DEFAULTS.mode);
  const { nowText, now } = nowParam(query);
  const suggest = namePrefix(query, 'suggest');
  const segment = eventParam(query, 'segment');
  const parsed = { primary, secondary, additional, timeGroup, rows, cols, display, mode, nowText, now, system: systemParam(query), format, suggest };
  return segment === undefined ? parsed : { ...parsed, segment };
}

/** The additional events: `additional` (names) and `additionalOp` (and/or) repeated in pairs; blank names are skipped. */
function additionalEvents(query: Query): ChainedEvent[] {
  const names = list(query.additional);
  const ops = list(query.additionalOp);
  if (ops.length > 0 && ops.length !== names.length) {
    throw new BitmapistArgumentError('additionalOp', `must be given once per additional event (${names.length}), got ${ops.length}`);
  }
  const events: ChainedEvent[] = [];
  names.forEach((name, i) => {
    if (name === '') return;
    checkName(name, 'additional');
    const op = ops[i] ?? 'and';
    if (op !== 'and' && op !== 'or') throw new BitmapistArgumentError('additionalOp', `must be and or or, got ${shown(op)}`);
    events.push({ name, op });
  });
  if (events.length > DASHBOARD_LIMITS.maxAdditionalEvents) {
    throw new BitmapistArgumentError('additional', `at most ${DASHBOARD_LIMITS.maxAdditionalEvents} additional events, got ${events.length}`);
  }
  return events;
}
