import { PoeArgumentError, PoeError, describe } from '../errors.js';
import { ArrayFifo } from '../kernel/array-fifo.js';
import { Kernel } from '../kernel/kernel.js';
import type { Session } from '../session/session.js';
import { Wait, type WaitOptions, dropFrom, isEventForm, resolvedNow } from './wait.js';

/** Options of `new Channel(maxsize, options)`. */
export interface ChannelOptions {
  /** The kernel whose queue wakes its waiters. @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
}

/**
 * A message queue between tasks and sessions (Coro::Channel). `put` adds an item; `get` takes
 * the oldest, waiting while there is none. With `maxsize` 0 it holds any number; with
 * `maxsize` n > 0 a `put` that leaves n or more items waits until `get`s bring it under n, so
 * 1 is a rendezvous (every `put` waits for its `get`) and 2 buffers one item, as Coro's.
 * After `shutdown()`, `get` on an empty channel gives `undefined` at once; `put` throws.
 * Waiters wake through the kernel's queue in the order they began to wait; a waiting session
 * is kept alive. Both operations have a promise form and an event form.
 *
 * Coro: `Coro::Channel`.
 */
export class Channel<T> {
  readonly kernel: Kernel;
  readonly maxsize: number;
  readonly #items = new ArrayFifo<T>();
  readonly #getters: Wait<T | undefined>[] = [];
  /** Puts waiting for room, oldest first; their items are the last ones in #items. */
  readonly #putters: Wait<undefined>[] = [];
  #shutdown = false;
  readonly #leaveGet = (w: Wait<T | undefined>): void => dropFrom(this.#getters, w);
  readonly #leavePut = (w: Wait<undefined>): void => {
    const i = this.#putters.indexOf(w);
    if (i < 0) return;
    // A put that gives up (timeout, abort, its session freed) takes its item back: the waiting
    // puts' items are the last ones, in the same order.
    this.#items.removeAt(this.#items.length - this.#putters.length + i);
    this.#putters.splice(i, 1);
  };

