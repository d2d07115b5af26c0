import type {
  DataSource,
  EntityMetadata,
  EntitySubscriberInterface,
  InsertEvent,
  ObjectLiteral,
  QueryRunner,
  RemoveEvent,
  SoftRemoveEvent,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
  UpdateEvent,
} from 'typeorm';
import { BitmapistConfigError } from '../engine/errors.js';
import { MAX_MAPPED_ID_LENGTH } from '../engine/user-ids.js';
import { bitmapistableName, isBitmapistable } from './bitmapistable.js';

/**
 * Anything that can mark: the Koa plugin (queued) or an engine (`Bitmapist`). With `userIds: 'mapped'` on
 * it, entities with string primary keys (e.g. `@PrimaryGeneratedColumn('uuid')`) are marked too.
 */
export interface EntityMarker {
  markEvent(event: string, uid: number | string, options?: { system?: string; now?: Date }): unknown;
}

/** Options of {@link trackEntities}. */
export interface TrackEntitiesOptions {
  /** The plugin system to mark in (ignored by an engine). */
  system?: string;
  /** Where marking errors go (default: `console.error`); the Koa plugin reports its own Redis errors to the app. */
  onError?: (error: unknown) => void;
}

interface PendingMark {
  event: string;
  id: number | string;
  depth: number;
}

/**
 * Marks `<entity>:created|updated|deleted` for every {@link Bitmapistable} entity written through
 * `dataSource`, once the write is committed: marks made inside a transaction wait for its commit and
 * vanish with a rollback (savepoints included). The DataSource must be initialized. Returns a function
 * that stops the tracking.
 */
export function trackEntities(dataSource: DataSource, marker: EntityMarker, options: TrackEntitiesOptions = {}): () => void {
  if (!dataSource.isInitialized) {
    throw new BitmapistConfigError('trackEntities: initialize the DataSource first (await dataSource.initialize())');
  }
  const subscriber = new BitmapistableSubscriber(marker, options);
  dataSource.subscribers.push(subscriber);
  return () => {
    const index = dataSource.subscribers.indexOf(subscriber);
    if (index >= 0) dataSource.subscribers.splice(index, 1);
  };
}

class BitmapistableSubscriber implements EntitySubscriberInterface<ObjectLiteral> {
  private readonly pending = new WeakMap<QueryRunner, PendingMark[]>();
  private readonly depths = new WeakMap<QueryRunner, number>();

  constructor(
    private readonly marker: EntityMarker,
    private readonly options: TrackEntitiesOptions,
  ) {}

  afterInsert(event: InsertEvent<ObjectLiteral>): void {
    this.record(event.queryRunner, event.metadata, 'created', event.entityId ?? event.entity);
  }

  afterUpdate(event: UpdateEvent<ObjectLiteral>): void {
    this.record(event.queryRunner, event.metadata, 'updated', event.entity, event.databaseEntity);
  }

  afterRemove(event: RemoveEvent<ObjectLiteral>): void {
    this.record(event.queryRunner, event.metadata, 'deleted', event.entityId, event.databaseEntity, event.entity);
  }

  afterSoftRemove(event: SoftRemoveEvent<ObjectLiteral>): void {
    this.record(event.queryRunner, event.metadata, 'deleted', event.entityId, event.databaseEntity, event.entity);
  }

  afterTransactionStart(event: TransactionStartEvent): void {
    this.depths.set(event.queryRunner, (this.depths.get(event.queryRunner) ?? 0) + 1);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const runner = event.queryRunner;
    const depth = this.leave(runner);
    const marks = this.pending.get(runner) ?? [];
    if (runner.isTransactionActive && depth > 0) {
      // A savepoint was released: its marks now belong to the enclosing transaction.
      for (const mark of marks) mark.depth = Math.min(mark.depth, depth);
      return;
    }
    this.pending.delete(runner);
    for (const mark of marks) this.mark(mark.event, mark.id);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const runner = event.queryRunner;
    const depth = this.leave(runner);
    if (!runner.isTransactionActive || depth === 0) this.pending.delete(runner);
    else this.pending.set(runner, (this.pending.get(runner) ?? []).filter((mark) => mark.depth <= depth));
  }

  private leave(runner: QueryRunner): number {
    const depth = Math.max(0, (this.depths.get(runner) ?? 1) - 1);
    this.depths.set(runner, depth);
    return depth;
  }

  private record(runner: QueryRunner, metadata: EntityMetadata, action: string, ...sources: unknown[]): void {
    const target = metadata.target;
    if (!isBitmapistable(target)) return;
    const id = entityId(metadata, sources, mapsIds(this.marker, this.options.system));
    if (id === undefined) return;
    const event = `${bitmapistableName(target as typeof target & { name: string })}:${action}`;
    if (!runner?.isTransactionActive) return this.mark(event, id);
    const marks = this.pending.get(runner) ?? [];
    marks.push({ event, id, depth: Math.max(1, this.depths.get(runner) ?? 1) });
    this.pending.set(runner, marks);
  }

  private mark(event: string, id: number | string): void {
    const report = this.options.onError ?? ((error: unknown) => console.error(error));
    try {
      const result = this.marker.markEvent(event, id, { system: this.options.system });
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  }
}

/** Whether the marker takes mapped ids: an engine with an id map, or a plugin whose system has one. */
function mapsIds(marker: EntityMarker, system: string | undefined): boolean {
  const { idMap, system: systemOf } = marker as { idMap?: unknown; system?: (name?: string) => { idMap?: unknown } };
  return typeof systemOf === 'function' ? systemOf.call(marker, system).idMap !== undefined : idMap !== undefined;
}

/**
 * The entity's id as a mark id: the first source that holds a numeric single primary key, or with mapped ids
 * (`anyString`) a string one of 1 to 256 characters, e.g. a UUID.
 */
function entityId(metadata: EntityMetadata, sources: unknown[], anyString: boolean): number | string | undefined {
  const [primary, ...more] = metadata.primaryColumns;
  if (primary === undefined || more.length > 0) return undefined;
  for (const source of sources) {
    const value = source !== null && typeof source === 'object' ? primary.getEntityValue(source as ObjectLiteral) : source;
    const id = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
    if (anyString && typeof id === 'string' && id.length >= 1 && id.length <= MAX_MAPPED_ID_LENGTH) return id;
  }
  return undefined;
}
