import { PassThrough } from 'node:stream';
import { Session, poeKernel, records } from 'poe-ts';

Session.create({
  inlineStates: {
    _start: async (ctx) => {
      // A timer as an object: `using` removes it when the block ends, unless it fired.
      let handle;
      {
        using timeout = ctx.kernel.timer('timed_out', 5);
        handle = timeout;
        console.log(`timeout pending: ${String(timeout?.pending)}`);
        // A filter over a stream as an async iterator, for code that is not a session.
        const input = new PassThrough();
        input.end('first line\r\nsecond line\n');
        for await (const line of records(input)) console.log(`read: ${line}`);
      }
      console.log(`timeout pending after the block: ${String(handle?.pending)}`);
    },
    timed_out: () => console.log('timed out (never: the block removed it)'),
  },
});

// An AbortSignal stops a run the Node way: sessions get _stop, run() rejects with the reason.
Session.create({
  inlineStates: {
    _start: (ctx) => void ctx.kernel.delay('work', 60),
    work: () => console.log('work (never: the run is stopped first)'),
    _stop: () => console.log('daemon _stop'),
  },
});
try {
  await poeKernel.run({ signal: AbortSignal.timeout(100) });
} catch (err) {
  console.log(`run() rejected: ${(err as Error).name}`);
}
