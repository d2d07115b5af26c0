import { activeUsersRoute } from './active-users/route.js';
import { cohortRoute } from './cohort/route.js';
import { eventsRoute } from './events/route.js';
import { funnelsRoute } from './funnels/route.js';
import { sparklineRoute } from './events/sparkline.js';
import { lifecycleRoute } from './lifecycle/route.js';
import type { PageHandler } from './shared/request.js';
import { trendsRoute } from './trends/route.js';

/** One route of the dashboard: its path below the prefix, its tab in the navigation bar (if any), its handler. */
export interface DashboardPage {
  path: string;
  /** The label of its tab; a route without one (an image) is not in the navigation bar. */
  nav?: string;
  handle: PageHandler;
}

/**
 * Every route of the dashboard, in the order of the navigation bar: the one table the router mounts and the
 * layout draws its tabs from. A new page is one folder and one row here.
 */
export const DASHBOARD_PAGES: readonly DashboardPage[] = [
  { path: '/', nav: 'Events', handle: eventsRoute },
  { path: '/cohort', nav: 'Cohorts', handle: cohortRoute },
  { path: '/trends', nav: 'Trends', handle: trendsRoute },
  { path: '/active', nav: 'Active users', handle: activeUsersRoute },
  { path: '/lifecycle', nav: 'Lifecycle', handle: lifecycleRoute },
  { path: '/funnels', nav: 'Funnels', handle: funnelsRoute },
  { path: '/sparkline', handle: sparklineRoute },
];
