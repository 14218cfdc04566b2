/**
 * Perl's threads over worker_threads (issue 12, acceptance 2): create and join with values and
 * with errors, list by state, kill delivered to the thread's handler, detach, the exit rules,
 * the coded errors at the call, and the warning at kernel stop. The thread functions are in
 * t/fixtures/threads/basic.mjs; they import poe-ts (the built dist/) inside the thread.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { Session } from '../../src/session/session.js';
import { Queue } from '../../src/threads/shared.js';
import { Thread, threads } from '../../src/threads/threads.js';
import { cleanup, codeOf, ensureBuilt, exitOf, fixture, realKernel, root, run } from '../kit/index.js';

const basic = new URL('../fixtures/threads/basic.mjs', import.meta.url);
const light = new URL('../fixtures/threads/light.mjs', import.meta.url);
const mod = (name: string): { module: URL; export: string } => ({ module: basic, export: name });

beforeAll(() => ensureBuilt(`${root}/dist/index.js`), 120_000);
afterEach(cleanup);

/** What a promise settles to, as data: `['ok', value]` or `['err', name, code, message]`. */
async function outcome(p: Promise<unknown>): Promise<unknown[]> {
  try {
    return ['ok', await p];
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    return ['err', e.name, e.code, e.message];
  }
}

describe('threads: create and join', () => {
  test('300 threads, 4 at a time, each joined (event form) with its own value', async () => {
    const { kernel, warnings, run: runKernel } = realKernel();
    const N = 300;
    const BATCH = 4;
    const got = new Map<number, unknown>();
    const errors: unknown[] = [];
    let next = 1;
    let inFlight = 0;
    type Ctx = { session: Session };
    const startSome = (ctx: Ctx): void => {
      while (inFlight < BATCH && next <= N) {
        const i = next++;
        inFlight++;
        threads.create(light, 'double', i).join(ctx.session, 'joined', i);
      }
    };
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: Ctx) => startSome(ctx),
        joined: (ctx: Ctx, value: unknown, error: unknown, i: number) => {
          inFlight--;
          if (error !== undefined) errors.push(error);
          got.set(i, value);
          startSome(ctx);
        },
      },
    });
    await runKernel(90_000);
    expect(errors).toEqual([]);
    expect(got.size).toBe(N);
    for (let i = 1; i <= N; i++) expect(got.get(i)).toBe(2 * i);
    expect(threads.list()).toEqual([]);
    expect(warnings).toEqual([]);
  }, 120_000);

  test('10 threads that throw: each join rejects with its own error (name, message, code), and error() holds it', async () => {
    const thrs = Array.from({ length: 10 }, (_, i) => threads.create(mod('die'), i));
    const late = threads.create(mod('dieLater'), 99);
    // One after the other, as Perl's `$_->join for @thr`: the main line runs the kernel for one wait at a time.
    const results: unknown[] = [];
    for (const t of thrs) results.push(await outcome(t.join()));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => ['err', 'Error', `E_THREAD_${i}`, `thread ${i} died`]));
    expect(thrs.map((t) => (t.error() as Error).message)).toEqual(Array.from({ length: 10 }, (_, i) => `thread ${i} died`));
    expect(await outcome(late.join())).toEqual(['err', 'RangeError', undefined, 'late 99']);
  });

  test('the event form posts (undefined, error) for a thread that died', async () => {
    const { kernel, run: runKernel } = realKernel();
    const seen: unknown[] = [];
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: { session: Session }) => {
          threads.create(mod('die'), 7).join(ctx.session, 'joined', 'ctx');
        },
        joined: (_ctx: unknown, value: unknown, error: Error & { code: string }, extra: string) => seen.push(value, error.message, error.code, extra),
      },
    });
    await runKernel(20_000);
    expect(seen).toEqual([undefined, 'thread 7 died', 'E_THREAD_7', 'ctx']);
  });

  test('inside the thread: threads.tid(), threads.self() and isThread; tids are unique and outside it tid() is 0', async () => {
    const a = threads.create(mod('whoami'), 'a');
    const b = threads.create(basic, 'whoami', 'b');
    expect(b.tid).toBeGreaterThan(a.tid);
    expect(await a.join()).toEqual({ tag: 'a', tid: a.tid, self: String(a.tid), isThread: true });
    expect(await b.join()).toEqual({ tag: 'b', tid: b.tid, self: String(b.tid), isThread: true });
    expect([threads.tid(), String(threads.self()), threads.isThread]).toEqual([0, '0', false]);
    expect(`${a}`).toBe(String(a.tid));
  });

  test('a pending join holds its session and shows in ps() as threads.join', async () => {
    const { kernel, run: runKernel } = realKernel();
    let report: unknown;
    const order: unknown[] = [];
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: { session: Session; kernel: Kernel }) => {
          threads.create(mod('sleepMs'), 50, 'slept').join(ctx.session, 'joined');
          report = ctx.kernel.ps().find((r) => r.id === ctx.session.ID)?.waitingOn;
          order.push('started');
        },
        joined: (_ctx: unknown, value: unknown) => order.push(value),
        _stop: () => order.push('stop'),
      },
    });
    await runKernel(20_000);
    expect(report).toEqual(['threads.join']);
    expect(order).toEqual(['started', 'slept', 'stop']);
  });
});

