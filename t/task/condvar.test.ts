/**
 * CondVar (issue 11): send/recv and croak in both forms, send twice, cb, begin/end, recv from
 * the main line, and waiters woken in the order they began to wait.
 */
import { describe, expect, test } from 'vitest';
import { CondVar, PoeStallError, Session, task, type PoeError } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

describe('send and recv', () => {
  test('waiters wake in the order they waited, each with the value; a recv once ready goes on before the next event', async () => {
    const { kernel, log, say, run } = makeKernel();
    const cv = new CondVar<string>({ kernel });
    for (const name of ['a', 'b', 'c']) {
      task(
        async () => {
          say(`${name} waits`);
          say(`${name} got ${await cv.recv()}`);
        },
        { kernel },
      );
    }
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('send'),
        send: (ctx) => {
          say(`ready ${cv.ready}`);
          cv.send('v');
          say(`ready ${cv.ready}`);
          task(
            async () => {
              say(`late got ${await cv.wait()}`);
              ctx.kernel.post(ctx.session, 'ev');
              say(`late again ${await cv.recv()}`);
            },
            { kernel },
          );
          ctx.kernel.yield('ev');
        },
        ev: () => say('ev'),
      },
    });
    await run();
    expect(log).toEqual([
      'a waits',
      'b waits',
      'c waits',
      'ready false',
      'ready true',
      'a got v',
      'b got v',
      'c got v',
      'late got v',
      'late again v',
      'ev',
      'ev',
    ]);
  });

  test('event form posts `(value, error, ...args)` when it is ready, in order; at once (queued) when it already is', async () => {
    const { kernel, log, say, run } = makeKernel();
    const cv = new CondVar<number>({ kernel });
    const bad = new CondVar<number>({ kernel });
    const err = new Error('broken');
    for (const name of ['a', 'b']) {
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => {
            cv.recv(ctx.session, 'got', name, 'x');
            bad.recv(ctx.session, 'got', name, 'y');
          },
          got: (ctx, value, error, who, tag) => say(`${id(ctx.session)} got (${String(value)}, ${error === err ? 'err' : String(error)}, ${String(who)}, ${String(tag)})`),
        },
      });
    }
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('go', 1),
        go: (ctx) => {
          cv.send(7);
          bad.croak(err);
          cv.recv(ctx.session, 'late', 'z');
          bad.recv(ctx.session, 'late', 'w');
        },
        late: (_ctx, value, error, tag) => say(`late (${String(value)}, ${error === err ? 'err' : String(error)}, ${String(tag)})`),
      },
    });
    await run();
    expect(log).toEqual([
      'S1 got (7, undefined, a, x)',
      'S2 got (7, undefined, b, x)',
      'S1 got (undefined, err, a, y)',
      'S2 got (undefined, err, b, y)',
      'late (7, undefined, z)',
      'late (undefined, err, w)',
    ]);
  });

  test('croak: waiting and later recvs reject with the error', async () => {
    const { kernel, log, say, run } = makeKernel();
    const cv = new CondVar({ kernel });
    const err = new Error('no luck');
    const receiver = (name: string) =>
      task(
        async () => {
          try {
            await cv.recv();
            say(`${name} ERROR: resolved`);
          } catch (e) {
            say(`${name} rejected, same error: ${e === err}`);
          }
        },
        { kernel },
      );
    receiver('a');
    receiver('b');
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('croak'),
        croak: () => {
          cv.croak(err);
          say(`ready ${cv.ready}`);
          receiver('late');
        },
      },
    });
    await run();
    expect(log).toEqual(['ready true', 'a rejected, same error: true', 'b rejected, same error: true', 'late rejected, same error: true']);
  });

  test('send twice: waiters already woken keep the first value; later recvs get the last', async () => {
    const { kernel, log, say, run } = makeKernel();
    const cv = new CondVar<string>({ kernel });
    task(async () => say(`early got ${await cv.recv()}`), { kernel });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('send'),
        send: () => {
          cv.send('first');
          cv.send('second');
          task(async () => say(`late got ${await cv.recv()}`), { kernel });
        },
      },
    });
    await run();
    expect(log).toEqual(['early got first', 'late got second']);
  });

  test('a recv that times out rejects at exactly its time and leaves; the others still get the value', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const cv = new CondVar<string>({ kernel });
    const start = clock.now();
    task(
      async () => {
        try {
          await cv.recv({ timeout: 1 });
        } catch (e) {
          say(`a: ${(e as PoeError).code} at ${clock.now() - start}`);
        }
      },
      { kernel },
    );
    task(async () => say(`b got ${await cv.recv()} at ${clock.now() - start}`), { kernel });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('send', 4),
        send: () => cv.send('v'),
      },
    });
    await run();
    expect(log).toEqual(['a: ERR_POE_WAIT_TIMEOUT at 1', 'b got v at 4']);
  });
});

