/**
 * Semaphore (issue 11): both forms, FIFO wake order, the direct hand-off on `up`, `max`,
 * `guard` with `using`, timeout and AbortSignal, and a waiting session held alive, freed, or
 * stopped while it waits.
 */
import { describe, expect, test } from 'vitest';
import type { PoeError} from '../../src/index.js';
import { Semaphore, Session, task, type Context } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

describe('down and up', () => {
  test('promise form: three waiters wake in the order they waited; up hands the unit over, so tryDown cannot take it', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    for (const name of ['a', 'b', 'c']) {
      task(
        async () => {
          say(`${name} waits`);
          await sem.down();
          say(`${name} has it`);
        },
        { kernel },
      );
    }
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('up'),
        up: () => {
          say(`count ${sem.count} waiters ${sem.waiters}`);
          sem.up();
          say(`after up: count ${sem.count} waiters ${sem.waiters} tryDown ${sem.tryDown()}`);
          sem.up();
          sem.up();
          sem.up();
          say(`after 3 more: count ${sem.count} waiters ${sem.waiters} tryDown ${sem.tryDown()} ${sem.tryDown()}`);
        },
      },
    });
    await run();
    expect(log).toEqual([
      'a waits',
      'b waits',
      'c waits',
      'count 0 waiters 3',
      'after up: count 0 waiters 2 tryDown false',
      'after 3 more: count 1 waiters 0 tryDown true false',
      'a has it',
      'b has it',
      'c has it',
    ]);
  });

  test('a free unit is taken at once, without ceding; a later down waits behind the queue even if up runs in between', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(2, { kernel });
    task(
      async () => {
        kernel.post(kernel.aliasResolve('other') as Session, 'ev');
        await sem.down();
        await sem.down();
        say(`two units taken before any other event ran, count ${sem.count}`);
        await sem.down();
        say('third unit');
      },
      { kernel },
    );
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.aliasSet('other'),
        ev: (ctx) => {
          say(`ev: waiters ${sem.waiters}`);
          sem.up();
          ctx.kernel.aliasRemove('other');
        },
      },
    });
    await run();
    expect(log).toEqual(['two units taken before any other event ran, count 0', 'ev: waiters 1', 'third unit']);
  });

  test('event form: the session is posted `(undefined, ...args)` when it has the unit, in the order the sessions waited', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(1, { kernel });
    for (const name of ['a', 'b', 'c']) {
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => {
            sem.down(ctx.session, 'got', name, 42);
            say(`${name} asked, count ${sem.count} waiters ${sem.waiters}`);
          },
          got: (ctx, value, who, n) => {
            say(`${id(ctx.session)} got (${String(value)}, ${String(who)}, ${String(n)})`);
            sem.up();
          },
        },
      });
    }
    await run();
    expect(log).toEqual([
      'a asked, count 0 waiters 0',
      'b asked, count 0 waiters 1',
      'c asked, count 0 waiters 2',
      'S1 got (undefined, a, 42)',
      'S2 got (undefined, b, 42)',
      'S3 got (undefined, c, 42)',
    ]);
    expect(sem.count).toBe(1);
  });

  test('event form checks its session and event', () => {
    const { kernel } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    const code = (fn: () => unknown): string => {
      try {
        fn();
        return 'no throw';
      } catch (err) {
        return (err as PoeError).code;
      }
    };
    const s = Session.create({ kernel, inlineStates: { _start: () => {} } })!;
    expect([code(() => sem.down(s, '')), code(() => sem.down(s, 5 as unknown as string))]).toEqual(['ERR_POE_KERNEL_BAD_EVENT', 'ERR_POE_KERNEL_BAD_EVENT']);
    expect(sem.waiters).toBe(0);
    kernel.stop();
  });
});

describe('max and overflow', () => {
  test('up beyond max throws ERR_POE_SEMAPHORE_OVERFLOW and leaves the count; with waiters up hands over instead', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(1, { kernel, max: 1 });
    const tryUp = (): string => {
      try {
        sem.up();
        return `up ok, count ${sem.count}`;
      } catch (err) {
        return `${(err as PoeError).code}, count ${sem.count}`;
      }
    };
    say(tryUp());
    task(
      async () => {
        await sem.down();
        say('task took the unit');
        await sem.down();
        say('task took it again');
      },
      { kernel },
    );
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('up'),
        up: () => {
          say(`waiters ${sem.waiters}: ${tryUp()}`);
          say(`no waiters: ${tryUp()}`);
          say(`again: ${tryUp()}`);
        },
      },
    });
    await run();
    expect(log).toEqual(['ERR_POE_SEMAPHORE_OVERFLOW, count 1', 'task took the unit', 'waiters 1: up ok, count 0', 'no waiters: up ok, count 1', 'again: ERR_POE_SEMAPHORE_OVERFLOW, count 1', 'task took it again']);
  });

  test('a counting semaphore has no max: up always adds one', () => {
    const { kernel } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    for (let i = 0; i < 5; i++) sem.up();
    expect(sem.count).toBe(5);
  });

  test('bad counts and max are ERR_POE_INVALID_ARGUMENT', () => {
    const { kernel } = makeKernel();
    for (const [count, max] of [
      [-1, undefined],
      [1.5, undefined],
      [2, 1],
      [0, 0],
    ] as const) {
      expect(() => new Semaphore(count, { kernel, ...(max !== undefined ? { max } : {}) })).toThrow(expect.objectContaining({ code: 'ERR_POE_INVALID_ARGUMENT' }));
    }
  });
});

