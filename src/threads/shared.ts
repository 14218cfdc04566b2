import { deserialize, serialize } from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import { PoeArgumentError, PoeError, describe } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import { Wait, type WaitOptions } from '../task/wait.js';
import { watchShared } from './threads.js';
import { MARK, REVIVE, SHARE, type Reviver, fromWire } from './wire.js';

/*
 * Data shared between threads, Thread::Queue, Thread::Semaphore and threads::shared's
 * `lock`/`cond_wait`, on SharedArrayBuffer and Atomics: the one memory threads share in
 * Node. Passed to `threads.create` (as an argument, or inside an array or plain object), an
 * object arrives in the thread as the same kind of object over the same memory.
 *
 * Blocking: inside a thread, the `...Sync` methods block with `Atomics.wait`, as Perl's do.
 * The main thread runs the kernel and must not block: there the waits are promises (on
 * `Atomics.waitAsync`) that hold the waiting session, as the kernel's own primitives do.
 */

/** Every shared object's memory starts with a lock word and a change counter. */
const LOCK = 0;
const SEQ = 1;

const REVIVERS_KEY = Symbol.for('poe-ts.threads.revivers');
function revivers(): Map<string, Reviver> {
  const g = globalThis as Record<symbol, unknown>;
  let m = g[REVIVERS_KEY] as Map<string, Reviver> | undefined;
  if (m === undefined) {
    m = new Map();
    Object.defineProperty(g, REVIVERS_KEY, { value: m, enumerable: false });
    const rs = m;
    Object.defineProperty(g, REVIVE, { value: (args: unknown) => fromWire(args, rs), enumerable: false, configurable: true });
  }
  return m;
}

function mustBeThread(what: string): void {
  if (isMainThread) {
    throw new PoeError('ERR_POE_THREAD_MAIN', `${what} blocks, and the main thread runs the kernel: await the promise form instead`);
  }
}

