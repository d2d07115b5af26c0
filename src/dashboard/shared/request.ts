import type { Bitmapist } from '../../engine/bitmapist.js';
import type { UserIdMode } from '../../engine/ids/user-ids.js';
import type { DashboardHost } from '../host.js';
import type { EventNameCache } from './event-names.js';
import type { SafeHtml } from './html.js';
import { layout, type PageFrame } from './layout.js';
import type { Query } from './query.js';
import { htmlAnswer, type DashboardResponse } from './respond.js';

/** What a page's handler gets: the query string, the host's systems, the shared event listing, its frame. */
export interface DashboardRequest {
  readonly query: Query;
  readonly host: DashboardHost;
  /** The event names of each system, listed once for many requests. */
  readonly names: EventNameCache;
  /** The prefix, the tabs, and this page's path. */
  readonly frame: PageFrame;
  /** Aborted when the client leaves: every engine call of the page takes it, and stops at its next Redis call. */
  readonly signal?: AbortSignal;
}

/** A page's handler: parses its query (a `BitmapistArgumentError` naming the parameter), reads, answers. */
export type PageHandler = (request: DashboardRequest) => Promise<DashboardResponse>;

/** The HTML answer of a page: `title` and `body` in the dashboard's layout, the page's tab active. */
export function pageAnswer(request: DashboardRequest, title: string, body: SafeHtml): DashboardResponse {
  return htmlAnswer(layout(request.frame, title, body));
}

/** The system a query names (the host's default when absent) and its engine; a 400 naming `system` when unknown. */
export function systemOf(request: DashboardRequest, name: string | undefined): { system: string; engine: Bitmapist<UserIdMode> } {
  const system = name ?? request.host.defaultSystem;
  return { system, engine: request.host.system(system) };
}
