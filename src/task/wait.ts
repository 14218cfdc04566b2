import { PoeArgumentError, PoeWaitError, describe } from '../errors.js';
import { whereOf } from '../kernel/caller.js';
import type { Item } from '../kernel/events.js';
import type { Kernel } from '../kernel/kernel.js';
import { Phase, Session, type Owned } from '../session/session.js';

/**
 * What a wait that is over at once resolves with: one settled promise for all of them (a
 * `put` or `down` that does not wait makes no promise; `await` works on a shared one as well).
 */
export const RESOLVED: Promise<undefined> = Promise.resolve(undefined);

const NO_EXTRA: unknown[] = [];
const noop = (): void => undefined;

/** How long a promise-form wait may take, and a signal that cancels it. */
export interface WaitOptions {
  /** Seconds on the kernel's clock (a ManualClock too); then the promise rejects with `ERR_POE_WAIT_TIMEOUT`. */
  timeout?: number;
  /** Aborting rejects the promise with the signal's reason and leaves the queue. */
  signal?: AbortSignal;
}

/**
 * One waiter on a kernel primitive: a task or handler awaiting a promise, or a session that
 * is posted an event when its turn comes. While it waits it holds its session alive (and
 * names itself in `ps()` and stall reports); its turn is a queued event, so waiters wake in
 * the kernel's order. If its session is freed first, it leaves the primitive's queue.
 *
 * @internal The shared mechanism of Semaphore, Channel, CondVar and tasks.
 */
export class Wait<T> implements Owned {
  readonly kernel: Kernel;
  /** The waiting session; undefined for the program's main line. */
  readonly session: Session | undefined;
  readonly _holdName: string;
  readonly _holdCount = 1;
  /** Event form: the event posted at the turn, and the arguments after the value. */
  readonly #event: string | undefined;
  readonly #extra: unknown[];
  /** Event form: ARG1 is the error (undefined for a value), as CondVar's event form has it. */
  readonly #errorSlot: boolean;
  #resolve: ((value: T) => void) | undefined = undefined;
  /** Promise form: what `_turn` resolves with. */
  #value: T | undefined = undefined;
  #reject: ((err: unknown) => void) | undefined = undefined;
  readonly #leave: (w: Wait<T>) => void;
  #timer: Item | undefined = undefined;
  #signal: AbortSignal | undefined = undefined;
  #onAbort: (() => void) | undefined = undefined;
  /** Whether it still waits (its turn has not come, it was not cancelled). */
  waiting = true;
  /** The main line's wait came to an end (the kernel's run for it may pause). */
  #mainDone = false;
  /** Promise form: what the waiting code awaits. */
  readonly promise: Promise<T> | undefined;

  private constructor(kernel: Kernel, session: Session | undefined, name: string, event: string | undefined, extra: unknown[], leave: (w: Wait<T>) => void, errorSlot = false) {
    this.kernel = kernel;
    this.session = session;
    this._holdName = name;
    this.#event = event;
    this.#extra = extra;
    this.#leave = leave;
    this.#errorSlot = errorSlot;
    if (event === undefined) {
      this.promise = new Promise<T>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    } else this.promise = undefined;
  }

