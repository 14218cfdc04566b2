/**
 * Conformance: probe 10_self_call_and_no_catch (spec 1.4, 1.12, G13).
 *
 * (a) A `call()` to the current session bypasses the dispatcher: SENDER is the session itself
 * and an exception propagates straight to the caller, where a try/catch sees it (no DIE).
 * (b) With exception catching off (POE_CATCH_EXCEPTIONS=0), an exception in a handler stops
 * the kernel, every session gets `_stop`, queued events are dropped and `run()` rejects.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { expectedLines, expectNoLeaks, makeKernel, probeExpected } from '../kit/index.js';

const expected = expectedLines(probeExpected('10_self_call_and_no_catch'));

test('10_self_call_and_no_catch: self-call exceptions reach the caller; catchExceptions false stops the kernel', async () => {
  // POE reads POE_CATCH_EXCEPTIONS=0 from the environment before it loads and prints the
  // CATCH_EXCEPTIONS() constant; poe-ts takes the kernel option, so the test prints the value
  // it passes (0 for false, as Perl prints the constant).
  const catchExceptions = false;
  const { kernel, log, say } = makeKernel({ catchExceptions });
  say('CATCH_EXCEPTIONS=', Number(catchExceptions));

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        // POE: my $r = eval { $_[KERNEL]->call($_[SESSION], 'boom'); 1 }; print ... unless $r;
        try {
          ctx.kernel.call(ctx.session, 'boom');
        } catch (e) {
          say('eval around self-call caught: ', (e as Error).message);
        }
        ctx.kernel.call(ctx.session, 'who');
        ctx.kernel.yield('boom');
        ctx.kernel.yield('never');
      },
      who(ctx) {
        say('self-call SENDER is self: ', ctx.sender === ctx.session ? 'yes' : 'no');
      },
      // Perl's "boom in $_[STATE]\n": the trailing newline only suppresses " at FILE line N".
      boom(ctx) {
        throw new Error(`boom in ${ctx.state}`);
      },
      never() {
        say('ERROR: should not run');
      },
      _stop() {
        say('_stop delivered during kernel stop');
      },
    },
  });

  // POE: eval { POE::Kernel->run() }; print "run() died with: $@"
  const err = await kernel.run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  say('run() died with: ', (err as Error).message);

  expect(log).toEqual(expected);
  expectNoLeaks(kernel);
});
