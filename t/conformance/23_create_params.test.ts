/**
 * Spec 1.2 and 1.15: `Session.create` parameters (args and heap shapes, a missing `_start`
 * consuming no ID), and what a handler receives (OBJECT, STATE, CALLER_*). Mirrors probe
 * 23_create_params.
 */
import { describe, expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { expectedLines, makeKernel, perlRef, probeExpected } from '../kit/index.js';

const PROBE = probeExpected('23_create_params');

/** Perl's `__LINE__` for the caller: the line as written (stack traces are source-mapped). */
function callerLine(): number {
  // [0] is the message, [1] this function, [2] its caller.
  const frame = new Error().stack?.split('\n')[2] ?? '';
  const m = /:(\d+):\d+\)?$/.exec(frame);
  return m ? Number(m[1]) : -1;
}

describe('probe 23_create_params', () => {
  test('args and heap shapes, create without _start, handler parameters', async () => {
    const { kernel, log, warnings, say, run } = makeKernel({ callerInfo: true });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx, ...args) => say(`S${ctx.session.ID} args=[${args.join(' ')}] heap=${perlRef(ctx.heap)}`),
      },
      args: [1, 2, 3],
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx, arg0) => say(`S${ctx.session.ID} scalar args ARG0=${perlRef(arg0)} heap=${ctx.heap.join(',')}`),
      },
      args: { not: 'array' },
      heap: ['custom', 'heap'],
    });
    {
      // The probe's local $SIG{__WARN__}: the kit collects the kernel's warnings.
      warnings.length = 0;
      const s = Session.create({ kernel, inlineStates: { foo: () => {} } });
      for (const w of warnings.splice(0)) say('warning: ', /no '_start' state/.test(w) ? "discarding session - no '_start' state" : w);
      say('create without _start returned ', s !== undefined ? 'object' : 'undef');
    }
    Session.create({
      kernel,
      heap: { line: 0 },
      inlineStates: {
        _start: (ctx) => {
          say(`S${ctx.session.ID} (next id not consumed by the failed create)`);
          ctx.kernel.yield('first');
        },
        first: (ctx) => {
          // One line, like the probe's `yield('second'); my $line = __LINE__;`.
          ctx.kernel.yield('second'); ctx.heap.line = callerLine();
        },
        second: (ctx) => {
          say(
            `OBJECT defined? ${ctx.object !== undefined ? 'yes' : 'no'}; STATE=${ctx.state}; CALLER_STATE=${ctx.callerState}; CALLER_LINE matches=${
              ctx.callerLine !== undefined && ctx.callerLine === ctx.heap.line ? 'yes' : 'no'
            }; CALLER_FILE=${/23_create_params/.test(ctx.callerFile ?? '') ? 'this file' : ctx.callerFile}`,
          );
          // POE's @_ offsets have no TypeScript twin: the handler gets ctx, whose upper-case
          // getters keep POE's names, then ARG0.. as its own parameters.
          const same =
            ctx.KERNEL === ctx.kernel &&
            ctx.HEAP === ctx.heap &&
            ctx.SESSION === ctx.session &&
            ctx.SENDER === ctx.sender &&
            ctx.STATE === ctx.state &&
            ctx.CALLER_FILE === ctx.callerFile &&
            ctx.OBJECT === ctx.object;
          say(`ctx carries KERNEL HEAP SESSION SENDER STATE CALLER_FILE OBJECT: ${same ? 'yes' : 'no'}; ARG0 is the first parameter after ctx`);
        },
      },
    });
    await run();
    expect(log).toEqual(
      expectedLines(PROBE, {
        // The constant @_ indices become ctx getters (see the handler).
        'ARG0 index=10 KERNEL=2 HEAP=3 SESSION=1 SENDER=5 STATE=4 CALLER_FILE=7':
          'ctx carries KERNEL HEAP SESSION SENDER STATE CALLER_FILE OBJECT: yes; ARG0 is the first parameter after ctx',
      }),
    );
  });
});

describe('spec 1.2: SENDER by origin, and ARG0.. beyond ten arguments', () => {
  test('SENDER is the parent for _start, self for timers and self-calls, the caller for calls, kernel for _child', async () => {
    const { kernel, log, say, run } = makeKernel();
    const who = (x: unknown) => (x instanceof Session ? `S${x.ID}` : 'kernel');
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          say('S1 _start sender=', who(ctx.sender));
          Session.create({
            inlineStates: {
              _start: (c) => {
                say('S2 _start sender=', who(c.sender));
                c.kernel.delay('tick', 1);
                c.kernel.call(c.session, 'selfcall');
              },
              selfcall: (c) => say('S2 selfcall sender=', who(c.sender)),
              tick: (c) => {
                say('S2 tick sender=', who(c.sender));
                c.kernel.post(1, 'posted', ...Array.from({ length: 12 }, (_, i) => i));
              },
              fromcall: (c) => say('S2 fromcall sender=', who(c.sender)),
            },
          });
          ctx.kernel.call(2, 'fromcall');
        },
        _child: (ctx, why) => say(`S1 _child ${why} sender=${who(ctx.sender)}`),
        posted: (ctx, ...args) => say(`S1 posted sender=${who(ctx.sender)} args=${args.length} ARG11=${String(args[11])}`),
      },
    });
    await run();
    expect(log).toEqual([
      'S1 _start sender=kernel',
      'S2 _start sender=S1',
      'S2 selfcall sender=S2',
      'S1 _child create sender=kernel',
      'S2 fromcall sender=S1',
      'S2 tick sender=S2',
      'S1 posted sender=S2 args=12 ARG11=11',
      'S1 _child lose sender=kernel',
    ]);
  });
});