  constructor(maxsize = 0, options: ChannelOptions = {}) {
    if (!Number.isInteger(maxsize) || maxsize < 0) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the channel's maxsize to be an integer >= 0 (0: unbounded, 1: rendezvous), got ${describe(maxsize)}`);
    }
    this.kernel = options.kernel ?? Kernel.current();
    this.maxsize = maxsize;
  }

  /** Items in the channel now, taken or not by a waiting `put`. Coro: `$channel->size`. */
  get size(): number {
    return this.#items.length;
  }

  /** `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * Adds `item`. Promise form: resolves once the channel has room for it (at once unless
   * `maxsize` is reached; for a rendezvous, when a `get` has taken it). Event form
   * `put(item, session, event, ...args)`: posts `event` with `(undefined, ...args)` then.
   * Throws `ERR_POE_CHANNEL_SHUTDOWN` after `shutdown()`. Coro: `$channel->put`.
   */
  put(item: T, options?: WaitOptions): Promise<void>;
  put(item: T, session: Session, event: string, ...args: unknown[]): void;
  put(item: T, ...rest: unknown[]): Promise<void> | void {
    if (this.#shutdown) throw new PoeError('ERR_POE_CHANNEL_SHUTDOWN', 'Channel.put after shutdown(): the channel takes no more items');
    const eventForm = isEventForm(rest);
    const getter = this.size === 0 ? this.#getters.shift() : undefined;
    if (getter !== undefined) {
      // A get was waiting: it takes the item now, so the put has its get.
      getter.settle(item);
      if (eventForm) Wait.event<undefined>(this.kernel, 'Channel.put', this.#leavePut, rest[0], rest[1], rest.slice(2), this.put).settle(undefined);
      else return resolvedNow(this.kernel, undefined);
      return;
    }
    this.#items.push(item);
    // The item is at index size - 1: its put waits until it is among the first maxsize - 1.
    const blocks = this.maxsize > 0 && (this.#putters.length > 0 || this.size >= this.maxsize);
    if (eventForm) {
      const wait = Wait.event<undefined>(this.kernel, 'Channel.put', this.#leavePut, rest[0], rest[1], rest.slice(2), this.put);
      if (blocks) this.#putters.push(wait);
      else wait.settle(undefined);
      return;
    }
    if (!blocks) return resolvedNow(this.kernel, undefined);
    const { wait, promise } = Wait.promise<undefined>(this.kernel, 'Channel.put', this.#leavePut, rest[0] as WaitOptions | undefined, this.put);
    if (wait.waiting) this.#putters.push(wait);
    return promise;
  }

  /**
   * Adds `item` if that needs no wait: a `get` is waiting for it, or the channel has room
   * (`put` would resolve at once). Returns false, adding nothing, when a `put` would wait.
   * Throws `ERR_POE_CHANNEL_SHUTDOWN` after `shutdown()`. Not in Coro: the non-blocking path,
   * so a producer that rarely waits makes no promise per item.
   */
  tryPut(item: T): boolean {
    if (this.#shutdown) throw new PoeError('ERR_POE_CHANNEL_SHUTDOWN', 'Channel.tryPut after shutdown(): the channel takes no more items');
    if (this.size === 0) {
      const getter = this.#getters.shift();
      if (getter !== undefined) {
        getter.settle(item);
        return true;
      }
    }
    if (this.maxsize > 0 && (this.#putters.length > 0 || this.size + 1 >= this.maxsize)) return false;
    this.#items.push(item);
    return true;
  }

  /**
   * Takes the oldest item if there is one, without waiting; `undefined` when the channel is
   * empty. Thread::Queue's `dequeue_nb`.
   */
  tryGet(): T | undefined {
    return this.size === 0 ? undefined : this.#take();
  }

  /**
   * Takes the oldest item, waiting for one while the channel is empty; `undefined` once it is
   * empty after `shutdown()`. Promise form, or event form `get(session, event, ...args)`
   * (posts `event` with `(item, ...args)`). Coro: `$channel->get`.
   */
  get(options?: WaitOptions): Promise<T | undefined>;
  get(session: Session, event: string, ...args: unknown[]): void;
  get(...args: unknown[]): Promise<T | undefined> | void {
    const eventForm = isEventForm(args);
    if (this.size > 0 || this.#shutdown) {
      const item = this.#take();
      if (!eventForm) return resolvedNow(this.kernel, item);
      Wait.event<T | undefined>(this.kernel, 'Channel.get', this.#leaveGet, args[0], args[1], args.slice(2), this.get).settle(item);
      return;
    }
    if (eventForm) {
      this.#getters.push(Wait.event<T | undefined>(this.kernel, 'Channel.get', this.#leaveGet, args[0], args[1], args.slice(2), this.get));
      return;
    }
    const { wait, promise } = Wait.promise<T | undefined>(this.kernel, 'Channel.get', this.#leaveGet, args[0] as WaitOptions | undefined, this.get);
    if (wait.waiting) this.#getters.push(wait);
    return promise;
  }

  /** The oldest item (undefined if none), and a waiting put released when that makes room. */
  #take(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.#items.shift();
    // The first waiting put's item is at index size - putters: it may go once that is under maxsize - 1.
    while (this.#putters.length > 0 && this.size - this.#putters.length < this.maxsize - 1) this.#putters.shift()!.settle(undefined);
    return item;
  }

  /**
   * No more items will come: waiting `get`s (and later ones, once it is empty) get
   * `undefined`; `put` throws from now on. Items already in it can still be taken. Calling it
   * again does nothing. Coro: `$channel->shutdown`.
   */
  shutdown(): void {
    if (this.#shutdown) return;
    this.#shutdown = true;
    for (const getter of this.#getters.splice(0)) getter.settle(undefined);
  }

  /** `for await (const item of channel)`: every item until the channel is shut down and empty. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const item = await this.get();
      if (item === undefined && this.#shutdown && this.size === 0) return;
      yield item as T;
    }
  }
}
