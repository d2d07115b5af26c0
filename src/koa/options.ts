import type { Context } from 'koa';
import type { Cluster, Redis } from 'ioredis';
import type { Bitmapist } from '../engine/bitmapist.js';
import type { BitmapistOptions } from '../engine/options.js';
import { BitmapistConfigError } from '../engine/errors.js';
import { assertEventName } from '../engine/keys/names.js';
import { assertKnownOptions, assertOptionsObject } from '../engine/arguments.js';
import { checkExpireOptions } from '../engine/time/retention.js';
import { TimeZone } from '../engine/time/time-zone.js';
import type { UserIdMode } from '../engine/ids/user-ids.js';
import type { UserId } from './user-id.js';

/** Where a system's bitmaps live: a Redis URL (the plugin opens and closes the client), a client or an engine of yours (never closed). */
export type SystemSource = string | Redis | Cluster | Bitmapist<UserIdMode>;

/** Options of the automatic login marks (`trackLogins` of the plugin). */
export interface TrackLoginsOptions {
  /** Event marked when a user logs in (default `user:logged_in`). */
  loggedIn?: string;
  /** Event marked when a user logs out (default `user:logged_out`). */
  loggedOut?: string;
  /** The id of a passport user: the session's serialized value or a user object (default: a number, digits, or `.id`). */
  userId?: (user: unknown) => UserId | null | undefined;
  /** The system to mark in (default: the plugin's default). */
  system?: string;
  /** Also mark when the app calls `ctx.login()` / `ctx.logout()` itself, for session-less apps (default true). */
  wrapLogin?: boolean;
}

