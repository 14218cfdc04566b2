/**
 * POE's examples/signals.perl, ported line by line: two sessions send each other (and the
 * whole kernel) signals of their own names on timers, until SIGINT stops them both.
 *
 *   node build/samples/poe-examples/signals.js      (Ctrl-C to stop)
 */
import { Session, poeKernel } from '../../src/index.js';

Session.create({
  inlineStates: {
    _start: (ctx) => {
      const { kernel } = ctx;
      kernel.sig('INT', 'signal handler');
      kernel.sig('FOO', 'signal handler');
      kernel.sig('QUUX', 'signal handler');
      console.log('First session started... send SIGINT to stop.');
      kernel.delay('set an alarm', 1);
    },
    _stop: () => {
      console.log('First session stopped.');
    },
    'set an alarm': (ctx) => {
      const { kernel, session } = ctx;
      console.log('First session\'s alarm rang.  Sending SIGFOO to itself...');
      kernel.signal(session, 'FOO');
      kernel.delay('set an alarm', 1);
    },
    'signal handler': (ctx, signal_name) => {
      const { kernel } = ctx;
      console.log(`First session caught SIG${String(signal_name)}`);
      if (signal_name === 'INT') {
        console.log('First session stopping...');
        kernel.delay('set an alarm');
      }
    },
  },
});

Session.create({
  inlineStates: {
    _start: (ctx) => {
      const { kernel } = ctx;
      kernel.sig('INT', 'signal handler');
      kernel.sig('BAZ', 'signal handler');
      kernel.sig('QUUX', 'signal handler');
      console.log('Second session started... send SIGINT to stop.');
      kernel.delay('set an alarm', 0.5);
    },
    _stop: () => {
      console.log('Second session stopped.');
    },
    'set an alarm': (ctx) => {
      const { kernel } = ctx;
      console.log('Second session\'s alarm rang.  Sending SIGQUUX to kernel...');
      kernel.signal(kernel, 'QUUX');
      kernel.delay('set an alarm', 0.5);
    },
    'signal handler': (ctx, signal_name) => {
      const { kernel } = ctx;
      console.log(`Second session caught SIG${String(signal_name)}`);
      if (signal_name === 'INT') {
        console.log('Second session stopping...');
        kernel.delay('set an alarm');
      }
    },
  },
});

await poeKernel.run();
