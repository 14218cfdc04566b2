/**
 * The shared-data modules of the threads document's examples, across real threads: a
 * Thread::Queue pipeline, a semaphore that bounds how many threads are inside, threads::shared
 * `lock` and `cond_wait`/`cond_broadcast` over a SharedArray. Thread functions are in
 * t/fixtures/threads/shared.mjs.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { Session } from '../../src/session/session.js';
import { Queue, SharedArray, SharedSemaphore } from '../../src/threads/shared.js';
import type { Context } from '../../src/session/context.js';
import { threads } from '../../src/threads/threads.js';
import { codeOf, ensureBuilt, realKernel, root } from '../kit/index.js';

const shared = new URL('../fixtures/threads/shared.mjs', import.meta.url);

beforeAll(() => ensureBuilt(`${root}/dist/index.js`), 120_000);

describe('Queue (Thread::Queue)', () => {
  test('a pipeline across two threads: main -> square (blocking dequeue) -> addOne (promise dequeue) -> main, in order, ended', async () => {
    const q1 = new Queue<number>();
    const q2 = new Queue<{ x: number; square: number; from: number }>();
    const q3 = new Queue<{ x: number; square: number; from: number }>();
    const a = threads.create(shared, 'square', q1, q2);
    const b = threads.create(shared, 'copy', q2, q3);
    for (let i = 1; i <= 50; i++) q1.enqueue(i);
    q1.end();
    const out: unknown[] = [];
    for (let x = await q3.dequeue(); x !== undefined; x = await q3.dequeue()) out.push(x);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => ({ from: a.tid, x: i + 1, square: (i + 1) ** 2 })));
    expect([await a.join(), await b.join(), q3.pending(), q1.pending()]).toEqual([50, 50, undefined, undefined]);
  });

  test('a producer thread and a session that dequeues with the promise form; the waiting session shows in ps()', async () => {
    const { kernel, run } = realKernel();
    const q = new Queue<number>();
    const got: unknown[] = [];
    let waitingOn: unknown;
    Session.create({
      kernel,
      inlineStates: {
        _start: async (ctx: Context<unknown, unknown>) => {
          const thr = threads.create(shared, 'produce', q, 20);
          const first = q.dequeue();
          waitingOn = ctx.kernel.ps().find((r) => r.id === ctx.session.ID)?.waitingOn;
          got.push(await first);
          for (let x = await q.dequeue(); x !== undefined; x = await q.dequeue()) got.push(x);
          got.push(await thr.join());
        },
      },
    });
    await run(20_000);
    expect(waitingOn).toEqual(['Queue.dequeue']);
    expect(got).toEqual([...Array.from({ length: 20 }, (_, i) => i + 1), 20]);
  });

  test('on the main thread: end, pending, limit, timeouts, and the coded errors', async () => {
    const q = new Queue<unknown>({ limit: 2 }, 'a');
    q.enqueue({ b: [1n, new Map([[1, 2]])] });
    expect([q.pending(), q.limit]).toEqual([2, 2]);
    expect(codeOf(() => q.enqueue('c'))).toBe('ERR_POE_QUEUE_FULL');
    expect(codeOf(() => q.enqueue(() => 1))).toBe('ERR_POE_CLONE');
    expect(codeOf(() => q.dequeueSync())).toBe('ERR_POE_THREAD_MAIN');
    expect(await q.dequeue()).toBe('a');
    expect(q.dequeueNb()).toEqual({ b: [1n, new Map([[1, 2]])] });
    expect(q.dequeue_nb()).toBeUndefined();
    await expect(q.dequeue({ timeout: 0.05 })).rejects.toMatchObject({ code: 'ERR_POE_WAIT_TIMEOUT' });
    q.end();
    expect(codeOf(() => q.enqueue('d'))).toBe('ERR_POE_QUEUE_ENDED');
    expect([await q.dequeue(), q.pending()]).toEqual([undefined, undefined]);
    expect(codeOf(() => new Queue({ bytes: 64 }).enqueue('x'.repeat(100)))).toBe('ERR_POE_QUEUE_FULL');
  });

  test('items wrap around the ring: many more bytes than it holds pass through in order', async () => {
    const q1 = new Queue<number>({ bytes: 256, limit: 1000 });
    const q2 = new Queue<{ x: number }>({ bytes: 256 });
    const a = threads.create(shared, 'square', q1, q2);
    const out: number[] = [];
    let sent = 0;
    // The main thread must not block: it feeds what fits and drains what comes.
    while (out.length < 300) {
      while (sent < 300) {
        try {
          q1.enqueue(sent + 1);
          sent++;
        } catch {
          break;
        }
      }
      if (sent === 300) q1.end();
      const x = await q2.dequeue();
      if (x !== undefined) out.push(x.x);
    }
    expect(out).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await a.join()).toBe(300);
  });
});

describe('SharedSemaphore (Thread::Semaphore) and SharedArray (threads::shared)', () => {
  test('a semaphore of 2 lets at most 2 of 4 threads in at once; every round gets through', async () => {
    const sem = new SharedSemaphore(2);
    const counters = new SharedArray(3, 'int32');
    const ready = new SharedSemaphore(0);
    const gate = new SharedSemaphore(0);
    const thrs = [1, 2, 3, 4].map(() => threads.create(shared, 'guarded', sem, counters, 20, ready, gate));
    await ready.down(4);
    gate.up(4);
    for (const t of thrs) expect(await t.join()).toBe(20);
    const [inside, most, rounds] = counters.values;
    expect([inside, rounds, sem.count]).toEqual([0, 80, 2]);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(2);
  });

  test('the main thread takes units with the promise form while threads hold them; tryDown / down_nb do not wait', async () => {
    const sem = new SharedSemaphore(1);
    expect([sem.tryDown(), sem.down_nb()]).toEqual([true, false]);
    const counters = new SharedArray(3, 'int32');
    const thr = threads.create(shared, 'guarded', sem, counters, 5);
    sem.up();
    await sem.down();
    sem.up();
    expect(await thr.join()).toBe(5);
    expect(counters.values[2]).toBe(5);
    expect(codeOf(() => sem.downSync())).toBe('ERR_POE_THREAD_MAIN');
  });

  test('lock: 3 threads x 20000 plain read-add-write under the lock, started together, lose no update', async () => {
    const arr = new SharedArray(2, 'int32');
    const ready = new SharedSemaphore(0);
    const gate = new SharedSemaphore(0);
    const thrs = [1, 2, 3].map(() => threads.create(shared, 'lockedAdd', arr, 20_000, ready, gate));
    await ready.down(3);
    gate.up(3);
    for (const t of thrs) await t.join();
    expect(arr.values[0]).toBe(60_000);
  });

  test('cond_wait / cond_broadcast: two threads wait under the lock until the main thread sets the value', async () => {
    const arr = new SharedArray(3);
    const thrs = [1, 2].map(() => threads.create(shared, 'condWaiter', arr));
    const guard = await arr.lockAsync();
    while (arr.values[2]! < 2) await arr.condWaitAsync();
    arr.values[1] = 42.5;
    arr.values[0] = 1;
    arr.condBroadcast();
    guard.unlock();
    expect([await thrs[0]!.join(), await thrs[1]!.join()]).toEqual([42.5, 42.5]);
    expect(codeOf(() => arr.unlock())).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => arr.condWait())).toBe('ERR_POE_INVALID_ARGUMENT');
  });
});
