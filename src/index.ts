/**
 * `koa-bitmapist`: the engine (no Koa, no ORM). The Koa layer is `koa-bitmapist/koa`, the TypeORM mixin
 * `koa-bitmapist/typeorm`, the test helpers `koa-bitmapist/testing`.
 * @packageDocumentation
 */
export { Bitmapist } from './engine/bitmapist.js';
export { MAX_EVENT_CHECK_DATES } from './engine/keys/keyspace.js';
export { SILENT_AFTER_MS } from './engine/redis/availability.js';
export type { BitmapistOptions } from './engine/options.js';
export type { PeriodOptions } from './engine/query/event-sets.js';
export type { IdOf, UserIdOf } from './engine/ids/user-ids.js';
export { IdMap, MAP_SHARDS } from './engine/ids/id-map.js';
export { DEFAULT_MAX_MAPPED_IDS, MAX_MAPPED_ID_LENGTH } from './engine/ids/user-ids.js';
export type { AppUserId, MappedUserId, UserIdMode, UserIdRules } from './engine/ids/user-ids.js';
export { MARK_BATCH_SIZE } from './engine/marking/marker.js';
export { FORGET_BATCH_SIZE } from './engine/users/user-bitmaps.js';
export type { MarkGranularity, UserMark } from './engine/users/user-marks.js';
export { beyondRetention, EXPIRING_UNITS, MAX_EXPIRE_SECONDS } from './engine/time/retention.js';
export { MAX_EXPIRED_KEYS } from './engine/marking/expiry-writer.js';
export type { ExpireOptions, ExpiringUnit } from './engine/time/retention.js';
export type { BulkMark, MarkOptions } from './engine/marking/marker.js';
export { EventSet, MAX_EXPRESSION_NODES, MAX_PERIOD_DELTA, PeriodEventSet } from './engine/query/event-set.js';
export { EVALUATE_CALL_BUDGET_US, MAX_IDS } from './engine/query/block-calls.js';
export { CallLimiter, READ_CALLS_IN_FLIGHT } from './engine/redis/call-limiter.js';
export type { Expression, Leaf } from './engine/query/expression.js';
export type { ChainedEvent } from './engine/query/chain.js';
export { MAX_COHORT_SIZE } from './engine/insights/cohort/plan.js';
export { MAX_LIFECYCLE_PERIODS } from './engine/insights/lifecycle.js';
export { FUNNEL_LIMITS } from './engine/insights/funnels.js';
export type { FunnelOptions, FunnelOrder, FunnelResult, FunnelTimeGroup } from './engine/insights/funnels.js';
export type { LifecycleOptions, LifecycleResult } from './engine/insights/lifecycle.js';
export { activeUsers, ACTIVE_USERS_LIMITS, ACTIVE_USERS_WINDOWS } from './engine/insights/active-users.js';
export { trendCounts, TREND_LIMITS } from './engine/insights/trends.js';
export { periodCounts, PERIOD_COUNT_LIMITS } from './engine/insights/period-counts.js';
export type { ActiveUsers } from './engine/insights/active-users.js';
export type { Trend, TrendOptions } from './engine/insights/trends.js';
export { MAX_COHORT_BYTES } from './engine/insights/cohort/runner.js';
export { MAX_LOCAL_BYTES, MAX_LOCAL_SCAN_BYTES, MAX_LOCAL_WORDS } from './engine/insights/cohort/local.js';
export type { CohortMode, CohortOptions, CohortResult } from './engine/insights/cohort/plan.js';
export {
  BitmapistArgumentError,
  BitmapistConfigError,
  BitmapistError,
  BitmapistIdModeError,
  BitmapistTimeZoneError,
  BitmapistKeyTypeError,
  BitmapistLimitError,
  BitmapistOfflineError,
  BitmapistRegistryError,
  BitmapistScanError,
  BitmapistScriptError,
  BitmapistWrongTypeError,
} from './engine/errors.js';
export { DEFAULT_KEY_PREFIX, KeyNames, ShardedKeyNames } from './engine/keys/key-names.js';
export { CalendarDay, periodStart } from './engine/time/periods.js';
export { periodEnd } from './engine/time/steps.js';
export { periodSuffix } from './engine/time/suffixes.js';
export { TimeZone, UTC_ZONE } from './engine/time/time-zone.js';
export type { PeriodUnit, TimeGroup, TimeGroupInput } from './engine/time/time-groups.js';
export { DEFAULT_MAX_USER_ID, MAX_BITMAP_USER_ID } from './engine/ids/user-ids.js';
export { MAX_EVENT_NAME_LENGTH } from './engine/keys/names.js';