/** Takes the lock word (0 free, 1 held, 2 held with waiters: the classic futex mutex). */
function lockSync(i32: Int32Array): void {
  let c = Atomics.compareExchange(i32, LOCK, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(i32, LOCK, 2);
  while (c !== 0) {
    Atomics.wait(i32, LOCK, 2);
    c = Atomics.exchange(i32, LOCK, 2);
  }
}

function unlock(i32: Int32Array): void {
  if (Atomics.sub(i32, LOCK, 1) !== 1) {
    Atomics.store(i32, LOCK, 0);
    Atomics.notify(i32, LOCK, 1);
  }
}

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
/** Node 20 has it; TypeScript's lib gains it with ES2024. */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Calls `fn` after the change counter moves on from `seen` (at once if it has). */
function afterChange(i32: Int32Array, seen: number, fn: () => void): void {
  const w = waitAsync(i32, SEQ, seen);
  if (w.async) void w.value.then(fn);
  else fn();
}

/** Tells every waiter that something changed. */
function changed(i32: Int32Array, count = Infinity): void {
  Atomics.add(i32, SEQ, 1);
  Atomics.notify(i32, SEQ, count);
}

/** Blocks this thread until `attempt` gives a result (it runs after each change). */
function blockUntil<T>(i32: Int32Array, attempt: () => { ok: true; value: T } | undefined, deadline = Infinity): { ok: true; value: T } | undefined {
  for (;;) {
    const seen = Atomics.load(i32, SEQ);
    const r = attempt();
    if (r !== undefined) return r;
    const left = deadline - performance.now();
    if (left <= 0) return undefined;
    Atomics.wait(i32, SEQ, seen, left === Infinity ? undefined : left);
  }
}

/**
 * Waits, without blocking, until `attempt` gives a result. On the main thread it is a kernel
 * wait (holds the session, shows in `ps()` as `name`, takes `{ timeout, signal }`); in a
 * thread, a plain promise.
 */
function waitUntil<T>(i32: Int32Array, name: string, attempt: () => { ok: true; value: T } | undefined, options: WaitOptions | undefined, skip: (...args: never[]) => unknown): Promise<T> {
  const first = attempt();
  if (first !== undefined) return Promise.resolve(first.value);
  if (!isMainThread) {
    return new Promise<T>((resolve) => {
      const again = (): void => {
        const seen = Atomics.load(i32, SEQ);
        const r = attempt();
        if (r !== undefined) return resolve(r.value);
        afterChange(i32, seen, again);
      };
      again();
    });
  }
  let left = false;
  const kernel = Kernel.current();
  const unwatch = watchShared(kernel);
  const { wait, promise } = Wait.promise<T>(
    kernel,
    name,
    () => {
      left = true;
      unwatch();
    },
    options,
    skip,
  );
  const again = (): void => {
    if (left || !wait.waiting) return;
    const seen = Atomics.load(i32, SEQ);
    const r = attempt();
    if (r !== undefined) {
      wait.settle(r.value);
      unwatch();
      return;
    }
    afterChange(i32, seen, again);
  };
  again();
  return promise;
}

// ------------------------------------------------------------------------------------------

/** Options of `new Queue(options)`. */
export interface QueueOptions {
  /** Bytes of shared memory for the items (each takes its v8 serialization plus 4). @default 1 MiB */
  bytes?: number;
  /** The most items queued at once: Thread::Queue's `limit`. @default Infinity */
  limit?: number;
}

const Q_HEAD = 2;
const Q_TAIL = 3;
const Q_USED = 4;
const Q_COUNT = 5;
const Q_ENDED = 6;
const Q_LIMIT = 7;
const Q_WORDS = 8;

/** The memory the next constructor call takes over: how a marker becomes an object again. */
let adopting: SharedArrayBuffer | undefined;

const OK = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

/**
 * A FIFO queue between threads (Thread::Queue): items are copied in (`v8.serialize`, the
 * structured clone) and out, over a ring of shared memory. `enqueue` adds at once (in a thread
 * it blocks while the queue is full; in the main thread a full queue throws
 * `ERR_POE_QUEUE_FULL`); `dequeue()` is a promise everywhere, `dequeueSync()` blocks (threads
 * only); after `end()`, dequeueing an empty queue gives undefined.
 *
 * Perl: `Thread::Queue` (`enqueue`, `dequeue`, `dequeue_nb`, `dequeue_timed`, `pending`, `limit`, `end`).
 */
export class Queue<T = unknown> {
  readonly #sab: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #data: Uint8Array;

  constructor(options: QueueOptions = {}, ...items: T[]) {
    const sab = adopting;
    adopting = undefined;
    if (sab !== undefined) {
      this.#sab = sab;
      this.#i32 = new Int32Array(sab, 0, Q_WORDS);
      this.#data = new Uint8Array(sab, Q_WORDS * 4);
      return;
    }
    if (options === null || typeof options !== 'object') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected Queue options to be an object, got ${describe(options)}`);
    const bytes = options.bytes ?? 1 << 20;
    if (!Number.isInteger(bytes) || bytes < 16) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`bytes\` to be an integer >= 16, got ${describe(bytes)}`);
    const limit = options.limit ?? Infinity;
    if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`limit\` to be an integer >= 1, got ${describe(limit)}`);
    this.#sab = new SharedArrayBuffer(Q_WORDS * 4 + bytes);
    this.#i32 = new Int32Array(this.#sab, 0, Q_WORDS);
    this.#data = new Uint8Array(this.#sab, Q_WORDS * 4);
    this.#i32[Q_LIMIT] = limit === Infinity ? 0 : limit;
    if (items.length > 0) this.enqueue(...items);
  }

  /** @internal The marker that stands for it while it crosses into a thread. */
  [SHARE](): Record<string, unknown> {
    return { [MARK]: 'Queue', sab: this.#sab };
  }

  /** Items queued now; undefined once ended and empty (Perl's `pending` gives undef then). */
  pending(): number | undefined {
    const n = Atomics.load(this.#i32, Q_COUNT);
    return n === 0 && Atomics.load(this.#i32, Q_ENDED) === 1 ? undefined : n;
  }

  /** The most items it holds at once (Infinity: no limit). Perl: `$q->limit`. */
  get limit(): number {
    const l = Atomics.load(this.#i32, Q_LIMIT);
    return l === 0 ? Infinity : l;
  }

  /** No more items will be added: waiting dequeues get undefined once it is empty. Perl: `$q->end`. */
  end(): void {
    Atomics.store(this.#i32, Q_ENDED, 1);
    changed(this.#i32);
  }

  /**
   * Adds items at the tail, copied now. Throws `ERR_POE_QUEUE_ENDED` after `end()`,
   * `ERR_POE_CLONE` for an item that cannot be copied, `ERR_POE_QUEUE_FULL` for one bigger
   * than the queue, or (main thread) when the queue is full. Perl: `$q->enqueue(...)`.
   */
  enqueue(...items: T[]): void {
    for (const item of items) {
      let bytes: Buffer;
      try {
        bytes = serialize(item);
      } catch (err) {
        throw new PoeError('ERR_POE_CLONE', `Queue.enqueue: the item cannot be copied to another thread: ${(err as Error).message}`, { cause: err });
      }
      const need = bytes.length + 4;
      if (need > this.#data.length) throw new PoeError('ERR_POE_QUEUE_FULL', `Queue.enqueue: an item of ${bytes.length} bytes does not fit in the queue's ${this.#data.length} (its \`bytes\` option)`);
      const put = (): { ok: true; value: undefined } | undefined => (this.#tryPut(bytes) ? OK(undefined) : undefined);
      if (put() !== undefined) continue;
      if (isMainThread) throw new PoeError('ERR_POE_QUEUE_FULL', `Queue.enqueue: the queue is full (${this.pending()} items); the main thread does not block`);
      blockUntil(this.#i32, put);
    }
  }

  #tryPut(bytes: Buffer): boolean {
    const i32 = this.#i32;
    const data = this.#data;
    const need = bytes.length + 4;
    lockSync(i32);
    try {
      if (i32[Q_ENDED] === 1) throw new PoeError('ERR_POE_QUEUE_ENDED', "Queue.enqueue: the queue has been end()ed");
      const limit = i32[Q_LIMIT]!;
      if (data.length - i32[Q_USED]! < need || (limit !== 0 && i32[Q_COUNT]! >= limit)) return false;
      let at = i32[Q_TAIL]!;
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, bytes.length, true);
      at = ringWrite(data, at, len);
      at = ringWrite(data, at, bytes);
      i32[Q_TAIL] = at;
      i32[Q_USED] = i32[Q_USED]! + need;
      i32[Q_COUNT] = i32[Q_COUNT]! + 1;
    } finally {
      unlock(i32);
    }
    changed(i32);
    return true;
  }

  /** One item from the head, or `undefined` when there is none now. */
  #tryTake(): { ok: true; value: T | undefined } | undefined {
    const i32 = this.#i32;
    const data = this.#data;
    let bytes: Uint8Array;
    lockSync(i32);
    try {
      if (i32[Q_COUNT] === 0) return i32[Q_ENDED] === 1 ? OK(undefined) : undefined;
      let at = i32[Q_HEAD]!;
      const len = new Uint8Array(4);
      at = ringRead(data, at, len);
      const n = new DataView(len.buffer).getUint32(0, true);
      bytes = new Uint8Array(n);
      at = ringRead(data, at, bytes);
      i32[Q_HEAD] = at;
      i32[Q_USED] = i32[Q_USED]! - n - 4;
      i32[Q_COUNT] = i32[Q_COUNT]! - 1;
    } finally {
      unlock(i32);
    }
    changed(i32);
    return OK(deserialize(bytes) as T);
  }

  /**
   * The item at the head, waiting for one: a promise everywhere (on the main thread a kernel
   * wait with `{ timeout, signal }`). Undefined once the queue is ended and empty.
   * Perl: `$q->dequeue` (which blocks).
   */
  dequeue(options?: WaitOptions): Promise<T | undefined> {
    return waitUntil(this.#i32, 'Queue.dequeue', () => this.#tryTake(), options, this.dequeue);
  }

  /** Blocks the thread until an item comes (or the queue ends: undefined); `timeout` in seconds gives undefined when it passes. Threads only. Perl: `$q->dequeue`, `$q->dequeue_timed`. */
  dequeueSync(timeout?: number): T | undefined {
    mustBeThread('Queue.dequeueSync');
    const r = blockUntil(this.#i32, () => this.#tryTake(), timeout === undefined ? Infinity : performance.now() + timeout * 1000);
    return r?.value;
  }

  /** The item at the head, or undefined at once when there is none. Perl: `$q->dequeue_nb`. */
  dequeueNb(): T | undefined {
    return this.#tryTake()?.value;
  }

  declare dequeue_nb: Queue<T>['dequeueNb'];
  static {
    Object.defineProperty(this.prototype, 'dequeue_nb', { value: this.prototype.dequeueNb, writable: true, configurable: true });
    revivers().set('Queue', (m) => {
      adopting = m.sab as SharedArrayBuffer;
      return new Queue();
    });
  }
}

function ringWrite(data: Uint8Array, at: number, src: Uint8Array): number {
  const first = Math.min(src.length, data.length - at);
  data.set(src.subarray(0, first), at);
  if (first < src.length) data.set(src.subarray(first), 0);
  return (at + src.length) % data.length;
}

function ringRead(data: Uint8Array, at: number, dst: Uint8Array): number {
  const first = Math.min(dst.length, data.length - at);
  dst.set(data.subarray(at, at + first));
  if (first < dst.length) dst.set(data.subarray(0, dst.length - first), first);
  return (at + dst.length) % data.length;
}

// ------------------------------------------------------------------------------------------

const S_COUNT = 2;
const S_WORDS = 3;

function checkUnits(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what}: expected a count >= 1, got ${describe(n)}`);
  return n;
}

/**
 * A counting semaphore every thread can use (Thread::Semaphore), on shared memory. `up(n)`
 * adds; `down(n)` waits for `n` units: a promise (a kernel wait on the main thread), or
 * `downSync(n)` blocking in a thread; `tryDown(n)` takes them only if they are there.
 * Unlike the kernel's `Semaphore`, waiters are not served in order: whoever finds the units
 * first takes them (Thread::Semaphore's rule too).
 *
 * Perl: `Thread::Semaphore` (`down`, `down_nb`, `down_timed`, `up`).
 */
export class SharedSemaphore {
  readonly #i32: Int32Array;

  constructor(count = 1) {
    const sab = adoptingSem;
    adoptingSem = undefined;
    if (sab !== undefined) {
      this.#i32 = new Int32Array(sab);
      return;
    }
    if (!Number.isInteger(count) || count < 0) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the semaphore's count to be an integer >= 0, got ${describe(count)}`);
    this.#i32 = new Int32Array(new SharedArrayBuffer(S_WORDS * 4));
    this.#i32[S_COUNT] = count;
  }

  /** @internal */
  [SHARE](): Record<string, unknown> {
    return { [MARK]: 'SharedSemaphore', sab: this.#i32.buffer };
  }

  /** Units free now. */
  get count(): number {
    return Atomics.load(this.#i32, S_COUNT);
  }

  /** Takes `n` units if they are free now. Perl: `$s->down_nb`. */
  tryDown(n = 1): boolean {
    checkUnits('SharedSemaphore.tryDown', n);
    for (;;) {
      const c = Atomics.load(this.#i32, S_COUNT);
      if (c < n) return false;
      if (Atomics.compareExchange(this.#i32, S_COUNT, c, c - n) === c) return true;
    }
  }

  /** Waits for `n` units and takes them: a promise (on the main thread a kernel wait with `{ timeout, signal }`). Perl: `$s->down`. */
  down(n = 1, options?: WaitOptions): Promise<void> {
    checkUnits('SharedSemaphore.down', n);
    return waitUntil(this.#i32, 'SharedSemaphore.down', () => (this.tryDown(n) ? OK(undefined) : undefined), options, this.down);
  }

  /** Blocks the thread until it has `n` units; with `timeout` (seconds) gives false when it passes. Threads only. Perl: `$s->down`, `$s->down_timed`. */
  downSync(n = 1, timeout?: number): boolean {
    checkUnits('SharedSemaphore.downSync', n);
    mustBeThread('SharedSemaphore.downSync');
    return blockUntil(this.#i32, () => (this.tryDown(n) ? OK(true) : undefined), timeout === undefined ? Infinity : performance.now() + timeout * 1000) !== undefined;
  }

  /** Gives `n` units back and wakes the waiters. Perl: `$s->up`. */
  up(n = 1): void {
    checkUnits('SharedSemaphore.up', n);
    Atomics.add(this.#i32, S_COUNT, n);
    changed(this.#i32);
  }

  declare down_nb: SharedSemaphore['tryDown'];
  static {
    Object.defineProperty(this.prototype, 'down_nb', { value: this.prototype.tryDown, writable: true, configurable: true });
    revivers().set('SharedSemaphore', (m) => {
      adoptingSem = m.sab as SharedArrayBuffer;
      return new SharedSemaphore();
    });
  }
}

let adoptingSem: SharedArrayBuffer | undefined;

// ------------------------------------------------------------------------------------------

/** The element types a {@link SharedArray} holds. */
export type SharedArrayType = 'int32' | 'float64';

/** What `lock()` gives: `using g = arr.lock()` unlocks at the end of the block, as Perl's `lock` at the end of its scope. */
export interface SharedLockGuard extends Disposable {
  unlock(): void;
}

/** Words before the elements: lock, change counter, condition counter. */
const A_COND = 2;
const A_WORDS = 4;

let adoptingArr: { sab: SharedArrayBuffer; type: SharedArrayType; length: number } | undefined;

/**
 * An array of numbers every thread sees (threads::shared's `my @a :shared`, for numbers only),
 * with Perl's `lock` and `cond_wait` / `cond_signal` / `cond_broadcast`. `values` is a typed
 * array over the shared memory: reads and writes are plain, `Atomics` works on the int32
 * kind. Only numbers can be shared this way: arbitrary shared structures (hashes, strings,
 * references) are what Perl's threads::shared has and Node does not (see docs/differences.md).
 *
 * `lock()` blocks until it holds the lock (fine in a thread; on the main thread use
 * `lockAsync()`); `condWait()` must hold the lock, releases it while it waits and takes it
 * back (threads only; `condWaitAsync()` on the main thread).
 *
 * Perl: `threads::shared` (`lock`, `cond_wait`, `cond_timedwait`, `cond_signal`, `cond_broadcast`).
 */
export class SharedArray {
  readonly #i32: Int32Array;
  readonly #type: SharedArrayType;
  /** The elements, over shared memory. */
  readonly values: Int32Array | Float64Array;
  /** Whether this thread holds the lock (Perl's lock is recursive within a thread: so is this one). */
  #depth = 0;

  constructor(length: number, type: SharedArrayType = 'float64') {
    const a = adoptingArr;
    adoptingArr = undefined;
    let sab: SharedArrayBuffer;
    if (a !== undefined) {
      ({ sab, type, length } = a);
    } else {
      if (!Number.isInteger(length) || length < 0) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the SharedArray's length to be an integer >= 0, got ${describe(length)}`);
      if (type !== 'int32' && type !== 'float64') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the SharedArray's type to be 'int32' or 'float64', got ${describe(type)}`);
      sab = new SharedArrayBuffer(A_WORDS * 4 + length * (type === 'int32' ? 4 : 8));
    }
    this.#i32 = new Int32Array(sab, 0, A_WORDS);
    this.#type = type;
    this.values = type === 'int32' ? new Int32Array(sab, A_WORDS * 4, length) : new Float64Array(sab, A_WORDS * 4, length);
  }

  /** @internal */
  [SHARE](): Record<string, unknown> {
    return { [MARK]: 'SharedArray', sab: this.#i32.buffer, type: this.#type, length: this.values.length };
  }

  get length(): number {
    return this.values.length;
  }

  #guard(): SharedLockGuard {
    let held = true;
    const unlockOnce = (): void => {
      if (!held) return;
      held = false;
      this.unlock();
    };
    return { unlock: unlockOnce, [Symbol.dispose]: unlockOnce };
  }

  /** Takes the lock, blocking until it is free. Perl: `lock(@a)`. */
  lock(): SharedLockGuard {
    if (this.#depth++ === 0) lockSync(this.#i32);
    return this.#guard();
  }

  /** Takes the lock without blocking the thread: a promise (a kernel wait on the main thread). */
  async lockAsync(options?: WaitOptions): Promise<SharedLockGuard> {
    if (this.#depth > 0) {
      this.#depth++;
      return this.#guard();
    }
    await waitUntil(this.#i32, 'SharedArray.lock', () => (Atomics.compareExchange(this.#i32, LOCK, 0, 2) === 0 ? OK(undefined) : undefined), options, this.lockAsync);
    this.#depth = 1;
    return this.#guard();
  }

  /** Gives the lock back (the guard's `unlock` does this once). */
  unlock(): void {
    if (this.#depth === 0) throw new PoeError('ERR_POE_INVALID_ARGUMENT', 'SharedArray.unlock: the lock is not held');
    if (--this.#depth > 0) return;
    unlock(this.#i32);
    // Async lockers watch the change counter, not the lock word.
    changed(this.#i32);
  }

  #mustHold(what: string): void {
    if (this.#depth === 0) throw new PoeError('ERR_POE_INVALID_ARGUMENT', `SharedArray.${what}: the lock must be held (Perl: "cond_wait can only be used on a locked variable")`);
  }

  /**
   * Releases the lock, blocks until `condSignal`/`condBroadcast` (or `timeout` seconds: then
   * false), and takes the lock back. Threads only. Perl: `cond_wait(@a)`, `cond_timedwait`.
   */
  condWait(timeout?: number): boolean {
    this.#mustHold('condWait');
    mustBeThread('SharedArray.condWait');
    const seen = Atomics.load(this.#i32, A_COND);
    const depth = this.#depth;
    this.#depth = 1;
    this.unlock();
    const r = Atomics.wait(this.#i32, A_COND, seen, timeout === undefined ? undefined : timeout * 1000);
    lockSync(this.#i32);
    this.#depth = depth;
    return r !== 'timed-out';
  }

  /** {@link condWait} as a promise, for the main thread: releases the lock, waits for a signal, takes the lock back. */
  async condWaitAsync(options?: WaitOptions): Promise<void> {
    this.#mustHold('condWaitAsync');
    const seen = Atomics.load(this.#i32, A_COND);
    const depth = this.#depth;
    this.#depth = 1;
    this.unlock();
    await waitUntil(this.#i32, 'SharedArray.condWait', () => (Atomics.load(this.#i32, A_COND) !== seen ? OK(undefined) : undefined), options, this.condWaitAsync);
    await this.lockAsync();
    this.#depth = depth;
  }

  /** Wakes one thread in `condWait`. Perl: `cond_signal(@a)`. */
  condSignal(): void {
    Atomics.add(this.#i32, A_COND, 1);
    Atomics.notify(this.#i32, A_COND, 1);
    changed(this.#i32);
  }

  /** Wakes every thread in `condWait`. Perl: `cond_broadcast(@a)`. */
  condBroadcast(): void {
    Atomics.add(this.#i32, A_COND, 1);
    Atomics.notify(this.#i32, A_COND);
    changed(this.#i32);
  }

  static {
    revivers().set('SharedArray', (m) => {
      adoptingArr = { sab: m.sab as SharedArrayBuffer, type: m.type as SharedArrayType, length: m.length as number };
      return new SharedArray(0);
    });
  }
}