describe('threads: list, kill, detach', () => {
  test('list counts after start, after finishing, after the joins; kill(TERM) reaches each thread handler', async () => {
    const ready = new Queue<number>();
    const thrs = [1, 2, 3].map(() => threads.create(mod('waitForTerm'), ready));
    const counts = (): number[] => [threads.list().length, threads.list(threads.running).length, threads.list(threads.joinable).length];
    expect(counts()).toEqual([3, 3, 0]);
    const readyTids = [await ready.dequeue(), await ready.dequeue(), await ready.dequeue()].sort();
    expect(readyTids).toEqual(thrs.map((t) => t.tid).sort());
    expect(counts()).toEqual([3, 3, 0]);
    for (const t of thrs) expect(t.kill('SIGTERM')).toBe(t);
    await Promise.all(thrs.map((t) => t.finished));
    expect(counts()).toEqual([3, 0, 3]);
    expect(thrs.map((t) => [t.isRunning(), t.isJoinable(), t.isDetached()])).toEqual(thrs.map(() => [false, true, false]));
    expect(threads.list(threads.joinable)).toEqual(thrs);
    expect(await thrs[0]!.join()).toBe(`got TERM in thread ${thrs[0]!.tid}`);
    expect(counts()).toEqual([2, 0, 2]);
    expect(await Promise.all(thrs.slice(1).map((t) => t.join()))).toEqual(thrs.slice(1).map((t) => `got TERM in thread ${t.tid}`));
    expect(counts()).toEqual([0, 0, 0]);
  });

  test("Perl's cancellation: SIG.KILL = threads.exit; kill('KILL').join() gives undefined; a kill after the end is ignored", async () => {
    const ready = new Queue<number>();
    const thr = threads.create(mod('cancellable'), ready);
    await ready.dequeue();
    expect(await thr.kill(9).join()).toBeUndefined();
    expect(thr.kill('TERM')).toBe(thr);
  });

  test('detach: the result is dropped, the thread leaves the lists, and join/detach again are coded errors', async () => {
    const thr = threads.create(mod('sleepMs'), 100, 'x');
    expect(thr.detach()).toBe(thr);
    expect([thr.isDetached(), thr.isJoinable(), threads.list()]).toEqual([true, false, []]);
    expect(codeOf(() => thr.join())).toBe('ERR_POE_THREAD_DETACHED');
    expect(codeOf(() => thr.detach())).toBe('ERR_POE_THREAD_DETACHED');
    await thr.finished;
    expect(thr.isRunning()).toBe(false);
  });

  test('a detached thread does not hold the program open (a child process exits at once)', async () => {
    const t0 = Date.now();
    const p = run(fixture('threads/detach-exit.mjs'));
    const [code] = await exitOf(p, 10_000);
    expect([code, p.lines]).toEqual([0, ['detached 1 running=true detached=true listed=0']]);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test('a thread neither joined nor detached keeps the kernel until it ends, then the kernel warns', async () => {
    const p = run(fixture('threads/unjoined-exit.mjs'));
    const [code] = await exitOf(p, 10_000);
    expect([code, p.lines]).toEqual([0, ['started', 'kernel stopped']]);
    expect(p.stderr.join('\n')).toContain('threads: the kernel stopped with active threads: 0 running and unjoined, 1 finished and unjoined, 0 running and detached');
  });

  test('the kernel warns at its stop about threads neither joined nor detached, and not about joined or detached ones', async () => {
    const { kernel, warnings, run: runKernel } = realKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx: { session: Session }) => {
          threads.create(mod('double'), 1);
          threads.create(mod('double'), 2).join(ctx.session, 'joined');
          threads.create(mod('sleepMs'), 5000, 'never').detach();
        },
        joined: () => undefined,
      },
    });
    await runKernel(20_000);
    expect(warnings).toEqual(['threads: the kernel stopped with active threads: 0 running and unjoined, 1 finished and unjoined, 1 running and detached']);
    for (const t of threads.list()) await t.join();
  });
});

