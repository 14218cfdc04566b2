/**
 * kernel.interval's start time. AnyEvent counts a watcher's `after` from the loop's cached
 * time (`AnyEvent->now`), so watchers made one after another in one callback start together
 * and fire together at every common multiple of their periods; the column's timer example
 * (samples/anyevent-timers.ts) depends on it. Here the clock moves on at every reading, as a
 * real one does between two calls, so intervals that each read it would drift apart.
 */
import { expect, test } from 'vitest';
import { Kernel, Session, type Clock, type ClockTimer } from '../../src/index.js';

/** A clock that moves on by 1 ms at every reading. Timers fire at once: the test sets none that fire. */
class CreepingClock implements Clock {
  #t = 0;
  now(): number {
    return (this.#t += 0.001);
  }
  wall(mono: number = this.now()): number {
    return 1_000_000_000 + mono;
  }
  setTimer(fn: () => void): ClockTimer {
    return setTimeout(fn, 0);
  }
  clearTimer(timer: ClockTimer): void {
    clearTimeout(timer as NodeJS.Timeout);
  }
}

test('intervals made in one dispatch share their start; a later dispatch starts afresh', async () => {
  const kernel = new Kernel({ clock: new CreepingClock() });
  const due: Record<string, number> = {};
  const take = (k: Kernel) => {
    for (const [event, time] of k.alarmRemoveAll()) due[event] = time;
  };
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        ctx.kernel.interval('every_5', { after: 0, every: 5 });
        ctx.kernel.interval('every_2', { after: 0, every: 2 });
        ctx.kernel.interval('every_3', 3);
        take(ctx.kernel);
        ctx.kernel.yield('later');
      },
      later: (ctx) => {
        ctx.kernel.interval('later_1', { after: 1, every: 1 });
        ctx.kernel.interval('later_4', 4);
        take(ctx.kernel);
      },
    },
  });
  await kernel.run();
  expect(due.every_2).toBe(due.every_5);
  expect(due.every_3).toBe(due.every_5! + 3);
  expect(due.later_4).toBe(due.later_1! + 3);
  expect(due.later_1! - 1).toBeGreaterThan(due.every_5!);
});
