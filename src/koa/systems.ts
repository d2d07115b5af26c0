import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { Bitmapist } from '../engine/bitmapist.js';
import type { UserIdMode } from '../engine/ids/user-ids.js';
import type { CheckedMark } from '../engine/marking/marker.js';
import { endConnection } from '../engine/redis/quit.js';
import { MarkQueue, type QueuedMark } from './queue/mark-queue.js';
import type { KoaBitmapistOptions, SystemSource } from './options.js';

/**
 * Settings of the clients the plugin opens itself. Marks never wait on Redis (they wait in the plugin's
 * own bounded queue), so these settings only decide how long a *read* (the dashboard) or a write in
 * flight can wait while Redis is away:
 * - `enableOfflineQueue: true`: a command issued while (re)connecting waits for the connection...
 * - `maxRetriesPerRequest: 0`: ...but only until the next failed connection attempt, then it fails;
 * - `retryStrategy`: reconnect forever, at most one second apart, so a waiting command fails within about
 *   a second while Redis refuses connections, and work resumes within a second of Redis coming back;
 * - `connectTimeout` / `commandTimeout`: a host that does not answer at all fails commands in seconds, not never.
 */
export const PLUGIN_REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: 0,
  retryStrategy: (attempt: number) => Math.min(attempt * 50, 1000),
  connectTimeout: 2_000,
  commandTimeout: 10_000,
};

/** A mark in a system's queue: checked by the system's engine, written without another check. */
export interface SystemMark extends QueuedMark {
  readonly checked: CheckedMark;
}

/** One named system: an engine, its mark queue, and what the plugin must undo on close. */
export interface BitmapistSystem {
  readonly name: string;
  readonly engine: Bitmapist<UserIdMode>;
  readonly queue: MarkQueue<SystemMark>;
  /** Stops listening to the client and closes it if the plugin opened it. */
  close(): Promise<void>;
}

/** What {@link createSystem} needs besides the source. */
export interface SystemSettings extends Pick<KoaBitmapistOptions, 'keyPrefix' | 'trackUnique' | 'maxUserId' | 'layout' | 'shardBits' | 'expire' | 'userIds' | 'maxMappedIds' | 'timezone'> {
  trackHourly: boolean;
  queueLimit: number;
  report(error: Error, origin?: object): void;
}

/** Opens (or adopts) one system. */
export function createSystem(name: string, source: SystemSource, settings: SystemSettings): BitmapistSystem {
  const { keyPrefix, trackHourly, trackUnique, maxUserId, layout, shardBits, expire, userIds, maxMappedIds, timezone } = settings;
  const owned = typeof source === 'string' ? new Redis(source, PLUGIN_REDIS_OPTIONS) : undefined;
  let engine: Bitmapist<UserIdMode>;
  try {
    engine =
      source instanceof Bitmapist
        ? source
        : new Bitmapist({
            redis: owned ?? (source as Redis | Cluster),
            ...{ keyPrefix, trackHourly, trackUnique, maxUserId, layout, shardBits, expire, userIds, maxMappedIds, timezone },
          });
  } catch (error) {
    // An engine option refused (`shardBits`, `maxUserId`, ...): the client opened for it goes too.
    owned?.disconnect();
    throw error;
  }
  const queue = new MarkQueue<SystemMark>({
    name,
    limit: settings.queueLimit,
    report: settings.report,
    // Checked once when queued (`prepareMark`): written as is.
    write: (mark) => engine.writeMark(mark.checked),
    // A block's keys share one Cluster slot: a dead master holds back only the marks of its own blocks. A mapped
    // id is located by its integer once this process knows it; until then its marks wait with its map shard's.
    partition: (mark) => engine.partitionOfMark(mark.checked),
  });
  const client = engine.redis;
  const onReady = () => queue.wake();
  const onError = (error: unknown) => queue.connectionFailed(error);
  // A client of yours keeps the error handling you gave it: no 'error' listener on it (one would silence
  // ioredis's own report of errors nobody listens to). Its lost connection is heard as it begins to reconnect,
  // not when the marks waiting in its offline queue fail (after about 10 s by default, or never).
  const onReconnecting = () => queue.connectionFailed(new Error('the connection to Redis was lost; the client is reconnecting'));
  // A Cluster emits no 'reconnecting' while its other masters serve: there the failed writes report a dead
  // master, partition by partition, as they do for every client.
  client.on('ready', onReady);
  if (owned) owned.on('error', onError);
  else client.on('reconnecting', onReconnecting);
  return {
    name,
    engine,
    queue,
    async close() {
      client.off('ready', onReady);
      client.off('reconnecting', onReconnecting);
      // An engine built here lets go of the client's events (a client of yours stays open; ours closes below).
      if (engine !== source) await engine.close();
      if (!owned || owned.status === 'end') return;
      await endConnection(owned);
      owned.off('error', onError);
      // Late connection errors of a closing client must not reach the app as unhandled 'error' events.
      owned.on('error', () => undefined);
    },
  };
}
