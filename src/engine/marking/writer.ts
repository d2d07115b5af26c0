import { ReplyError } from 'ioredis';
import { BitmapistIdModeError, BitmapistKeyTypeError, BitmapistScriptError, type BitmapistRegistryError } from '../errors.js';
import { registryRefusal } from '../keys/blocks.js';
import type { PendingMark } from './batcher.js';
import { runScript, type RedisClient } from '../redis/scripts.js';

/** What Redis refused of a mark call (its other marks are written). */
export interface MarkCallRefusals {
  /** The errors of the marks refused because a key is not a bitmap, by key list (marks that share one share their fate). */
  keys: Map<readonly string[], BitmapistKeyTypeError>;
  /** The registry's refusal of the blocks it was given in the call (the marks are written). */
  registry?: BitmapistRegistryError;
}

/** What a mark call checks or records besides the marks. */
export interface MarkCallOptions {
  /** Integer ids in the compatible layout: the id mode marker, so that a prefix holding mapped ids is refused. */
  modeKey?: string;
  /** One server, sharded layout: the block registry and the blocks to add to it in the same call. */
  registry?: { key: string; blocks: Iterable<number> };
}

/**
 * Writes marks in one script call (lua/mark.lua for one mark, lua/mark_many.lua for more or with a registry;
 * on a Cluster the marks of one block, whose keys share a hash slot; on one server those of any blocks) and
 * resolves to what Redis refused: marks whose keys include one that is not a bitmap, and the registry. Any other
 * failure of the call rejects.
 */
export async function writeMarkCall(
  redis: RedisClient,
  bit: 0 | 1,
  marks: PendingMark[],
  maxBit: number,
  { modeKey, registry }: MarkCallOptions = {},
): Promise<MarkCallRefusals> {
  const refused: MarkCallRefusals = { keys: new Map() };
  if (marks.length === 1 && registry === undefined) {
    const [{ keys, uid }] = marks as [PendingMark];
    try {
      const withMode = modeKey === undefined ? keys : [...keys, modeKey];
      await runScript(redis.bitmapistMark(withMode.length, ...withMode, uid, bit, maxBit, modeKey === undefined ? 0 : 1));
    } catch (error) {
      throwIdMode(error);
      const wrongType = wrongTypeOf(error);
      if (!wrongType) throw error;
      refused.keys.set(keys, new BitmapistKeyTypeError(keys[wrongType.index - 1]!, wrongType.type));
    }
    return refused;
  }
  const { bitmaps: allKeys, groups, pairs } = bitmapGroups(marks);
  const args: (string | number)[] = [bit, maxBit, groups.length, ...pairs];
  if (modeKey !== undefined) allKeys.push(modeKey), args.push(1);
  const blocks = registry && [...new Set(registry.blocks)];
  if (registry) allKeys.push(registry.key), args.push('blocks', blocks!.join(','));
  const reply = await runScript(redis.bitmapistMarkMany(allKeys.length, ...allKeys, ...args)).catch((error: unknown) => {
    throwIdMode(error);
    throw error;
  });
  if (reply.length === 1) return refused;
  for (let i = 1; i + 2 < reply.length; i += 3) {
    const [group, index, detail] = [Number(reply[i]), Number(reply[i + 1]), String(reply[i + 2])];
    // Group 0 is the registry (lua/mark_many.lua): its error reply, which a SADD of its own would have rejected with.
    if (group === 0) refused.registry = registryRefusal(registry!.key, blocks!, new ReplyError(detail) as Error);
    else refused.keys.set(groups[group - 1]!, new BitmapistKeyTypeError(allKeys[index - 1]!, detail));
  }
  return refused;
}

/** The arguments of a mark call's marks, grouped as lua/mark_many.lua takes them. */
export interface BitmapGroups {
  /** The distinct bitmaps of the marks. */
  bitmaps: string[];
  /** The key list of each group. */
  groups: (readonly string[])[];
  /** Per group: its bitmaps as 1-based indexes into `bitmaps`, then its bit offsets, each comma-separated. */
  pairs: string[];
}

/**
 * Groups marks by their key list: marks of the same event and period share one cached list, so each bitmap
 * name is sent once and each mark costs one offset in a list.
 */
export function bitmapGroups(marks: readonly PendingMark[]): BitmapGroups {
  const byKeys = new Map<readonly string[], number[]>();
  for (const { keys, uid } of marks) {
    const uids = byKeys.get(keys);
    if (uids) uids.push(uid);
    else byKeys.set(keys, [uid]);
  }
  const keyIndex = new Map<string, number>();
  const pairs: string[] = [];
  for (const [keys, uids] of byKeys) {
    const indexes = keys.map((key) => {
      let index = keyIndex.get(key);
      if (index === undefined) keyIndex.set(key, (index = keyIndex.size + 1));
      return index;
    });
    pairs.push(indexes.join(','), uids.join(','));
  }
  return { bitmaps: [...keyIndex.keys()], groups: [...byKeys.keys()], pairs };
}

/** Rethrows a `BITMAPIST_IDMODE` reply as a {@link BitmapistIdModeError}; returns for any other error. */
function throwIdMode(error: unknown): void {
  if (error instanceof BitmapistScriptError && error.cause instanceof Error && error.cause.message.startsWith('BITMAPIST_IDMODE')) {
    throw new BitmapistIdModeError('the prefix holds mapped user ids; this instance has integer ids: nothing was written');
  }
}

/** The key index and type of a `BITMAPIST_WRONGTYPE <index> <type>` reply of lua/mark.lua, if it is one. */
function wrongTypeOf(error: unknown): { index: number; type: string } | undefined {
  if (!(error instanceof BitmapistScriptError) || !(error.cause instanceof Error)) return undefined;
  const [code, index, type] = error.cause.message.split(' ');
  return code === 'BITMAPIST_WRONGTYPE' ? { index: Number(index), type: type ?? 'unknown' } : undefined;
}
