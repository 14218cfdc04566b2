import { ReadWrite, Session, duplexPair, poeKernel } from 'poe-ts';

// Two connected in-memory streams that behave like a socket pair; plain Node code is the peer.
const [near, far] = duplexPair();

Session.create<unknown, { wheel?: ReadWrite<string, string> }>({
  inlineStates: {
    _start: (ctx) => {
      // ReadWrite reads and writes a stream; its filter (a Line by default) makes bytes lines.
      ctx.heap.wheel = new ReadWrite({ handle: near, inputEvent: 'got_line', errorEvent: 'got_error' });
    },
    got_line: (ctx, line) => {
      console.log(`session got '${String(line)}'`);
      ctx.heap.wheel?.put(String(line).toUpperCase()); // a record in, a CRLF-ended line out
    },
    got_error: (ctx, operation, errnum) => {
      console.log(`session got ${String(operation)} error ${String(errnum)} (0 is EOF)`);
      ctx.heap.wheel?.destroy(); // POE's `delete $heap->{wheel}`
      delete ctx.heap.wheel;
    },
  },
});

let replies = '';
far.on('data', (chunk: Buffer) => {
  replies += String(chunk);
  if (!replies.endsWith('WORLD\r\n')) return;
  console.log(`peer got ${JSON.stringify(replies)}`);
  far.end(); // hang up
});
far.write('hello\r\nworld\n');

await poeKernel.run();
