/**
 * The dashboard's public constants and answer types, re-exported by `koa-bitmapist/koa` (the dashboard has no
 * entry point of its own: an adapter mounts it).
 * @packageDocumentation
 */
export { Dashboard } from './router.js';
export type { DashboardRoute } from './router.js';
export { DASHBOARD_PAGES } from './pages.js';
export type { DashboardPage } from './pages.js';
export type { DashboardHost } from './host.js';
export type { Access } from './guard.js';
export { DASHBOARD_PAGES_IN_FLIGHT } from './guard.js';
export type { DashboardResponse } from './shared/respond.js';
export { CHART_DEFAULTS, MAX_QUERY_PARAMETERS } from './shared/query.js';
export { COHORT_DEFAULTS, DASHBOARD_LIMITS } from './cohort/query.js';
export type { CohortJson, CohortRetention } from './cohort/data.js';
export { MAX_LISTED_EVENTS } from './events/data.js';
export type { EventCounts, EventsRetention } from './events/data.js';
export { SPARKLINE_LIMITS } from './events/sparkline.js';
export { LIFECYCLE_LIMITS } from './lifecycle/query.js';
export type { LifecycleJson } from './lifecycle/data.js';
