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

/** The configuration cannot work (e.g. the compatible key layout on a Redis Cluster client). */
export class BitmapistConfigError extends BitmapistError {
  override name = 'BitmapistConfigError';
}
