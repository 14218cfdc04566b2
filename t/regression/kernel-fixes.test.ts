/**
 * Regressions found in review of the kernel; each test names the behaviour it pins down.
 */
import { describe, expect, test } from 'vitest';
import { Session, type Context, type DieInfo } from '../../src/index.js';
import { makeKernel } from '../kit/index.js';

describe('kernel regressions', () => {
  test('stop() outside run() leaves the kernel usable: a later DIE still reaches its watcher', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.aliasSet('x'), _stop: () => say('first _stop') } });
    kernel.stop();
    expect(kernel.sessionCount).toBe(0);
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.sig('DIE', 'died');
          ctx.kernel.yield('boom');
          ctx.kernel.yield('after');
        },
        boom: () => {
          throw new Error('bee');
        },
        died: (ctx, _name, info) => {
          say(`DIE handled: ${(info as DieInfo).errorStr}`);
          ctx.kernel.sigHandled();
        },
        after: () => say('after'),
      },
    });
    await run();
    // DIE is queued when boom throws, behind the 'after' yielded earlier (FIFO).
    expect(log).toEqual(['first _stop', 'after', 'DIE handled: bee']);
  });

  test('catchExceptions: false — an exception unwinds through call() to the outermost dispatch', async () => {
    const { kernel, log, say } = makeKernel({ catchExceptions: false });
    Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.aliasSet('thrower'), boom: () => { throw new Error('deep'); }, _stop: () => say('thrower _stop') } });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.yield('go'),
        go: (ctx) => {
          say('calling');
          ctx.kernel.call('thrower', 'boom');
          say('ERROR: the caller kept running');
        },
        _stop: () => say('caller _stop'),
      },
    });
    await expect(kernel.run()).rejects.toThrow('deep');
    expect(log.slice(0, 1)).toEqual(['calling']);
    expect(log.slice(1).sort()).toEqual(['caller _stop', 'thrower _stop']);
  });

  test('an async handler that rejects raises DIE like a synchronous throw', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.sig('DIE', 'died');
          ctx.kernel.refcountIncrement(ctx.session.ID, 'until-died');
          ctx.kernel.yield('work');
        },
        work: async () => {
          await Promise.resolve();
          throw new Error('async failure');
        },
        died: (ctx, _name, info) => {
          const d = info as DieInfo;
          say(`DIE event=${d.event} error=${d.errorStr}`);
          ctx.kernel.sigHandled();
          ctx.kernel.refcountDecrement(ctx.session.ID, 'until-died');
        },
      },
    });
    await run();
    expect(log).toEqual(['DIE event=work error=async failure']);
  });

  test('an unhandled async rejection makes run() reject with it', async () => {
    const { kernel } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.refcountIncrement(ctx.session.ID, 'hold');
          ctx.kernel.yield('work');
        },
        work: async () => {
          await Promise.resolve();
          throw new Error('nobody caught me');
        },
      },
    });
    await expect(kernel.run()).rejects.toThrow('nobody caught me');
  });

  test("signal(dest, 'SIGUSR1') reaches a watcher of USR1 (one name, with or without SIG)", async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.sig('USR1', 'got');
          ctx.kernel.aliasSet('me');
          ctx.kernel.signal(ctx.session, 'SIGUSR1', 'a');
        },
        got: (ctx, name, arg) => {
          say(`got ${String(name)} ${String(arg)}`);
          ctx.kernel.sig('USR1');
          ctx.kernel.aliasRemove('me');
        },
      },
    });
    await run();
    expect(log).toEqual(['got USR1 a']);
  });

  test('a bad time throws before any same-named timer is cleared', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.delay('tick', 1, 'kept');
          expect(() => ctx.kernel.delay('tick', -1)).toThrow(/finite number of seconds/);
          expect(() => ctx.kernel.alarm('tick', Number.NaN)).toThrow(/finite number of seconds/);
        },
        tick: (_ctx, what) => say(`tick ${String(what)}`),
      },
    });
    await run();
    expect(log).toEqual(['tick kept']);
  });
});

