import type { Session } from '../session/session.js';
import type { Kernel } from './kernel.js';
import { Fifo, ItemKind, QueueItem, TimerHeap, itemBefore } from './queue.js';

/** A timer still in the heap. */
const pending = (item: Item): boolean => item.heapIndex >= 0;

/** Where an event goes: a session, or the kernel itself (signals to everyone, IDLE). */
export type Target = Session | Kernel;
export type Item = QueueItem<Target>;

/**
 * POE's Events resource (POE::Resource::Events): the queue of posts, signals and timers, and
 * what each session has in it. A queued event holds its destination and its sender alive
 * (spec 1.8: POE's `_data_ev_refcount_*`); when a session's last one leaves, the kernel is told
 * so it may collect the session.
 */
export class Events {
  readonly fifo = new Fifo<Target>();
  readonly timers = new TimerHeap<Target>();
  /** Timers made by `alarm_set`/`delay_set`: the only ones a program can name by id. */
  readonly #byId = new Map<number, Item>();
  /**
   * Repeating timers (`kernel.interval`): each firing n is due at base + n * period, so
   * intervals do not drift and two with common multiples fire in the order they were set.
   */
  readonly intervals = new Map<Item, { base: number; period: number; n: number }>();
  readonly #kernel: Kernel;
  readonly #released: (session: Session) => void;
  #seq = 0;
  /** Queued posts, timers and signals: everything but GC markers. */
  user = 0;
  /** Queued GC markers: POE's idle test counts them as queued items too. */
  gc = 0;

  /** `released` is told when a session's last queued event leaves the queue. */
  constructor(kernel: Kernel, released: (session: Session) => void) {
    this.#kernel = kernel;
    this.#released = released;
  }

  /** Nothing queued, GC markers included. */
  get idle(): boolean {
    return this.user === 0 && this.gc === 0;
  }

