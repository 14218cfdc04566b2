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
