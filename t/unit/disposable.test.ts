/**
 * `using` where Node users expect it (issue 10): a timer handle removes its timer when its block
 * ends, including in an async handler across awaits.
 */
import { expect, test } from 'vitest';
import { ReadWrite, Session, TimerHandle, duplexPair } from '../../src/index.js';
import { gate, makeKernel } from '../kit/index.js';

test('kernel.timer() with `using`: the timer is removed when the block ends unless it fired', async () => {
  const { kernel, log, say, run } = makeKernel();
  const answered = gate();
  Session.create({
    kernel,
    inlineStates: {
      _start: async (ctx) => {
        {
          using timeout = ctx.kernel.timer('timed_out', 10, 'first');
          say(`handle: ${timeout instanceof TimerHandle}, pending ${String(timeout?.pending)}`);
          ctx.kernel.delay('answer', 1);
          await answered.promise;
          say(`answered; timeout still pending ${String(timeout?.pending)}`);
        }
        say(`after the block: event count ${ctx.kernel.getEventCount()}`);
        const fires = ctx.kernel.timer('timed_out', 2, 'second')!;
        ctx.kernel.yield('later', fires);
      },
      answer: () => answered.open(),
      later: (_ctx, handle) => say(`second pending ${String((handle as TimerHandle).pending)}`),
      timed_out: (_ctx, which, handle) => {
        say(`timed out: ${String(which)}`);
        void handle;
      },
    },
  });
  await run();
  expect(log).toEqual([
    'handle: true, pending true',
    'answered; timeout still pending true',
    'after the block: event count 0',
    'second pending true',
    'timed out: second',
  ]);
});

test('remove() from outside the owning session works; a removed or fired timer is not pending', async () => {
  const { kernel, log, say, run } = makeKernel();
  let handle: TimerHandle | undefined;
  Session.create({ kernel, inlineStates: { _start: (ctx) => void (handle = ctx.kernel.timer('tick', 5)), tick: () => say('ERROR: tick') } });
  expect(handle!.pending).toBe(true);
  expect(handle!.remove()).toBe(true);
  expect(handle!.remove()).toBe(false);
  expect(handle!.pending).toBe(false);
  await run();
  expect(log).toEqual([]);
});

test('a postback with `using` lets go of its session when the block ends; `using` a kernel stops what is left', async () => {
  const { kernel, log, say, run } = makeKernel();
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        {
          using pb = ctx.session.postback('called', 'ctx');
          pb('arg');
          say(`extrefs while held: ${JSON.stringify(ctx.kernel.ps()[0]?.extrefs)}`);
        }
        say(`extrefs after: ${JSON.stringify(ctx.kernel.ps()[0]?.extrefs)}`);
      },
      called: (_ctx, context, args) => say(`called ${JSON.stringify([context, args])}`),
      _stop: () => say('first _stop'),
    },
  });
  await run();
  {
    using k = makeKernel().kernel;
    Session.create({ kernel: k, inlineStates: { _start: (ctx) => void ctx.kernel.aliasSet('forever'), _stop: () => say('second _stop') } });
  }
  expect(log).toEqual(['extrefs while held: {"anon_event":1}', 'extrefs after: {}', 'called [["ctx"],["arg"]]', 'first _stop', 'second _stop']);
});

test('a wheel with `using` is destroyed when its block ends', async () => {
  const { kernel, log, say, run } = makeKernel();
  const [mine] = duplexPair();
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        {
          using wheel = new ReadWrite(ctx, { handle: mine, inputEvent: 'got' });
          say(`in the block: destroyed ${wheel.destroyed}, holds the session: ${JSON.stringify(ctx.kernel.ps()[0]?.aliveBecause)}`);
        }
        say(`after it: ${JSON.stringify(ctx.kernel.ps()[0]?.aliveBecause)}`);
      },
      got: () => say('ERROR: got'),
      _stop: () => say('_stop'),
    },
  });
  await run();
  expect(log).toEqual(['in the block: destroyed false, holds the session: ["held by ReadWrite(1)"]', 'after it: []', '_stop']);
});
