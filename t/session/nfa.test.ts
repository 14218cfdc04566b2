/**
 * POE::NFA beyond the recorded probes (t/conformance/35_nfa.test.ts): bad input with exact
 * codes, the machine as a session among others (ids, aliases, timers, ps, parents and
 * children, typed posts), async handlers, and run-time errors nobody watches.
 */
import { describe, expect, test } from 'vitest';
import { NFA, type NfaContext, PoeArgumentError, PoeNfaError, ReadWrite, Session, duplexPair } from '../../src/index.js';
import { codeOf, id, makeKernel, realKernel } from '../kit/index.js';

describe('NFA.spawn: bad input', () => {
  const kernel = makeKernel().kernel;
  const cases: [string, () => unknown, string][] = [
    ['parameters not an object', () => NFA.spawn(null as never), 'ERR_POE_NFA_BAD_PARAMS'],
    ['no states at all', () => NFA.spawn({ kernel, runstate: {} }), 'ERR_POE_NFA_BAD_PARAMS'],
    ['POE spelling of a key', () => NFA.spawn({ kernel, inline_states: {} } as never), 'ERR_POE_UNKNOWN_OPTION'],
    ['heap instead of runstate', () => NFA.spawn({ kernel, inlineStates: {}, heap: {} } as never), 'ERR_POE_UNKNOWN_OPTION'],
    ['inlineStates not an object', () => NFA.spawn({ kernel, inlineStates: [] as never }), 'ERR_POE_NFA_BAD_PARAMS'],
    ['a state not an object', () => NFA.spawn({ kernel, inlineStates: { a: 'x' as never } }), 'ERR_POE_NFA_BAD_PARAMS'],
    ['a handler not a function', () => NFA.spawn({ kernel, inlineStates: { a: { go: 42 as never } } }), 'ERR_POE_SESSION_BAD_HANDLER'],
    ['a class as a handler', () => NFA.spawn({ kernel, inlineStates: { a: { go: class {} as never } } }), 'ERR_POE_SESSION_BAD_HANDLER'],
    ['a reserved poe_nfa_ event', () => NFA.spawn({ kernel, inlineStates: { a: { poe_nfa_stop: () => {} } } }), 'ERR_POE_SESSION_BAD_HANDLER'],
    ['the reserved _signal event', () => NFA.spawn({ kernel, inlineStates: { a: { _signal: () => {} } } }), 'ERR_POE_SESSION_BAD_HANDLER'],
    ['objectStates list not an array', () => NFA.spawn({ kernel, objectStates: { a: {} as never } }), 'ERR_POE_NFA_BAD_PARAMS'],
    ['objectStates method missing', () => NFA.spawn({ kernel, objectStates: { a: [{}, ['nope']] } }), 'ERR_POE_SESSION_BAD_HANDLER'],
    ['kernel not a Kernel', () => NFA.spawn({ kernel: {} as never, inlineStates: {} }), 'ERR_POE_NFA_BAD_PARAMS'],
    ['NFA.create instead of spawn', () => NFA.create(), 'ERR_POE_NFA_BAD_PARAMS'],
  ];
  test.each(cases)('%s', (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  test('the messages name what is wrong', () => {
    expect(() => NFA.spawn({ kernel, inline_states: {} } as never)).toThrow('Unknown NFA.spawn option `inline_states`; did you mean `inlineStates`?');
    expect(() => NFA.spawn({ kernel, inlineStates: { a: 'x' as never } })).toThrow(new PoeArgumentError('ERR_POE_NFA_BAD_PARAMS', 'Expected state `a` in `inlineStates` to be an object of event handlers, got `"x"` (string)'));
    expect(kernel.sessionCount).toBe(0);
  });

  test('gotoState, callState with a state or event that is not a string: ERR_POE_INVALID_ARGUMENT at the call', async () => {
    const { kernel, run } = makeKernel();
    const m = NFA.spawn({ kernel, inlineStates: { a: {} } });
    expect(codeOf(() => m.gotoState(42 as never))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => m.gotoState('a', {} as never))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => m.callState(7 as never, 'a'))).toBe('ERR_POE_INVALID_ARGUMENT');
    await run();
  });
});

