/**
 * The kernel's queue: an array FIFO for posts, yields and signals, plus one indexed binary heap
 * of timers keyed on (due, seq). Together they reproduce POE's single priority queue:
 * every item has a priority (a monotonic time in seconds) and a global sequence number, and
 * the next item is the smaller (priority, seq) of the FIFO head and the heap top. Posts are
 * stamped with "now", so a timer already due jumps ahead of queued posts (spec 1.3, G6) while
 * equal priorities stay FIFO.
 */

/** What an item does when dispatched. */
export const enum ItemKind {
  /** post / yield */
  Post = 0,
  /** any timer */
  Timer = 1,
  /** a signal: name is the signal, args its arguments */
  Signal = 2,
  /** the deferred garbage-collection marker queued to each new session */
  Gc = 3,
}

/** One queued event. A plain class so every item has one shape. */
export class QueueItem<S = unknown> {
  /** Index in the timer heap; -1 when not in it. */
  heapIndex = -1;
  constructor(
    public prio: number,
    public readonly seq: number,
    public readonly kind: ItemKind,
    /** Destination; `null` once purged. */
    public dest: S | null,
    /** Sender: a session, or the kernel. */
    public readonly source: unknown,
    public readonly name: string,
    public readonly args: unknown[],
    public readonly fromState: string | undefined,
    public readonly file: string | undefined,
    public readonly line: number | undefined,
    /** Epoch seconds for timers. */
    public wall = 0,
    /** Timers from delay()/delay_add() report time 0 in alarm_remove_all (spec G12). */
    public readonly reportWall = true,
  ) {}
}

function before(a: QueueItem, b: QueueItem): boolean {
  return a.prio < b.prio || (a.prio === b.prio && a.seq < b.seq);
}

/** Array FIFO with a moving head; compacted only between batches. */
export class Fifo<S> {
  items: (QueueItem<S> | undefined)[] = [];
  head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: QueueItem<S>): void {
    this.items.push(item);
  }
  /** Absolute index one past the last item; a batch's cutoff. */
  get tail(): number {
    return this.items.length;
  }
  peek(): QueueItem<S> | undefined {
    return this.items[this.head];
  }
  shift(): QueueItem<S> | undefined {
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    return item;
  }
  /** Drops consumed slots. Call only when no batch cutoff is outstanding. */
  compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  *live(): IterableIterator<QueueItem<S>> {
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if (item && item.dest !== null) yield item;
    }
  }
  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }
}

/** Binary min-heap on (prio, seq) that knows each item's index, for O(log n) remove/adjust. */
export class TimerHeap<S> {
  readonly items: QueueItem<S>[] = [];

  get size(): number {
    return this.items.length;
  }
  peek(): QueueItem<S> | undefined {
    return this.items[0];
  }
  push(item: QueueItem<S>): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.#up(item.heapIndex);
  }
  pop(): QueueItem<S> | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      last.heapIndex = 0;
      this.#down(0);
    }
    top.heapIndex = -1;
    return top;
  }
  remove(item: QueueItem<S>): boolean {
    const i = item.heapIndex;
    const items = this.items;
    if (i < 0 || items[i] !== item) return false;
    const last = items.pop()!;
    if (last !== item) {
      items[i] = last;
      last.heapIndex = i;
      this.#down(i);
      this.#up(last.heapIndex);
    }
    item.heapIndex = -1;
    return true;
  }
  /** Re-positions an item whose prio changed. */
  update(item: QueueItem<S>): void {
    this.#up(item.heapIndex);
    this.#down(item.heapIndex);
  }
  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
  }
  #up(i: number): void {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!before(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
  }
  #down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && before(items[r]!, items[l]!)) m = r;
      const child = items[m]!;
      if (!before(child, item)) break;
      items[i] = child;
      child.heapIndex = i;
      i = m;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}

export { before as itemBefore };
