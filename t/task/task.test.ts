/**
 * Tasks (issue 11): a session whose body is an async function. When it starts, how `cede`
 * interleaves tasks with queued events, `next(event)`, `join()`, a throw as DIE, what `ps()`
 * says about it, main-line waits, and the stall detector naming what a task waits on.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Kernel, PoeStallError, Semaphore, Session, cede, current, task, type DieInfo, type Task } from '../../src/index.js';
import { cleanup, ensureBuilt, exitOf, expectNoLeaks, id, makeKernel, run as runProgram } from '../kit/index.js';

afterEach(cleanup);

describe('a task starts at its turn and lives while its body runs', () => {
  test("it starts after what was queued before it; its parent gets `_child('create')` at once and `_child('lose')` when the body ends", async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.yield('before');
          const t = task(
            async (t) => {
              say(`body of ${id(t.session)} starts, current() is it: ${current() === t}`);
              await t.cede();
              say('body ends');
              return 'r';
            },
            { kernel, inlineStates: { _stop: () => say('task _stop') } },
          );
          say(`task() returned ${id(t.session)}, done ${t.done}`);
          ctx.kernel.yield('after');
        },
        before: () => say('before'),
        after: () => say('after'),
        _child: (_ctx, reason, child) => say(`_child ${String(reason)} ${id(child)}`),
      },
    });
    await run();
    expect(log).toEqual([
      '_child create S2',
      'task() returned S2, done false',
      'before',
      'body of S2 starts, current() is it: true',
      'after',
      'body ends',
      'task _stop',
      '_child lose S2',
    ]);
  });

  test('cede: three tasks and posts from an ordinary session interleave in exact FIFO order', async () => {
    const { kernel, log, say, run } = makeKernel();
    const body = (name: string) => async (t: Task<void>) => {
      for (let i = 1; i <= 3; i++) {
        say(`${name}${i}`);
        // Posted before the cede: the peer's event runs before this task resumes.
        if (name === 'b') kernel.post(peer!, 'note', `from b${i}`);
        await t.cede();
      }
      say(`${name} done`);
    };
    // The tasks' parent: an ordinary session, kept alive by its children.
    const peer = Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          task(body('a'), { kernel });
          task(body('b'), { kernel });
          task(body('c'), { kernel });
          ctx.kernel.yield('note', 'queued after the tasks were made');
        },
        note: (_ctx, what) => say(`peer ${String(what)}`),
      },
    });
    await run();
    expect(log).toEqual([
      'a1',
      'b1',
      'c1',
      'peer queued after the tasks were made',
      'a2',
      'peer from b1',
      'b2',
      'c2',
      'a3',
      'peer from b2',
      'b3',
      'c3',
      'a done',
      'peer from b3',
      'b done',
      'c done',
    ]);
  });

  test('a task woken by a semaphore runs before the next queued event, not after it', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          task(
            async () => {
              say('task waits');
              await sem.down();
              say('task woken');
              // Still the task's turn: this post is queued after `second`.
              kernel.post(ctx.session, 'ev', 'from task');
              await cede();
              say('task after cede');
            },
            { kernel },
          );
          ctx.kernel.yield('up');
        },
        up: (ctx) => {
          say('up');
          sem.up();
          ctx.kernel.yield('ev', 'first');
          ctx.kernel.yield('ev', 'second');
        },
        ev: (_ctx, what) => say(`ev ${String(what)}`),
      },
    });
    await run();
    expect(log).toEqual(['task waits', 'up', 'task woken', 'ev first', 'ev second', 'ev from task', 'task after cede']);
  });
});

describe('next(event)', () => {
  test('an event posted before the wait is kept; one posted after it wakes the task; args are the event’s', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const t = task(
            async (t) => {
              say(`got early ${JSON.stringify(await t.next('early'))}`);
              say('waits for late');
              say(`got late ${JSON.stringify(await t.next('late'))}`);
              say(`got early again ${JSON.stringify(await t.next('early'))}`);
            },
            { kernel },
          );
          // Both come before the body has started.
          ctx.kernel.post(t.session, 'early', 1, 'a');
          ctx.kernel.post(t.session, 'early', 2, 'b');
          ctx.kernel.delay('later', 5, t.session);
        },
        later: (ctx, s) => {
          say(`later at ${kernel.clock.now() - start}`);
          ctx.kernel.post(s as Session, 'late', 'x');
        },
      },
    });
    const start = kernel.clock.now();
    await run();
    expect(log).toEqual(['got early [1,"a"]', 'waits for late', 'later at 5', 'got late ["x"]', 'got early again [2,"b"]']);
  });

  test('with a timeout it rejects ERR_POE_WAIT_TIMEOUT at exactly that time on the kernel clock, and the task goes on', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const start = clock.now();
    task(
      async (t) => {
        try {
          await t.next('never', { timeout: 2.5 });
        } catch (err) {
          const e = err as Error & { code: string; waitingOn: string };
          say(`${e.name} ${e.code} on ${e.waitingOn} at ${clock.now() - start}`);
        }
        kernel.post(t.session, 'go', 'now');
        say(`then ${JSON.stringify(await t.next('go', { timeout: 1 }))} at ${clock.now() - start}`);
      },
      { kernel },
    );
    await run();
    expect(log).toEqual(["PoeWaitError ERR_POE_WAIT_TIMEOUT on next('never') at 2.5", 'then ["now"] at 2.5']);
  });

  test('from another session it throws ERR_POE_TASK_NOT_IN_TASK; from the main line too', async () => {
    const { kernel, log, say, run } = makeKernel();
    const t = task(async (t) => say(`task got ${JSON.stringify(await t.next('go'))}`), { kernel });
    const code = (fn: () => unknown): string => {
      try {
        fn();
        return 'no throw';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    say(`main line: ${code(() => t.next('go'))}`);
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          say(`other session: ${code(() => t.next('go'))}`);
          ctx.kernel.post(t.session, 'go', 1);
        },
      },
    });
    await run();
    expect(log).toEqual(['main line: ERR_POE_TASK_NOT_IN_TASK', 'other session: ERR_POE_TASK_NOT_IN_TASK', 'task got [1]']);
  });

  test('the task’s inlineStates handle their events themselves; others go to next()', async () => {
    const { kernel, log, say, run } = makeKernel();
    const t = task(
      async (t) => {
        say(`next got ${JSON.stringify(await t.next('data'))}`);
      },
      { kernel, inlineStates: { ping: (_ctx, n) => say(`ping handler ${String(n)}`) } },
    );
    kernel.post(t.session, 'ping', 1);
    kernel.post(t.session, 'data', 2);
    await run();
    expect(log).toEqual(['ping handler 1', 'next got [2]']);
  });
});

describe('join() and a throw in the body', () => {
  test('join resolves with the body’s value, also when called after it ended', async () => {
    const { kernel, log, say, run } = makeKernel();
    const a = task(async (t) => {
      await t.cede();
      return 'A';
    }, { kernel });
    task(async () => {
      say(`joined ${await a.join()}, done ${a.done}`);
      say(`again ${await a.join()}`);
    }, { kernel });
    await run();
    expect(log).toEqual(['joined A, done true', 'again A']);
  });

  test('a throw is a DIE signal (a watcher sees it and handles it) and join rejects with the thrown value', async () => {
    const { kernel, log, say, run } = makeKernel();
    const boom = new Error('boom');
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.sig('DIE', 'died');
          const t = task(async (t) => {
            await t.cede();
            throw boom;
          }, { kernel, inlineStates: { _stop: () => say('task _stop') } });
          t.join().then(
            () => say('join resolved'),
            (err: unknown) => say(`join rejected with the thrown value: ${err === boom}`),
          );
        },
        died: (ctx, _name, info) => {
          const i = info as DieInfo;
          say(`DIE in ${id(i.destSession)} event ${i.event}: ${i.errorStr}`);
          ctx.kernel.sigHandled();
          ctx.kernel.sig('DIE');
        },
      },
    });
    await run();
    expect(log).toEqual(['join rejected with the thrown value: true', 'DIE in S2 event task: boom', 'task _stop']);
  });

  test('unhandled, the throw stops the kernel and run() rejects with it, as an async handler’s does', async () => {
    const { kernel, log, say } = makeKernel();
    const boom = new Error('boom');
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('never', 100),
        never: () => say('ERROR: timer ran'),
        _stop: () => say('bystander _stop'),
      },
    });
    task(async (t) => {
      await t.cede();
      throw boom;
    }, { kernel, inlineStates: { _stop: () => say('task _stop') } });
    await expect(kernel.run()).rejects.toBe(boom);
    expectNoLeaks(kernel);
    // Every session is stopped, the newest first.
    expect(log).toEqual(['task _stop', 'bystander _stop']);
  });
});

describe('a task stopped while it waits', () => {
  test('its body never goes on, its own _stop still runs, and join rejects ERR_POE_TASK_STOPPED', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    const t = task(
      async () => {
        say('waiting');
        await sem.down();
        say('ERROR: the body went on');
      },
      { kernel, inlineStates: { _stop: () => say('task _stop') } },
    );
    Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.yield('halt'), halt: (ctx) => ctx.kernel.stop() } });
    const joined = t.join().then(
      () => 'resolved',
      (err: { code?: string }) => String(err.code),
    );
    await run();
    say(`join: ${await joined}`);
    expect(log).toEqual(['waiting', 'task _stop', 'join: ERR_POE_TASK_STOPPED']);
    expect(sem.waiters).toBe(0);
  });
});

describe('desc, alias and ps()', () => {
  test('ps() shows a task running, waiting (on what), its uses and desc; the alias reaches it', async () => {
    const { kernel, log, say, run } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    const row = (sid: number) => {
      const r = kernel.ps().find((p) => p.id === sid)!;
      return `${r.state} [${r.waitingOn.join(', ')}] uses ${r.uses} desc ${String(r.desc)} aliases ${r.aliases.join(',')}`;
    };
    const t = task(
      async (t) => {
        say(`in body: ${row(t.id)}`);
        t.desc = 'waiting for the unit';
        await sem.down();
        say(`after down: ${row(t.id)}`);
        say(`next: ${JSON.stringify(await t.next('hello'))}`);
      },
      { kernel, desc: 'worker', alias: 'w' },
    );
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          say(`before its turn: ${row(t.id)}, desc ${t.desc}`);
          ctx.kernel.yield('look');
        },
        look: (ctx) => {
          say(`while it waits: ${row(t.id)}`);
          sem.up();
          ctx.kernel.post('w', 'hello', 'by alias');
        },
      },
    });
    await run();
    expect(log).toEqual([
      'before its turn: ready [] uses 0 desc worker aliases w, desc worker',
      'in body: running [] uses 1 desc worker aliases w',
      'while it waits: waiting [Semaphore.down] uses 1 desc waiting for the unit aliases w',
      'after down: running [] uses 2 desc waiting for the unit aliases w',
      'next: ["by alias"]',
    ]);
  });

  test('desc must be a string', () => {
    const { kernel } = makeKernel();
    expect(() => task(() => 1, { kernel, desc: 5 as unknown as string })).toThrow(expect.objectContaining({ code: 'ERR_POE_INVALID_ARGUMENT' }));
    expect(() => task(() => 1, { kernel, nope: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_POE_UNKNOWN_OPTION' }));
    expect(kernel.sessionCount).toBe(0);
  });
});

describe('waits from the main line (no handler, the kernel not running)', () => {
  test('`await cede()` runs every queued task once, then pauses the kernel', async () => {
    // cede() takes no kernel: from the main line it is Kernel.current(), the default kernel.
    const kernel = Kernel.default;
    const log: string[] = [];
    const body = (name: string) => async (t: Task<void>) => {
      log.push(`${name} first turn`);
      await t.cede();
      log.push(`${name} second turn`);
    };
    task(body('a'), { kernel });
    task(body('b'), { kernel });
    log.push('main cedes');
    await cede();
    log.push(`main back, sessions ${kernel.sessionCount}`);
    await cede();
    log.push(`main back again, sessions ${kernel.sessionCount}`);
    await cede();
    log.push('main: nothing left to cede to');
    expect(log).toEqual([
      'main cedes',
      'a first turn',
      'b first turn',
      'main back, sessions 2',
      'a second turn',
      'b second turn',
      'main back again, sessions 0',
      'main: nothing left to cede to',
    ]);
    expectNoLeaks(kernel);
  });

  test('`await sem.down()` runs the kernel until a task ups it; with nobody left to up it rejects PoeStallError', async () => {
    const { kernel, clock, log, say } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    task(
      async () => {
        say('task sleeps 3 s');
        await new Semaphore(0, { kernel }).down({ timeout: 3 }).catch(() => undefined);
        say('task ups');
        sem.up();
        await cede();
        say('task ends');
      },
      { kernel },
    );
    const start = clock.now();
    await sem.down();
    say(`main has the unit at ${clock.now() - start}, sessions ${kernel.sessionCount}`);
    const err = await sem.down().then(
      () => undefined,
      (e: unknown) => e,
    );
    say(`main again: ${err instanceof PoeStallError} ${(err as PoeStallError).code}: ${(err as Error).message}`);
    expectNoLeaks(kernel);
    expect(log).toEqual([
      'task sleeps 3 s',
      'task ups',
      'main has the unit at 3, sessions 1',
      'task ends',
      'main again: true ERR_POE_KERNEL_STALLED: The kernel stalled: the main program waits on Semaphore.down, but no session is left that could end the wait',
    ]);
  });
});

describe('several waits of the main line', () => {
  test('`await Promise.all([down(), down()])` runs the kernel until both are over, not only the first', async () => {
    const { kernel, log, say } = makeKernel();
    const sem = new Semaphore(0, { kernel });
    task(
      async () => {
        say('task ups once');
        sem.up();
        await cede();
        say('task ups again');
        sem.up();
      },
      { kernel },
    );
    await Promise.all([sem.down().then(() => say('first down')), sem.down().then(() => say('second down'))]);
    say(`main has both, sessions ${kernel.sessionCount}`);
    // The main line goes on when the kernel pauses, once both are over (Coro's main thread).
    expect(log).toEqual(['task ups once', 'task ups again', 'first down', 'second down', 'main has both, sessions 0']);
    expectNoLeaks(kernel);
  });
});

describe('the stall detector (a real process: it fires on Node’s beforeExit)', () => {
  test('a task waiting on a semaphore nobody will up: run() rejects with PoeStallError naming Semaphore.down', async () => {
    ensureBuilt('dist/index.js');
    const p = runProgram('stall.mjs', ['semaphore']);
    expect(await exitOf(p)).toEqual([0, null]);
    expect(p.lines).toEqual(['_stop', 'rejected ERR_POE_KERNEL_STALLED: session 1: async handler(s) still running: task; held by Semaphore.down']);
  }, 60_000);
});
