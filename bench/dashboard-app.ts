/**
 * A real Koa app with the plugin (`koaBitmapist`) listening on a loopback port, for the dashboard's pages
 * requested over HTTP with `fetch`, as a browser or a script would (JSON answers).
 */
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { koaBitmapist, type KoaBitmapistOptions } from '../src/koa/index.js';

/** Query parameters; an array repeats its parameter (`event=a&event=b`). */
export type PageParams = Record<string, string | number | readonly string[] | undefined>;

/** A running dashboard. */
export interface DashboardApp {
  /** The URL of a page below the dashboard's prefix, e.g. `url('/trends', { event: ['a', 'b'], format: 'json' })`. */
  url(path: string, params: PageParams): string;
  /** GETs a URL and parses its JSON answer; any status but 200 throws. */
  getJson<T>(url: string): Promise<T>;
  close(): Promise<void>;
}

/** Starts the app on a free port; every visitor may see the dashboard, no logins are marked. */
export async function startDashboard(options: KoaBitmapistOptions): Promise<DashboardApp> {
  const app = new Koa();
  const plugin = koaBitmapist(app, { ...options, authorize: () => true, trackLogins: false });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bitmapist`;
  return {
    url(path, params) {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) {
        if (value === undefined) continue;
        for (const one of typeof value === 'object' ? value : [String(value)]) query.append(name, one);
      }
      return `${base}${path}?${query}`;
    },
    async getJson<T>(url: string): Promise<T> {
      const response = await fetch(url);
      if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
      return (await response.json()) as T;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await plugin.close();
    },
  };
}