describe('cb', () => {
  test('the callback runs as a queued event, after what was queued before the send; cb() once ready queues it at once and returns the previous one', async () => {
    const { kernel, log, say, run } = makeKernel();
    const first = (c: CondVar<string>) => say(`constructor cb: ready ${c.ready}`);
    const cv = new CondVar<string>({ kernel, cb: first });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.yield('before');
          cv.send('v');
          say('sent');
          ctx.kernel.yield('after');
        },
        before: () => say('before'),
        after: (ctx) => {
          say('after');
          const previous = cv.cb(() => say('second cb'));
          say(`previous is the first: ${previous === first}`);
          ctx.kernel.yield('last');
        },
        last: () => say('last'),
      },
    });
    await run();
    expect(log).toEqual(['sent', 'before', 'constructor cb: ready true', 'after', 'previous is the first: true', 'second cb', 'last']);
  });
});

describe('begin and end', () => {
  test('without a group callback, the last end() sends; with one, end() calls it at 0; end without begin throws', async () => {
    const { kernel, log, say, run } = makeKernel();
    const plain = new CondVar<string>({ kernel });
    const grouped = new CondVar<string>({ kernel });
    task(async () => say(`plain got ${String(await plain.recv())}`), { kernel });
    task(async () => say(`grouped got ${await grouped.recv()}`), { kernel });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          plain.begin();
          plain.begin();
          grouped.begin((c) => {
            say(`group cb, pending ${c.pending}`);
            c.send('all done');
          });
          grouped.begin();
          say(`pending ${plain.pending} ${grouped.pending}`);
          ctx.kernel.delay('finish', 1);
        },
        finish: () => {
          plain.end();
          say(`plain ready after one end: ${plain.ready}`);
          plain.end();
          say(`plain ready after two: ${plain.ready}`);
          grouped.end();
          grouped.end();
          try {
            grouped.end();
          } catch (err) {
            say(`extra end: ${(err as PoeError).code}, pending ${grouped.pending}`);
          }
        },
      },
    });
    await run();
    expect(log).toEqual([
      'pending 2 2',
      'plain ready after one end: false',
      'plain ready after two: true',
      'group cb, pending 0',
      'extra end: ERR_POE_INVALID_ARGUMENT, pending 0',
      'plain got undefined',
      'grouped got all done',
    ]);
  });
});

describe('recv from the main line', () => {
  test('runs the kernel until the condvar is ready, then pauses it; with no session left to send it rejects PoeStallError', async () => {
    const { kernel, clock, log, say } = makeKernel();
    const cv = new CondVar<string>({ kernel });
    const start = clock.now();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.delay('send', 2);
          ctx.kernel.delay('later', 5);
        },
        send: () => {
          say('send');
          cv.send('hello');
        },
        later: () => say('later'),
      },
    });
    say(`main got ${await cv.recv()} at ${clock.now() - start}, sessions ${kernel.sessionCount}`);
    const never = new CondVar({ kernel });
    const err = await never.recv().then(
      () => undefined,
      (e: unknown) => e,
    );
    say(`main again: ${err instanceof PoeStallError} ${(err as PoeError).code} at ${clock.now() - start}`);
    expect(log).toEqual(['send', 'main got hello at 2, sessions 1', 'later', 'main again: true ERR_POE_KERNEL_STALLED at 5']);
    expect(kernel.leaks()).toEqual([]);
  });
});
