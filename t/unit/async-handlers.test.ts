/**
 * `async` handlers (issue 9): calls a handler makes through `ctx` after an `await` act for the
 * handler's session, as they did before it; the running handler holds its session; its
 * rejection is DIE (or the caller's, for `call`); code that is not in an async handler's scope
 * and has no session to act for fails with ESRCH and says so once.
 */
import { describe, expect, test } from 'vitest';
import { Kernel, ReadWrite, Session, duplexPair, errno, type Context, type DieInfo, type SessionOrKernel } from '../../src/index.js';
import { gate, id, makeKernel, settle } from '../kit/index.js';

describe('async handlers act for their session after await', () => {
  test("the issue's example: `_start: async (ctx) => { await x; ctx.kernel.yield('next') }` reaches `next`", async () => {
    const { kernel, log, say, run } = makeKernel();
    const x = gate();
    Session.create({
      kernel,
      inlineStates: {
        _start: async (ctx) => {
          say('_start before await');
          await x.promise;
          say(`after await: yield -> ${String(ctx.kernel.yield('next', 'a'))}`);
        },
        next: (ctx, arg) => say(`next ${String(arg)} sender is me: ${ctx.sender === ctx.session}`),
        _stop: () => say('_stop'),
      },
    });
    // A second session looks a second later: the running _start holds its session, which is
    // not collected while it awaits.
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('look', 1),
        look: (ctx) => {
          say(`S1 alive because: ${ctx.kernel.ps().find((p) => p.id === 1)?.aliveBecause.join('; ')}`);
          x.open();
        },
      },
    });
    await run();
    expect(log).toEqual([
      '_start before await',
      'S1 alive because: async handler(s) still running: _start',
      'after await: yield -> undefined',
      'next a sender is me: true',
      '_stop',
    ]);
  });

  test('after await: post and call carry the session as SENDER, timers, aliases, signals and state belong to it, children are its own', async () => {
    const { kernel, log, say, run } = makeKernel();
    const x = gate();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.aliasSet('peer'),
        hello: (ctx, from: unknown) => {
          say(`peer got hello from ${String(from)}, SENDER ${id(ctx.sender)}, callerState ${String(ctx.callerState)}`);
          ctx.kernel.aliasRemove('peer');
        },
        ask: (ctx) => `answer to ${id(ctx.sender)}`,
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('work'),
        work: async (ctx) => {
          await x.promise;
          const k = ctx.kernel;
          say(`active ${id(k.getActiveSession())} event ${k.getActiveEvent()}`);
          say(`post -> ${String(k.post('peer', 'hello', id(ctx.session)))}`);
          say(`call -> ${String(k.call('peer', 'ask'))}`);
          say(`aliasSet -> ${k.aliasSet('worker')} aliases ${k.aliasList().join(',')}`);
          say(`delay -> ${k.delay('tick', 1, 't1')}`);
          say(`state -> ${k.state('added', (_c: Context, a: unknown) => say(`added ${String(a)}`))}`);
          k.yield('added', 'y');
          k.sig('USR2', 'usr2');
          k.signal(ctx.session, 'USR2');
          const child = Session.create({ inlineStates: { _start: (c) => say(`child of ${id(c.sender)} in the same kernel: ${c.kernel === kernel}`) } });
          say(`child ${child === undefined ? 'undef' : id(child)}`);
        },
        tick: (ctx, what) => {
          say(`tick ${String(what)}`);
          ctx.kernel.aliasRemove('worker');
          ctx.kernel.sig('USR2');
        },
        usr2: (_ctx, name) => say(`signal ${String(name)}`),
        _child: (_ctx, reason, child) => say(`_child ${reason} ${id(child)}`),
      },
    });
    const done = run();
    await settle(1);
    x.open();
    await done;
    expect(log).toEqual([
      'active S2 event work',
      'post -> 1',
      'call -> answer to S2',
      'aliasSet -> 0 aliases worker',
      'delay -> 0',
      'state -> 0',
      'child of S2 in the same kernel: true',
      '_child create S3',
      'child S3',
      'peer got hello from S2, SENDER S2, callerState work',
      'added y',
      'signal USR2',
      '_child lose S3',
      'tick t1',
    ]);
  });

  test('a wheel made after await binds to the handler’s session and its events reach it', async () => {
    const { kernel, log, say, run } = makeKernel();
    const [mine, theirs] = duplexPair();
    const x = gate();
    Session.create({
      kernel,
      inlineStates: {
        _start: async (ctx) => {
          await x.promise;
          ctx.heap.wheel = new ReadWrite({ handle: mine, inputEvent: 'got', errorEvent: 'err' });
          say(`wheel session is mine: ${(ctx.heap.wheel as ReadWrite).session === ctx.session}`);
          theirs.end('one\r\ntwo\r\n');
        },
        got: (_ctx, line) => say(`got ${String(line)}`),
        err: (ctx, op, num) => {
          say(`err ${String(op)} ${String(num)}`);
          (ctx.heap.wheel as ReadWrite).destroy();
          delete ctx.heap.wheel;
        },
      },
    });
    const done = run();
    await settle(1);
    x.open();
    await done;
    expect(log).toEqual(['wheel session is mine: true', 'got one', 'got two', 'err read 0']);
  });

  test('a handler in another kernel: Session.create and Kernel.current() after await find that kernel', async () => {
    const a = makeKernel();
    const b = makeKernel();
    let seen: Kernel | undefined;
    Session.create({
      kernel: b.kernel,
      inlineStates: {
        _start: async () => {
          await Promise.resolve();
          seen = Kernel.current();
          Session.create({ inlineStates: { _start: (c) => b.say(`child in b: ${c.kernel === b.kernel}, parent ${id(c.sender)}`) } });
        },
      },
    });
    await b.run();
    expect(seen).toBe(b.kernel);
    expect(b.log).toEqual(['child in b: true, parent S1']);
    expect(a.kernel.sessionCount).toBe(0);
  });

  test('the running handler holds its session across awaits that wait on timers of other sessions', async () => {
    const { kernel, log, say, run, clock } = makeKernel();
    const x = gate<string>();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.delay('later', 5),
        later: (ctx) => {
          say(`later at ${clock.now()}`);
          x.open('opened');
          ctx.kernel.yield('noop');
        },
        noop: () => {},
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: async (ctx) => {
          say(`waiting (${clock.now()})`);
          say(`got ${await x.promise} at ${clock.now()}`);
          ctx.kernel.delay('done', 1);
        },
        done: () => say(`done at ${clock.now()}`),
        _stop: () => say('waiter _stop'),
      },
    });
    await run();
    expect(log).toEqual(['waiting (0)', 'later at 5', 'got opened at 5', 'done at 6', 'waiter _stop']);
  });
});

