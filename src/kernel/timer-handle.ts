import type { AlarmId, Kernel } from './kernel.js';

/**
 * A timer as an object, for `using` (not in POE, whose timers are ids): `kernel.timer(event,
 * seconds, ...args)` sets a `delay_set` timer and returns this handle; disposing of it (the end
 * of a `using` block, or `remove()`) removes the timer if it has not fired yet. The id works with
 * the kernel's `alarm_*` calls as any other.
 */
export class TimerHandle {
  readonly #kernel: Kernel;
  /** The timer's id, as `delaySet` returns it. */
  readonly id: AlarmId;

  /** @internal Made by `kernel.timer()`. */
  constructor(kernel: Kernel, id: AlarmId) {
    this.#kernel = kernel;
    this.id = id;
  }

  /** The timer has not fired nor been removed yet. */
  get pending(): boolean {
    return this.#kernel._timerPending(this.id);
  }

  /** Removes the timer if it is still pending; true if it was. Any session may call it. */
  remove(): boolean {
    return this.#kernel._dropTimer(this.id);
  }

  /** Removes the timer if it is still pending. */
  [Symbol.dispose](): void {
    this.remove();
  }
}

/**
 * An idle watcher as an object (`kernel.idle(event)`): disposing of it (`using`, `remove()`)
 * removes the watcher. The id works with `kernel.idleRemove` too.
 */
export class IdleHandle {
  readonly #kernel: Kernel;
  /** The watcher's id. */
  readonly id: number;

  /** @internal Made by `kernel.idle()`. */
  constructor(kernel: Kernel, id: number) {
    this.#kernel = kernel;
    this.id = id;
  }

  /** Removes the watcher; true if it was still there. Any session may call it. */
  remove(): boolean {
    return this.#kernel.idleRemove(this.id);
  }

  /** Removes the watcher. */
  [Symbol.dispose](): void {
    this.remove();
  }
}
