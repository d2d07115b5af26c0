import { Cluster, type Redis } from 'ioredis';
import { BitmapistArgumentError, BitmapistOfflineError, BitmapistScanError } from '../errors.js';
import { UNGUARDED, type ReadGuard } from '../redis/availability.js';
import type { KeyNames } from './key-names.js';
import type { RedisClient } from '../redis/scripts.js';
import { assertEventName, assertWellFormed, MAX_EVENT_NAME_LENGTH } from './names.js';
import type { CallLimiter } from '../redis/call-limiter.js';
import { toUtc } from '../time/periods.js';
import { periodSuffix } from '../time/suffixes.js';
import type { TimeZone } from '../time/time-zone.js';

/** How long `getEventNames` / `deleteAllEvents` wait for a Cluster client that is still learning its slots. */
export const CLUSTER_READY_TIMEOUT_MS = 10_000;

/** Keys deleted per UNLINK (one per command on a Cluster: keys of many slots). */
const UNLINK_BATCH = 500;

/**
 * The servers whose keyspace holds the prefix's keys: the Redis itself, or the master of every slot range of
 * a Cluster, read from a fresh slot map once the client is ready. Rejects with a {@link BitmapistScanError}
 * when the Cluster does not get ready or a master has no connection.
 */
export async function scanTargets(redis: RedisClient): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  await clusterReady(redis);
  await new Promise<void>((resolve, reject) =>
    redis.refreshSlotsCache((error) => (error ? reject(new BitmapistScanError(`cannot read the Cluster's slot map: ${error.message}`, { cause: error })) : resolve())),
  );
  const nodes = new Map(redis.nodes('all').map((node) => [`${node.options.host}:${node.options.port}`, node]));
  const masters = new Set<string>();
  for (const owners of redis.slots) if (owners?.[0] !== undefined) masters.add(owners[0]);
  return [...masters].map((key) => {
    const node = nodes.get(key);
    if (node === undefined) throw new BitmapistScanError(`no connection to the Cluster master ${key}: its keys cannot be scanned`);
    return node;
  });
}

/**
 * Every string key matching a pattern on every target (SCAN with TYPE string, never KEYS), all targets read
 * whole before the answer. A target that cannot be scanned fails the whole answer (a Cluster master down:
 * {@link BitmapistScanError}), so that no caller acts on a partial keyspace. Each SCAN is waited for through
 * `guard` (a silent Redis fails the listing in bounded time).
 */
