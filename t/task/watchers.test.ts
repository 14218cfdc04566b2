/**
 * `kernel.interval` and `kernel.idle` (issue 11): exact firing times on a manual clock,
 * `{ after, every }`, no drift, order of intervals due together, removal (handle, alarmRemove,
 * idleRemove, `using`), and the session they keep alive.
 */
import { describe, expect, test } from 'vitest';
import { Session, type IdleHandle, type TimerHandle } from '../../src/index.js';
import { makeKernel } from '../kit/index.js';

describe('interval', () => {
  test('fires every `every` seconds exactly, with its args, until the handle removes it from the handler', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const start = clock.now();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.heap.n = 0;
          ctx.heap.h = ctx.kernel.interval('tick', 2, 'a', 'b');
        },
        tick: (ctx, a, b) => {
          const n = ((ctx.heap.n as number) += 1);
          say(`tick ${n} at ${clock.now() - start} (${String(a)}, ${String(b)})`);
          if (n === 3) say(`remove -> ${(ctx.heap.h as TimerHandle).remove()}, pending ${(ctx.heap.h as TimerHandle).pending}`);
        },
        _stop: () => say(`_stop at ${clock.now() - start}`),
      },
    });
    await run();
    expect(log).toEqual(['tick 1 at 2 (a, b)', 'tick 2 at 4 (a, b)', 'tick 3 at 6 (a, b)', 'remove -> true, pending false', '_stop at 6']);
  });

  test('{ after, every }: the first firing after `after`, then every `every`; alarmRemove(id) removes it', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const start = clock.now();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.heap.n = 0;
          ctx.heap.id = ctx.kernel.interval('tick', { after: 0.5, every: 2 })!.id;
        },
        tick: (ctx) => {
          const n = ((ctx.heap.n as number) += 1);
          say(`tick ${n} at ${clock.now() - start}`);
          if (n === 3) say(`alarmRemove -> ${JSON.stringify(ctx.kernel.alarmRemove(ctx.heap.id as number)?.slice(0, 1))}`);
        },
        _stop: () => say(`_stop at ${clock.now() - start}`),
      },
    });
    await run();
    expect(log).toEqual(['tick 1 at 0.5', 'tick 2 at 2.5', 'tick 3 at 4.5', 'alarmRemove -> ["tick"]', '_stop at 4.5']);
  });

  test('no drift: a handler that takes time does not push the next firings later', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const start = clock.now();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.heap.n = 0;
          ctx.heap.h = ctx.kernel.interval('tick', 1);
        },
        tick: (ctx) => {
          const n = ((ctx.heap.n as number) += 1);
          say(`tick ${n} at ${clock.now() - start}`);
          // The handler's work takes 0.25 s of the clock's time.
          clock.advance(0.25);
          if (n === 4) (ctx.heap.h as TimerHandle).remove();
        },
      },
    });
    await run();
    expect(log).toEqual(['tick 1 at 1', 'tick 2 at 2', 'tick 3 at 3', 'tick 4 at 4']);
  });

  test('two intervals due at the same time fire in the order they were made', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const start = clock.now();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.heap.a = ctx.kernel.interval('tick', 2, 'a');
          ctx.heap.b = ctx.kernel.interval('tick', 3, 'b');
          ctx.kernel.delay('end', 12.5);
        },
        tick: (_ctx, which) => say(`${String(which)} ${clock.now() - start}`),
        end: (ctx) => {
          (ctx.heap.a as TimerHandle).remove();
          (ctx.heap.b as TimerHandle).remove();
        },
      },
    });
    await run();
    expect(log).toEqual(['a 2', 'b 3', 'a 4', 'a 6', 'b 6', 'a 8', 'b 9', 'a 10', 'a 12', 'b 12']);
  });

  test('`using` removes it when the block ends; while it runs it keeps its session alive', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const start = clock.now();
    const s = Session.create({
      kernel,
      inlineStates: {
        _start: async (ctx) => {
          {
            using h = ctx.kernel.interval('tick', 1)!;
            say(`made, pending ${h.pending}`);
          }
          const kept = ctx.kernel.interval('tick', 1)!;
          ctx.heap.kept = kept;
          await Promise.resolve();
        },
        tick: (ctx) => {
          const row = kernel.ps().find((p) => p.id === s.ID)!;
          say(`tick at ${clock.now() - start}; alive because ${row.aliveBecause.join('; ')}`);
          (ctx.heap.kept as TimerHandle).remove();
        },
        _stop: () => say(`_stop at ${clock.now() - start}`),
      },
    })!;
    await run();
    expect(log).toEqual(['made, pending true', 'tick at 1; alive because 1 event(s) queued to it', '_stop at 1']);
  });

  test('bad periods are ERR_POE_KERNEL_BAD_TIME', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          for (const every of [0, -1, Infinity, Number.NaN, { after: 1 }, null]) {
            try {
              ctx.kernel.interval('tick', every as number);
              say('no throw');
            } catch (err) {
              say((err as { code: string }).code);
            }
          }
        },
      },
    });
    await run();
    expect(log).toEqual(Array(6).fill('ERR_POE_KERNEL_BAD_TIME'));
  });
});