  /**
   * A promise-form wait for the code running now (a task, an async handler, or the main line).
   * `leave` takes it out of the primitive's queue when it ends early (timeout, abort, session
   * freed). Outside a running kernel, the main line's wait runs the kernel until it is over.
   */
  static promise<T>(kernel: Kernel, name: string, leave: (w: Wait<T>) => void, options: WaitOptions | undefined, skip: (...args: never[]) => unknown): { wait: Wait<T>; promise: Promise<T> } {
    const session = kernel._waiter();
    const wait = new Wait<T>(kernel, session, name, undefined, NO_EXTRA, leave);
    wait.#hold(skip);
    if (options !== undefined) wait.#limits(options);
    // Already over (an aborted signal): its code goes on before the next event, as after a wait.
    if (!wait.waiting) kernel._handoff();
    kernel._parked();
    const inner = wait.promise!;
    const promise = session === undefined ? kernel._runMain(name, () => wait.#mainDone, inner, (err) => wait.#fail(err, false)) : inner;
    return { wait, promise };
  }

  /** An event-form wait: `event` is posted to `session` (with the value first, then `extra`) at its turn. */
  static event<T>(
    kernel: Kernel,
    name: string,
    leave: (w: Wait<T>) => void,
    session: unknown,
    event: unknown,
    extra: unknown[],
    skip: (...args: never[]) => unknown,
    errorSlot = false,
  ): Wait<T> {
    if (!(session instanceof Session)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${name}: expected a session to post to, got ${describe(session)}`);
    }
    if (typeof event !== 'string' || event === '') {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_EVENT', `${name}: expected an event name, got ${describe(event)}`);
    }
    if (session._phase !== Phase.Running) {
      throw new PoeArgumentError('ERR_POE_KERNEL_NO_SESSION', `${name}: session ${session._id} has stopped`);
    }
    const wait = new Wait<T>(kernel, session, name, event, extra, leave, errorSlot);
    wait.#hold(skip);
    return wait;
  }

  #hold(skip: (...args: never[]) => unknown): void {
    const s = this.session;
    if (s === undefined) return;
    this.kernel._hold(s, 1);
    (s._owned ??= new Set()).add(this);
    if (this.kernel._callerInfo) s._where = whereOf(skip);
  }

  #release(): void {
    this.waiting = false;
    if (this.#timer !== undefined) {
      this.kernel._dropWake(this.#timer);
      this.#timer = undefined;
    }
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = undefined;
    }
    const s = this.session;
    if (s !== undefined && s._owned?.delete(this) === true) this.kernel._hold(s, -1);
  }

  #limits(options: WaitOptions): void {
    const { timeout, signal } = options;
    if (timeout !== undefined) {
      if (typeof timeout !== 'number' || !(timeout >= 0)) {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${this._holdName}: expected \`timeout\` to be a number of seconds >= 0, got ${describe(timeout)}`);
      }
      this.#timer = this.kernel._wakeAt(this.session, timeout, () => {
        this.#timer = undefined;
        if (!this.waiting) return;
        this.#leave(this);
        this.#release();
        this.#mainDone = true;
        this.#take(false)(new PoeWaitError('ERR_POE_WAIT_TIMEOUT', this._holdName, `${this._holdName} timed out after ${timeout} s`));
        this.kernel._handoff();
      });
    }
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#fail(signal.reason, false);
        return;
      }
      this.#signal = signal;
      this.#onAbort = () => this.#fail(signal.reason, true);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Ends the wait with an error now: it leaves the queue; the rejection reaches its code in the kernel's order. */
  #fail(err: unknown, queued: boolean): void {
    if (!this.waiting) return;
    this.#leave(this);
    this.#release();
    const reject = this.#take(false);
    if (!queued || this.session?._phase === Phase.Stopped) {
      this.#mainDone = true;
      reject(err);
      return;
    }
    this.kernel._wakeSoon(this.session, () => {
      this.#mainDone = true;
      reject(err);
      this.kernel._handoff();
    });
  }

  /**
   * Its turn: the promise resolves with `value` (or the event is posted with it) as a queued
   * event, after everything queued before. The primitive has already taken it off its queue.
   */
  settle(value: T): void {
    if (!this.waiting) return;
    this.#release();
    const event = this.#event;
    if (event !== undefined) {
      if (this.#errorSlot) this.kernel.post(this.session!, event, value, undefined, ...this.#extra);
      else this.kernel.post(this.session!, event, value, ...this.#extra);
      return;
    }
    this.#value = value;
    this.kernel._wakeSoon(this.session, this);
  }

  /** @internal The wake-up `settle` queued: the promise resolves and its code runs next (the handoff). */
  _turn(): void {
    const value = this.#value as T;
    this.#value = undefined;
    this.#mainDone = true;
    this.#take(true)(value);
    this.kernel._handoff();
  }

  /**
   * Its turn, within a dispatch to its own session (a task's `next`): the promise resolves now
   * and its code runs before the next event, with no extra hop through the queue.
   */
  settleNow(value: T): void {
    if (!this.waiting) return;
    this.#release();
    this.#value = value;
    this._turn();
  }

  /** The promise's resolve (or reject) for its one settling; later ones do nothing. */
  #take(ok: boolean): (value: unknown) => void {
    const f = (ok ? this.#resolve : this.#reject) as ((value: unknown) => void) | undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    return f ?? noop;
  }

  /**
   * Answers the promise at once, outside the queue, unless it has been answered: for a wait
   * the kernel can no longer deliver (its session was freed, or the kernel stopped), so that
   * what its code awaits still settles. It leaves the wait without telling its primitive.
   */
  answerNow(ok: boolean, value: unknown): void {
    if (this.waiting) this.#release();
    this.#mainDone = true;
    this.#take(ok)(value);
  }

  /** Its turn, with an error: the promise rejects; the event form (with an error slot) is posted `(undefined, err, ...extra)`. */
  reject(err: unknown): void {
    if (!this.waiting) return;
    const event = this.#event;
    if (event !== undefined) {
      this.#leave(this);
      this.#release();
      this.kernel.post(this.session!, event, undefined, err, ...this.#extra);
      return;
    }
    this.#fail(err, true);
  }

  /** Its session was freed while it waited: it leaves the queue, and nothing is delivered. */
  destroy(): void {
    if (!this.waiting) return;
    this.#leave(this);
    this.#release();
  }
}

/**
 * A promise-form wait that is over as it begins (a free unit, a kept item, a ready condvar):
 * the code awaiting it goes on before the next queued event, as it does after a wait, and
 * not only once the kernel's whole batch has run.
 */
export function resolvedNow<T>(kernel: Kernel, value: T): Promise<T> {
  kernel._handoff();
  return value === undefined ? (RESOLVED as Promise<T>) : Promise.resolve(value);
}

/** {@link resolvedNow} for a wait that fails as it begins (a croaked condvar). */
export function rejectedNow<T>(kernel: Kernel, err: unknown): Promise<T> {
  kernel._handoff();
  // What was given to croak(), whatever it is, is what the waiter gets.
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(err);
}

/** True for `(session, event, ...)` arguments: the event form of a wait. */
export function isEventForm(args: readonly unknown[]): boolean {
  return args.length > 0 && args[0] instanceof Session;
}

/** Takes `wait` out of a primitive's list of waiters, if it is there: the `leave` of most waits. */
export function dropFrom<W>(list: W[], wait: W): void {
  const i = list.indexOf(wait);
  if (i >= 0) list.splice(i, 1);
}