export async function scanStringKeys(redis: RedisClient, pattern: string, guard: ReadGuard = UNGUARDED): Promise<string[]> {
  const targets = await scanTargets(redis);
  const keys: string[] = [];
  await Promise.all(
    targets.map(async (node) => {
      try {
        for await (const batch of scanBatches(node, pattern, guard)) keys.push(...batch);
      } catch (error) {
        if (!(redis instanceof Cluster) || error instanceof BitmapistOfflineError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new BitmapistScanError(`cannot scan the Cluster master ${node.options.host}:${node.options.port} (${reason})`, { cause: error });
      }
    }),
  );
  return keys;
}

/**
 * The batches of keys a SCAN (TYPE string, never KEYS) of one server finds, each SCAN waited for through `guard`;
 * the scan stops when the caller stops reading.
 */
export async function* scanBatches(node: Redis, pattern: string, guard: ReadGuard = UNGUARDED): AsyncGenerator<string[]> {
  const stream = node.scanStream({ match: pattern, count: 1000, type: 'string' });
  const batches: AsyncIterator<string[]> = stream[Symbol.asyncIterator]();
  try {
    for (let next = await guard.answer(batches.next()); !next.done; next = await guard.answer(batches.next())) yield next.value;
  } finally {
    stream.destroy();
  }
}

/**
 * Sorted event names with at least one bitmap under the prefix. A name no read accepts (over
 * `MAX_EVENT_NAME_LENGTH`, as Python bitmapist may write) is left out: a caller listing then reading every event
 * would be refused on it.
 */
export async function eventNames(redis: RedisClient, keys: KeyNames, prefix: string, guard: ReadGuard = UNGUARDED): Promise<string[]> {
  if (typeof prefix !== 'string') throw new BitmapistArgumentError('prefix', 'must be a string');
  assertWellFormed(prefix, 'prefix');
  guard.check();
  const names = new Set<string>();
  for (const key of await scanStringKeys(redis, keys.scanPattern(prefix), guard)) {
    const event = keys.eventOf(key);
    if (event !== undefined && event.startsWith(prefix) && event.length <= MAX_EVENT_NAME_LENGTH) names.add(event);
  }
  return [...names].sort();
}

/**
 * Deletes the prefix's bitmaps and stray scratch keys (string keys only: a hash, set or list of yours whose
 * name looks like a bitmap's survives), then the block registry; returns how many keys went. Every master is
 * scanned before the first delete, and the registry goes last, so a failure never hides bitmaps left behind.
 * `assertReachable` throws (a `BitmapistOfflineError`) while the client has lost its connection: nothing is sent.
 */
export async function deleteEvents(redis: RedisClient, keys: KeyNames, assertReachable: () => void = () => undefined): Promise<number> {
  if (keys.prefix === '') {
    throw new BitmapistArgumentError('keyPrefix', 'deleteAllEvents() needs a non-empty keyPrefix: with an empty one it would delete keys that are not ours');
  }
  assertReachable();
  const doomed = (await scanStringKeys(redis, keys.scanPattern())).filter((key) => keys.eventOf(key) !== undefined || keys.isScratchKey(key));
  let deleted = 0;
  for (let start = 0; start < doomed.length; start += UNLINK_BATCH) {
    const batch = doomed.slice(start, start + UNLINK_BATCH);
    // In a Cluster one UNLINK may only name keys of one slot: send them one by one (pipelined by ioredis).
    const counts = redis instanceof Cluster ? await Promise.all(batch.map((key) => redis.unlink(key))) : [await redis.unlink(...batch)];
    deleted += counts.reduce((sum, n) => sum + n, 0);
  }
  if ('registryKey' in keys) {
    const registry = keys.registryKey as string;
    // The registry is a set; a key of another type at its name is not ours.
    if ((await redis.type(registry)) === 'set') deleted += await redis.unlink(registry);
  }
  return deleted;
}

/** Waits until a Cluster client knows its slots (`new Cluster(nodes)` returns before it does). */
async function clusterReady(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return;
  if (cluster.status === 'end' || cluster.status === 'close') throw new BitmapistScanError('the Cluster client is closed');
  if (cluster.status === 'wait') cluster.connect().catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      cluster.off('ready', onReady);
      cluster.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new BitmapistScanError('the Cluster client closed before it was ready'));
    const timer = setTimeout(() => done(new BitmapistScanError(`the Cluster client was not ready within ${CLUSTER_READY_TIMEOUT_MS} ms`)), CLUSTER_READY_TIMEOUT_MS);
    cluster.once('ready', onReady);
    cluster.once('end', onEnd);
  });
}

/** The most dates one `hasEvent` call checks. */
export const MAX_EVENT_CHECK_DATES = 10;

/** What {@link hasEventKeys} needs from an engine. */
export interface EventKeysSource {
  readonly redis: RedisClient;
  readonly keys: KeyNames;
  readonly timeZone: TimeZone;
  readonly readLimiter: CallLimiter;
  blocksInUse(): Promise<number[]>;
}

/**
 * Whether `event` has its unique bitmap, or a day, ISO week or month bitmap of the periods containing one of
 * `dates`: one EXISTS per block in use (a block's keys share one Cluster slot), no SCAN, no bitmap read.
 */
export async function hasEventKeys(engine: EventKeysSource, event: unknown, dates: unknown): Promise<boolean> {
  assertEventName(event);
  if (!Array.isArray(dates) || dates.length > MAX_EVENT_CHECK_DATES) {
    throw new BitmapistArgumentError('dates', `must be an array of at most ${MAX_EVENT_CHECK_DATES} dates`);
  }
  const suffixes = new Set(['u']);
  for (const date of dates) {
    const instant = toUtc(date, 'dates', engine.timeZone).toDate();
    for (const unit of ['day', 'week', 'month'] as const) suffixes.add(periodSuffix(unit, instant, engine.timeZone));
  }
  const keysOf = (block: number) => [...suffixes].map((suffix) => engine.keys.eventKey(event, suffix, block));
  const found = await engine.readLimiter.map(await engine.blocksInUse(), (block) => engine.readLimiter.run(() => engine.redis.exists(...keysOf(block))));
  return found.some((count) => count > 0);
}
