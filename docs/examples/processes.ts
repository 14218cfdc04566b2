import { Run, Session, poeKernel } from 'poe-ts';

// The child: a Node program that upper-cases its input and exits with status 3 at its end.
const script = `process.stdin.on('data', (d) => process.stdout.write(String(d).toUpperCase()));
process.stdin.on('end', () => process.exit(3));`;

Session.create<unknown, { child?: Run }>({
  inlineStates: {
    _start: (ctx) => {
      // Run (POE::Wheel::Run) starts a program and talks to it through its stdio, line by line.
      const child = new Run({
        program: [process.execPath, '-e', script],
        stdoutEvent: 'got_stdout',
        closeEvent: 'got_close',
      });
      ctx.heap.child = child;
      ctx.kernel.sigChild(child.PID, 'got_exit'); // tell me when the process ends
      child.put('hello from the parent');
    },
    got_stdout: (ctx, line) => {
      console.log(`child said: ${String(line)}`);
      ctx.heap.child?.shutdownStdin(); // end of its input: the child exits
    },
    got_close: (ctx) => {
      ctx.heap.child?.destroy(); // its output is closed: drop the wheel
      delete ctx.heap.child;
    },
    // status is Perl's $?: the exit code times 256
    got_exit: (_ctx, _chld, _pid, status) => console.log(`child exited with code ${Number(status) >> 8}`),
  },
});

await poeKernel.run();