describe('run-time errors nobody watches: run() rejects with the PoeNfaError', () => {
  test('gotoState to an unknown state from a handler', async () => {
    const { kernel, log, say } = makeKernel();
    NFA.spawn({
      kernel,
      inlineStates: {
        a: {
          go(ctx) {
            ctx.machine.gotoState('nowhere' as never);
            say(`go goes on in ${ctx.machine.getCurrentState()}`);
          },
        },
      },
    }).gotoState('a', 'go');
    const err = await kernel.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PoeNfaError);
    expect(err).toMatchObject({ code: 'ERR_POE_NFA_UNKNOWN_STATE', machineState: 'a', message: "session 1 tried to enter nonexistent state 'nowhere'" });
    expect(log).toEqual(['go goes on in a']);
    expect(kernel.sessionCount).toBe(0);
  });

  test('the first gotoState to an unknown state (made at once, outside any machine)', async () => {
    const { kernel } = makeKernel();
    const m = NFA.spawn({ kernel, inlineStates: { a: {} } });
    expect(m.gotoState('b' as never)).toBeUndefined();
    expect(m.getCurrentState()).toBeUndefined();
    await expect(kernel.run()).rejects.toMatchObject({ name: 'PoeNfaError', code: 'ERR_POE_NFA_UNKNOWN_STATE', machineState: undefined });
  });

  test('a machine never put in a state: an event to it has no handler; with nothing to do it is collected', async () => {
    const { kernel, log, say } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const m = NFA.spawn({ inlineStates: { a: { hello: () => say('hello') } } });
          say(`state ${String(m.getCurrentState())}`);
          ctx.kernel.post(m, 'hello');
        },
        _child: (_ctx, why, kid) => say(`_child ${why} ${id(kid)}`),
      },
    });
    await expect(kernel.run()).rejects.toMatchObject({
      code: 'ERR_POE_NFA_NO_HANDLER',
      message: "a 'hello' event was sent from ? at ? to session 2, but session 2 has neither a handler for it nor one for _default in its current state, none (gotoState was never called)",
    });
    expect(log).toEqual(['_child create S2', 'state undefined', '_child lose S2']);
  });

  test('a machine spawned and left alone is collected like an idle session', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: () => void NFA.spawn({ inlineStates: { a: {} } }),
        _child: (_ctx, why, kid, ret) => say(`_child ${why} ${id(kid)} ${String(ret)}`),
        _stop: () => say('_stop'),
      },
    });
    await run();
    expect(log).toEqual(['_child create S2 undefined', '_child lose S2 undefined', '_stop']);
  });
});

