/**
 * Channel (issue 11): unbounded, rendezvous (maxsize 1) and buffered (maxsize 2) in exact
 * interleavings, both forms, FIFO getters, shutdown, size, async iteration and timeouts.
 */
import { describe, expect, test } from 'vitest';
import { Channel, Session, task, type PoeError } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

describe('put and get', () => {
  test('unbounded: getters waiting wake in order, one item each; put never waits; size counts what is left', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<string>(0, { kernel });
    for (const name of ['a', 'b', 'c']) {
      task(
        async () => {
          say(`${name} gets`);
          say(`${name} got ${String(await ch.get())}`);
        },
        { kernel },
      );
    }
    task(
      async () => {
        for (const item of ['one', 'two', 'three', 'four', 'five']) await ch.put(item);
        say(`producer put five without waiting, size ${ch.size}`);
      },
      { kernel },
    );
    await run();
    expect(log).toEqual(['a gets', 'b gets', 'c gets', 'producer put five without waiting, size 2', 'a got one', 'b got two', 'c got three']);
    expect(ch.size).toBe(2);
  });

  test('an item already there is taken at once: the getter goes on before the next queued event', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<number>(0, { kernel });
    void ch.put(1);
    void ch.put(2);
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          task(
            async () => {
              say(`got ${String(await ch.get())}`);
              say(`got ${String(await ch.get())}`);
            },
            { kernel },
          );
          ctx.kernel.yield('ev');
        },
        ev: () => say('ev'),
      },
    });
    await run();
    expect(log).toEqual(['got 1', 'got 2', 'ev']);
  });

  test('rendezvous (maxsize 1): each put resolves only once its item was taken', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<number>(1, { kernel });
    task(
      async () => {
        for (let i = 1; i <= 3; i++) {
          say(`put ${i}`);
          await ch.put(i);
          say(`put ${i} done, size ${ch.size}`);
        }
      },
      { kernel },
    );
    task(
      async (t) => {
        for (let i = 0; i < 3; i++) {
          say(`get, size ${ch.size}`);
          say(`got ${String(await ch.get())}`);
          await t.cede();
        }
      },
      { kernel },
    );
    await run();
    expect(log).toEqual([
      'put 1',
      'get, size 1',
      'got 1',
      'put 1 done, size 0',
      'put 2',
      'get, size 1',
      'got 2',
      'put 2 done, size 0',
      'put 3',
      'get, size 1',
      'got 3',
      'put 3 done, size 0',
    ]);
  });

  test('maxsize 2 buffers one item: the first put returns at once, the second waits for a get', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<number>(2, { kernel });
    task(
      async () => {
        for (let i = 1; i <= 3; i++) {
          say(`put ${i}`);
          await ch.put(i);
          say(`put ${i} done, size ${ch.size}`);
        }
      },
      { kernel },
    );
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('get', 1),
        get: async (ctx) => {
          say(`get at size ${ch.size}: ${String(await ch.get())}`);
          if (ch.size > 0 || !ch.isShutdown) ctx.kernel.delay('get', 1);
          if (ch.size === 0) ch.shutdown();
        },
      },
    });
    await run();
    expect(log).toEqual([
      'put 1',
      'put 1 done, size 1',
      'put 2',
      'get at size 2: 1',
      'put 2 done, size 1',
      'put 3',
      'get at size 2: 2',
      'put 3 done, size 1',
      'get at size 1: 3',
      'get at size 0: undefined',
    ]);
  });

  test('maxsize 2 with several puts waiting: each get releases only the put whose item is now first in line', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<string>(2, { kernel });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          for (const item of ['x', 'y', 'z']) ch.put(item, ctx.session, 'put_done', item);
          say(`three puts made, size ${ch.size}`);
          ctx.kernel.delay('take', 1);
        },
        put_done: (_ctx, _value, item) => say(`put ${String(item)} done`),
        take: (ctx) => {
          ch.get(ctx.session, 'took');
          if (ch.size > 0) ctx.kernel.delay('take', 1);
        },
        took: (_ctx, item) => say(`took ${String(item)}, size ${ch.size}`),
      },
    });
    await run();
    expect(log).toEqual(['three puts made, size 3', 'put x done', 'put y done', 'took x, size 2', 'put z done', 'took y, size 1', 'took z, size 0']);
  });

  test('event form: get posts `(item, ...args)`, put posts `(undefined, ...args)` once it has room; getters in order', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<string>(1, { kernel });
    for (const name of ['a', 'b']) {
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => ch.get(ctx.session, 'got', name),
          got: (ctx, item, who) => say(`${id(ctx.session)} got ${String(item)} for ${String(who)}`),
        },
      });
    }
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ch.put('x', ctx.session, 'put_done', 1);
          ch.put('y', ctx.session, 'put_done', 2);
          ch.put('z', ctx.session, 'put_done', 3);
          say(`three puts made, size ${ch.size}`);
          ctx.kernel.delay('take', 1);
        },
        put_done: (_ctx, value, n) => say(`put_done (${String(value)}, ${String(n)}) size ${ch.size}`),
        take: (ctx) => ch.get(ctx.session, 'took'),
        took: (_ctx, item) => say(`took ${String(item)}`),
      },
    });
    await run();
    expect(log).toEqual([
      'three puts made, size 1',
      // A get was waiting: the getter's event is queued first, then the put's.
      'S1 got x for a',
      'put_done (undefined, 1) size 1',
      'S2 got y for b',
      'put_done (undefined, 2) size 1',
      // The get takes the item a put waits with: the put is released (queued) before the
      // get's own event is.
      'put_done (undefined, 3) size 0',
      'took z',
    ]);
  });
});