describe('guard', () => {
  test('`using g = await sem.guard()` gives the unit back when the block ends, to the next waiter; release is once only', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(1, { kernel });
    task(
      async (t) => {
        {
          using g = await sem.guard();
          say(`a holds it, count ${sem.count}`);
          await t.cede();
          say(`a leaves the block, waiters ${sem.waiters}`);
          void g;
        }
        say(`a left, count ${sem.count} waiters ${sem.waiters}`);
      },
      { kernel },
    );
    task(
      async () => {
        say('b waits');
        const g = await sem.guard();
        say(`b holds it, count ${sem.count}`);
        g.release();
        g.release();
        g[Symbol.dispose]();
        say(`b released thrice, count ${sem.count}`);
      },
      { kernel },
    );
    await run();
    expect(log).toEqual([
      'a holds it, count 0',
      'b waits',
      'a leaves the block, waiters 1',
      'a left, count 0 waiters 0',
      'b holds it, count 0',
      'b released thrice, count 1',
    ]);
  });
});

describe('timeout and AbortSignal', () => {
  test('a waiter that times out leaves the queue at exactly its time; a later up goes to the next waiter', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    const start = clock.now();
    const at = () => clock.now() - start;
    const waiter = (name: string, timeout?: number) =>
      task(
        async () => {
          try {
            await sem.down(timeout === undefined ? undefined : { timeout });
            say(`${name} has it at ${at()}`);
          } catch (err) {
            say(`${name}: ${(err as PoeError).code} at ${at()}, waiters ${sem.waiters}`);
          }
        },
        { kernel },
      );
    waiter('a', 1.5);
    waiter('b');
    waiter('c', 10);
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.delayAdd('up', 2);
          ctx.kernel.delayAdd('up', 3);
        },
        up: () => {
          say(`up at ${at()}`);
          sem.up();
        },
      },
    });
    await run();
    expect(log).toEqual(['a: ERR_POE_WAIT_TIMEOUT at 1.5, waiters 2', 'up at 2', 'b has it at 2', 'up at 3', 'c has it at 3']);
    expect(sem.count).toBe(0);
  });

  test('aborting a waiter rejects it with the reason and leaves the queue; an aborted signal rejects at once', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    const ac = new AbortController();
    const waiter = (name: string, signal?: AbortSignal) =>
      task(
        async () => {
          try {
            await sem.down(signal === undefined ? undefined : { signal });
            say(`${name} has it`);
          } catch (err) {
            say(`${name} rejected: ${String(err)}, waiters ${sem.waiters}`);
          }
        },
        { kernel },
      );
    waiter('a', ac.signal);
    waiter('b');
    waiter('pre', AbortSignal.abort('too late'));
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('go'),
        go: (ctx) => {
          ac.abort('changed my mind');
          say(`aborted: waiters ${sem.waiters}`);
          sem.up();
          ctx.kernel.yield('after');
        },
        after: () => say('after'),
      },
    });
    await run();
    expect(log).toEqual([
      'pre rejected: too late, waiters 2',
      'aborted: waiters 1',
      'a rejected: changed my mind, waiters 0',
      'b has it',
      'after',
    ]);
    expect(sem.count).toBe(0);
  });
});

describe('a waiting session', () => {
  test('is kept alive while it waits (ps shows what on) and freed when the wait ends', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    const waiter = Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => sem.down(ctx.session, 'got'),
        got: () => say('waiter got it'),
        _stop: () => say('waiter _stop'),
      },
    })!;
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('look', 5),
        look: () => {
          const r = kernel.ps().find((p) => p.id === waiter.ID)!;
          say(`waiter ${r.state} on ${r.waitingOn.join(',')}, alive because ${r.aliveBecause.join('; ')}`);
          sem.up();
        },
      },
    });
    await run();
    expect(log).toEqual(['waiter waiting on Semaphore.down, alive because held by Semaphore.down', 'waiter got it', 'waiter _stop']);
  });

  test('stopped by a signal while it waits, it leaves the queue and the unit goes to the next waiter', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    const waiter = (name: string) =>
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => sem.down(ctx.session, 'got'),
          got: (ctx: Context) => say(`${name} ${id(ctx.session)} got it`),
          _stop: () => say(`${name} _stop`),
        },
      })!;
    const first = waiter('first');
    waiter('second');
    const t = task(
      async () => {
        await sem.down();
        say('ERROR: the stopped task got it');
      },
      { kernel, inlineStates: { _stop: () => say('task _stop') } },
    );
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('kill', 1),
        kill: (ctx) => {
          ctx.kernel.signal(first, 'TERM');
          ctx.kernel.signal(t.session, 'TERM');
          ctx.kernel.yield('up');
        },
        up: () => {
          say(`waiters ${sem.waiters}`);
          sem.up();
          say(`count ${sem.count}`);
        },
      },
    });
    await run();
    expect(log).toEqual(['first _stop', 'task _stop', 'waiters 1', 'count 0', 'second S2 got it', 'second _stop']);
  });
});
