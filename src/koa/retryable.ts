import { BitmapistArgumentError, BitmapistScriptError } from '../engine/errors.js';

/** Redis replies that say "not now" rather than "never". */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'READONLY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'OOM']);

/** Whether a failed write is worth retrying: connection trouble and transient Redis replies are. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BitmapistArgumentError) return false;
  if (error instanceof BitmapistScriptError) {
    const reply = error.cause instanceof Error ? error.cause.message : error.message;
    return TRANSIENT_REPLIES.has(reply.split(' ')[0] ?? '');
  }
  return !(error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError);
}
