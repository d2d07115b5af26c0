/** Base class of every error koa-bitmapist throws on purpose. */
export class BitmapistError extends Error {
  override name = 'BitmapistError';
}

/**
 * An argument was refused (bad event name, user id, date, time group, row/column count, ...).
 * Nothing was written to Redis. `argument` names the offending parameter.
 */
export class BitmapistArgumentError extends BitmapistError {
  override name = 'BitmapistArgumentError';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
  }
}

/** A Lua script answered with an error reply we do not know (the Redis reply is the `cause`). */
export class BitmapistScriptError extends BitmapistError {
  override name = 'BitmapistScriptError';
}

/**
 * A read met a key of another type (a hash, list, set, ...) at the name of a bitmap it reads, and Redis refused
 * it (`WRONGTYPE`): the answer would be wrong, so there is none. Nothing was written. The Redis reply is the
 * `cause`. Delete or rename the key (marks refuse to write there: see {@link BitmapistKeyTypeError}).
 */
export class BitmapistWrongTypeError extends BitmapistError {
  override name = 'BitmapistWrongTypeError';
  /** The key holding another type, and that type (`hash`, `list`, ...), when Redis still showed it (see {@link readError}). */
  readonly key?: string;
  readonly type?: string;

  constructor(message: string, options?: ErrorOptions & { key?: string; type?: string }) {
    super(message, options);
    if (options?.key !== undefined) [this.key, this.type] = [options.key, options.type];
  }
}

/** A key found holding another type than a string (a bitmap). */
export interface WrongTypeKey {
  key: string;
  type: string;
  /** What the key should hold: `bitmap` (the default), `hash` (the id map), `set` (the block registry). */
  expected?: string;
}

/**
 * A Redis reply error as the engine reports it: `WRONGTYPE` as a {@link BitmapistWrongTypeError} naming the key
 * `found` (Redis's reply does not), others as they are.
 */
export function readError(error: unknown, found?: WrongTypeKey): unknown {
  if (error instanceof Error && error.name === 'ReplyError' && error.message.startsWith('WRONGTYPE')) {
    const what =
      found === undefined
        ? 'a key read as a bitmap holds another type of value'
        : `key ${JSON.stringify(found.key)} holds a ${found.type}, not a ${found.expected ?? 'bitmap'}`;
    return new BitmapistWrongTypeError(`${what} (${error.message})`, { cause: error, key: found?.key, type: found?.type });
  }
  return error;
}

/** The configuration cannot work (e.g. the compatible key layout on a Redis Cluster client). */
export class BitmapistConfigError extends BitmapistError {
  override name = 'BitmapistConfigError';
}

/**
 * A key a mark would write holds another type than a string bitmap (e.g. a hash planted at a day key):
 * nothing of that mark was written. `key` is the key, `type` its Redis type.
 */
export class BitmapistKeyTypeError extends BitmapistError {
  override name = 'BitmapistKeyTypeError';
  constructor(
    readonly key: string,
    readonly type: string,
  ) {
    super(`key ${JSON.stringify(key)} holds a ${type}, not a bitmap: the mark was refused and nothing of it written`);
  }
}

/**
 * The marks' bits were written, but Redis refused to record their blocks in the sharded layout's block
 * registry (e.g. `WRONGTYPE` on `<prefix>~blocks`): queries do not see those blocks until it is repaired.
 * The Redis reply is the `cause`.
 */
export class BitmapistRegistryError extends BitmapistError {
  override name = 'BitmapistRegistryError';
}

/**
 * The keyspace could not be scanned on every master of a Redis Cluster (one is down or unreachable), so
 * `getEventNames` / `deleteAllEvents` answered nothing and changed nothing. The failure is the `cause`.
 */
export class BitmapistScanError extends BitmapistError {
  override name = 'BitmapistScanError';
}

/** A query's answer would exceed a documented limit (e.g. `ids()` past `MAX_IDS`); nothing was changed. */
export class BitmapistLimitError extends BitmapistError {
  override name = 'BitmapistLimitError';
}

/**
 * The prefix holds the other kind of user ids (`userIds: 'integers'` vs `'mapped'`, recorded in
 * `<prefix>~idmode`): nothing was written.
 */
export class BitmapistIdModeError extends BitmapistConfigError {
  override name = 'BitmapistIdModeError';
}

/**
 * The prefix holds data of another time zone (recorded in `<prefix>~timezone`; bitmaps without the record are
 * UTC): nothing was written.
 */
export class BitmapistTimeZoneError extends BitmapistConfigError {
  override name = 'BitmapistTimeZoneError';
}

/**
 * Redis is unreachable: the client lost its connection and has not got it back, so the read was not sent
 * (reads fail at once while Redis is away instead of each waiting for a reconnection attempt).
 */
export class BitmapistOfflineError extends BitmapistError {
  override name = 'BitmapistOfflineError';
}
