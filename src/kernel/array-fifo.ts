/**
 * An array FIFO with a moving head, for the queues of the primitives and components (a
 * channel's items, a resolver's or a worker pool's waiting requests). `shift` is O(1): it
 * moves the head instead of re-indexing the array, and the spent slots are dropped once the
 * queue drains or once they are more than half of a long array, so the cost stays amortised
 * O(1). The kernel's own `Fifo` (queue.ts) is the same idea tuned for its batches.
 */
export class ArrayFifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Items in the queue. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the oldest item; `undefined` when empty (check `length` if `T` admits `undefined`). */
  shift(): T | undefined {
    const items = this.#items;
    if (this.#head === items.length) return undefined;
    const item = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** The item at `index` from the oldest (0), without taking it. */
  at(index: number): T | undefined {
    return this.#items[this.#head + index];
  }

  /** Puts `item` at `index` from the oldest (0 ... length), moving the later ones back. */
  insert(index: number, item: T): void {
    if (index === this.length) this.#items.push(item);
    else this.#items.splice(this.#head + index, 0, item);
  }

  /** Removes the item at `index` from the oldest (0 ... length - 1). */
  removeAt(index: number): void {
    this.#items.splice(this.#head + index, 1);
  }

  /** Empties the queue and returns what it held, oldest first. */
  drain(): T[] {
    const out = this.#items.slice(this.#head) as T[];
    this.clear();
    return out;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
