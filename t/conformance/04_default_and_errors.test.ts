/**
 * Spec 5.3 behaviour 9 (`_default` args, and its catching of `_child`/`_stop`/`_parent`) and
 * the ESRCH half of behaviour 10. Mirrors probe 04_default_and_errors and
 * t/90_regression/rt14444-arg1.t.
 */
import { describe, expect, test } from 'vitest';
import { Kernel, Session, errno } from '../../src/index.js';
import { expectedLines, id, makeKernel, probeExpected } from '../kit/index.js';

const PROBE = probeExpected('04_default_and_errors');

/** The probe's `$!+0 == ENOSYS ? 'ENOSYS' : $!+0` and friends. */
function en(value: number, name: 'ENOSYS' | 'ESRCH'): string {
  return value === errno[name] ? name : String(value);
}

/** The probe prints undef as `undef`, sessions as `S<id>`, anything else as is. */
function show(x: unknown): string {
  if (x === undefined) return 'undef';
  if (x instanceof Session || Kernel.isKernel(x)) return id(x);
  return `${x as string | number}`;
}

describe('probe 04_default_and_errors', () => {
  test('_default args and return value; _default gets _child and _stop; ESRCH; call resets errno', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          k.yield('missing', 1, 2, 3);
          const r = k.call(ctx.session, 'other_missing', 'a');
          say(`call to missing event via _default returned '${String(r)}'`);
          Session.create({
            inlineStates: {
              _start: () => {},
              _stop: () => {
                say('kid _stop');
                return 'kid-stop-ret';
              },
            },
          });
        },
        _default: (ctx, ev, args) => {
          say(`_default: state=${ctx.state} event=${ev} args=[${args.map(show).join(' ')}]`);
          return 'dflt';
        },
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          k.errno = 0;
          const r = k.call(ctx.session, 'nope', 1);
          say(`call to unknown event, no _default: ${show(r)} errno=${en(k.errno, 'ENOSYS')} (call resets $! to 0)`);
          k.errno = 0;
          const p = k.post('no-such-session', 'x');
          say(`post to nonexistent: ${p === undefined ? 'undef' : `'${p}'`} errno=${en(k.errno, 'ESRCH')}`);
          k.errno = 0;
          const c = k.call(9999, 'x');
          say(`call to nonexistent: ${c === undefined ? 'undef' : `'${c as string}'`} errno=${en(k.errno, 'ESRCH')}`);
          k.errno = 0;
          const s = k.signal('nobody', 'USR1');
          say(`signal to nonexistent: ${s === undefined ? 'undef' : `'${s}'`} errno=${en(k.errno, 'ESRCH')}`);
          k.errno = 5;
          const ok = k.call(ctx.session, 'known');
          say(`successful call returns '${String(ok)}' and sets $! to ${k.errno}`);
        },
        known: () => 'yes',
      },
    });
    await run();
    expect(log).toEqual(expectedLines(PROBE));
  });
});

describe('t/90_regression/rt14444-arg1.t', () => {
  test('_default ARG1 is a copy of the args that outlives the dispatch, by reference or copied again', async () => {
    const { kernel, log, say, run } = makeKernel();
    const testArgs = ['some', 'random', 'args'];
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.yield('some_random_state', ...testArgs);
        },
        _default: (ctx, orig, args) => {
          const a = args;
          say(`_default ${orig} [${a.join(' ')}] array=${Array.isArray(a)}`);
          if (orig === 'some_random_state') {
            ctx.kernel.yield('check_ref', a);
            ctx.kernel.yield('check_copy', [...a]);
          }
        },
        check_ref: (_ctx, a) => say(`check_ref [${(a as unknown[]).join(' ')}]`),
        check_copy: (_ctx, a) => say(`check_copy [${(a as unknown[]).join(' ')}]`),
      },
    });
    await run();
    expect(log).toEqual([
      '_default some_random_state [some random args] array=true',
      'check_ref [some random args]',
      'check_copy [some random args]',
      '_default _stop [] array=true',
    ]);
  });

  test('each _default ARG1 is its own array: kept references stay intact across later dispatches', async () => {
    const { kernel, log, say, run } = makeKernel();
    const kept: unknown[][] = [];
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.yield('first', 1, 2);
          ctx.kernel.yield('second', 3);
          ctx.kernel.yield('report');
        },
        report: () => say(`kept ${kept.map((a) => `[${a.join(' ')}]`).join(' ')} distinct=${kept[0] !== kept[1]}`),
        _default: (_ctx, ev, args) => {
          if (ev !== '_stop') kept.push(args);
        },
      },
    });
    await run();
    expect(log).toEqual(['kept [1 2] [3] distinct=true']);
  });
});

