/**
 * Spec 5.3 behaviour 1: FIFO across post/yield from several sessions; `call()` is synchronous
 * and returns the handler's value. Mirrors probe 01_fifo_call and the counting machines of
 * PTL ses_session.pm.
 */
import { describe, expect, test } from 'vitest';
import { Session, type Context } from '../../src/index.js';
import { expectedLines, makeKernel, probeExpected, sid } from '../kit/index.js';

const PROBE = probeExpected('01_fifo_call');

describe('probe 01_fifo_call', () => {
  test('post/yield FIFO across sessions; call is synchronous; post returns 1, yield undef', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('b');
        },
        ev: (ctx, n) => say('b got ev ', n, ' from session ', sid(ctx.sender)),
        // Perl's `wantarray ? ('list', 'ctx') : 'scalar ctx'`: TypeScript has no calling
        // context, so the handler has one return value, the one POE gives a scalar call.
        ask: () => 'scalar ctx',
        stopit: (ctx) => {
          ctx.kernel.aliasRemove('b');
        },
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          const r1 = k.post('b', 'ev', 1);
          const r2 = k.yield('self', 1);
          k.post('b', 'ev', 2);
          k.yield('self', 2);
          say('post returns ', r1 ?? 'undef', '; yield returns ', r2 ?? 'undef');
          const s = k.call('b', 'ask');
          const l = k.call('b', 'ask');
          say('call scalar: ', s, '; call list: ', l);
          say('call happened synchronously before any posted event');
        },
        self: (ctx: Context, n: unknown) => {
          say('a got self ', n);
          if (n === 2) ctx.kernel.post('b', 'stopit');
        },
      },
    });
    await run();
    say('run returned');
    expect(log).toEqual(
      expectedLines(PROBE, {
        // No list context in TypeScript: the second call gets the same single value.
        'call scalar: scalar ctx; call list: list ctx': 'call scalar: scalar ctx; call list: scalar ctx',
      }),
    );
  });
});

describe('PTL ses_session.pm: counting machines', () => {
  test('posts, yields and calls from several sessions interleave in one global FIFO', async () => {
    const { kernel, log, say, run } = makeKernel();
    const eventCount = 3;
    const stops: string[] = [];
    for (let i = 0; i < 3; i++) {
      Session.create({
        kernel,
        heap: { count: 0 },
        args: [i],
        inlineStates: {
          _start: (ctx, id) => {
            ctx.kernel.yield('count', id);
          },
          count: (ctx, id) => {
            const k = ctx.kernel;
            const self = ctx.session;
            // Alternate yield and post-to-self, as task_run does; both are the same queue.
            if (ctx.heap.count & 1) k.yield('bogus', id);
            else k.post(self, 'bogus', id);
            const n = k.call(self, 'next_count', id) as number;
            say(`m${id} count ${n} (sender=S${sid(ctx.sender)})`);
            if (n < eventCount) {
              if (ctx.heap.count & 1) k.yield('count', id);
              else k.post(self, 'count', id);
            }
          },
          next_count: (ctx) => ++ctx.heap.count,
          _default: (ctx, event, args) => {
            say(`m${args[0]} ${ctx.state} ${event}`);
          },
          _stop: (ctx) => {
            stops.push(`S${sid(ctx.session)} _stop count=${ctx.heap.count}`);
          },
        },
      });
    }
    await run();
    expect(log).toEqual([
      'm0 count 1 (sender=S1)',
      'm1 count 1 (sender=S2)',
      'm2 count 1 (sender=S3)',
      'm0 _default bogus',
      'm0 count 2 (sender=S1)',
      'm1 _default bogus',
      'm1 count 2 (sender=S2)',
      'm2 _default bogus',
      'm2 count 2 (sender=S3)',
      'm0 _default bogus',
      'm0 count 3 (sender=S1)',
      'm1 _default bogus',
      'm1 count 3 (sender=S2)',
      'm2 _default bogus',
      'm2 count 3 (sender=S3)',
      'm0 _default bogus',
      'm1 _default bogus',
      'm2 _default bogus',
    ]);
    // Sibling stop order is Perl hash order in POE (G25): compare as a set.
    expect(stops.sort()).toEqual(['S1 _stop count=3', 'S2 _stop count=3', 'S3 _stop count=3']);
  });

  test('call is re-entrant: a call from inside a called handler returns before the outer call does', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('inner');
        },
        deepest: (_ctx, x) => {
          say('inner deepest ', x);
          return `deep(${String(x)})`;
        },
        done: (ctx) => {
          ctx.kernel.aliasRemove('inner');
        },
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          say('outer calls middle');
          const r = ctx.kernel.call(ctx.session, 'middle', 1);
          say('outer got ', r, ' errno=', ctx.kernel.errno);
          ctx.kernel.post('inner', 'done');
        },
        middle: (ctx, x) => {
          say('middle sender=', sid(ctx.sender), ' active=', sid(ctx.kernel.getActiveSession()));
          const r = ctx.kernel.call('inner', 'deepest', x);
          say('middle got ', r, ' active=', sid(ctx.kernel.getActiveSession()), ' event=', ctx.kernel.getActiveEvent());
          return `mid(${String(r)})`;
        },
      },
    });
    await run();
    expect(log).toEqual([
      'outer calls middle',
      'middle sender=2 active=2',
      'inner deepest 1',
      'middle got deep(1) active=2 event=_start',
      'outer got mid(deep(1)) errno=0',
    ]);
  });
});