describe('idle', () => {
  test('fires only when nothing is queued and no timer is due, again and again, before a later timer; removal ends it', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const start = clock.now();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.heap.n = 0;
          ctx.heap.h = ctx.kernel.idle('idle', 'x');
          ctx.kernel.yield('a');
          ctx.kernel.delay('due', 0);
          ctx.kernel.delay('later', 1);
        },
        a: (ctx) => {
          say('a');
          ctx.kernel.yield('b');
        },
        b: () => say('b'),
        due: () => say('due timer'),
        idle: (ctx, arg) => {
          const n = ((ctx.heap.n as number) += 1);
          say(`idle ${n} (${String(arg)}) at ${clock.now() - start}`);
          if (n === 2) ctx.kernel.yield('busy');
          if (n === 3) say(`remove -> ${(ctx.heap.h as IdleHandle).remove()} again -> ${(ctx.heap.h as IdleHandle).remove()}`);
        },
        busy: () => say('busy'),
        later: () => say(`later at ${clock.now() - start}`),
      },
    });
    await run();
    expect(log).toEqual(['a', 'due timer', 'b', 'idle 1 (x) at 0', 'idle 2 (x) at 0', 'busy', 'idle 3 (x) at 0', 'remove -> true again -> false', 'later at 1']);
  });

  test('it holds its session until idleRemove(id); `using` removes it at the end of the block, unfired', async () => {
    const { kernel, log, say, run } = makeKernel();
    const s = Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          {
            using gone = ctx.kernel.idle('never')!;
            void gone;
          }
          ctx.heap.id = ctx.kernel.idle('idle')!.id;
        },
        never: () => say('ERROR: a removed idle watcher fired'),
        idle: (ctx) => {
          const row = kernel.ps().find((p) => p.id === s.ID)!;
          say(`idle; alive because ${row.aliveBecause.join('; ')}`);
          say(`idleRemove -> ${ctx.kernel.idleRemove(ctx.heap.id as number)}`);
        },
        _stop: () => say('_stop'),
      },
    })!;
    await run();
    expect(log).toEqual(['idle; alive because held by idle(idle)', 'idleRemove -> true', '_stop']);
  });

  test('two idle watchers fire in the order they were made, each time the kernel is idle', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.heap.n = 0;
          ctx.heap.a = ctx.kernel.idle('idle', 'a');
          ctx.heap.b = ctx.kernel.idle('idle', 'b');
        },
        idle: (ctx, which) => {
          say(`idle ${String(which)}`);
          if (((ctx.heap.n as number) += 1) === 4) {
            (ctx.heap.a as IdleHandle).remove();
            (ctx.heap.b as IdleHandle).remove();
          }
        },
      },
    });
    await run();
    expect(log).toEqual(['idle a', 'idle b', 'idle a', 'idle b']);
  });
});
