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
export { PLUGIN_REDIS_OPTIONS } from './systems.js';
export { mark } from './mark.js';
export type { MarkMiddlewareOptions, UserIdResolver } from './mark.js';
export { installedBitmapist, markEvent } from './installed.js';
export type { TrackLoginsOptions } from './logins.js';
export type { UserId } from './user-id.js';
export type { MarkQueueMetrics } from './queue/mark-queue.js';
export type { BitmapistContext } from './context.js';
export { COHORT_DEFAULTS, DASHBOARD_LIMITS } from '../dashboard/shared/query.js';
export { MAX_LISTED_EVENTS } from '../dashboard/router.js';
export { SPARKLINE_LIMITS } from '../dashboard/events/sparkline.js';
export { CHART_DEFAULTS } from '../dashboard/trends/query.js';
export type { CohortJson } from '../dashboard/cohort/data.js';
export { LIFECYCLE_LIMITS } from '../dashboard/lifecycle/query.js';
export type { LifecycleJson } from '../dashboard/lifecycle/data.js';
export type { EventCounts } from '../dashboard/events/page.js';
export type { CohortRetention, EventsRetention } from '../dashboard/shared/expired.js';
export { BitmapistUnavailableError, MarkQueueOverflowError, MarksNotWrittenError } from './errors.js';