describe('threads: errors at the call, exit rules, limits', () => {
  test('joining twice, detaching a joined thread: coded errors at the call', async () => {
    const thr = threads.create(mod('double'), 4);
    const p = thr.join();
    expect(codeOf(() => thr.join())).toBe('ERR_POE_THREAD_JOINED');
    expect(codeOf(() => thr.detach())).toBe('ERR_POE_THREAD_JOINED');
    expect(await p).toBe(8);
    expect(codeOf(() => thr.join())).toBe('ERR_POE_THREAD_JOINED');
  });

  test('bad modules and exports, functions, uncloneable arguments and results, bad signals', async () => {
    expect(codeOf(() => threads.create({ module: new URL('../fixtures/threads/nope.mjs', import.meta.url), export: 'x' }))).toBe('ERR_POE_THREAD_BAD_MODULE');
    expect(codeOf(() => threads.create('./basic.mjs', 'double'))).toBe('ERR_POE_THREAD_BAD_MODULE');
    expect(() => threads.create((() => 1) as never)).toThrow(/cannot cross into a thread: threads do not share code or closures/);
    expect(codeOf(() => threads.create(mod('double'), () => 1))).toBe('ERR_POE_CLONE');
    expect(codeOf(() => threads.create(mod('double'), 1).kill('NOPE'))).toBe('ERR_POE_KERNEL_BAD_SIGNAL');
    expect(await outcome(threads.create(mod('nothere')).join())).toEqual([
      'err',
      'PoeError',
      'ERR_POE_THREAD_BAD_MODULE',
      expect.stringMatching(/has no exported function "nothere" \(exports: .*double/) as unknown,
    ]);
    expect(await outcome(threads.create(mod('notAFunction')).join())).toEqual(['err', 'PoeError', 'ERR_POE_THREAD_BAD_MODULE', expect.stringContaining('"notAFunction"') as unknown]);
    expect(await outcome(threads.create(mod('notCloneable')).join())).toEqual(['err', 'PoeError', 'ERR_POE_CLONE', expect.stringContaining('return value cannot be cloned') as unknown]);
    for (const t of threads.list()) await outcome(t.join());
  });

  test('threads.exit() and process.exit() end only the thread: join gives undefined and this process goes on', async () => {
    const a = threads.create(mod('exitEarly'));
    const b = threads.create(mod('processExit'));
    expect([await a.join(), await b.join(), a.isRunning(), b.isRunning()]).toEqual([undefined, undefined, false, false]);
  });

  test('terminate() stops a thread in an endless loop (which kill cannot); its join rejects with ERR_POE_THREAD_TERMINATED', async () => {
    const thr = threads.create(mod('forever'));
    const joined = outcome(thr.join());
    thr.kill('TERM'); // no handler, and the loop never yields: nothing happens
    await thr.terminate();
    expect(await joined).toEqual(['err', 'PoeError', 'ERR_POE_THREAD_TERMINATED', `thread ${thr.tid} was terminated`]);
  });

  test('stackSize (Perl stack_size) and set/getStackSize; resourceLimits end a thread over its heap', async () => {
    const small = await threads.create({ ...mod('depth'), stackSize: 1 << 20 }).join();
    const old = threads.setStackSize(16 << 20);
    expect([old, threads.getStackSize()]).toEqual([0, 16 << 20]);
    let big: unknown;
    try {
      big = await threads.create(mod('depth')).join();
    } finally {
      threads.setStackSize(0);
    }
    expect(big as number).toBeGreaterThan((small as number) * 4);
    const hog = threads.create({ ...mod('hog'), resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    expect((await outcome(hog.join())).slice(0, 3)).toEqual(['err', 'Error', 'ERR_WORKER_OUT_OF_MEMORY']);
  }, 60_000);

  test('Perl names: new, is_running, is_joinable, is_detached, object(tid)', async () => {
    const thr = threads.new(mod('double'), 5);
    expect(thr).toBeInstanceOf(Thread);
    expect(threads.object(thr.tid)).toBe(thr);
    expect(thr.is_running()).toBe(true);
    await thr.finished;
    expect([thr.is_running(), thr.is_joinable(), thr.is_detached()]).toEqual([false, true, false]);
    expect(await thr.join()).toBe(10);
    expect(threads.object(thr.tid)).toBeUndefined();
  });
});
