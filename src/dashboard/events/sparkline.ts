import { trendCounts } from '../../engine/insights/trends.js';
import { periodBeyondRetention, type ExpireOptions } from '../../engine/time/retention.js';
import type { TimeZone } from '../../engine/time/time-zone.js';
import { sparkline } from '../charts/sparkline.js';
import { nullBeyond } from '../shared/expired.js';
import { eventParam, nowParam, systemParam } from '../shared/query.js';
import { systemOf, type DashboardRequest } from '../shared/request.js';
import { svgAnswer, type DashboardResponse } from '../shared/respond.js';
import { BitmapistArgumentError } from '../../engine/errors.js';

/**
 * The events page shows a sparkline of the last `days` days for the first `events` events it lists only, each
 * an image loaded from `GET {prefix}/sparkline?event=` (`days` counts per image, through the engine's read
 * limiter); the others link to their trend.
 */
export const SPARKLINE_LIMITS = { events: 20, days: 14 } as const;

/**
 * `GET {prefix}/sparkline?event=&now=`: an SVG image of one event's users per day over the
 * {@link SPARKLINE_LIMITS}.days days ending with `now`'s (`expired` beyond retention, in its title).
 */
export async function sparklineRoute(request: DashboardRequest): Promise<DashboardResponse> {
  const event = eventParam(request.query, 'event');
  if (event === undefined) throw new BitmapistArgumentError('event', 'is required: name an event');
  const { now } = nowParam(request.query);
  const { system, engine } = systemOf(request, systemParam(request.query));
  await request.names.assertKnown(system, [['event', event]], now);
  const trend = await trendCounts(engine, [event], { timeGroup: 'days', periods: SPARKLINE_LIMITS.days, now: now ?? new Date(), signal: request.signal });
  const counts = nullBeyond(trend.series[0]!.counts, sparklineRetention(engine.expire, trend.dates, new Date(), engine.timeZone));
  const label = `${event}: users per day over the last ${SPARKLINE_LIMITS.days} days: ${counts.map((n) => n ?? 'expired').join(', ')}`;
  return svgAnswer(sparkline(counts, label).value);
}

/**
 * Which of a sparkline's days (their local starts in `zone`, the engine's) are beyond the `expire` retention at
 * `clock`; undefined when nothing expires.
 */
export function sparklineRetention(expire: ExpireOptions | undefined, days: readonly Date[], clock: Date, zone: TimeZone): boolean[] | undefined {
  return expire && days.map((date) => periodBeyondRetention(expire, 'day', date, clock, zone));
}
