import { BitmapistConfigError } from '../engine/errors.js';
import type { KoaMarkOptions, KoaBitmapist } from './plugin.js';
import type { UserId } from './user-id.js';

const installed: KoaBitmapist[] = [];

/** @internal Records a plugin as installed until it is closed. */
export function registerInstalled(plugin: KoaBitmapist): void {
  installed.push(plugin);
  plugin.onClose = () => {
    const index = installed.indexOf(plugin);
    if (index >= 0) installed.splice(index, 1);
  };
}

/** The most recently installed plugin that is not closed, if any. */
export function installedBitmapist(): KoaBitmapist | undefined {
  return installed.at(-1);
}

/**
 * Marks an event through the installed plugin (the most recent `koaBitmapist(app)` not yet closed):
 * queued, never waiting on Redis. Throws `BitmapistConfigError` when no plugin is installed.
 */
export function markEvent(event: string, uid: UserId, options?: KoaMarkOptions): void {
  const plugin = installedBitmapist();
  if (plugin === undefined) {
    throw new BitmapistConfigError('markEvent: no koa-bitmapist plugin is installed; call koaBitmapist(app) first');
  }
  plugin.markEvent(event, uid, options);
}
