import { performance } from 'node:perf_hooks';
import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';

/** A timer registered with a clock; opaque to the kernel. */
export type ClockTimer = object;

/**
 * The kernel's only view of time. Times are seconds, as in POE: `now()` is monotonic,
 * `wall()` is the epoch time matching it. Only clocks touch `setTimeout`.
 */
export interface Clock {
  /** Monotonic seconds; never goes back. */
  now(): number;
  /** Epoch seconds for the monotonic time `mono` (default: now). */
  wall(mono?: number): number;
  /** Calls `fn` once, `seconds` from now. */
  setTimer(fn: () => void, seconds: number): ClockTimer;
  clearTimer(timer: ClockTimer): void;
}

/** The real clock: `performance.now()` and one `setTimeout` at a time. */
export class SystemClock implements Clock {
  readonly #origin = performance.timeOrigin / 1000;
  now(): number {
    return performance.now() / 1000;
  }
  wall(mono: number = this.now()): number {
    return this.#origin + mono;
  }
  setTimer(fn: () => void, seconds: number): ClockTimer {
    return setTimeout(fn, Math.max(0, seconds * 1000));
  }
  clearTimer(timer: ClockTimer): void {
    clearTimeout(timer as NodeJS.Timeout);
  }
}

export interface ManualClockOptions {
  /**
   * When the kernel waits only for timers, jump straight to the next one (from a
   * `setImmediate`), so a program with timers runs to completion instantly and exactly.
   * @default false
   */
  autoAdvance?: boolean;
  /** Epoch seconds at monotonic time 0. @default 1_000_000_000 */
  epoch?: number;
}

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
  cleared: boolean;
}

/**
 * A clock for tests: time moves only when told (`advance`), or, with `autoAdvance`, jumps to
 * the next timer whenever the kernel is waiting for one. No global fake timers needed.
 */
export class ManualClock implements Clock {
  readonly autoAdvance: boolean;
  readonly epoch: number;
  #now = 0;
  #seq = 0;
  #timers: ManualTimer[] = [];
  #jumpScheduled = false;

  constructor(options: ManualClockOptions = {}) {
    rejectUnknownKeys('ManualClock', options, ['autoAdvance', 'epoch']);
    this.autoAdvance = options.autoAdvance ?? false;
    this.epoch = options.epoch ?? 1_000_000_000;
  }

  now(): number {
    return this.#now;
  }
  wall(mono: number = this.#now): number {
    return this.epoch + mono;
  }
  setTimer(fn: () => void, seconds: number): ClockTimer {
    const timer: ManualTimer = { due: this.#now + Math.max(0, seconds), seq: this.#seq++, fn, cleared: false };
    this.#timers.push(timer);
    if (this.autoAdvance && !this.#jumpScheduled) {
      this.#jumpScheduled = true;
      setImmediate(() => {
        this.#jumpScheduled = false;
        const next = this.#next();
        if (next) this.advanceTo(next.due);
      });
    }
    return timer;
  }
  clearTimer(timer: ClockTimer): void {
    const t = timer as ManualTimer;
    t.cleared = true;
    this.#timers = this.#timers.filter((x) => x !== t);
  }
  /** Moves time forward by `seconds`, firing every timer that falls due, in order. */
  advance(seconds: number): void {
    if (!(typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0)) {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_TIME', `Expected \`seconds\` to be a finite number >= 0, got ${describe(seconds)}`);
    }
    this.advanceTo(this.#now + seconds);
  }
  /** Moves time forward to `mono` (never back), firing due timers in order. */
  advanceTo(mono: number): void {
    for (;;) {
      const next = this.#next();
      if (!next || next.due > mono) break;
      this.#timers = this.#timers.filter((x) => x !== next);
      if (next.due > this.#now) this.#now = next.due;
      next.fn();
    }
    if (mono > this.#now) this.#now = mono;
  }
  /** Number of timers waiting. */
  get pending(): number {
    return this.#timers.length;
  }
  #next(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    return best;
  }
}
