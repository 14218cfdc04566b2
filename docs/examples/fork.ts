import { Session, poeKernel } from 'poe-ts';

Session.create({
  inlineStates: {
    _start: (ctx) => {
      const pid = ctx.kernel.fork(); // starts this program again in a child process
      if (pid === undefined) return void console.log(`fork failed: errno ${ctx.kernel.errno}`);
      if (pid === 0) {
        // The child ran the program from the top; its first fork() returns 0.
        ctx.kernel.hasForked();
        console.log('child: hello');
        return; // nothing left to do: the session ends, and the child process with it
      }
      ctx.kernel.sigChild(pid, 'reaped'); // the parent: tell me when the child ends
    },
    reaped: (_ctx, _chld, _pid, status) => console.log(`parent: child exited with code ${Number(status) >> 8}`),
  },
});

await poeKernel.run();
