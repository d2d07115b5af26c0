import { BitmapistError } from '../engine/errors.js';

/** Redis of a system failed while marks were being written; they wait in the queue (the Redis error is the `cause`). */
export class BitmapistUnavailableError extends BitmapistError { override name = 'BitmapistUnavailableError'; }

/** A system's mark queue was full: its oldest marks were dropped (counted in `metrics.dropped`). */
export class MarkQueueOverflowError extends BitmapistError { override name = 'MarkQueueOverflowError'; }

/** Marks that were given up: Redis refused them, `close()` timed out, or they arrived after `close()`. */
export class MarksNotWrittenError extends BitmapistError { override name = 'MarksNotWrittenError'; }