  /** Queues a post, signal or GC marker at the end of the FIFO. */
  post(prio: number, kind: ItemKind, dest: Target, source: Target, name: string, args: unknown[], fromState: string | undefined, file: string | undefined, line: number | undefined): Item {
    const item = new QueueItem<Target>(prio, ++this.#seq, kind, dest, source, name, args, fromState, file, line);
    this.#count(item);
    this.fifo.push(item);
    return item;
  }

  /** Sets a timer of `session`; `addressable` ones (alarm_set, delay_set) can be found by id. */
  addTimer(
    session: Session,
    name: string,
    due: number,
    wall: number,
    reportWall: boolean,
    args: unknown[],
    fromState: string | undefined,
    file: string | undefined,
    line: number | undefined,
    addressable: boolean,
  ): Item {
    const item = new QueueItem<Target>(due, ++this.#seq, ItemKind.Timer, session, session, name, args, fromState, file, line, wall, reportWall);
    this.#count(item);
    this.timers.push(item);
    if (addressable) this.#byId.set(item.seq, item);
    (session._timers ??= []).push(item);
    session._timerCount++;
    return item;
  }

  /**
   * Queues a wake-up (ItemKind.Wake) due at `due` in the timer heap: a wait's timeout. Not one
   * of the session's timers (alarm_remove_all does not see it); its wait removes it.
   */
  addWake(dest: Target, due: number, fn: () => unknown): Item {
    const item = new QueueItem<Target>(due, ++this.#seq, ItemKind.Wake, dest, this.#kernel, 'wake', [fn], undefined, undefined, undefined);
    this.#count(item);
    this.timers.push(item);
    return item;
  }

  /** Makes the addressable timer `item` repeat every `period` seconds after its first firing. */
  repeat(item: Item, period: number): void {
    this.intervals.set(item, { base: item.prio, period, n: 0 });
  }

  /**
   * A repeating timer is being dispatched: it goes back into the queue for its next firing
   * first, with the same id, so its handler can remove it (AnyEvent's `undef $w`).
   */
  rearm(item: Item, session: Session): void {
    const iv = this.intervals.get(item);
    if (iv === undefined) return;
    iv.n++;
    item.prio = iv.base + iv.n * iv.period;
    item.wall += iv.period;
    item.dest = session;
    this.#count(item);
    this.timers.push(item);
    this.#byId.set(item.seq, item);
    (session._timers ??= []).push(item);
    session._timerCount++;
  }

  /** The timer `id` (from alarm_set or delay_set) if it is still pending. */
  timer(id: number): Item | undefined {
    return this.#byId.get(id);
  }

  /** Takes a pending timer out of the queue. */
  removeTimer(item: Item): void {
    this.timers.remove(item);
    this.#byId.delete(item.seq);
    if (this.intervals.size !== 0) this.intervals.delete(item);
    if (item.kind === ItemKind.Timer) this.#left(item.dest as Session);
    this.uncount(item);
    item.dest = null;
  }

  /** The earliest timer leaves the heap to be dispatched (still counted until uncount). */
  popTimer(): Item {
    const item = this.timers.pop()!;
    this.#byId.delete(item.seq);
    if (item.kind === ItemKind.Timer) this.#left(item.dest as Session);
    return item;
  }

  /**
   * A timer of `session` left the heap. Its entry in the session's list stays until there are
   * as many gone as pending (a timer that left has `heapIndex` -1): a Set's delete per timer
   * cost a 100k-alarm burst more than everything else together.
   */
  #left(session: Session): void {
    const timers = session._timers!;
    if (--session._timerCount === 0) timers.length = 0;
    else if (timers.length > 16 && timers.length > 2 * session._timerCount) session._timers = timers.filter(pending);
  }

  /** The session's pending timers, in the order they were set. */
  #pending(session: Session): Item[] {
    return session._timers === undefined ? [] : session._timers.filter(pending);
  }

  /** Removes the session's timers named `name`. */
  clearTimers(session: Session, name: string): void {
    if (session._timerCount === 0) return;
    for (const t of this.#pending(session)) if (t.name === name) this.removeTimer(t);
  }

  /** Removes every timer of the session and returns them in due order. */
  takeTimers(session: Session): Item[] {
    const items = this.#pending(session).sort((a, b) => (itemBefore(a, b) ? -1 : 1));
    for (const item of items) this.removeTimer(item);
    return items;
  }

  /** The monotonic time of the next queued item, or undefined. */
  nextPrio(): number | undefined {
    const t = this.timers.peek();
    const f = this.fifo.peek();
    if (f !== undefined && f.dest !== null && (t === undefined || itemBefore(f, t))) return f.prio;
    return t?.prio;
  }

  #count(item: Item): void {
    const dest = item.dest;
    if (dest !== this.#kernel) (dest as Session)._evTo++;
    const source = item.source as Target;
    if (source !== dest && source !== this.#kernel) (source as Session)._evFrom++;
    if (item.kind !== ItemKind.Gc) this.user++;
    else this.gc++;
  }

  /** An item leaves the queue (dispatched or purged): it no longer holds its sessions. */
  uncount(item: Item): void {
    const dest = item.dest;
    if (dest !== this.#kernel && dest !== null) {
      const s = dest as Session;
      if (--s._evTo === 0) this.#released(s);
    }
    const source = item.source as Target;
    if (source !== dest && source !== this.#kernel) {
      const s = source as Session;
      if (--s._evFrom === 0) this.#released(s);
    }
    if (item.kind !== ItemKind.Gc) this.user--;
    else this.gc--;
  }

  /** The session is freed: its timers and every queued event sent to or by it go (spec 1.6 step 5, G3, G4). */
  dropSession(session: Session): void {
    if (session._timerCount > 0) for (const t of this.#pending(session)) this.removeTimer(t);
    session._timers = undefined;
    if (session._evTo > 0 || session._evFrom > 0) {
      for (const item of this.fifo.live()) {
        if (item.dest === session || item.source === session) {
          this.uncount(item);
          item.dest = null;
        }
      }
    }
  }

  /** Empties the queue (the kernel stopped every session). */
  clear(): void {
    this.fifo.clear();
    this.timers.clear();
    this.#byId.clear();
    this.intervals.clear();
    this.user = 0;
    this.gc = 0;
  }

  leaks(): string[] {
    const found: string[] = [];
    if (this.timers.size > 0) found.push(`${this.timers.size} timer(s) left`);
    if (this.user > 0) found.push(`${this.user} queued event(s) left`);
    return found;
  }
}