describe('tryPut and tryGet', () => {
  test('they never wait: tryPut hands an item to a waiting getter or stores it while there is room, else adds nothing', async () => {
    const { kernel, log, say, run } = makeKernel();
    const rendezvous = new Channel<string>(1, { kernel });
    const buffered = new Channel<string>(2, { kernel });
    say(`rendezvous tryPut with nobody waiting: ${rendezvous.tryPut('lost?')}, size ${rendezvous.size}`);
    say(`buffered tryPut: ${buffered.tryPut('kept')} then ${buffered.tryPut('no room')}, size ${buffered.size}`);
    say(`buffered tryGet: ${String(buffered.tryGet())} then ${String(buffered.tryGet())}`);
    task(
      async () => {
        say(`getter got ${String(await rendezvous.get())}`);
      },
      { kernel },
    );
    task(
      () => {
        say(`tryPut to the waiting getter: ${rendezvous.tryPut('handed')}, size ${rendezvous.size}`);
        rendezvous.shutdown();
        let threw = '';
        try {
          rendezvous.tryPut('late');
        } catch (err) {
          threw = (err as PoeError).code;
        }
        say(`tryPut after shutdown: ${threw}`);
      },
      { kernel },
    );
    await run();
    expect(log).toEqual([
      'rendezvous tryPut with nobody waiting: false, size 0',
      'buffered tryPut: true then false, size 1',
      'buffered tryGet: kept then undefined',
      'tryPut to the waiting getter: true, size 0',
      'tryPut after shutdown: ERR_POE_CHANNEL_SHUTDOWN',
      'getter got handed',
    ]);
  });
});

