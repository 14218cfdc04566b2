import { PoeArgumentError, PoeError, describe } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import type { Session } from '../session/session.js';
import { Wait, type WaitOptions, dropFrom, isEventForm, resolvedNow } from './wait.js';

/** Options of `new Semaphore(count, options)`. */
export interface SemaphoreOptions {
  /**
   * The most the count may reach: `up()` beyond it throws `ERR_POE_SEMAPHORE_OVERFLOW`. 1 makes
   * a binary semaphore. @default Infinity (Coro's counting semaphore: `up` always adds one)
   */
  max?: number;
  /** The kernel whose queue wakes its waiters. @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
}

/** What `guard()` resolves with: `using g = await sem.guard()` gives the unit back at the end of the block. */
export interface SemaphoreGuard extends Disposable {
  /** Gives the unit back (once; later calls do nothing). */
  release(): void;
}

/**
 * A counting semaphore (Coro::Semaphore) whose waiters wake through the kernel's queue, in
 * the order they began to wait. `down()` takes a unit or waits for one: as a promise (tasks,
 * async handlers, the main line) or, given `(session, event, ...args)`, by posting `event` to
 * the session when it has the unit. A waiting session is kept alive, and `ps()` shows what it
 * waits on. `up()` hands the unit straight to the first waiter, so no `tryDown` can take it
 * between the `up` and the waiter's turn.
 *
 * Coro: `Coro::Semaphore`.
 */
export class Semaphore {
  readonly kernel: Kernel;
  #count: number;
  readonly #max: number;
  readonly #waiters: Wait<undefined>[] = [];
  readonly #leave = (w: Wait<undefined>): void => dropFrom(this.#waiters, w);

  constructor(count = 1, options: SemaphoreOptions = {}) {
    if (!Number.isInteger(count) || count < 0) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the semaphore's count to be an integer >= 0, got ${describe(count)}`);
    }
    const max = options.max ?? Infinity;
    if (max !== Infinity && (!Number.isInteger(max) || max < 1)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`max\` to be an integer >= 1, got ${describe(max)}`);
    }
    if (count > max) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `The semaphore's count (${count}) is over its \`max\` (${max})`);
    }
    this.kernel = options.kernel ?? Kernel.current();
    this.#count = count;
    this.#max = max;
  }

  /** Units free now. Coro: `$sem->count`. */
  get count(): number {
    return this.#count;
  }

  /** How many wait for a unit. Coro: `$sem->waiters`. */
  get waiters(): number {
    return this.#waiters.length;
  }

  /**
   * Takes a unit, waiting for one if none is free. Promise form: resolves when it has one
   * (at once, without ceding, if one is free). Event form `down(session, event, ...args)`:
   * posts `event` with `(undefined, ...args)` to `session` when it has one. Coro: `$sem->down`.
   */
  down(options?: WaitOptions): Promise<void>;
  down(session: Session, event: string, ...args: unknown[]): void;
  down(...args: unknown[]): Promise<void> | void {
    if (isEventForm(args)) {
      const wait = Wait.event<undefined>(this.kernel, 'Semaphore.down', this.#leave, args[0], args[1], args.slice(2), this.down);
      if (this.#count > 0 && this.#waiters.length === 0) {
        this.#count--;
        wait.settle(undefined);
      } else this.#waiters.push(wait);
      return;
    }
    if (this.#count > 0 && this.#waiters.length === 0) {
      this.#count--;
      return resolvedNow(this.kernel, undefined);
    }
    const { wait, promise } = Wait.promise<undefined>(this.kernel, 'Semaphore.down', this.#leave, args[0] as WaitOptions | undefined, this.down);
    if (wait.waiting) this.#waiters.push(wait);
    return promise;
  }

  /** Takes a unit if one is free now and nobody waits before it; never waits. Coro: `$sem->try`. */
  tryDown(): boolean {
    if (this.#count > 0 && this.#waiters.length === 0) {
      this.#count--;
      return true;
    }
    return false;
  }

  /**
   * Gives a unit back: to the first waiter if there is one, else to the count. Beyond `max`
   * it throws `ERR_POE_SEMAPHORE_OVERFLOW` (a counting semaphore has no max). Coro: `$sem->up`.
   */
  up(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) {
      next.settle(undefined);
      return;
    }
    if (this.#count >= this.#max) {
      throw new PoeError('ERR_POE_SEMAPHORE_OVERFLOW', `Semaphore.up: the count is already at its max (${this.#max}); up() was called more often than down()`);
    }
    this.#count++;
  }

  /**
   * Takes a unit (waiting as `down` does) and resolves with a guard that gives it back when
   * disposed: `using guard = await sem.guard();`. Coro: `$sem->guard`.
   */
  async guard(options?: WaitOptions): Promise<SemaphoreGuard> {
    await this.down(options);
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.up();
    };
    return { release, [Symbol.dispose]: release };
  }
}
