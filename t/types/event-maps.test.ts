/**
 * Type tests for typed event maps (DESIGN "Handlers, names and types", STYLE habit 4).
 *
 * `npm run typecheck` checks this file: every `expectTypeOf` must hold and every
 * `@ts-expect-error` line must really be an error. The code that would run a kernel sits in
 * functions that are never called (or behind `if (false as boolean)`), so vitest only sees a
 * few harmless `test()` blocks.
 */
import { describe, expectTypeOf, test } from 'vitest';
import {
  Kernel,
  Session,
  type AlarmId,
  type AnonEvent,
  type ChildReason,
  type Context,
  type EventArgs,
  type EventName,
  type EventReturn,
  type SessionOrKernel,
  type Untyped,
} from '../../src/index.js';

interface Counter {
  tick: (n: number) => void;
  set: (n: number) => void;
  total: () => number;
  label: (prefix: string, width?: number) => string;
  _start: (from: string) => void;
}

interface Heap {
  count: number;
}

interface Other {
  ping: (seq: number, note: string) => void;
  ask: (q: string) => boolean;
}

const never = false as boolean;

describe('typed event maps', () => {
  test('handlers in inlineStates get typed parameters and a typed context', () => {
    const kernel = new Kernel();
    function make(): Session<Counter, Heap> | undefined {
      return Session.create<Counter, Heap>({
        kernel,
        heap: { count: 0 },
        args: ['main'],
        inlineStates: {
          _start: (ctx, from) => {
            expectTypeOf(ctx).toEqualTypeOf<Context<Counter, Heap>>();
            expectTypeOf(ctx.heap).toEqualTypeOf<Heap>();
            expectTypeOf(ctx.session).toEqualTypeOf<Session<Counter, Heap>>();
            expectTypeOf(ctx.kernel).toEqualTypeOf<Kernel<Counter>>();
            expectTypeOf(ctx.sender).toEqualTypeOf<SessionOrKernel>();
            expectTypeOf(ctx.state).toEqualTypeOf<string>();
            expectTypeOf(from).toEqualTypeOf<string>();
          },
          tick: (ctx, n) => {
            expectTypeOf(n).toEqualTypeOf<number>();
            ctx.heap.count += n;
          },
          total: (ctx) => ctx.heap.count,
          label: (_ctx, prefix, width) => {
            expectTypeOf(prefix).toEqualTypeOf<string>();
            expectTypeOf(width).toEqualTypeOf<number | undefined>();
            return prefix.padEnd(width ?? 0);
          },
          _stop: (ctx) => {
            expectTypeOf(ctx.heap).toEqualTypeOf<Heap>();
          },
          _child: (_ctx, reason, child, ret) => {
            expectTypeOf(reason).toEqualTypeOf<ChildReason>();
            expectTypeOf(reason).toEqualTypeOf<'create' | 'gain' | 'lose'>();
            expectTypeOf(child).toEqualTypeOf<Session>();
            expectTypeOf(ret).toEqualTypeOf<unknown>();
          },
          _parent: (_ctx, oldParent, newParent) => {
            expectTypeOf(oldParent).toEqualTypeOf<SessionOrKernel>();
            expectTypeOf(newParent).toEqualTypeOf<SessionOrKernel>();
          },
          _default: (_ctx, event, args) => {
            expectTypeOf(event).toEqualTypeOf<string>();
            expectTypeOf(args).toEqualTypeOf<unknown[]>();
          },
        },
      });
    }
    expectTypeOf(make).returns.toEqualTypeOf<Session<Counter, Heap> | undefined>();
  });

  test('handlers must match the map: names, parameters and return types', () => {
    const kernel = new Kernel();
    if (never) {
      Session.create<Counter, Heap>({
        kernel,
        heap: { count: 0 },
        inlineStates: {
          _start: () => {},
          // @ts-expect-error total must return a number
          total: () => 'many',
        },
      });
      Session.create<Counter, Heap>({
        kernel,
        heap: { count: 0 },
        inlineStates: {
          _start: () => {},
          // @ts-expect-error tick's ARG0 is a number, not a string
          tick: (_ctx, n: string) => void n,
        },
      });
      Session.create<Counter, Heap>({
        kernel,
        heap: { count: 0 },
        inlineStates: {
          _start: () => {},
          // @ts-expect-error `tock` is not in the map
          tock: () => {},
        },
      });
      Session.create<Counter, Heap>({
        kernel,
        heap: { count: 0 },
        inlineStates: {
          _start: () => {},
          // @ts-expect-error tick takes one argument
          tick: (_ctx, _n: number, _extra: number) => {},
        },
      });
      Session.create<Counter, Heap>({
        kernel,
        heap: { count: 0 },
        inlineStates: {
          // @ts-expect-error _child's reason is 'create' | 'gain' | 'lose'
          _child: (_ctx, reason: 'born') => void reason,
          _start: () => {},
        },
      });
      Session.create<Counter, Heap>({
        kernel,
        heap: { count: 0 },
        inlineStates: {
          _start: (ctx) => {
            // @ts-expect-error the heap has no `total`
            ctx.heap.total = 1;
          },
        },
      });
      Session.create<Counter, Heap>({
        kernel,
        // @ts-expect-error the heap must be a Heap
        heap: { count: 'zero' },
        inlineStates: { _start: () => {} },
      });
    }
  });

  test('yield, delay and alarm are checked against the own map', () => {
    function handler(ctx: Context<Counter, Heap>): void {
      const k = ctx.kernel;
      expectTypeOf(k.yield('tick', 1)).toEqualTypeOf<undefined>();
      k.yield('total');
      k.yield('label', 'x');
      k.yield('label', 'x', 3);
      k.yield('_stop');
      k.yield('_child', 'gain', ctx.session, 1);
      // @ts-expect-error unknown event
      k.yield('tock', 1);
      // @ts-expect-error tick's ARG0 is a number
      k.yield('tick', '1');
      // @ts-expect-error tick needs its argument
      k.yield('tick');
      // @ts-expect-error total takes no arguments
      k.yield('total', 1);
      // @ts-expect-error _child's reason is 'create' | 'gain' | 'lose'
      k.yield('_child', 'born', ctx.session, 1);

      // A union of names must take arguments that fit every one of them.
      const either: 'tick' | 'set' = ctx.heap.count > 0 ? 'tick' : 'set';
      k.yield(either, 1);
      const mixed: 'tick' | 'total' = ctx.heap.count > 0 ? 'tick' : 'total';
      // @ts-expect-error tick needs a number but total takes nothing
      k.yield(mixed);
      // @ts-expect-error total takes nothing
      k.yield(mixed, 1);
      // @ts-expect-error an arbitrary string is not an event name of Counter
      k.yield(String(either), 1);

      expectTypeOf(k.delay('tick', 1, 2)).toEqualTypeOf<number>();
      k.delay('tick'); // clears the timers named tick
      k.delay('tick', undefined);
      // @ts-expect-error unknown event
      k.delay('tock', 1);
      // @ts-expect-error wrong argument type
      k.delay('tick', 1, 'x');
      // @ts-expect-error missing argument
      k.delay('tick', 1);

      expectTypeOf(k.delayAdd('tick', 1, 2)).toEqualTypeOf<number>();
      // @ts-expect-error unknown event
      k.delayAdd('tock', 1, 2);
      // @ts-expect-error wrong argument type
      k.delayAdd('tick', 1, 'x');

      expectTypeOf(k.delaySet('tick', 1, 2)).toEqualTypeOf<AlarmId | undefined>();
      // @ts-expect-error unknown event
      k.delaySet('tock', 1, 2);
      // @ts-expect-error too many arguments
      k.delaySet('total', 1, 2);

      expectTypeOf(k.alarm('tick', 1, 2)).toEqualTypeOf<number>();
      k.alarm('tick');
      // @ts-expect-error unknown event
      k.alarm('tock', 1, 2);
      // @ts-expect-error wrong argument type
      k.alarm('tick', 1, 'x');

      expectTypeOf(k.alarmAdd('label', 1, 'a', 2)).toEqualTypeOf<number>();
      // @ts-expect-error unknown event
      k.alarmAdd('tock', 1);
      // @ts-expect-error wrong argument type
      k.alarmAdd('label', 1, 2);

      expectTypeOf(k.alarmSet('tick', 1, 2)).toEqualTypeOf<AlarmId | undefined>();
      // @ts-expect-error unknown event
      k.alarmSet('tock', 1, 2);
      // @ts-expect-error wrong argument type
      k.alarmSet('tick', 1, 'x');

      // POE's snake_case spellings are the same functions, with the same types.
      k.delay_set('tick', 1, 2);
      k.alarm_add('tick', 1, 2);
      // @ts-expect-error unknown event
      k.delay_add('tock', 1);
      // @ts-expect-error wrong argument type
      k.alarm_set('tick', 1, 'x');

      k.sig('INT', 'tick');
      // @ts-expect-error unknown event
      k.sig('INT', 'tock');
    }
    expectTypeOf(handler).parameter(0).toEqualTypeOf<Context<Counter, Heap>>();
  });

  test('post and call to a typed session are checked against its map', () => {
    function handler(ctx: Context<Counter, Heap>, other: Session<Other, { seen: string[] }>): void {
      const k = ctx.kernel;
      expectTypeOf(k.post(other, 'ping', 1, 'a')).toEqualTypeOf<1 | undefined>();
      // @ts-expect-error unknown event of the target
      k.post(other, 'tick', 1);
      // @ts-expect-error wrong argument type
      k.post(other, 'ping', '1', 'a');
      // @ts-expect-error missing argument
      k.post(other, 'ping', 1);

      expectTypeOf(k.call(other, 'ask', 'q')).toEqualTypeOf<boolean | undefined>();
      expectTypeOf(k.call(other, 'ping', 1, 'a')).toEqualTypeOf<void | undefined>();
      // @ts-expect-error unknown event of the target
      k.call(other, 'total');
      // @ts-expect-error wrong argument type
      k.call(other, 'ask', 1);

      // the own session, through ctx.session
      expectTypeOf(k.call(ctx.session, 'total')).toEqualTypeOf<number | undefined>();
      expectTypeOf(k.call(ctx.session, 'label', 'a')).toEqualTypeOf<string | undefined>();
      k.post(ctx.session, 'tick', 1);
      // @ts-expect-error wrong argument type
      k.post(ctx.session, 'tick', 'x');
      // @ts-expect-error `ping` belongs to Other
      k.call(ctx.session, 'ping', 1, 'a');

      // built-ins of a typed target
      k.post(other, '_stop');
      // @ts-expect-error _stop takes no arguments
      k.post(other, '_stop', 1);

      // SENDER (a session or the kernel) is untyped: POE's reply-to-sender idiom compiles.
      k.post(ctx.sender, 'reply', 1, 'any');
      expectTypeOf(k.call(ctx.sender, 'reply')).toEqualTypeOf<unknown>();
      k.post(k.getActiveSession(), 'whatever');
      k.post(k, 'ignored-by-the-kernel', 1);

      // string aliases and numeric ids stay untyped
      expectTypeOf(k.post('counter', 'anything', 1, 'x', {})).toEqualTypeOf<1 | undefined>();
      expectTypeOf(k.call('counter', 'anything', 1)).toEqualTypeOf<unknown>();
      expectTypeOf(k.post(7, 'whatever')).toEqualTypeOf<1 | undefined>();
      expectTypeOf(k.call(other.ID, 'whatever', 1)).toEqualTypeOf<unknown>();
    }
    expectTypeOf(handler).returns.toEqualTypeOf<void>();
  });

  test('a plain Kernel posts and calls typed sessions too', () => {
    const kernel = new Kernel();
    function use(s: Session<Counter, Heap>): void {
      kernel.post(s, 'tick', 1);
      expectTypeOf(kernel.call(s, 'total')).toEqualTypeOf<number | undefined>();
      // @ts-expect-error unknown event
      kernel.post(s, 'tock');
      // @ts-expect-error wrong argument type
      kernel.call(s, 'tick', 'one');
    }
    expectTypeOf(use).parameter(0).toEqualTypeOf<Session<Counter, Heap>>();
  });

  test('postback and callback accept declared events only', () => {
    function use(s: Session<Counter, Heap>, u: Session): void {
      expectTypeOf(s.postback('tick', 'ctx')).toEqualTypeOf<AnonEvent<0>>();
      expectTypeOf(s.callback('total')).toEqualTypeOf<AnonEvent<number | undefined>>();
      expectTypeOf(s.callback('total')()).toEqualTypeOf<number | undefined>();
      s.postback('_stop');
      // @ts-expect-error unknown event
      s.postback('tock');
      // @ts-expect-error unknown event
      s.callback('tock');
      // untyped sessions take any name
      u.postback('anything', 1);
      expectTypeOf(u.callback('anything')).toEqualTypeOf<AnonEvent<unknown>>();
    }
    expectTypeOf(use).returns.toEqualTypeOf<void>();
  });

  test('untyped sessions take any event with unknown arguments', () => {
    const kernel = new Kernel();
    function make() {
      return Session.create({
        kernel,
        heap: { hits: 0, name: 'x' },
        inlineStates: {
          _start: (ctx, ...args) => {
            expectTypeOf(ctx.heap).toEqualTypeOf<{ hits: number; name: string }>();
            expectTypeOf(ctx.kernel).toEqualTypeOf<Kernel>();
            expectTypeOf(args).toEqualTypeOf<unknown[]>();
            ctx.kernel.yield('anything', 1, 'two', { three: 3 });
            ctx.kernel.delay('later', 1, 'x');
            ctx.kernel.alarmSet('at', 0, 1, 2);
            ctx.kernel.post(ctx.session, 'whatever', 1);
            expectTypeOf(ctx.kernel.call(ctx.session, 'whatever')).toEqualTypeOf<unknown>();
            ctx.heap.hits += 1;
            // @ts-expect-error the heap's type is inferred from `heap:`
            ctx.heap.missing = 1;
          },
          anything: (_ctx, a, b) => {
            expectTypeOf(a).toEqualTypeOf<unknown>();
            expectTypeOf(b).toEqualTypeOf<unknown>();
            return a;
          },
          _child: (_ctx, reason, child) => {
            expectTypeOf(reason).toEqualTypeOf<ChildReason>();
            expectTypeOf(child).toEqualTypeOf<Session>();
          },
        },
      });
    }
    expectTypeOf(make).returns.toEqualTypeOf<Session<Untyped, { hits: number; name: string }> | undefined>();

    function heapFn() {
      return Session.create({ kernel, heap: () => ({ list: [] as string[] }), inlineStates: { _start: (ctx) => void ctx.heap.list.push('a') } });
    }
    expectTypeOf(heapFn).returns.toEqualTypeOf<Session<Untyped, { list: string[] }> | undefined>();

    function noHeap() {
      return Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.heap } });
    }
    expectTypeOf(noHeap).returns.toEqualTypeOf<Session<Untyped, Record<string, unknown>> | undefined>();
  });

  test('args are checked against _start', () => {
    const kernel = new Kernel();
    const start = { _start: (_ctx: Context<Counter, Heap>, from: string) => void from };
    if (never) {
      Session.create<Counter, Heap>({ kernel, heap: { count: 0 }, args: ['main'], inlineStates: start });
      // a lone value that is not an array is ARG0, as in POE
      Session.create<Counter, Heap>({ kernel, heap: { count: 0 }, args: 'main', inlineStates: start });
      Session.create<Counter, Heap>({ kernel, heap: { count: 0 }, args: ['main'] as const, inlineStates: start });
      // @ts-expect-error _start takes a string
      Session.create<Counter, Heap>({ kernel, heap: { count: 0 }, args: [1], inlineStates: start });
      // @ts-expect-error _start takes a string
      Session.create<Counter, Heap>({ kernel, heap: { count: 0 }, args: 1, inlineStates: start });
      // @ts-expect-error _start takes one argument
      Session.create<Counter, Heap>({ kernel, heap: { count: 0 }, args: ['main', 2], inlineStates: start });
      // untyped sessions take any args
      Session.create({ kernel, args: [1, 'two'], inlineStates: { _start: () => {} } });
      Session.create({ kernel, args: { not: 'an array' }, inlineStates: { _start: () => {} } });
      // a map without _start leaves its args untyped, like POE's
      Session.create<Other>({ kernel, args: 5, inlineStates: { _start: (_ctx, ...a) => expectTypeOf(a).toEqualTypeOf<unknown[]>() } });
    }
  });

  test('one explicit type argument leaves the heap at its default', () => {
    // TypeScript infers all type arguments or none: with <Counter> alone, H is not read from `heap:`.
    const kernel = new Kernel();
    if (never) {
      Session.create<Counter>({
        kernel,
        heap: { count: 0 },
        inlineStates: { _start: (ctx) => expectTypeOf(ctx.heap).toEqualTypeOf<Record<string, unknown>>() },
      });
    }
  });

  test('the event-map helper types', () => {
    expectTypeOf<EventName<Counter>>().toEqualTypeOf<'tick' | 'set' | 'total' | 'label' | '_start' | '_stop' | '_child' | '_parent' | '_default'>();
    expectTypeOf<EventName<Untyped>>().toEqualTypeOf<string>();
    expectTypeOf<EventArgs<Counter, 'tick'>>().toEqualTypeOf<[n: number]>();
    expectTypeOf<EventArgs<Counter, '_start'>>().toEqualTypeOf<[from: string]>();
    expectTypeOf<EventArgs<Counter, '_child'>>().toEqualTypeOf<[reason: ChildReason, child: Session, returned: unknown]>();
    expectTypeOf<EventArgs<Untyped, 'x'>>().toEqualTypeOf<unknown[]>();
    expectTypeOf<EventReturn<Counter, 'total'>>().toEqualTypeOf<number>();
    expectTypeOf<EventReturn<Untyped, 'total'>>().toEqualTypeOf<unknown>();
  });

  test('typed sessions and kernels still fit where any session or kernel goes', () => {
    function use(s: Session<Counter, Heap>, ctx: Context<Counter, Heap>): void {
      const anySession: Session = s;
      const anyKernel: Kernel = ctx.kernel;
      const who: SessionOrKernel = s;
      const list: Session[] = [s, ctx.session];
      // a helper for any handler takes Context<Untyped, unknown>
      const anyCtx: Context<Untyped, unknown> = ctx;
      expectTypeOf(anyCtx.heap).toEqualTypeOf<unknown>();
      expectTypeOf(ctx.kernel.idToSession(s.ID)).toEqualTypeOf<Session | undefined>();
      if (ctx.sender === s) list.push(s);
      void [anySession, anyKernel, who];
    }
    expectTypeOf(use).returns.toEqualTypeOf<void>();

    function wrong(c: Session<Counter, Heap>, o: Session<Other, Heap>, u: Session): void {
      // @ts-expect-error a session of another map is not a Session<Counter>
      const a: Session<Counter, Heap> = o;
      // @ts-expect-error an untyped session is not a Session<Counter> without a cast
      const b: Session<Counter, Heap> = u;
      // @ts-expect-error nor a session with another heap
      const d: Session<Counter, { other: true }> = c;
      void [a, b, d];
    }
    expectTypeOf(wrong).returns.toEqualTypeOf<void>();
  });
});
