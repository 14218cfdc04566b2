/**
 * Conformance: probe 14_os_signals (spec 1.11, 5.3 #11, G16, G17).
 *
 * Real OS signals sent to this process. A process listener exists only while a session
 * watches the signal; OS signals go to the kernel and are broadcast to every watcher. The
 * benign USR1 kills nobody; an unhandled INT stops every session, including a bystander that
 * never watched it, and `run()` returns.
 *
 * This test runs on the real clock (the signal arrives from outside the kernel) with the
 * probe's short delays; the only wait is `run()` itself, bounded.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { expectedLines, expectNoLeaks, probeExpected, realKernel, runBounded } from '../kit/index.js';

const expected = expectedLines(probeExpected('14_os_signals'));

test('14_os_signals: real SIGUSR1 is benign; an unhandled real SIGINT stops every session', async () => {
  const { kernel, warnings, log, say } = realKernel();
  // Whatever listeners the test runner has; the kernel's own must come on top of these, or
  // the kill below would take the default action (for SIGINT: end the process).
  const baseline = { SIGUSR1: process.listenerCount('SIGUSR1'), SIGINT: process.listenerCount('SIGINT') };
  const kill = (sig: 'SIGUSR1' | 'SIGINT') => {
    if (process.listenerCount(sig) <= baseline[sig]) {
      say(`ERROR: no kernel listener for ${sig}; not sending it`);
      kernel.stop();
      return;
    }
    process.kill(process.pid, sig);
  };

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('bystander');
        ctx.kernel.delay('wait', 10);
      },
      wait() {
        say('ERROR bystander timer fired');
      },
      _stop() {
        say('bystander _stop (never watched INT)');
      },
    },
  });
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('watcher');
        ctx.kernel.sig('USR1', 'on_usr1', 'extra-arg');
        ctx.kernel.sig('INT', 'on_int');
        ctx.kernel.delay('fire', 0.05);
      },
      fire() {
        say('sending real SIGUSR1 to self');
        kill('SIGUSR1');
      },
      on_usr1(ctx, name, extra) {
        say(`on_usr1: ARG0=${String(name)} ARG1=${String(extra)} sender is kernel: `, ctx.sender === ctx.kernel ? 'yes' : 'no');
        ctx.kernel.delay('fire_int', 0.05);
      },
      fire_int() {
        say('sending real SIGINT to self');
        kill('SIGINT');
      },
      on_int(_ctx, name) {
        say(`on_int: got ${String(name)}, not calling sig_handled`);
      },
      _stop() {
        say('watcher _stop');
      },
    },
  });
  expect(process.listenerCount('SIGUSR1')).toBe(baseline.SIGUSR1 + 1);
  expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT + 1);

  await runBounded(kernel);
  say('run returned');

  expect(log).toEqual(expected);
  // No session watches any more, so the process listeners are gone again.
  expect(process.listenerCount('SIGUSR1')).toBe(baseline.SIGUSR1);
  expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT);
  expect(warnings).toEqual([]);
  expectNoLeaks(kernel);
});
