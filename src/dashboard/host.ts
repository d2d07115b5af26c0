import type { Bitmapist } from '../engine/bitmapist.js';
import type { UserIdMode } from '../engine/ids/user-ids.js';

/**
 * What the dashboard needs from the app it runs in: its named systems' engines. The Koa plugin is one; the
 * dashboard knows nothing else of it (nor of Koa).
 */
export interface DashboardHost {
  /** The system a request without `?system=` reads. */
  readonly defaultSystem: string;
  /** Every system's name, for the form's choice. */
  readonly systemNames: string[];
  /** The engine of a system; a `BitmapistArgumentError` naming `system` for an unknown one. */
  system(name?: string): Bitmapist<UserIdMode>;
}
