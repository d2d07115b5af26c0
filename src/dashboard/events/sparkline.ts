import type { Bitmapist } from '../../engine/bitmapist.js';
import { trendCounts } from '../../engine/insights/trends.js';
import type { UserIdMode } from '../../engine/ids/user-ids.js';
import { trendView } from '../trends/data.js';

/**
 * The events page shows a sparkline of the last `days` days for the first `events` events it lists only, each
 * an image loaded from `GET {prefix}/sparkline?event=` (`days` counts per image, through the engine's read
 * limiter); the others link to their trend.
 */
export const SPARKLINE_LIMITS = { events: 20, days: 14 } as const;

/** Daily users of `event` over the {@link SPARKLINE_LIMITS}.days days ending with `now`'s (null beyond retention). */
export async function eventSparkline<Mode extends UserIdMode>(engine: Bitmapist<Mode>, event: string, now: Date): Promise<(number | null)[]> {
  const trend = await trendCounts(engine, [event], { timeGroup: 'days', periods: SPARKLINE_LIMITS.days, now });
  return trendView(trend, engine.expire, new Date()).series[0]!.counts;
}
