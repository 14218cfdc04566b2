/**
 * Function / DetachedCode (IO::Async::Function, IO::Async::DetachedCode): the seed's behaviour
 * checks on both backends, with real worker threads and real processes. Results in call order
 * with one worker; a new worker after a throwing call with `exitOnDie`; SIGKILL on a busy
 * process worker (and `process.exit()` in a busy thread) fails only its call and the pool is
 * back to size; `shutdown` with 50 calls queued gives 50 `'shutdown'` errors; arguments
 * changed after `call()` do not reach the worker. Then bad input, `maxQueue`, AbortSignal and
 * timeout, `maxWorkerCalls`, `init`, priorities, the continuation forms, and a kernel stop
 * with calls in flight. The worker functions are t/fixtures/pool/work.mjs.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { DetachedCode, Function, PoeArgumentError, PoeError, Session, task, type Context, type FunctionOptions, type Kernel, type Untyped } from '../../src/index.js';
import { bounded, ensureBuilt, fixture, realKernel, until } from '../kit/index.js';

const WORK = fixture('pool/work.mjs');
type Ctx = Context<Untyped, Record<string, unknown>>;

beforeAll(() => ensureBuilt('dist/pool-worker.js'), 120_000);

function pool(kernel: Kernel, backend: 'thread' | 'process', fn: string, options: Partial<FunctionOptions> = {}): Function {
  return Function.create({ module: WORK, export: fn, kernel, backend, ...options });
}

const code = (err: unknown): unknown => (err instanceof PoeError ? err.code : err instanceof Error ? `${err.name}: ${err.message}` : err);

describe.each(['thread', 'process'] as const)('%s backend', (backend) => {
  test('one worker: results in call order, posted as (result, error, context); the calling session is held and shows the wait', async () => {
    const { kernel, run, say, log } = realKernel();
    const f = pool(kernel, backend, 'sleep');
    let waiting: string[] = [];
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          // Later calls sleep less: only the order of the calls can put the answers in order.
          for (let i = 0; i < 6; i++) f.call({ args: [60 - i * 10, `v${i}`], event: 'answer', context: i });
          ctx.kernel.delay('look', 0.01);
        },
        look: (ctx: Ctx) => {
          waiting = ctx.kernel.ps().find((p) => p.id === ctx.session.ID)!.waitingOn;
        },
        answer: (_ctx: Ctx, result: unknown, error: unknown, context: unknown) => {
          say(`answer ${String(result)} ${String(error)} ${String(context)}`);
          if (context === 5) f.shutdown();
        },
      },
    });
    await run(10_000);
    expect(log).toEqual([0, 1, 2, 3, 4, 5].map((i) => `answer v${i} undefined ${i}`));
    expect(waiting).toEqual(Array(6).fill('Function.call'));
    await bounded(f.stop(), 5000, 'the workers to exit');
    expect(f.workers()).toEqual([]);
  }, 20_000);

  test('exitOnDie: a throwing call fails with the thrown error, and the next call runs in a new worker; without it, the same worker', async () => {
    const { kernel, run } = realKernel();
    const dies = pool(kernel, backend, 'who', { exitOnDie: true });
    const lives = pool(kernel, backend, 'who');
    const failDies = DetachedCode.create({ code: { module: WORK, export: 'fail' }, kernel, backend, exitOnDie: true });
    const seen: unknown[] = [];
    task(
      async () => {
        for (const [f, thrower] of [[dies, failDies], [lives, undefined]] as const) {
          const before = await f.call({ args: [] });
          // The thrower is the same code path; `who` cannot throw, so throw through a bad clone-free call of `fail`.
          const t = thrower ?? pool(kernel, backend, 'fail');
          const firstT = t.workers();
          await t.call({ args: ['bang'] }).catch((err: unknown) => seen.push(code(err), (err as { code?: string }).code));
          await until(() => t.workers().length === 1 && t.running === 0, 5000, 'the thrower back to one worker');
          seen.push(thrower === undefined ? t.workers()[0] === firstT[0] : t.workers()[0] !== firstT[0] && t.workers().length === 1);
          const after = await f.call({ args: [] });
          seen.push(typeof before === 'number' && before === after);
          void t.stop();
        }
        void dies.stop();
        void lives.stop();
      },
      { kernel },
    );
    await run(20_000);
    expect(seen).toEqual(['TypeError: bang', 'E_FIXTURE', true, true, 'TypeError: bang', 'E_FIXTURE', true, true]);
  }, 30_000);

  test(`a worker that dies in a call (${backend === 'process' ? 'SIGKILL from outside' : 'process.exit() in the thread'}) fails only that call; the others complete and the pool is back to its size`, async () => {
    const { kernel, run } = realKernel();
    const f = pool(kernel, backend, backend === 'process' ? 'sleep' : 'exitNow', { workers: 2 });
    const echo = pool(kernel, backend, 'echo', { workers: 2 });
    const results: unknown[] = [];
    let before: number[] = [];
    let victim = -1;
    task(
      async () => {
        let calls: Promise<unknown>[];
        if (backend === 'process') {
          calls = [f.call({ args: [400, 'a'] }), f.call({ args: [400, 'b'] }), f.call({ args: [1, 'c'] }), f.call({ args: [1, 'd'] })];
          await until(() => f.running === 2, 5000, 'both workers busy');
          before = f.workers();
          victim = before[0]!;
          process.kill(victim, 'SIGKILL');
        } else {
          before = f.workers();
          calls = [f.call({ args: [7] })];
        }
        const settled = await Promise.allSettled(calls);
        for (const s of settled) results.push(s.status === 'fulfilled' ? s.value : code(s.reason));
        results.push(await echo.call({ args: ['still here'] }));
        await until(() => f.workers().length === 2, 5000, 'the pool back to two workers');
        await Promise.all([f.stop(), echo.stop()]);
      },
      { kernel },
    );
    await run(15_000);
    if (backend === 'process') {
      // a and b ran on the two workers: the one on the killed worker failed, the other answered.
      expect(results.filter((r) => r === 'ERR_POE_POOL_WORKER_DIED')).toHaveLength(1);
      expect(results.slice(0, 2).filter((r) => r !== 'ERR_POE_POOL_WORKER_DIED')).toEqual([expect.stringMatching(/^[ab]$/)]);
      expect(results.slice(2)).toEqual(['c', 'd', ['still here']]);
      expect(victim).toBeGreaterThan(0);
    } else {
      expect(results).toEqual(['ERR_POE_POOL_WORKER_DIED', ['still here']]);
    }
    expect(before).toHaveLength(2);
  }, 30_000);

  test("shutdown with 50 calls queued: 50 'shutdown' errors, in call order; the call in flight finishes", async () => {
    const { kernel, run, say, log } = realKernel();
    const f = pool(kernel, backend, 'sleep');
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          f.call({ args: [300, 'first'], event: 'answer', context: 'first' });
          ctx.kernel.yield('started');
        },
        // The worker starts in its own time: the 50 are queued behind a call it runs.
        started: (ctx: Ctx) => {
          if (f.running === 0) return void ctx.kernel.delay('started', 0.005);
          for (let i = 0; i < 50; i++) f.call({ args: [1, i], event: 'answer', context: i });
          ctx.kernel.yield('stop_now');
        },
        stop_now: () => {
          f.shutdown();
          try {
            f.call({ args: [1], event: 'answer' });
          } catch (err) {
            say(`after shutdown: ${String(code(err))}`);
          }
        },
        answer: (_ctx: Ctx, result: unknown, error: unknown, context: unknown) => say(`${String(context)}: ${String(result)} ${String(error)}`),
      },
    });
    await run(10_000);
    expect(log).toEqual(['after shutdown: ERR_POE_POOL_SHUTDOWN', ...Array.from({ length: 50 }, (_, i) => `${i}: undefined shutdown`), 'first: first undefined']);
    await bounded(f.stop(), 5000, 'the workers to exit');
  }, 20_000);

  test('arguments changed after call() do not change what the worker receives (sent at once, or queued)', async () => {
    const { kernel, run } = realKernel();
    const f = pool(kernel, backend, 'echo');
    let got: unknown[] = [];
    task(
      async () => {
        const now = { n: 1, list: [1] };
        const later = { n: 1, list: [1] };
        const a = f.call({ args: [now] });
        const b = f.call({ args: [later] }); // waits for the worker
        now.n = 2;
        now.list.push(2);
        later.n = 2;
        later.list.push(2);
        got = await Promise.all([a, b]);
        await f.stop();
      },
      { kernel },
    );
    await run(10_000);
    expect(got).toEqual([[{ n: 1, list: [1] }], [{ n: 1, list: [1] }]]);
  }, 20_000);

  test('bad input: a missing module, a function as module, a missing export, uncloneable arguments or result, a call after shutdown', async () => {
    const { kernel, run } = realKernel();
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
        return 'no throw';
      } catch (err) {
        return [err instanceof PoeArgumentError ? 'arg' : err instanceof PoeError ? 'poe' : 'other', code(err)];
      }
    };
    expect(thrown(() => Function.create({ module: fixture('pool/nope.mjs'), export: 'f', kernel, backend }))).toEqual(['arg', 'ERR_POE_POOL_BAD_MODULE']);
    expect(() => Function.create({ module: (() => 1) as unknown as string, export: 'f', kernel, backend })).toThrow(/closures cannot cross isolates/);
    expect(() => DetachedCode.create({ code: (() => 1) as unknown as { module: string; export: string }, kernel, backend })).toThrow(/closures cannot cross isolates/);
    expect(thrown(() => Function.create({ module: WORK, export: 'echo', kernel, backend, bogus: 1 } as FunctionOptions))).toEqual(['arg', 'ERR_POE_UNKNOWN_OPTION']);
    const missing = pool(kernel, backend, 'nothing');
    const notFn = pool(kernel, backend, 'notAFunction');
    const echo = pool(kernel, backend, 'echo');
    const unclonable = pool(kernel, backend, 'unclonable');
    const cjs = Function.create({ module: fixture('pool/double.cjs'), export: 'double', kernel, backend });
    const badInit = Function.create({ module: fixture('pool/bad-init.mjs'), export: 'f', init: 'init', kernel, backend });
    const out: unknown[] = [];
    task(
      async () => {
        for (const f of [missing, notFn, badInit]) {
          // Known at the call once a worker has said so, else learnt by the first call: the same error.
          await (async () => f.call({ args: [] }))().catch((err: unknown) => out.push(code(err), (err as Error).message.replace(/^.*(no function export|init).*$/, '$1')));
          out.push(thrown(() => f.call({ args: [] })));
        }
        out.push(thrown(() => echo.call({ args: [() => 1] })));
        out.push(thrown(() => echo.call({ args: [Symbol('s')] })));
        out.push(await unclonable.call({ args: [] }).catch(code));
        out.push(await cjs.call({ args: [21] }));
        echo.shutdown();
        out.push(thrown(() => echo.call({ args: [1] })));
        await Promise.all([missing, notFn, echo, unclonable, cjs, badInit].map((f) => f.stop()));
      },
      { kernel },
    );
    await run(15_000);
    expect(out).toEqual([
      'ERR_POE_POOL_BAD_MODULE',
      'no function export',
      ['poe', 'ERR_POE_POOL_BAD_MODULE'],
      'ERR_POE_POOL_BAD_MODULE',
      'no function export',
      ['poe', 'ERR_POE_POOL_BAD_MODULE'],
      'ERR_POE_POOL_BAD_MODULE',
      'init',
      ['poe', 'ERR_POE_POOL_BAD_MODULE'],
      ['poe', 'ERR_POE_CLONE'],
      ['poe', 'ERR_POE_CLONE'],
      'ERR_POE_CLONE',
      42,
      ['poe', 'ERR_POE_POOL_SHUTDOWN'],
    ]);
  }, 30_000);

  test('maxQueue: a call beyond it throws ERR_POE_POOL_QUEUE_FULL; priorities go first, equal ones in call order', async () => {
    const { kernel, run } = realKernel();
    const f = pool(kernel, backend, 'sleep', { maxQueue: 4 });
    const order: unknown[] = [];
    let full: unknown;
    task(
      async () => {
        const calls = [f.call({ args: [100, 'running'] })];
        await until(() => f.running === 1, 5000, 'the first call running');
        for (const [v, priority] of [['a', 0], ['b', 0], ['c', 5], ['d', 1]] as const) calls.push(f.call({ args: [1, v], priority }).then((r) => (order.push(r), r)));
        try {
          void f.call({ args: [1, 'e'] });
        } catch (err) {
          full = code(err);
        }
        await Promise.all(calls);
        await f.stop();
      },
      { kernel },
    );
    await run(10_000);
    expect(full).toBe('ERR_POE_POOL_QUEUE_FULL');
    expect(order).toEqual(['c', 'd', 'a', 'b']);
  }, 20_000);

  test('AbortSignal and timeout: a waiting call leaves the queue and rejects with the reason; the next ones run', async () => {
    const { kernel, run } = realKernel();
    const f = pool(kernel, backend, 'sleep');
    const out: unknown[] = [];
    task(
      async () => {
        const ac = new AbortController();
        const first = f.call({ args: [100, 'first'] });
        const aborted = f.call({ args: [1, 'aborted'], signal: ac.signal });
        const timed = f.call({ args: [1, 'timed'], timeout: 0.02 });
        const last = f.call({ args: [1, 'last'] });
        ac.abort(new Error('changed my mind'));
        out.push(...(await Promise.allSettled([first, aborted, timed, last])).map((s) => (s.status === 'fulfilled' ? s.value : code(s.reason))));
        await f.stop();
      },
      { kernel },
    );
    await run(10_000);
    expect(out).toEqual(['first', 'Error: changed my mind', 'ERR_POE_WAIT_TIMEOUT', 'last']);
  }, 20_000);

  test('maxWorkerCalls recycles a worker after that many calls; init runs once in each new worker', async () => {
    const { kernel, run } = realKernel();
    const f = pool(kernel, backend, 'state', { maxWorkerCalls: 2, init: { export: 'setup', args: ['ready'] } });
    const seen: { who: number; initialised: string[] }[] = [];
    task(
      async () => {
        for (let i = 0; i < 5; i++) seen.push((await f.call({ args: [] })) as { who: number; initialised: string[] });
        await f.stop();
      },
      { kernel },
    );
    await run(15_000);
    const ids = seen.map((s) => s.who);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(new Set(ids).size).toBe(3);
    expect(seen.map((s) => s.initialised)).toEqual(Array(5).fill(['ready']));
  }, 30_000);

  test("IO::Async's continuations: onReturn/onError and onResult, run as the calling session's turn", async () => {
    const { kernel, run, say, log } = realKernel();
    const echo = pool(kernel, backend, 'echo');
    const fail = pool(kernel, backend, 'fail');
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          const me = ctx.session.ID;
          const where = (): string => (kernel.getActiveSession() as Session).ID === me ? 'in session' : 'elsewhere';
          echo.call({ args: [1], onReturn: (r) => say(`return ${JSON.stringify(r)} ${where()}`), onError: (e) => say(`error ${String(e)}`) });
          fail.call({ args: ['no'], onReturn: (r) => say(`return ${String(r)}`), onError: (e) => say(`error ${String(code(e))} ${where()}`) });
          echo.call({ args: [2], onResult: (kind, v) => say(`${kind} ${JSON.stringify(v)}`) });
        },
        _stop: () => {
          void echo.stop();
          void fail.stop();
        },
      },
    });
    await run(10_000);
    expect(log.slice().sort()).toEqual(['error TypeError: no in session', 'return [1] in session', 'return [2]']);
  }, 20_000);

  test('kernel.stop() with calls in flight and queued: each promise settles, with its result or ERR_POE_POOL_SHUTDOWN; the workers end', async () => {
    const { kernel } = realKernel();
    const f = pool(kernel, backend, 'sleep', { workers: 2 });
    let results: unknown[] | undefined;
    task(
      async () => {
        const quick = await f.call({ args: [1, 'quick'] });
        const calls = Array.from({ length: 5 }, (_, i) => f.call({ args: [5000, i] }));
        results = [quick, ...(await Promise.allSettled(calls)).map((s) => (s.status === 'fulfilled' ? s.value : code(s.reason)))];
      },
      { kernel },
    );
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: Ctx) => void ctx.kernel.yield('stop'),
        // Once two calls run and three wait.
        stop: (ctx: Ctx) => (f.running === 2 ? ctx.kernel.stop() : void ctx.kernel.delay('stop', 0.005)),
      },
    });
    await bounded(kernel.run(), 10_000, 'the kernel to stop');
    await until(() => results !== undefined, 5000, 'every call settled');
    expect(results).toEqual(['quick', ...Array(5).fill('ERR_POE_POOL_SHUTDOWN')]);
    await until(() => f.workers().length === 0, 5000, 'the workers gone');
  }, 20_000);

  // A thread worker is sent its next call while it runs one (the prefetch): these hold whether
  // the next call waits here or in the worker.
  test('a call withdrawn before it starts never runs: aborted while the worker runs the call before it', async () => {
    const { kernel, run } = realKernel();
    const f = pool(kernel, backend, 'note');
    let out: unknown[] = [];
    task(
      async () => {
        await f.ready();
        const ac = new AbortController();
        // `f`'s one worker is busy with a, so b waits (in the worker, for a thread).
        const a = f.call({ args: ['a', 100] });
        const b = f.call({ args: ['b'], signal: ac.signal });
        const c = f.call({ args: ['c'] });
        ac.abort(new Error('not b'));
        out = (await Promise.allSettled([a, b, c])).map((s) => (s.status === 'fulfilled' ? s.value : code(s.reason)));
        await f.stop();
      },
      { kernel },
    );
    await run(10_000);
    expect(out).toEqual([['a'], 'Error: not b', ['a', 'c']]);
  }, 20_000);

  test('the call sent to run after one that kills its worker runs on the new worker; a higher priority one goes first', async () => {
    const { kernel, run } = realKernel();
    const f = pool(kernel, backend, 'exitOr');
    const out: unknown[] = [];
    task(
      async () => {
        await f.ready();
        const calls = [f.call({ args: [3, 'dies'] }), f.call({ args: [null, 'then this'] }), f.call({ args: [null, 'first'], priority: 1 })];
        for (const s of await Promise.allSettled(calls.map((p) => p.then((v) => (out.push(v), v))))) if (s.status === 'rejected') out.push(code(s.reason));
        await f.stop();
      },
      { kernel },
    );
    await run(10_000);
    expect(out).toEqual(['first', 'then this', 'ERR_POE_POOL_WORKER_DIED']);
  }, 20_000);
});
