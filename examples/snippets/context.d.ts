/**
 * What the README's fragments take from the surrounding app (they are type-checked, not run): an app with
 * the plugin installed, a router, a route handler, a TypeORM DataSource, a request context, an invoice.
 */
import type { Router } from '@koa/router';
import type Koa from 'koa';
import type { DataSource } from 'typeorm';
import type { BitmapistContext, KoaBitmapist } from 'koa-bitmapist/koa';

declare global {
  const app: Koa;
  const bitmapist: KoaBitmapist;
  const router: Router;
  const showReport: Koa.Middleware;
  const dataSource: DataSource;
  const ctx: BitmapistContext;
  const invoice: { customerId: number };
}
