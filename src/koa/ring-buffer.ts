/**
 * A fixed-capacity FIFO. Pushing onto a full buffer evicts the oldest item, so memory never grows
 * past `capacity` items whatever the write rate.
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<T | undefined>(capacity);
  }

  /** How many items are held. */
  get length(): number {
    return this.count;
  }

  /** Appends an item; returns true when the oldest item was evicted to make room. */
  push(item: T): boolean {
    if (this.count === this.capacity) {
      this.slots[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      return true;
    }
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count += 1;
    return false;
  }

  /** Removes and returns up to `max` of the oldest items, oldest first. */
  shift(max: number): T[] {
    const taken: T[] = [];
    while (taken.length < max && this.count > 0) {
      taken.push(this.slots[this.head] as T);
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count -= 1;
    }
    return taken;
  }

  /**
   * Puts items back in front of everything held (they are older), keeping their order. When they do not
   * all fit, the oldest of them are evicted; returns how many were.
   */
  unshift(items: readonly T[]): number {
    const room = this.capacity - this.count;
    const evicted = Math.max(0, items.length - room);
    for (let i = items.length - 1; i >= evicted; i -= 1) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.slots[this.head] = items[i];
      this.count += 1;
    }
    return evicted;
  }

  /** Removes everything; returns how many items there were. */
  clear(): number {
    const count = this.count;
    this.shift(count);
    return count;
  }
}
