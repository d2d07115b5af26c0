import { BitmapistArgumentError, BitmapistError, BitmapistOfflineError, BitmapistScanError, BitmapistScriptError } from '../errors.js';
import { isReplyError, isTransientReply } from './replies.js';

/**
 * Whether a failed write is worth retrying: connection trouble and transient Redis replies (`LOADING`,
 * `CLUSTERDOWN`, ...) are; refused arguments, keys of the wrong type, a refused registry and any other
 * error reply (`WRONGTYPE`, `ERR ...`) are not: Redis answered, it is not an outage.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BitmapistArgumentError) return false;
  // A Cluster master that cannot be scanned is an outage.
  if (error instanceof BitmapistScanError) return true;
  // A read not sent because the client has lost its connection.
  if (error instanceof BitmapistOfflineError) return true;
  if (error instanceof BitmapistScriptError) {
    return isTransientReply(error.cause instanceof Error ? error.cause.message : error.message);
  }
  if (error instanceof BitmapistError) return false;
  if (isReplyError(error)) return isTransientReply(error.message);
  return !(error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError);
}
