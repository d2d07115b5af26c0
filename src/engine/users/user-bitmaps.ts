import { Cluster, type Redis } from 'ioredis';
import { BitmapistScanError } from '../errors.js';
import { escapeGlob, type BitLocation, type KeyNames } from '../keys/key-names.js';
import { scanBatches, scanTargets } from '../keys/keyspace.js';
import { UNGUARDED, type ReadGuard } from '../redis/availability.js';
import { runScript, type RedisClient } from '../redis/scripts.js';

/**
 * The most bitmaps one `forget_user` (or `user_bits`) script call reads or clears a bit in: bounds how long one
 * call holds Redis.
 */
export const FORGET_BATCH_SIZE = 500;

/**
 * Clears one user's bit in every bitmap of the prefix that can hold it (every event, every period, unique
 * included, and Python bitmapist's BitOp results, which hold copies of users' bits) and resolves to the number
 * of bitmaps whose bit was set. Keys come from {@link scanUserBitmaps};
 * lua/forget_user.lua clears the one bit with SETBIT 0 and skips a key too short to hold it, so bitmaps never
 * grow and no other user's bit is touched while other processes mark.
 */
export async function forgetUserBits(redis: RedisClient, keys: KeyNames, location: BitLocation): Promise<number> {
  let changed = 0;
  const bitmap = (key: string) => keys.eventOf(key) !== undefined || keys.isPythonBitOp(key);
  await scanUserBitmaps(redis, keys, location, bitmap, UNGUARDED, async (batch) => {
    changed += await runScript(redis.bitmapistForgetUser(batch.length, ...batch, location.bit));
  });
  return changed;
}

/**
 * The bitmaps of the prefix whose bit of one user is set (every event, every period, unique included), found
 * as {@link forgetUserBits} finds them and read by lua/user_bits.lua (GETBIT, never past a bitmap's end):
 * nothing is written.
 */
export async function userBitmaps(redis: RedisClient, keys: KeyNames, location: BitLocation, guard: ReadGuard = UNGUARDED): Promise<string[]> {
  const holding: string[] = [];
  const wanted = (key: string) => keys.eventOf(key) !== undefined;
  await scanUserBitmaps(redis, keys, location, wanted, guard, async (batch) => {
    const positions = await guard.answer(runScript(redis.bitmapistUserBits(batch.length, ...batch, location.bit)));
    for (const position of positions) holding.push(batch[position - 1]!);
  });
  return holding;
}

/**
 * Hands the keys that can hold a user's bit and that `wanted` accepts to `work`, in batches of at most {@link FORGET_BATCH_SIZE}, one
 * batch at a time. The compatible layout scans the whole prefix; the sharded layout scans only the user's block
 * (`<prefix>{<block>}*`), on a Cluster only on the master owning that block's slot. Keys come from SCAN (TYPE
 * string, never KEYS), each SCAN waited for through `guard`.
 */
async function scanUserBitmaps(
  redis: RedisClient,
  keys: KeyNames,
  location: BitLocation,
  wanted: (key: string) => boolean,
  guard: ReadGuard,
  work: (batch: string[]) => Promise<void>,
): Promise<void> {
  const sharded = keys.layout === 'sharded';
  const pattern = sharded ? `${escapeGlob(keys.prefix)}{${location.block}}*` : keys.scanPattern();
  const node = await blockOwner(redis, sharded ? keys.eventKey('x', 'u', location.block) : undefined);
  let batch: string[] = [];
  const flush = async () => {
    const chunk = batch;
    batch = [];
    await work(chunk);
  };
  try {
    for await (const found of scanBatches(node, pattern, guard)) {
      for (const key of found) {
        if (!wanted(key)) continue;
        batch.push(key);
        if (batch.length >= FORGET_BATCH_SIZE) await flush();
      }
    }
    if (batch.length > 0) await flush();
  } catch (error) {
    if (!(redis instanceof Cluster) || !isScanFailure(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new BitmapistScanError(`cannot scan the Cluster master ${node.options.host}:${node.options.port} (${reason})`, { cause: error });
  }
}

/** The server holding a key's slot: the Redis itself, or on a Cluster the master owning the slot. */
async function blockOwner(redis: RedisClient, sampleKey: string | undefined): Promise<Redis> {
  const [first] = await scanTargets(redis);
  if (!(redis instanceof Cluster) || sampleKey === undefined) return first!;
  const slot = Number(await redis.cluster('KEYSLOT', sampleKey));
  const owner = redis.slots[slot]?.[0];
  const node = redis.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === owner);
  if (node === undefined) throw new BitmapistScanError(`no connection to the Cluster master owning slot ${slot}`);
  return node;
}

function isScanFailure(error: unknown): boolean {
  return !(error instanceof Error && error.name.startsWith('Bitmapist'));
}
