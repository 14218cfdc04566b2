import type { AlarmId, Kernel } from './kernel.js';

/**
 * What the kernel's handles share: the id the kernel gave, `remove()`, and disposal (the end of
 * a `using` block) that removes. Not in POE, whose timers and watchers are ids only.
 */
abstract class KernelHandle<Id> {
  /** @internal */
  protected readonly kernel: Kernel;
  /** The id, usable with the kernel's own calls for it. */
  readonly id: Id;

  /** @internal Made by `kernel.timer()`, `kernel.interval()` or `kernel.idle()`. */
  constructor(kernel: Kernel, id: Id) {
    this.kernel = kernel;
    this.id = id;
  }

  /** Removes it if it is still there; true if it was. Any session may call it. */
  abstract remove(): boolean;

  /** Removes it, as `remove()` does. */
  [Symbol.dispose](): void {
    this.remove();
  }
}

/**
 * A timer as an object, for `using` (not in POE, whose timers are ids): `kernel.timer(event,
 * seconds, ...args)` sets a `delay_set` timer and returns this handle; disposing of it (the end
 * of a `using` block, or `remove()`) removes the timer if it has not fired yet. The id works with
 * the kernel's `alarm_*` calls as any other.
 */
export class TimerHandle extends KernelHandle<AlarmId> {
  /** The timer has not fired nor been removed yet. */
  get pending(): boolean {
    return this.kernel._timerPending(this.id);
  }

  /** Removes the timer if it is still pending; true if it was. Any session may call it. */
  remove(): boolean {
    return this.kernel._dropTimer(this.id);
  }
}

/**
 * An idle watcher as an object (`kernel.idle(event)`): disposing of it (`using`, `remove()`)
 * removes the watcher. The id works with `kernel.idleRemove` too.
 */
export class IdleHandle extends KernelHandle<number> {
  /** Removes the watcher; true if it was still there. Any session may call it. */
  remove(): boolean {
    return this.kernel.idleRemove(this.id);
  }
}
