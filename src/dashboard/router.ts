import { DASHBOARD_PAGES_IN_FLIGHT, guarded, PageLimiter, type Access } from './guard.js';
import type { DashboardHost } from './host.js';
import { DASHBOARD_PAGES, type DashboardPage } from './pages.js';
import { EventNameCache } from './shared/event-names.js';
import type { NavTab } from './shared/layout.js';
import type { Query } from './shared/query.js';
import type { DashboardResponse } from './shared/respond.js';

/** One mountable route: the path below the prefix, and how to answer a request to it. */
export interface DashboardRoute {
  path: string;
  /**
   * Answers a request, given its query (the raw query string, parsed only once access is allowed, or a parsed
   * one) and the access the framework's adapter decided. `signal`: aborted when the client leaves; the view then
   * stops at its next Redis call (or before it starts, when it waits its turn) and answers `ABANDONED_STATUS`.
   */
  handle(query: Query | string, access: Access, signal?: AbortSignal): Promise<DashboardResponse>;
}

/**
 * The dashboard, without a web framework: one route per row of {@link DASHBOARD_PAGES}, each answering
 * `{ status, type, body }` behind the access check; an adapter mounts them (Koa's: `koa-bitmapist/koa`).
 * Every route checks access itself (403), bad parameters answer 400, an unreachable Redis 503, and so does a burst of
 * requests beyond {@link DASHBOARD_PAGES_IN_FLIGHT} (pages computed at once, and waiting); never a 500
 * for anything the request says.
 */
export class Dashboard {
  /** The routes to mount, in the table's order. */
  readonly routes: readonly DashboardRoute[];
  private readonly names: EventNameCache;

  constructor(
    private readonly host: DashboardHost,
    /** Where the dashboard is mounted, e.g. `/bitmapist`. */
    readonly prefix: string,
    pages: readonly DashboardPage[] = DASHBOARD_PAGES,
    /** How many pages are computed at once and may wait (see {@link DASHBOARD_PAGES_IN_FLIGHT}). */
    inFlight: { running: number; waiting: number } = DASHBOARD_PAGES_IN_FLIGHT,
  ) {
    this.names = new EventNameCache(host);
    const limiter = new PageLimiter(inFlight);
    const tabs: NavTab[] = pages.filter((page) => page.nav !== undefined).map((page) => ({ path: page.path, label: page.nav! }));
    this.routes = pages.map((page) => {
      const frame = { prefix, tabs, active: page.path };
      return {
        path: page.path,
        handle: (query, access, signal) =>
          guarded(access, query, frame, (parsed) => page.handle({ query: parsed, host: this.host, names: this.names, frame, signal }), limiter, signal),
      };
    });
  }
}