/** Options of {@link koaBitmapist}; each one with an env variable is read from it when not given. */
export interface KoaBitmapistOptions extends Pick<BitmapistOptions, 'layout' | 'shardBits' | 'expire' | 'maxMappedIds' | 'timezone'> {
  /**
   * `integers` (default): user ids are integers, as Python bitmapist's. `mapped`: any string id (UUID,
   * ObjectId, ...), number or bigint, mapped to dense integers in Redis (see the engine's `userIds`).
   */
  userIds?: UserIdMode;
  /** The default system's Redis URL. Env `BITMAPIST_REDIS_URL`, default `redis://localhost:6379`. */
  redisUrl?: string;
  /**
   * The default system's client (used as is, never closed); wins over `redisUrl`. A `Cluster` needs
   * `layout: 'sharded'`.
   */
  redis?: Redis | Cluster;
  /** The name of the default system. Env `BITMAPIST_REDIS_SYSTEM`, default `default`. */
  system?: string;
  /** More named systems (separate Redis connections), e.g. `{ reports: 'redis://reports:6379' }`. */
  systems?: Record<string, SystemSource>;
  /** Key prefix of the systems the plugin creates (default `trackist_`, as Python bitmapist). */
  keyPrefix?: string;
  /** Also keep hourly bitmaps. Env `BITMAPIST_TRACK_HOURLY`, default false. */
  trackHourly?: boolean;
  /** Also keep the all-time unique bitmap of every event (default false). */
  trackUnique?: boolean;
  /** Largest user id accepted (default 2^24 - 1 in the compatible layout, 2^32 - 1 in the sharded one). */
  maxUserId?: number;
  /** Do not mount the dashboard router. Env `BITMAPIST_DISABLE_ROUTER`, default false. */
  disableRouter?: boolean;
  /** Where the dashboard is mounted (default `/bitmapist`). */
  prefix?: string;
  /**
   * Who may see the dashboard: any result but `true` answers 403. Without it the dashboard serves every
   * visitor only when `NODE_ENV` is exactly `development` or `test` (with a warning at start-up), and
   * answers 403 otherwise (unset, `production`, `staging`, ...).
   */
  authorize?: (ctx: Context) => boolean | Promise<boolean>;
  /**
   * Who may read `{prefix}/metrics` (e.g. a Prometheus scraper sending a bearer token): any result but `true`
   * answers 403. Default: `authorize`, and without either the dashboard's rule for `NODE_ENV`.
   */
  authorizeMetrics?: (ctx: Context) => boolean | Promise<boolean>;
  /** The most marks kept in memory per system while Redis is slow or away (default 10,000). */
  queueLimit?: number;
  /** How long `close()` waits for queued marks by default, in ms (default 5,000). */
  closeTimeout?: number;
  /** Mark `user:logged_in` / `user:logged_out` for koa-passport logins (default true). */
  trackLogins?: boolean | TrackLoginsOptions;
  /** Where the start-up warning goes (default `console`). */
  logger?: { warn(message: string): void };
  /** The environment read for the variables above (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** The default bound of each system's mark queue. */
export const DEFAULT_QUEUE_LIMIT = 10_000;
/** The default time `close()` waits for queued marks, in ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** The `NODE_ENV` values, compared exactly, in which the dashboard serves without `authorize`. */
export const OPEN_DASHBOARD_ENVS: readonly string[] = ['development', 'test'];

/** The options with environment variables and defaults applied. */
export interface ResolvedOptions {
  defaultSystem: string;
  sources: Map<string, SystemSource>;
  trackHourly: boolean;
  disableRouter: boolean;
  prefix: string;
  /** No `authorize` needed to see the dashboard: `NODE_ENV` is exactly `development` or `test`. */
  openWithoutAuthorize: boolean;
  queueLimit: number;
  closeTimeout: number;
  trackLogins: TrackLoginsOptions | false;
}

/** The options `koaBitmapist` takes: any other is refused, naming it. */
const PLUGIN_OPTIONS = [
  'redisUrl', 'redis', 'system', 'systems', 'trackHourly', 'disableRouter', 'prefix', 'authorize', 'authorizeMetrics',
  'keyPrefix', 'trackUnique', 'maxUserId', 'layout', 'shardBits', 'userIds', 'maxMappedIds', 'expire', 'timezone',
  'queueLimit', 'closeTimeout', 'trackLogins', 'logger', 'env',
] as const satisfies readonly (keyof KoaBitmapistOptions)[];
/** Compiles only while every option of the interface is in the list (a new one must be added there). */
const PLUGIN_OPTIONS_COMPLETE: Exclude<keyof KoaBitmapistOptions, (typeof PLUGIN_OPTIONS)[number]> extends never ? true : never = true;

/** Applies env variables and defaults, and refuses options that cannot work. */
export function resolveOptions(options: KoaBitmapistOptions): ResolvedOptions {
  assertOptionsObject(options);
  assertKnownOptions(options, PLUGIN_OPTIONS, 'koaBitmapist');
  const env = options.env ?? process.env;
  const defaultSystem = options.system ?? nonEmpty(env.BITMAPIST_REDIS_SYSTEM) ?? 'default';
  if (typeof defaultSystem !== 'string' || defaultSystem === '') {
    throw new BitmapistConfigError('system must be a non-empty string');
  }
  const sources = new Map<string, SystemSource>(Object.entries(options.systems ?? {}));
  if (!sources.has(defaultSystem) || options.redis || options.redisUrl) {
    const url = options.redisUrl ?? nonEmpty(env.BITMAPIST_REDIS_URL) ?? 'redis://localhost:6379';
    sources.set(defaultSystem, options.redis ?? url);
  }
  // Checked here, before any connection opens: a refused option must not leave a client behind.
  checkExpireOptions(options.expire);
  TimeZone.of(options.timezone);
  return {
    defaultSystem,
    sources,
    trackHourly: options.trackHourly ?? envBoolean(env, 'BITMAPIST_TRACK_HOURLY') ?? false,
    disableRouter: options.disableRouter ?? envBoolean(env, 'BITMAPIST_DISABLE_ROUTER') ?? false,
    prefix: routerPrefix(options.prefix ?? '/bitmapist'),
    openWithoutAuthorize: OPEN_DASHBOARD_ENVS.includes(env.NODE_ENV ?? ''),
    queueLimit: positiveInteger(options.queueLimit ?? DEFAULT_QUEUE_LIMIT, 'queueLimit'),
    closeTimeout: positiveInteger(options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_MS, 'closeTimeout', 0),
    trackLogins: trackLoginsOption(options.trackLogins, sources),
  };
}

/**
 * `trackLogins`, checked when the plugin is created (not at the first login): its event names by the engine's
 * rules, its system among the plugin's.
 */
function trackLoginsOption(value: KoaBitmapistOptions['trackLogins'], sources: Map<string, SystemSource>): TrackLoginsOptions | false {
  if (value === false) return false;
  if (value === undefined || value === true) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BitmapistConfigError(`trackLogins must be true, false or { loggedIn, loggedOut, userId, system, wrapLogin }, got ${JSON.stringify(value)}`);
  }
  const { loggedIn, loggedOut, userId, system, wrapLogin } = value;
  if (loggedIn !== undefined) assertEventName(loggedIn, 'trackLogins.loggedIn');
  if (loggedOut !== undefined) assertEventName(loggedOut, 'trackLogins.loggedOut');
  if (userId !== undefined && typeof userId !== 'function') throw new BitmapistConfigError('trackLogins.userId must be a function (user) => id');
  if (wrapLogin !== undefined && typeof wrapLogin !== 'boolean') throw new BitmapistConfigError('trackLogins.wrapLogin must be true or false');
  if (system !== undefined && !sources.has(system)) {
    throw new BitmapistConfigError(`trackLogins.system ${JSON.stringify(system)} is not a system of the plugin (${[...sources.keys()].join(', ')})`);
  }
  return value;
}

/** Reads a boolean env variable: true/1/yes/on or false/0/no/off (any case); unset or empty is undefined. */
export function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = nonEmpty(env[name])?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new BitmapistConfigError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

/**
 * The dashboard's mount path: segments of letters, digits, `-`, `.`, `_` and `~` (characters a router reads
 * literally, and a browser sends as they are), trailing slashes dropped.
 */
function routerPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !/^\/[^?#\s]*$/.test(prefix)) {
    throw new BitmapistConfigError(`prefix must be a path starting with "/", got ${JSON.stringify(prefix)}`);
  }
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') throw new BitmapistConfigError('prefix cannot be the root "/": give the dashboard a path of its own');
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed)) {
    throw new BitmapistConfigError(
      `prefix must be segments of letters, digits, "-", ".", "_" and "~" separated by "/", got ${JSON.stringify(prefix)}`,
    );
  }
  return trimmed;
}

function positiveInteger(value: unknown, name: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new BitmapistConfigError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
