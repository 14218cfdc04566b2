/**
 * Spec 1.10 and 1.15: `state()` adds, replaces and removes handlers at run time (removed ones
 * fall through to `_default`); object and package handlers get OBJECT; `option()`. Mirrors
 * probe 13_state_runtime.
 */
import { describe, expect, test } from 'vitest';
import { Session, errno, type Context } from '../../src/index.js';
import { expectedLines, makeKernel, probeExpected } from '../kit/index.js';

const PROBE = probeExpected('13_state_runtime');

describe('probe 13_state_runtime', () => {
  test('state() add/replace/remove returns 0; object and package handlers; option()', async () => {
    const { kernel, log, say, run } = makeKernel();
    class Obj {
      n = 'obj';
      meth(ctx: Context): void {
        say(`Obj::meth called, OBJECT=${(ctx.object as Obj).n} STATE=${ctx.state}`);
      }
    }
    class Pkg {
      static pm(ctx: Context): void {
        // Perl's OBJECT for a package state is the package name; in poe-ts it is the class,
        // whose name is the same string.
        say(`Pkg::pm called, OBJECT=${(ctx.object as typeof Pkg).name}`);
      }
    }
    const o = new Obj();
    Session.create({
      kernel,
      options: { trace: 0 },
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          say('state add -> ', k.state('dyn', (_c: Context, a: unknown) => say('dyn v1 ARG0=', a)));
          k.yield('dyn', 1);
          k.yield('swap');
          say('option(foo=>1) previous -> ', ctx.session.option('foo', 1) !== undefined ? 'def' : 'undef');
          say("option('foo') -> ", ctx.session.option('foo'));
          const prev = ctx.session.option('foo', 'off');
          say(`option(foo=>'off') returned previous ${String(prev)}; now ${String(ctx.session.option('foo'))}`);
        },
        swap: (ctx) => {
          const k = ctx.kernel;
          k.state('dyn', (_c: Context, a: unknown) => say('dyn v2 ARG0=', a));
          k.yield('dyn', 2);
          k.state('objev', o, 'meth');
          k.state('pkgev', Pkg, 'pm');
          k.yield('objev');
          k.yield('pkgev');
          k.yield('remove');
        },
        remove: (ctx) => {
          say('state remove -> ', ctx.kernel.state('dyn'));
          ctx.kernel.yield('dyn', 3);
        },
        _default: (_ctx, ev, args) => {
          say(`_default caught ${ev} [${args.join(' ')}]`);
        },
      },
    });
    await run();
    expect(log).toEqual(expectedLines(PROBE));
  });
});

describe('spec 1.10: state() details', () => {
  test('object state without a method name calls the method named like the event, with this = the object', async () => {
    const { kernel, log, say, run } = makeKernel();
    class Counter {
      n = 0;
      bump(this: Counter, ctx: Context, by: number): number {
        this.n += by;
        say(`bump this===OBJECT ${this === ctx.object} n=${this.n} state=${ctx.state}`);
        return this.n;
      }
    }
    const c = new Counter();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          say('state -> ', ctx.kernel.state('bump', c));
          say('call -> ', ctx.kernel.call(ctx.session, 'bump', 2));
          ctx.kernel.yield('bump', 3);
        },
      },
    });
    await run();
    expect(log).toEqual(['state -> 0', 'bump this===OBJECT true n=2 state=bump', 'call -> 2', 'bump this===OBJECT true n=5 state=bump']);
  });

  test('state() for a method the object lacks throws at once (POE croaks); outside a session it returns ESRCH', async () => {
    const { kernel, log, say, run } = makeKernel();
    say('outside -> ', kernel.state('x', () => {}));
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          try {
            ctx.kernel.state('nothing', {}, 'missing');
            say('no error');
          } catch (err) {
            say('threw ', (err as { code?: string }).code);
          }
        },
      },
    });
    await run();
    expect(log).toEqual([`outside -> ${errno.ESRCH}`, 'threw ERR_POE_SESSION_BAD_HANDLER']);
  });

  test('option() with several pairs returns the previous values; names lower-cased; yes/no/true/false; undefined deletes', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      options: { Default: 'yes', user: 'x' },
      inlineStates: {
        _start: (ctx) => {
          const s = ctx.session;
          say('default=', s.option('default'), ' user=', s.option('USER'));
          say('several -> ', JSON.stringify(s.option({ DEFAULT: 'false', user: undefined, other: 'true' })));
          say('now default=', s.option('default'), ' user=', s.option('user') ?? 'undef', ' other=', s.option('other'));
        },
      },
    });
    await run();
    expect(log).toEqual(['default=1 user=x', 'several -> {"default":1,"user":"x"}', 'now default=0 user=undef other=1']);
  });
});
