import type Koa from 'koa';
import type { UserIdMode } from '../engine/ids/user-ids.js';
import { registerInstalled } from './installed.js';
import { installLoginTracking } from './logins.js';
import { resolveOptions, type KoaBitmapistOptions } from './options.js';
import { KoaBitmapist } from './plugin.js';
import { dashboardRouter } from './dashboard.js';

/**
 * Installs koa-bitmapist on a Koa app, the twin of Flask-Bitmapist's `init_app`: opens the systems,
 * exposes the plugin as `ctx.bitmapist`, marks passport logins and logouts, and mounts the dashboard
 * router at `prefix` (unless `disableRouter`). Install it after your session middleware so the login
 * marks see the loaded session. Close it with `await bitmapist.close()` on shutdown.
 */
export function koaBitmapist<StateT, ContextT>(
  app: Koa<StateT, ContextT>,
  options: KoaBitmapistOptions & { userIds: 'mapped' },
): KoaBitmapist<'mapped'>;
export function koaBitmapist<StateT, ContextT>(app: Koa<StateT, ContextT>, options?: KoaBitmapistOptions): KoaBitmapist;
export function koaBitmapist<StateT, ContextT>(app: Koa<StateT, ContextT>, options: KoaBitmapistOptions = {}): KoaBitmapist<UserIdMode> {
  const koa = app as unknown as Koa;
  const resolved = resolveOptions(options);
  // The Koa layer reads ids whatever their kind; only the caller's handle carries the id mode in its type.
  const plugin = new KoaBitmapist(koa, resolved, options);
  registerInstalled(plugin);
  (koa.context as { bitmapist?: KoaBitmapist }).bitmapist = plugin;
  if (resolved.trackLogins) installLoginTracking(koa, plugin, resolved.trackLogins);
  if (!resolved.disableRouter) {
    const { prefix, openWithoutAuthorize } = resolved;
    if (!options.authorize && openWithoutAuthorize) {
      (options.logger ?? console).warn(
        `koa-bitmapist: the dashboard at ${prefix} is open to every visitor because no authorize(ctx) option was given ` +
          'and NODE_ENV is development or test; with any other NODE_ENV it answers 403.',
      );
    }
    const { authorize, authorizeMetrics } = options;
    const router = dashboardRouter(plugin, { prefix, authorize, authorizeMetrics, openWithoutAuthorize });
    plugin.router = router;
    koa.use(router.routes());
    koa.use(router.allowedMethods());
  }
  return plugin as KoaBitmapist<UserIdMode>;
}
