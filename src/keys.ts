import { randomBytes } from 'node:crypto';
import { isEventSuffix } from './periods.js';

/** The key prefix Python bitmapist uses, and ours by default. */
export const DEFAULT_KEY_PREFIX = 'trackist_';

const SCRATCH_MARK = '~tmp~';
const processNonce = randomBytes(6).toString('hex');
let scratchCounter = 0;

/**
 * Key names of the bitmapist-compatible layout: `<prefix><event>_<suffix>`.
 * Scratch keys (`<prefix>~tmp~<nonce>~<i>`) can never parse as an event key.
 */
export class KeyNames {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {}

  /** The bitmap key of one event and period suffix (`2025-1-31`, `W2025-5`, `u`, ...). */
  eventKey(event: string, suffix: string): string {
    return `${this.prefix}${event}_${suffix}`;
  }

  /** `count` scratch key names unique to one script call. */
  scratchKeys(count: number): string[] {
    const call = `${this.prefix}${SCRATCH_MARK}${processNonce}${(scratchCounter++).toString(36)}~`;
    return Array.from({ length: count }, (_, i) => `${call}${i}`);
  }

  /** The event name a key belongs to, or undefined when the key is not an event bitmap of this prefix. */
  eventOf(key: string): string | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const rest = key.slice(this.prefix.length);
    const cut = rest.lastIndexOf('_');
    if (cut <= 0 || !isEventSuffix(rest.slice(cut + 1))) return undefined;
    return rest.slice(0, cut);
  }

  /** Whether a key is a scratch key of this prefix (left behind only if a script died half-way). */
  isScratchKey(key: string): boolean {
    return key.startsWith(this.prefix + SCRATCH_MARK);
  }

  /** A SCAN MATCH pattern for every key of this prefix whose event name starts with `eventPrefix`. */
  scanPattern(eventPrefix = ''): string {
    return `${escapeGlob(this.prefix + eventPrefix)}*`;
  }
}

/** Escapes the glob characters Redis MATCH patterns interpret. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
