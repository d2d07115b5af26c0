import { randomBytes } from 'node:crypto';
import { BitmapistConfigError } from '../errors.js';
import { isEventSuffix } from '../time/suffixes.js';
import { PYTHON_BITOP_MARK } from './names.js';

/** The key prefix Python bitmapist uses, and ours by default. */
export const DEFAULT_KEY_PREFIX = 'trackist_';

const SCRATCH_MARK = '~tmp~';
const processNonce = randomBytes(6).toString('hex');
let scratchCounter = 0;

/** Where a user's bit lives: the block of ids it belongs to and its offset in that block's bitmaps. */
export interface BitLocation {
  block: number;
  bit: number;
}

/**
 * Key names of the bitmapist-compatible layout: `<prefix><event>_<suffix>`, one bitmap per event and period
 * holding every user id. Scratch keys (`<prefix>~tmp~<nonce>~<i>`) can never parse as an event key.
 */
export class KeyNames {
  /** `compatible`: shared with Python bitmapist; `sharded`: runs on Redis Cluster. */
  readonly layout: 'compatible' | 'sharded' = 'compatible';
  /** The bytes of a full block's bitmap (sharded layout only). */
  readonly blockBytes: number | undefined = undefined;

  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {}

  /** The block and bit offset of a user id (the compatible layout has a single block, 0). */
  locate(uid: number): BitLocation {
    return { block: 0, bit: uid };
  }

  /** The first user id of a block. */
  blockBase(_block: number): number {
    return 0;
  }

  /** The bitmap key of one event and period suffix (`2025-1-31`, `W2025-5`, `u`, ...) in a block. */
  eventKey(event: string, suffix: string, block = 0): string {
    return `${this.blockPrefix(block)}${event}_${suffix}`;
  }

  /** `count` scratch key names unique to one script call, in the hash slot of `block`. */
  scratchKeys(count: number, block = 0): string[] {
    const call = `${this.blockPrefix(block)}${SCRATCH_MARK}${processNonce}${(scratchCounter++).toString(36)}~`;
    return Array.from({ length: count }, (_, i) => `${call}${i}`);
  }

  /**
   * The event name a key belongs to, or undefined when the key is not an event bitmap of this prefix (a name
   * starting with `bitop_` is Python bitmapist's scratch key, never an event).
   */
  eventOf(key: string): string | undefined {
    const rest = this.afterBlock(key);
    if (rest === undefined || rest.startsWith(PYTHON_BITOP_MARK)) return undefined;
    const cut = rest.lastIndexOf('_');
    if (cut <= 0 || !isEventSuffix(rest.slice(cut + 1))) return undefined;
    return rest.slice(0, cut);
  }

  /**
   * Whether a key is a scratch key of this prefix: ours (left behind only if a script died half-way) or one
   * of Python bitmapist's BitOp results.
   */
  isScratchKey(key: string): boolean {
    const rest = this.afterBlock(key);
    return rest !== undefined && (rest.startsWith(SCRATCH_MARK) || rest.startsWith(PYTHON_BITOP_MARK));
  }

  /** Whether a key is one of Python bitmapist's BitOp results under this prefix (copies of users' bits). */
  isPythonBitOp(key: string): boolean {
    return this.afterBlock(key)?.startsWith(PYTHON_BITOP_MARK) ?? false;
  }

  /** A SCAN MATCH pattern for every key of this prefix whose event name starts with `eventPrefix`. */
  scanPattern(eventPrefix = ''): string {
    return `${escapeGlob(this.prefix + eventPrefix)}*`;
  }

  /** What comes before the event name in a block's keys. */
  protected blockPrefix(_block: number): string {
    return this.prefix;
  }

  /** The part of a key after the prefix (and block tag), or undefined when the key is not ours. */
  protected afterBlock(key: string): string | undefined {
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : undefined;
  }
}

/**
 * Key names of the sharded layout: `<prefix>{<block>}<event>_<suffix>`, where block = uid >> shardBits.
 * Every key of one block carries the same hash tag, so a block's keys share one Cluster slot and scripts
 * over them stay atomic, while blocks spread over the nodes. Braces in event names cannot move a key:
 * Redis hashes the first `{...}`, which is always the block tag (the prefix may hold no braces).
 */
export class ShardedKeyNames extends KeyNames {
  override readonly layout = 'sharded' as const;
  override readonly blockBytes: number;
  private readonly blockSize: number;

  constructor(
    prefix: string = DEFAULT_KEY_PREFIX,
    readonly shardBits = 20,
  ) {
    super(prefix);
    if (/[{}]/.test(prefix)) {
      throw new BitmapistConfigError('the sharded layout needs a keyPrefix without braces: they would change the hash tag');
    }
    if (!Number.isInteger(shardBits) || shardBits < 8 || shardBits > 32) {
      throw new BitmapistConfigError(`shardBits must be an integer in [8, 32], got ${shardBits}`);
    }
    this.blockSize = 2 ** shardBits;
    this.blockBytes = this.blockSize / 8;
  }

  override locate(uid: number): BitLocation {
    const block = Math.floor(uid / this.blockSize);
    return { block, bit: uid - block * this.blockSize };
  }

  override blockBase(block: number): number {
    return block * this.blockSize;
  }

  /** The key holding the set of blocks in use (no braces: it lives in the slot of its own name). */
  get registryKey(): string {
    return `${this.prefix}~blocks`;
  }

  override scanPattern(eventPrefix = ''): string {
    return `${escapeGlob(this.prefix)}{*}${escapeGlob(eventPrefix)}*`;
  }

  protected override blockPrefix(block: number): string {
    return `${this.prefix}{${block}}`;
  }

  protected override afterBlock(key: string): string | undefined {
    const match = /^\{(\d+)\}/.exec(key.slice(this.prefix.length));
    return key.startsWith(this.prefix) && match ? key.slice(this.prefix.length + match[0].length) : undefined;
  }
}

/** Escapes the glob characters Redis MATCH patterns interpret. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
