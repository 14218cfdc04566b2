/**
 * Conformance: probe 31_sig_watch_no_refcount (spec 1.8, 1.11, 5.3 #12, G16).
 *
 * A `sig()` watcher holds no reference: a session whose only resource is a watcher is
 * collected as soon as it is idle, and a later signal finds no watcher. Alias-only sessions
 * live while another session has work, then the unhandled IDLE stops them.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { expectedLines, makeKernel, probeExpected } from '../kit/index.js';

const expected = expectedLines(probeExpected('31_sig_watch_no_refcount'));

test('31_sig_watch_no_refcount: watcher-only sessions are collected; alias-only ones die at IDLE', async () => {
  const { kernel, log, say, run } = makeKernel();

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.sig('USR2', 'usr2');
      },
      usr2() {
        say('ERROR: watcher-only session still alive');
      },
      _stop() {
        say('watcher-only session _stop (sig() holds no reference)');
      },
    },
  });
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('alias-only');
      },
      _stop() {
        say('alias-only session _stop (after IDLE)');
      },
    },
  });
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.delay('work', 0.1);
      },
      work(ctx) {
        say('worker: sending USR2 (nobody watches it any more)');
        ctx.kernel.signal(ctx.kernel, 'USR2');
      },
      _stop() {
        say('worker _stop');
      },
    },
  });

  await run();
  say('run returned');

  expect(log).toEqual(expected);
});
