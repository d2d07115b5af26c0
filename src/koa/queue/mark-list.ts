/**
 * A FIFO of items that can be removed from anywhere in O(1) by marking them gone (`isGone`): they are
 * skipped when they reach the front, and the list is compacted once most of it is gone, so it never
 * holds more than about twice its live items.
 */
export class MarkList<T> {
  private items: T[] = [];
  private head = 0;
  private gone = 0;

  constructor(private readonly isGone: (item: T) => boolean) {}

  /** How many items are held, live or gone (an upper bound of the live ones). */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Appends an item. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the oldest live item. */
  shift(): T | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head] = undefined as T;
      this.head += 1;
      if (!this.isGone(item)) {
        this.compact();
        return item;
      }
      this.gone -= 1;
    }
    this.clear();
    return undefined;
  }

  /** Records that one held item is now gone (the caller marked it so). */
  noteGone(): void {
    this.gone += 1;
    this.compact();
  }

  /** Removes everything. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.gone = 0;
  }

  private compact(): void {
    const size = this.size;
    if (size === 0) return this.clear();
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.gone > 64 && this.gone * 2 > size) {
      this.items = this.items.slice(this.head).filter((item) => !this.isGone(item));
      this.head = 0;
      this.gone = 0;
    }
  }
}