describe('shutdown', () => {
  test('waiting getters get undefined; items put before it are still delivered; later gets undefined once empty; put throws', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<string>(0, { kernel });
    const getter = (name: string) =>
      task(
        async () => {
          say(`${name} got ${String(await ch.get())}`);
        },
        { kernel },
      );
    getter('a');
    getter('b');
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('close', 1),
        close: (ctx) => {
          ch.shutdown();
          ch.shutdown();
          say(`shut down: ${ch.isShutdown}`);
          ctx.kernel.yield('more');
        },
        more: () => {
          try {
            void ch.put('late');
          } catch (err) {
            say(`put after shutdown: ${(err as PoeError).code}`);
          }
        },
      },
    });
    // A second channel: items before the shutdown are delivered, then undefined.
    const full = new Channel<string>(0, { kernel });
    void full.put('p');
    void full.put('q');
    full.shutdown();
    task(
      async () => {
        say(`full: ${String(await full.get())} ${String(await full.get())} ${String(await full.get())} ${String(await full.get())}`);
      },
      { kernel },
    );
    await run();
    expect(log).toEqual(['full: p q undefined undefined', 'shut down: true', 'a got undefined', 'b got undefined', 'put after shutdown: ERR_POE_CHANNEL_SHUTDOWN']);
  });

  test('for await takes every item until the channel is shut down and empty', async () => {
    const { kernel, log, say, run } = makeKernel();
    const ch = new Channel<number>(0, { kernel });
    task(
      async () => {
        for await (const n of ch) say(`item ${n}`);
        say('loop ended');
      },
      { kernel },
    );
    task(
      async (t) => {
        await ch.put(1);
        await t.cede();
        await ch.put(2);
        await ch.put(3);
        ch.shutdown();
        say('producer shut down');
      },
      { kernel },
    );
    await run();
    expect(log).toEqual(['item 1', 'producer shut down', 'item 2', 'item 3', 'loop ended']);
  });
});

describe('timeouts', () => {
  test('a get that times out leaves the queue at exactly its time; the next item goes to the next getter', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const ch = new Channel<string>(0, { kernel });
    const start = clock.now();
    const getter = (name: string, timeout: number) =>
      task(
        async () => {
          try {
            say(`${name} got ${String(await ch.get({ timeout }))} at ${clock.now() - start}`);
          } catch (err) {
            say(`${name}: ${(err as PoeError).code} at ${clock.now() - start}`);
          }
        },
        { kernel },
      );
    getter('a', 1);
    getter('b', 5);
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('put', 2),
        put: () => void ch.put('item'),
      },
    });
    await run();
    expect(log).toEqual(['a: ERR_POE_WAIT_TIMEOUT at 1', 'b got item at 2']);
    expect(ch.size).toBe(0);
  });

  test('a put waiting for room that times out or is aborted takes its item back; the others keep their order', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const ch = new Channel<string>(1, { kernel });
    const start = clock.now();
    const ac = new AbortController();
    const putter = (item: string, options: { timeout?: number; signal?: AbortSignal }) =>
      task(
        async () => {
          try {
            await ch.put(item, options);
            say(`put ${item} done at ${clock.now() - start}`);
          } catch (err) {
            say(`put ${item}: ${(err as PoeError).code ?? String(err)} at ${clock.now() - start}, size ${ch.size}`);
          }
        },
        { kernel },
      );
    putter('a', { timeout: 1 });
    putter('b', {});
    putter('c', { signal: ac.signal });
    putter('d', {});
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.delayAdd('abort', 0.5);
          ctx.kernel.delayAdd('get', 2);
        },
        abort: () => ac.abort('stop c'),
        get: async (ctx) => {
          say(`get at ${clock.now() - start}, size ${ch.size}: ${String(await ch.get())}`);
          if (ch.size > 0) ctx.kernel.delayAdd('get', 1);
        },
      },
    });
    await run();
    expect(log).toEqual([
      'put c: stop c at 0.5, size 3',
      'put a: ERR_POE_WAIT_TIMEOUT at 1, size 2',
      'get at 2, size 2: b',
      'put b done at 2',
      'get at 3, size 1: d',
      'put d done at 3',
    ]);
  });

  test('bad maxsize is ERR_POE_INVALID_ARGUMENT', () => {
    const { kernel } = makeKernel();
    for (const n of [-1, 1.5, Number.NaN]) expect(() => new Channel(n, { kernel })).toThrow(expect.objectContaining({ code: 'ERR_POE_INVALID_ARGUMENT' }));
  });
});