describe('kernel regressions: batches', () => {
  test('an idle kernel gets its IDLE even when the last batch ended on the batch limit', async () => {
    const { kernel, run } = makeKernel({ batchLimit: 16 });
    let stopped = 0;
    const states = { _start: (ctx: { kernel: { aliasSet(a: string): number } }, alias: unknown) => void ctx.kernel.aliasSet(String(alias)), _stop: () => void stopped++ };
    for (let i = 0; i < 100; i++) Session.create({ kernel, inlineStates: states, args: [`idle-${i}`] });
    await run();
    expect(stopped).toBe(100);
  });
});

describe('kernel regressions: found by porting POE programs', () => {
  test("state(event, Class) adds a package state, as POE's state('ev', $package): the static method named like the event, or `method`", async () => {
    const { kernel, log, say, run } = makeKernel();
    class Pkg {
      static _start(this: unknown, ctx: Context): void {
        say(`_start this is Pkg: ${this === Pkg}`);
        say(`state -> ${ctx.kernel.state('runtime_state', Pkg)}`);
        say(`state -> ${ctx.kernel.state('renamed', Pkg, 'other')}`);
        ctx.kernel.yield('runtime_state', 'a');
        ctx.kernel.yield('renamed', 'b');
      }
      static runtime_state(this: unknown, ctx: Context, arg: unknown): void {
        say(`runtime_state ${String(arg)} this is Pkg: ${this === Pkg} OBJECT is Pkg: ${ctx.object === Pkg}`);
      }
      static other(this: unknown, ctx: Context, arg: unknown): void {
        say(`other via ${ctx.state} ${String(arg)} this is Pkg: ${this === Pkg}`);
      }
    }
    Session.create({ kernel, packageStates: [Pkg, ['_start']] });
    await run();
    expect(log).toEqual([
      '_start this is Pkg: true',
      'state -> 0',
      'state -> 0',
      'runtime_state a this is Pkg: true OBJECT is Pkg: true',
      'other via renamed b this is Pkg: true',
    ]);
  });

  test('a class given where a handler function goes is refused when it is added, not when the event comes', () => {
    const { kernel } = makeKernel();
    class Thing {}
    expect(() => Session.create({ kernel, inlineStates: { _start: () => {}, ev: Thing as never } })).toThrow(
      expect.objectContaining({ code: 'ERR_POE_SESSION_BAD_HANDLER', message: expect.stringContaining('got class Thing') }),
    );
  });
});

describe('kernel regressions: sibling order as documented (differences 15)', () => {
  test('signals reach siblings, and stop() stops them, newest first', async () => {
    const { kernel, log, say, run } = makeKernel();
    const child = (name: string) => ({
      _start: (ctx: Context) => {
        ctx.kernel.sig('USR1', 'usr1');
        ctx.kernel.aliasSet(name);
      },
      usr1: () => say(`${name} USR1`),
      _stop: () => say(`${name} _stop`),
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          for (const name of ['a', 'b', 'c']) Session.create({ inlineStates: child(name) });
          ctx.kernel.signal(ctx.kernel, 'USR1');
          ctx.kernel.yield('end');
        },
        end: (ctx) => ctx.kernel.stop(),
        _child: (_ctx, reason, c) => say(`parent _child ${reason} ${c.ID}`),
        _stop: () => say('parent _stop'),
      },
    });
    await run();
    expect(log).toEqual([
      'parent _child create 2',
      'parent _child create 3',
      'parent _child create 4',
      'c USR1',
      'b USR1',
      'a USR1',
      'c _stop',
      'parent _child lose 4',
      'b _stop',
      'parent _child lose 3',
      'a _stop',
      'parent _child lose 2',
      'parent _stop',
    ]);
  });
});

describe('kernel regressions: inlineStates values as documented', () => {
  test('an undefined or null handler means none: the event goes to _default; anything else that is not a function is refused', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.yield('left_out');
          ctx.kernel.yield('nulled');
        },
        left_out: undefined,
        nulled: null as never,
        _default: (_ctx, event) => say(`_default ${String(event)}`),
      },
    });
    await run();
    expect(log).toEqual(['_default left_out', '_default nulled', '_default _stop']);
    expect(() => Session.create({ kernel, inlineStates: { _start: () => {}, ev: 0 as never } })).toThrow(expect.objectContaining({ code: 'ERR_POE_SESSION_BAD_HANDLER' }));
  });
});
