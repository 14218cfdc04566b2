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
  /**
   * a kernel primitive's wake-up (a task's `cede`, a semaphore or channel waiter's turn, a
   * wait's timeout): args[0] is the function to run with dest as the active session
   */
  Wake = 4,
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
      // Truncating frees the backing store and the next push allocates one again: on a queue
      // drained one item per batch (task handoffs) that is most of a batch's cost, so the
      // spent slots stay until there are a few of them.
      if (this.head >= 256) {
        this.items.length = 0;
        this.head = 0;
      }
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

/**
 * Binary min-heap on (prio, seq) that knows each item's index, for O(log n) remove/adjust. The
 * keys are kept beside the items in two Float64Arrays: sifting compares numbers laid out in a
 * row instead of reading them out of items scattered on the heap, which halves the cost of a
 * burst of alarms (100k due within 10 ms, the kernel.delay_burst bench).
 */
export class TimerHeap<S> {
  readonly items: QueueItem<S>[] = [];
  #prio = new Float64Array(64);
  #seq = new Float64Array(64);

  get size(): number {
    return this.items.length;
  }
  peek(): QueueItem<S> | undefined {
    return this.items[0];
  }
  push(item: QueueItem<S>): void {
    const i = this.items.length;
    if (i === this.#prio.length) this.#grow();
    this.items.push(item);
    this.#up(i, item, item.prio, item.seq);
  }
  pop(): QueueItem<S> | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const n = items.length - 1;
    const last = items.pop()!;
    if (n > 0) this.#down(0, last, this.#prio[n]!, this.#seq[n]!);
    top.heapIndex = -1;
    return top;
  }
  remove(item: QueueItem<S>): boolean {
    const i = item.heapIndex;
    const items = this.items;
    if (i < 0 || items[i] !== item) return false;
    const n = items.length - 1;
    const last = items.pop()!;
    if (last !== item) {
      const p = this.#prio[n]!;
      const q = this.#seq[n]!;
      this.#down(i, last, p, q);
      this.#up(last.heapIndex, last, p, q);
    }
    item.heapIndex = -1;
    return true;
  }
  /** Re-positions an item whose prio changed. */
  update(item: QueueItem<S>): void {
    this.#up(item.heapIndex, item, item.prio, item.seq);
    this.#down(item.heapIndex, item, item.prio, item.seq);
  }
  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
  }
  #grow(): void {
    const prio = new Float64Array(this.#prio.length * 2);
    prio.set(this.#prio);
    this.#prio = prio;
    const seq = new Float64Array(this.#seq.length * 2);
    seq.set(this.#seq);
    this.#seq = seq;
  }
  /** Moves `item` (keys `p`, `q`) up from the hole at `i`. */
  #up(i: number, item: QueueItem<S>, p: number, q: number): void {
    const items = this.items;
    const prio = this.#prio;
    const seq = this.#seq;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pp = prio[parent]!;
      if (!(p < pp || (p === pp && q < seq[parent]!))) break;
      const moved = items[parent]!;
      items[i] = moved;
      moved.heapIndex = i;
      prio[i] = pp;
      seq[i] = seq[parent]!;
      i = parent;
    }
    items[i] = item;
    item.heapIndex = i;
    prio[i] = p;
    seq[i] = q;
  }
  /** Moves `item` (keys `p`, `q`) down from the hole at `i`. */
  #down(i: number, item: QueueItem<S>, p: number, q: number): void {
    const items = this.items;
    const prio = this.#prio;
    const seq = this.#seq;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      let mp = prio[l]!;
      let mq = seq[l]!;
      if (r < n) {
        const rp = prio[r]!;
        if (rp < mp || (rp === mp && seq[r]! < mq)) {
          m = r;
          mp = rp;
          mq = seq[r]!;
        }
      }
      if (!(mp < p || (mp === p && mq < q))) break;
      const moved = items[m]!;
      items[i] = moved;
      moved.heapIndex = i;
      prio[i] = mp;
      seq[i] = mq;
      i = m;
    }
    items[i] = item;
    item.heapIndex = i;
    prio[i] = p;
    seq[i] = q;
  }
}

export { before as itemBefore };
