/**
 * `run({ signal })` (issue 10): an AbortSignal cancels a run the Node way. Aborting stops every
 * session as `stop()` does (POE's semantics for stopping) and the run rejects with the reason.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { expectNoLeaks, makeKernel } from '../kit/index.js';

test('aborting a running kernel stops every session and rejects run() with the reason', async () => {
  const { kernel, log, say } = makeKernel();
  const controller = new AbortController();
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        ctx.kernel.delay('never', 3600);
        ctx.kernel.delay('abort', 1);
      },
      abort: () => {
        say('aborting');
        controller.abort(new Error('enough'));
        say('after abort(), the handler goes on');
      },
      never: () => say('ERROR: never'),
      _stop: () => say('_stop'),
    },
  });
  await expect(kernel.run({ signal: controller.signal })).rejects.toThrow('enough');
  expect(log).toEqual(['aborting', '_stop', 'after abort(), the handler goes on']);
  expectNoLeaks(kernel);
});

test('an already aborted signal stops the kernel at once, with the default AbortError reason', async () => {
  const { kernel, log, say } = makeKernel();
  Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.delay('never', 5), never: () => say('ERROR'), _stop: () => say('_stop') } });
  const err: unknown = await kernel.run({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
  expect(err).toMatchObject({ name: 'AbortError' });
  expect(log).toEqual(['_stop']);
  // Nothing to run: an aborted signal still says so; a fresh one resolves.
  await expect(kernel.run({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  await expect(kernel.run({ signal: new AbortController().signal })).resolves.toBeUndefined();
  expectNoLeaks(kernel);
});

test('a run that ends by itself resolves and lets go of the signal; a later abort does nothing', async () => {
  const { kernel, log, say } = makeKernel();
  const controller = new AbortController();
  Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.delay('tick', 1), tick: () => say('tick') } });
  await kernel.runWhile(() => true, { signal: controller.signal });
  controller.abort();
  expect(log).toEqual(['tick']);
  expectNoLeaks(kernel);
});

test('bad run options are refused with a message naming them', async () => {
  const { kernel } = makeKernel();
  await expect(kernel.run({ signal: 'soon' as never })).rejects.toMatchObject({ code: 'ERR_POE_INVALID_ARGUMENT', message: expect.stringContaining('`signal` to be an AbortSignal') });
  await expect(kernel.run({ sigal: 1 } as never)).rejects.toMatchObject({ code: 'ERR_POE_UNKNOWN_OPTION' });
});
