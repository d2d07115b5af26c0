import type { ParameterizedContext } from 'koa';
import type { KoaBitmapist } from './plugin.js';

declare module 'koa' {
  interface DefaultContext {
    /** The koa-bitmapist plugin installed on this app by `koaBitmapist(app)`. */
    bitmapist: KoaBitmapist;
  }
}

/** A Koa context of an app with koa-bitmapist installed (the augmentation above makes every context one). */
export type BitmapistContext = ParameterizedContext & { bitmapist: KoaBitmapist };
