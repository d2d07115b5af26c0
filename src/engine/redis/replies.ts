/** Redis replies that say "not now" rather than "never" (matched on their first word). */
export const TRANSIENT_REPLIES: ReadonlySet<string> = new Set(['LOADING', 'BUSY', 'READONLY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'OOM']);

/** Whether an error is a Redis error reply (ioredis `ReplyError`), as opposed to connection trouble. */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Whether a Redis error reply's message is a transient one, worth trying again. */
export function isTransientReply(message: string): boolean {
  return TRANSIENT_REPLIES.has(message.split(' ')[0] ?? '');
}
