/**
 * `koa-bitmapist/typeorm`: the TypeORM mixin. Needs `typeorm` (an optional peer dependency).
 * @packageDocumentation
 */
export { Bitmapistable, isBitmapistable } from './bitmapistable.js';
export type { BitmapistableClass } from './bitmapistable.js';
export { trackEntities } from './track-entities.js';
export type { EntityMarker, TrackEntitiesOptions } from './track-entities.js';