describe('a machine is a session like any other', () => {
  interface Door {
    closed: { open: (who: string) => void; knock: () => string; leave: () => void };
    opened: { close: () => void; knock: () => string; enter: (who: string) => void };
  }
  interface Log {
    visits: string[];
  }

  test('ids, aliases, timers, ps, typed post and call, stop with a child that moves to the kernel', async () => {
    const { kernel, log, say, run } = makeKernel();
    const door = NFA.spawn<Door, Log>({
      kernel,
      runstate: { visits: [] },
      inlineStates: {
        closed: {
          open(ctx, who) {
            ctx.runstate.visits.push(who);
            ctx.machine.gotoState('opened', 'enter', who);
          },
          knock: (ctx) => `nobody opens (${ctx.state})`,
          leave: (ctx) => say(`leaving ${ctx.state}`),
        },
        opened: {
          enter(ctx, who) {
            say(`${who} enters; ps: ${ctx.kernel.ps().find((r) => r.id === ctx.machine.ID)?.desc ?? '?'}`);
            ctx.kernel.delay('close', 1);
            Session.create({
              inlineStates: {
                _start: (c) => void c.kernel.aliasSet('guest'),
                _parent: (c, from, to) => {
                  say(`guest _parent ${id(from)} -> ${id(to)}`);
                  c.kernel.aliasRemove('guest');
                },
              },
            });
          },
          knock: (ctx) => `come in (${ctx.state})`,
          close(ctx) {
            say(`closing after ${ctx.runstate.visits.join(',')}`);
            ctx.machine.stop();
          },
          _child: (_ctx, why, kid) => say(`door _child ${why} ${id(kid)}`),
        },
      },
    });
    door.gotoState('closed');
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          say(`knock: ${ctx.kernel.call(door, 'knock')}`);
          ctx.kernel.post(door, 'open', 'ann');
          // A knock queued now would still find the door closed: the move is queued too.
          ctx.kernel.delay('again', 0.5);
        },
        again: (ctx) => say(`knock: ${ctx.kernel.call(door, 'knock')}`),
      },
    });
    await run();
    expect(log).toEqual([
      'knock: nobody opens (closed)',
      'leaving closed',
      "ann enters; ps: NFA in state 'opened'",
      'door _child create S3',
      'knock: come in (opened)',
      'closing after ann',
      'guest _parent S1 -> kernel',
    ]);
    expect(door.ID).toBe(1);
    expect(door.getRunstate()).toEqual({ visits: ['ann'] });
    expect(door.getRunstate()).toBe(door.getHeap());
  });

  test('an async entry handler holds the machine until it settles; its rejection is DIE', async () => {
    const { kernel, log, say } = makeKernel();
    NFA.spawn({
      kernel,
      inlineStates: {
        a: {
          async go(ctx) {
            await Promise.resolve();
            say(`after await in ${ctx.state}: ${ctx.kernel.getActiveSession() === ctx.machine}`);
            throw new Error('boom');
          },
        },
      },
    }).gotoState('a', 'go');
    await expect(kernel.run()).rejects.toThrow('boom');
    expect(log).toEqual(['after await in a: true']);
    expect(kernel.sessionCount).toBe(0);
  });

  test('signals: a watcher is looked up in the current state; an unhandled TERM stops the machine', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const m = NFA.spawn({
            inlineStates: {
              calm: {
                go(c) {
                  c.kernel.sig('USR1', 'usr1');
                  c.kernel.aliasSet('m');
                  c.machine.gotoState('alert');
                },
                usr1: () => say('calm usr1'),
              },
              alert: {
                usr1(c, name) {
                  say(`alert ${String(name)}`);
                  c.kernel.sigHandled();
                },
              },
            },
          });
          m.gotoState('calm', 'go');
          ctx.kernel.delay('poke', 1);
        },
        poke(ctx) {
          ctx.kernel.signal('m', 'USR1');
          ctx.kernel.signal('m', 'TERM');
        },
        _child: (_ctx, why, kid) => say(`_child ${why} ${id(kid)}`),
      },
    });
    await run();
    expect(log).toEqual(['_child create S2', 'alert USR1', '_child lose S2']);
  });

  test("POE's snake_case spellings are the same functions", () => {
    const p = NFA.prototype;
    expect([p.goto_state, p.call_state, p.return_state, p.get_current_state, p.get_runstate]).toEqual([p.gotoState, p.callState, p.returnState, p.getCurrentState, p.getRunstate]);
  });

  test('the context has POE::NFA names and the session names for the same things', async () => {
    const { kernel, log, say, run } = makeKernel();
    NFA.spawn({
      kernel,
      runstate: { k: 1 },
      inlineStates: {
        s: {
          e(ctx: NfaContext<unknown, { k: number }>) {
            say(
              [ctx.MACHINE === ctx.machine, ctx.SESSION === ctx.machine, ctx.session === ctx.machine, ctx.RUNSTATE === ctx.runstate, ctx.HEAP === ctx.runstate, ctx.KERNEL === kernel].join(' '),
              ` EVENT=${ctx.EVENT} STATE=${ctx.STATE} SENDER=${id(ctx.SENDER)} OBJECT=${String(ctx.OBJECT)} CALLER_STATE=${String(ctx.CALLER_STATE)}`,
            );
          },
        },
      },
    }).gotoState('s', 'e');
    await run();
    expect(log).toEqual(['true true true true true true EVENT=e STATE=s SENDER=S1 OBJECT=undefined CALLER_STATE=undefined']);
  });
});

