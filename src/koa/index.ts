/**
 * `koa-bitmapist/koa`: the Koa layer (plugin, mark middleware, dashboard). Needs `koa` (an optional peer
 * dependency) and, for TypeScript, `@types/koa`. The engine it drives is exported from `koa-bitmapist`.
 * @packageDocumentation
 */
export { koaBitmapist } from './install.js';
export { KoaBitmapist } from './plugin.js';
export type { KoaMarkOptions, SystemOption } from './plugin.js';
export type { KoaBitmapistOptions, SystemSource } from './options.js';
export { DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_QUEUE_LIMIT } from './options.js';
export { LATE_WRITES_MS } from './plugin.js';
export { PLUGIN_REDIS_OPTIONS } from './systems.js';
export { mark } from './mark.js';
export type { MarkMiddlewareOptions, UserIdResolver } from './mark.js';
export { installedBitmapist, markEvent } from './installed.js';
export type { TrackLoginsOptions } from './options.js';
export type { UserId } from './user-id.js';
export type { MarkQueueMetrics } from './queue/mark-queue.js';
export { PROMETHEUS_CONTENT_TYPE, SCRIPT_CALL_BUCKETS } from './metrics.js';
export type { BitmapistContext } from './context.js';
export {
  CHART_DEFAULTS,
  COHORT_DEFAULTS,
  DASHBOARD_PAGES_IN_FLIGHT,
  DASHBOARD_LIMITS,
  LIFECYCLE_LIMITS,
  MAX_LISTED_EVENTS,
  MAX_QUERY_PARAMETERS,
  SPARKLINE_LIMITS,
} from '../dashboard/index.js';
export type { CohortJson, CohortRetention, EventCounts, EventsRetention, LifecycleJson } from '../dashboard/index.js';
export { BitmapistUnavailableError, MarkQueueOverflowError, MarksNotWrittenError } from './errors.js';
