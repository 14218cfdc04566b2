/**
 * Type tests for POE::NFA's machine maps: a wrong state name, event name or argument fails to
 * compile in `spawn`'s handlers, `gotoState`, `callState`, and in `post`/`call`/`yield` to a
 * machine. `npm run typecheck` checks every `expectTypeOf` and `@ts-expect-error`; the code
 * that would run a kernel sits in functions that are never called.
 */
import { describe, expectTypeOf, test } from 'vitest';
import type { Session} from '../../src/index.js';
import { Kernel, NFA, type MachineEvents, type NfaContext, type SessionOrKernel } from '../../src/index.js';

interface Door {
  closed: { open: (who: string) => void; knock: () => string };
  opened: { close: () => void; knock: () => string; enter: (who: string, times?: number) => void };
}
interface Log {
  visits: string[];
}

describe('NFA machine maps', () => {
  test('handlers get their state, runstate and typed arguments', () => {
    const kernel = new Kernel();
    function make(): NFA<Door, Log> {
      return NFA.spawn<Door, Log>({
        kernel,
        runstate: { visits: [] },
        inlineStates: {
          closed: {
            open(ctx, who) {
              expectTypeOf(ctx).toEqualTypeOf<NfaContext<Door, Log, 'closed'>>();
              expectTypeOf(ctx.state).toEqualTypeOf<'closed'>();
              expectTypeOf(ctx.runstate).toEqualTypeOf<Log>();
              expectTypeOf(ctx.machine).toEqualTypeOf<NFA<Door, Log>>();
              expectTypeOf(ctx.sender).toEqualTypeOf<SessionOrKernel>();
              expectTypeOf(ctx.event).toEqualTypeOf<string>();
              expectTypeOf(who).toEqualTypeOf<string>();
              ctx.machine.gotoState('opened', 'enter', who);
              ctx.machine.gotoState('opened', 'enter', who, 2);
              ctx.kernel.yield('knock');
              // @ts-expect-error: `enter` takes a string first
              ctx.machine.gotoState('opened', 'enter', 42);
              // @ts-expect-error: `open` is not an event of state `opened`
              ctx.machine.gotoState('opened', 'open', who);
              // @ts-expect-error: no such state
              ctx.machine.gotoState('ajar');
              // @ts-expect-error: no machine event is called `fly`
              ctx.kernel.yield('fly');
            },
            knock: () => 'nobody',
            _child(_ctx, reason, child) {
              expectTypeOf(reason).toEqualTypeOf<'create' | 'gain' | 'lose'>();
              expectTypeOf(child).toEqualTypeOf<Session>();
            },
          },
          opened: {
            enter(_ctx, who, times) {
              expectTypeOf(who).toEqualTypeOf<string>();
              expectTypeOf(times).toEqualTypeOf<number | undefined>();
            },
            // @ts-expect-error: knock returns a string
            knock: () => 42,
            close: (ctx) => void ctx.machine.stop(),
          },
        },
      });
    }
    void make;
  });

  test('a wrong state or event in spawn does not compile', () => {
    function bad(): void {
      NFA.spawn<Door, Log>({
        inlineStates: {
          // @ts-expect-error: no state `ajar` in the map
          ajar: {},
        },
      });
      NFA.spawn<Door, Log>({
        inlineStates: {
          closed: {
            // @ts-expect-error: `close` is not an event of state `closed`
            close: () => {},
          },
        },
      });
      NFA.spawn<Door, Log>({
        inlineStates: {
          closed: {
            // @ts-expect-error: `open` takes a string
            open: (_ctx, who: number) => void who,
          },
        },
      });
    }
    void bad;
  });

  test('gotoState, callState and the state name from outside', () => {
    function use(door: NFA<Door, Log>): void {
      door.gotoState('closed');
      door.goto_state('opened', 'enter', 'ann');
      door.callState('knock', 'opened', 'enter', 'ann');
      door.callState(undefined, 'closed');
      // @ts-expect-error: the return event must be an event of the machine
      door.callState('fly', 'opened');
      // @ts-expect-error: no state `ajar`
      door.callState(undefined, 'ajar');
      door.returnState('any', 'values');
      expectTypeOf(door.getCurrentState()).toEqualTypeOf<'closed' | 'opened' | undefined>();
      expectTypeOf(door.getRunstate()).toEqualTypeOf<Log>();
      expectTypeOf(door.stop()).toEqualTypeOf<1 | undefined>();
    }
    void use;
  });

  test('post, call and postbacks to a machine are checked against every event of every state', () => {
    function use(kernel: Kernel, door: NFA<Door, Log>): void {
      kernel.post(door, 'open', 'ann');
      kernel.post(door, 'enter', 'ann', 3);
      expectTypeOf(kernel.call(door, 'knock')).toEqualTypeOf<string | undefined>();
      // @ts-expect-error: `open` takes a string
      kernel.post(door, 'open', 1);
      // @ts-expect-error: no state has `fly`
      kernel.post(door, 'fly');
      door.postback('close');
      // @ts-expect-error: no state has `fly`
      door.postback('fly');
      const any: Session = door;
      void any;
      expectTypeOf<MachineEvents<Door>>().toHaveProperty('enter');
    }
    void use;
  });

  test('an untyped machine takes any state, event and arguments', () => {
    function use(): void {
      const m = NFA.spawn({
        runstate: { n: 0 },
        inlineStates: {
          a: {
            go(ctx, x) {
              expectTypeOf(x).toEqualTypeOf<unknown>();
              expectTypeOf(ctx.state).toEqualTypeOf<string>();
              expectTypeOf(ctx.runstate).toEqualTypeOf<{ n: number }>();
              ctx.machine.gotoState('b', 'anything', 1, 2);
            },
            _child(_ctx, reason) {
              expectTypeOf(reason).toEqualTypeOf<'create' | 'gain' | 'lose'>();
            },
          },
        },
      });
      m.gotoState('a', 'go', 1);
      expectTypeOf(m.getCurrentState()).toEqualTypeOf<string | undefined>();
    }
    void use;
  });
});