describe('async handlers: errors and sessions that stop first', () => {
  test('a rejection after await is DIE with the event, like a synchronous throw', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: async (ctx) => {
          ctx.kernel.sig('DIE', 'died');
          await Promise.resolve();
          throw new Error('late failure');
        },
        died: (ctx, _name, info) => {
          say(`DIE in ${(info as DieInfo).event}: ${(info as DieInfo).errorStr}`);
          ctx.kernel.sigHandled();
        },
        _stop: () => say('_stop'),
      },
    });
    await run();
    expect(log).toEqual(['DIE in _start: late failure', '_stop']);
  });

  test('call() into an async handler gives the caller the promise: its rejection is the caller’s, not DIE', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.sig('DIE', 'died');
          ctx.kernel.aliasSet('svc');
        },
        fetch: async (_ctx, what) => {
          await Promise.resolve();
          if (what === 'bad') throw new Error('no such thing');
          return `value of ${String(what)}`;
        },
        died: (ctx) => {
          say('ERROR: DIE');
          ctx.kernel.sigHandled();
        },
        bye: (ctx) => void ctx.kernel.aliasRemove('svc'),
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('go'),
        go: async (ctx) => {
          say(await (ctx.kernel.call('svc', 'fetch', 'good')));
          try {
            await (ctx.kernel.call('svc', 'fetch', 'bad') as Promise<string>);
          } catch (err) {
            say(`caught ${(err as Error).message}`);
          }
          ctx.kernel.post('svc', 'bye');
        },
      },
    });
    await run();
    expect(log).toEqual(['value of good', 'caught no such thing']);
  });

  test('a session stopped while its handler awaited: the calls after await act for no session, warned once', async () => {
    const { kernel, log, say, warnings, run } = makeKernel();
    const x = gate();
    Session.create({
      kernel,
      inlineStates: {
        _start: async (ctx) => {
          ctx.kernel.yield('quit');
          await x.promise;
          say(`yield -> ${String(ctx.kernel.yield('never'))} errno ${ctx.kernel.errno === errno.ESRCH ? 'ESRCH' : ctx.kernel.errno}`);
          say(`delay -> ${ctx.kernel.delay('never', 1) === errno.ESRCH ? 'ESRCH' : 'set'}`);
        },
        quit: (ctx) => {
          ctx.kernel.stop();
          x.open();
        },
        never: () => say('ERROR: never'),
        _stop: () => say('_stop'),
      },
    });
    await run();
    await x.promise;
    await settle(1);
    expect(log).toEqual(['_stop', 'yield -> undefined errno ESRCH', 'delay -> ESRCH']);
    expect(warnings).toEqual(["poe-ts: yield after an await in async handler '_start' of session 1, which has stopped: it acts for no session"]);
  });

  test('a handler that returns a promise without being async: its callbacks have no session, ESRCH, and the kernel says why once', async () => {
    const { kernel, log, say, warnings, run } = makeKernel();
    let sender: SessionOrKernel | undefined;
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) =>
          Promise.resolve().then(() => {
            say(`yield -> ${String(ctx.kernel.yield('next'))} errno ${ctx.kernel.errno === errno.ESRCH ? 'ESRCH' : ctx.kernel.errno}`);
            say(`yield again -> ${String(ctx.kernel.yield('next'))}`);
            sender = ctx.kernel.getActiveSession();
          }),
        next: () => say('ERROR: next'),
      },
    });
    await run();
    expect(log).toEqual(['yield -> undefined errno ESRCH', 'yield again -> undefined']);
    expect(Kernel.isKernel(sender)).toBe(true);
    expect(warnings).toEqual([
      'poe-ts: yield was called outside any handler while the kernel runs (from a callback, or after an await in a handler that is not an async function?); there is no session to act for, so it fails with ESRCH',
    ]);
  });
});
