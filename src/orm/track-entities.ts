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
import { BitmapistConfigError, BitmapistError } from '../engine/errors.js';
import { checkAppUserId, hasUserIdForm, type AppUserId, type UserIdMode, type UserIdRules } from '../engine/ids/user-ids.js';
import { bitmapistableName, isBitmapistable } from './bitmapistable.js';

/**
 * Anything that can mark: the Koa plugin (queued) or an engine (`Bitmapist`). With `userIds: 'mapped'` on
 * it, entities with string primary keys (e.g. `@PrimaryGeneratedColumn('uuid')`) are marked too.
 */
export interface EntityMarker {
  markEvent(event: string, uid: number | string, options?: { system?: string; now?: Date }): unknown;
  /** The kind of ids it marks (an engine's `userIds`; the plugin's come from its system). */
  readonly userIds?: UserIdMode;
  /** The largest integer id it marks (an engine's `maxUserId`). */
  readonly maxUserId?: number;
}

/** Options of {@link trackEntities}. */
export interface TrackEntitiesOptions {
  /** The plugin system to mark in (ignored by an engine). */
  system?: string;
  /** Where marking errors go (default: `console.error`); the Koa plugin reports its own Redis errors to the app. */
  onError?: (error: unknown) => void;
}

/** An id already reported as repeated in this turn (once per insert). */
const REPORTED = Symbol('reported');

interface PendingMark {
  event: string;
  id: AppUserId;
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
  // The system's id rules, checked now: an unknown system is a configuration error here, never in a write.
  idRules(marker, options.system);
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
  /** The ids reported by the inserts of this turn of the event loop (one statement's rows come in one turn). */
  private insertedNow: Map<string, unknown> | undefined;

  constructor(
    private readonly marker: EntityMarker,
    private readonly options: TrackEntitiesOptions,
  ) {}

  afterInsert(event: InsertEvent<ObjectLiteral>): void {
    this.record(event.queryRunner, event.metadata, 'created', event.entityId ?? event.entity);
  }

  /**
   * Whether another row of the same insert was reported with this row's id: TypeORM reports the last row's id for
   * every row of a multi-row INSERT on SQLite (`repository.insert([...])`). That id is marked once, for its own
   * row; the others are reported to `onError` (once per insert), not marked with a wrong id.
   */
  private repeatsId(metadata: EntityMetadata, id: AppUserId, row: unknown): boolean {
    const key = `${metadata.tableName}\0${typeof id}\0${String(id)}`;
    if (this.insertedNow === undefined) {
      this.insertedNow = new Map();
      queueMicrotask(() => (this.insertedNow = undefined));
    }
    const first = this.insertedNow.get(key);
    if (first === undefined) {
      this.insertedNow.set(key, row);
      return false;
    }
    if (first === row) return false;
    if (first === REPORTED) return true;
    this.insertedNow.set(key, REPORTED);
    this.report(
      new BitmapistError(
        `trackEntities: TypeORM reported the id ${String(id)} for several rows inserted into ${metadata.tableName} at once ` +
          '(a multi-row insert on SQLite reports the last row\'s id for each): only that id is marked :created. ' +
          'Insert such entities one at a time, or with save(), to mark each.',
      ),
    );
    return true;
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

  /** Records a write to mark; never throws into the host's write (a failure goes to `onError`). */
  private record(runner: QueryRunner, metadata: EntityMetadata, action: string, ...sources: unknown[]): void {
    try {
      this.recordOrThrow(runner, metadata, action, sources);
    } catch (error) {
      this.report(error);
    }
  }

  private recordOrThrow(runner: QueryRunner, metadata: EntityMetadata, action: string, sources: unknown[]): void {
    const target = metadata.target;
    if (!isBitmapistable(target)) return;
    const id = entityId(metadata, sources, idRules(this.marker, this.options.system).userIds);
    if (id === undefined) return;
    if (action === 'created' && this.repeatsId(metadata, id, sources[0])) return;
    const event = `${bitmapistableName(target as typeof target & { name: string })}:${action}`;
    if (!runner?.isTransactionActive) return this.mark(event, id);
    const marks = this.pending.get(runner) ?? [];
    marks.push({ event, id, depth: Math.max(1, this.depths.get(runner) ?? 1) });
    this.pending.set(runner, marks);
  }

  private report(error: unknown): void {
    (this.options.onError ?? ((reason: unknown) => console.error(reason)))(error);
  }

  private mark(event: string, id: AppUserId): void {
    const report = (error: unknown) => this.report(error);
    try {
      // The engine's id rules, as every layer checks ids: an ORM's string of digits is the integer it holds.
      const uid = checkAppUserId(id, idRules(this.marker, this.options.system));
      const result = this.marker.markEvent(event, uid, { system: this.options.system });
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  }
}

/**
 * The id rules of the engine the marker marks with: the plugin's system, an engine itself, or for another marker
 * its `userIds` (else `mapped` when it has an `idMap`) with its own range check.
 */
function idRules(marker: EntityMarker, system: string | undefined): UserIdRules {
  const { system: systemOf } = marker as { system?: (name?: string) => UserIdRules };
  if (typeof systemOf === 'function') return systemOf.call(marker, system);
  const { userIds, maxUserId, idMap } = marker as Partial<UserIdRules> & { idMap?: unknown };
  return { userIds: userIds ?? (idMap !== undefined ? 'mapped' : 'integers'), maxUserId: maxUserId ?? Number.MAX_SAFE_INTEGER };
}

/**
 * The entity's id as a mark id: the first source that holds a single primary key with the form of a user id
 * of `mode` (the engine's rules: with integer ids a number or a string of digits, with mapped ids also any
 * string of 1 to 256 characters, e.g. a UUID). Its range is checked when it is marked.
 */
function entityId(metadata: EntityMetadata, sources: unknown[], mode: UserIdMode): AppUserId | undefined {
  const [primary, ...more] = metadata.primaryColumns;
  if (primary === undefined || more.length > 0) return undefined;
  for (const source of sources) {
    const value = source !== null && typeof source === 'object' ? primary.getEntityValue(source as ObjectLiteral) : source;
    if (hasUserIdForm(value, mode)) return value;
  }
  return undefined;
}
