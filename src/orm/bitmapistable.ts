/** Marks a class as Bitmapistable; a registered symbol, so copies of this module agree. */
export const BITMAPISTABLE = Symbol.for('koa-bitmapist.bitmapistable');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor<T = object> = new (...args: any[]) => T;

/** The static side every Bitmapistable class has. */
export interface BitmapistableClass {
  readonly [BITMAPISTABLE]: true;
  /** Overrides the event prefix (default: the class name lowercased, e.g. `user` for `user:created`). */
  bitmapistName?: string;
}

/**
 * The ORM mixin: an entity class that extends `Bitmapistable(Base)` (or `Bitmapistable()`) gets
 * `<name>:created`, `<name>:updated` and `<name>:deleted` marked with its id once the write commits,
 * where `<name>` is the class name lowercased. Register the marks with `trackEntities(dataSource, bitmapist)`.
 * It imports nothing from TypeORM: it works with your TypeORM, whatever its copy.
 *
 * @example
 * ```ts
 * @Entity()
 * class User extends Bitmapistable(BaseEntity) {
 *   @PrimaryGeneratedColumn() id!: number;
 * }
 * ```
 */
export function Bitmapistable<TBase extends Constructor>(Base?: TBase): TBase & BitmapistableClass {
  const Root = (Base ?? class {}) as TBase;
  class BitmapistableEntity extends Root {
    static readonly [BITMAPISTABLE] = true as const;
  }
  return BitmapistableEntity as TBase & BitmapistableClass;
}

/** Whether an entity class (or a subclass of one) extends {@link Bitmapistable}. */
export function isBitmapistable(target: unknown): target is BitmapistableClass {
  return typeof target === 'function' && (target as Partial<BitmapistableClass>)[BITMAPISTABLE] === true;
}

/** The event prefix of a Bitmapistable class: `bitmapistName`, else the class name lowercased. */
export function bitmapistableName(target: BitmapistableClass & { name: string }): string {
  return target.bitmapistName ?? target.name.toLowerCase();
}