describe('spec 1.7: _default catches every missing handler (G14)', () => {
  test('_parent and _child(lose) go to _default; its return value is the _stop value in _child(lose)', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const kid = Session.create({
            inlineStates: {
              _start: () => 'kid-start',
              // No _parent and no _stop: both reach _default, whose value stands in for them.
              _default: (c, ev, args) => {
                say(`kid _default ${ev} [${args.map(show).join(' ')}] sender=${id(c.sender)}`);
                return `kid-dflt(${ev})`;
              },
            },
          });
          say('detach_child -> ', ctx.kernel.detachChild(kid));
          ctx.kernel.post(kid!, 'hello', 'there');
          // Outlive the kid, so the two stops do not share a GC sweep (their order would be
          // POE's hash order, G25).
          ctx.kernel.delay('tick', 1);
        },
        _default: (_c, ev, args) => {
          say(`parent _default ${ev} [${args.map(show).join(' ')}]`);
        },
      },
    });
    await run();
    expect(log).toEqual([
      'parent _default _child [create S2 kid-start]',
      'parent _default _child [lose S2 undef]',
      'kid _default _parent [S1 kernel] sender=kernel',
      'detach_child -> 1',
      'kid _default hello [there] sender=S1',
      'kid _default _stop [] sender=kernel',
      'parent _default tick []',
      'parent _default _stop []',
    ]);
  });

  test("a child's _stop handled by _default: its return value becomes _child(lose) ARG2", async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: () => {
          Session.create({
            inlineStates: {
              _start: () => {},
              _default: (_c, ev) => `dflt-for-${ev}`,
            },
          });
        },
        _child: (_c, why, kid, ret) => say(`_child ${why} ${id(kid)} ret=${show(ret)}`),
      },
    });
    await run();
    expect(log).toEqual(['_child create S2 ret=undef', '_child lose S2 ret=dflt-for-_stop']);
  });
});

describe('spec 1.4: ESRCH on post, call and signal (5.3 behaviour 10)', () => {
  test('a dead session object, an unused ID and an unknown alias all fail with ESRCH and queue nothing', async () => {
    const { kernel, log, say, run } = makeKernel();
    let dead: Session | undefined;
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          dead = Session.create({ inlineStates: { _start: () => {}, _stop: () => say('S2 _stop') } });
          // S2 is collected at the end of this timeslice; look it up in a later one.
          ctx.kernel.delay('later', 1);
        },
        later: (ctx) => {
          const k = ctx.kernel;
          for (const dest of [dead, 2, '2', String(dead), 'nobody', 42]) {
            k.errno = 0;
            const p = k.post(dest as string, 'x');
            const pe = k.errno;
            k.errno = 0;
            const c = k.call(dest as string, 'x');
            const ce = k.errno;
            k.errno = 0;
            const s = k.signal(dest, 'USR1');
            const se = k.errno;
            say(`${typeof dest === 'object' ? 'dead session' : JSON.stringify(dest)}: post ${show(p)}/${en(pe, 'ESRCH')} call ${show(c)}/${en(ce, 'ESRCH')} signal ${show(s)}/${en(se, 'ESRCH')} queued=${k.getEventCount()}`);
          }
        },
      },
    });
    await run();
    expect(log).toEqual([
      'S2 _stop',
      'dead session: post undef/ESRCH call undef/ESRCH signal undef/ESRCH queued=0',
      '2: post undef/ESRCH call undef/ESRCH signal undef/ESRCH queued=0',
      '"2": post undef/ESRCH call undef/ESRCH signal undef/ESRCH queued=0',
      '"POE::Session(2)": post undef/ESRCH call undef/ESRCH signal undef/ESRCH queued=0',
      '"nobody": post undef/ESRCH call undef/ESRCH signal undef/ESRCH queued=0',
      '42: post undef/ESRCH call undef/ESRCH signal undef/ESRCH queued=0',
    ]);
  });
});