describe('wheels in a machine', () => {
  // POE::NFA's SYNOPSIS over a ReadWrite wheel: one input event, handled by whichever state
  // the machine is in. The wheel's own handlers are added with kernel.state(), so every state
  // sees them.
  interface Login {
    initial: { setup: () => void };
    login: { prompt: () => void; input: (line: string) => void };
    password: { prompt: () => void; input: (line: string) => void };
    command: { prompt: () => void; input: (line: string) => void };
    closing: { bye: (line: string) => void; flushed: () => void };
  }
  interface Io {
    io?: ReadWrite;
    user?: string;
  }

  test('the SYNOPSIS login machine: the input event goes to the current state', async () => {
    const { kernel, log, say, run } = realKernel();
    const [client, server] = duplexPair();
    const io = (ctx: { runstate: Io }): ReadWrite => ctx.runstate.io!;
    NFA.spawn<Login, Io>({
      kernel,
      runstate: {},
      inlineStates: {
        initial: {
          setup(ctx) {
            ctx.runstate.io = new ReadWrite({ handle: server, inputEvent: 'input' });
            ctx.machine.gotoState('login', 'prompt');
          },
        },
        login: {
          prompt: (ctx) => void io(ctx).put('Login:'),
          input(ctx, line) {
            ctx.runstate.user = line;
            ctx.machine.gotoState('password', 'prompt');
          },
        },
        password: {
          prompt: (ctx) => void io(ctx).put('Password:'),
          input(ctx, line) {
            ctx.machine.gotoState(line === ctx.runstate.user ? 'command' : 'login', 'prompt');
          },
        },
        command: {
          prompt: (ctx) => void io(ctx).put('Cmd:'),
          input(ctx, line) {
            if (line === 'quit') return void ctx.machine.gotoState('closing', 'bye', line);
            io(ctx).put(`  <<${line}>>`);
            ctx.machine.gotoState('command', 'prompt');
          },
        },
        closing: {
          bye(ctx, line) {
            io(ctx).put(`  <<${line}>>`, 'Bye!');
            // A flush is wanted only now, in the one state that handles it: a machine's wheel
            // events need a handler in every state they can arrive in.
            io(ctx).event({ flushedEvent: 'flushed' });
          },
          flushed: (ctx) => void ctx.machine.stop(),
        },
      },
    }).gotoState('initial', 'setup');
    // The user's side: answers each prompt from a script, and logs what it sees.
    const answers = ['ann', 'bob', 'ann', 'ann', 'ls', 'quit'];
    let buffered = '';
    client.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        say(line);
        if (line.endsWith(':')) client.write(`${answers.shift() ?? 'quit'}\n`);
        if (line === 'Bye!') (client).end();
      }
    });
    await run();
    expect(log).toEqual(['Login:', 'Password:', 'Login:', 'Password:', 'Cmd:', '  <<ls>>', 'Cmd:', '  <<quit>>', 'Bye!']);
  });
});

describe('_child and _parent go to the current state like any event (POE 1.37)', () => {
  test('a machine that makes a session but handles _child in no way dies, as POE::NFA does', async () => {
    const { kernel, log, say } = makeKernel();
    NFA.spawn({
      kernel,
      inlineStates: {
        a: {
          go() {
            Session.create({ inlineStates: { _start: () => say('kid _start') } });
            say('go done');
          },
        },
      },
    }).gotoState('a', 'go');
    await expect(kernel.run()).rejects.toMatchObject({ code: 'ERR_POE_NFA_NO_HANDLER', message: expect.stringContaining("a '_child' event") as unknown });
    expect(log).toEqual(['kid _start', 'go done']);
  });
});

