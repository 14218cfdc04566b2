import { PoeArgumentError, describe } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import type { Session } from '../session/session.js';
import { Wait, type WaitOptions, dropFrom, isEventForm, rejectedNow, resolvedNow } from './wait.js';

/** Options of `new CondVar(options)`. */
export interface CondVarOptions<T> {
  /** Called (as a queued event, in the kernel's order) each time it becomes ready: `cv.cb(fn)`. */
  cb?: (cv: CondVar<T>) => void;
  /** The kernel whose queue wakes its waiters. @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
}

/**
 * AnyEvent's condition variable: false until `send(value)` (or `croak(error)`) makes it
 * ready; `recv()` waits for that and gives the value (or throws the error). `begin()`/`end()`
 * count outstanding work: when `end()` brings the count to 0 the group callback (the last one
 * given to `begin`) runs, or `send()` if there is none. Waiters and callbacks run through the
 * kernel's queue, in the order they began to wait; a waiting session is kept alive.
 *
 * From the program's main line with the kernel not running, `recv()` runs the kernel until
 * the condvar is ready, as AnyEvent's `recv` runs the event loop.
 *
 * `send` again after it is ready replaces the value later `recv`s get, as AnyEvent's does;
 * waiters already woken keep the first.
 *
 * AnyEvent: `AnyEvent->condvar` / `AE::cv`.
 */
export class CondVar<T = unknown> {
  readonly kernel: Kernel;
  #ready = false;
  #value: T | undefined = undefined;
  #error: unknown = undefined;
  #croaked = false;
  #counter = 0;
  #group: ((cv: CondVar<T>) => void) | undefined = undefined;
  #cb: ((cv: CondVar<T>) => void) | undefined;
  readonly #waiters: Wait<T>[] = [];
  readonly #leave = (w: Wait<T>): void => dropFrom(this.#waiters, w);

  constructor(options: CondVarOptions<T> = {}) {
    if (options.cb !== undefined && typeof options.cb !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`cb\` to be a function, got ${describe(options.cb)}`);
    }
    this.kernel = options.kernel ?? Kernel.current();
    this.#cb = options.cb;
  }

  /** `send` or `croak` was called. AnyEvent: `$cv->ready`. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The `begin`/`end` counter. */
  get pending(): number {
    return this.#counter;
  }

  /** Makes it ready with `value`: every waiter wakes with it, in order. AnyEvent: `$cv->send`. */
  send(value?: T): void {
    this.#settle(false, value, undefined);
  }

  /** Makes it ready with an error: every `recv` rejects with it. AnyEvent: `$cv->croak`. */
  croak(error: unknown): void {
    this.#settle(true, undefined, error);
  }

  #settle(croaked: boolean, value: T | undefined, error: unknown): void {
    this.#ready = true;
    this.#croaked = croaked;
    this.#value = value;
    this.#error = error;
    for (const w of this.#waiters.splice(0)) {
      if (croaked) w.reject(error);
      else w.settle(value as T);
    }
    const cb = this.#cb;
    if (cb !== undefined) this.kernel._wakeSoon(this.kernel._waiter(), () => cb(this));
  }

  /**
   * Waits until it is ready; resolves with the sent value or rejects with the croaked error.
   * Event form `recv(session, event, ...args)`: posts `event` with `(value, error, ...args)`.
   * AnyEvent: `$cv->recv`.
   */
  recv(options?: WaitOptions): Promise<T>;
  recv(session: Session, event: string, ...args: unknown[]): void;
  recv(...args: unknown[]): Promise<T> | void {
    if (isEventForm(args)) {
      const wait = Wait.event<T>(this.kernel, 'CondVar.recv', this.#leave, args[0], args[1], args.slice(2), this.recv, true);
      if (!this.#ready) this.#waiters.push(wait);
      else if (this.#croaked) wait.reject(this.#error);
      else wait.settle(this.#value as T);
      return;
    }
    if (this.#ready) return this.#croaked ? rejectedNow(this.kernel, this.#error) : resolvedNow(this.kernel, this.#value as T);
    const { wait, promise } = Wait.promise<T>(this.kernel, 'CondVar.recv', this.#leave, args[0] as WaitOptions | undefined, this.recv);
    if (wait.waiting) this.#waiters.push(wait);
    return promise;
  }

  /** AnyEvent's other name for `recv`. */
  wait(options?: WaitOptions): Promise<T> {
    return this.recv(options);
  }

  /**
   * Sets the callback run (as a queued event) when it becomes ready, or at once (queued) if it
   * is; returns the previous one. AnyEvent: `$cv->cb`.
   */
  cb(fn: (cv: CondVar<T>) => void): ((cv: CondVar<T>) => void) | undefined {
    if (typeof fn !== 'function') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a callback function, got ${describe(fn)}`);
    const previous = this.#cb;
    this.#cb = fn;
    if (this.#ready) this.kernel._wakeSoon(this.kernel._waiter(), () => fn(this));
    return previous;
  }

  /** One more piece of outstanding work; `group` (if given) replaces the group callback. AnyEvent: `$cv->begin`. */
  begin(group?: (cv: CondVar<T>) => void): void {
    if (group !== undefined && typeof group !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a group callback function, got ${describe(group)}`);
    }
    this.#counter++;
    if (group !== undefined) this.#group = group;
  }

  /**
   * One piece of work done; at 0 the group callback runs now (or `send()`). An `end` without
   * its `begin` throws. AnyEvent: `$cv->end`.
   */
  end(): void {
    if (this.#counter === 0) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'CondVar.end without a matching begin()');
    if (--this.#counter > 0) return;
    const group = this.#group;
    if (group !== undefined) group(this);
    else this.send();
  }
}
