/**
 * The marks a queue holds (waiting or being written), oldest first: a `Set` keeps insertion order, and a
 * cursor that only moves forward finds the oldest one in O(1) amortized, however many were removed.
 */
export class HeldMarks<T> {
  private readonly items = new Set<T>();
  private cursor: Iterator<T> | undefined;
  private current: T | undefined;

  get size(): number {
    return this.items.size;
  }

  add(item: T): void {
    this.items.add(item);
  }

  delete(item: T): void {
    this.items.delete(item);
  }

  has(item: T): boolean {
    return this.items.has(item);
  }

  /** The items held, oldest first. */
  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** The oldest item held. */
  oldest(): T | undefined {
    for (;;) {
      if (this.current !== undefined && this.items.has(this.current)) return this.current;
      let next = this.cursor?.next();
      if (next === undefined || next.done) {
        this.cursor = this.items.values();
        next = this.cursor.next();
        if (next.done) return undefined;
      }
      this.current = next.value;
    }
  }

  /** Removes everything; returns what was held. */
  clear(): T[] {
    const items = [...this.items];
    this.items.clear();
    this.cursor = this.current = undefined;
    return items;
  }
}
