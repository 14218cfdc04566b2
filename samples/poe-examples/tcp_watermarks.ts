/**
 * POE's examples/tcp_watermarks.perl, ported line by line: watermarks.perl with the listener
 * being a Server::TCP component (ServerTCP) whose Acceptor makes each connection's session.
 *
 *   node build/samples/poe-examples/tcp_watermarks.js      (CHARGEN_PORT, 32100 as POE's; 0 for a free one)
 */
import type { Socket } from 'node:net';
import { type Context, Line, ReadWrite, ServerTCP, Session, StreamDriver, poeKernel } from '../../src/index.js';

const chargen_port = Number(process.env.CHARGEN_PORT ?? 32100);

// --- Chargen::Connection: one session per client ---

interface ConnectionHeap {
  wheel?: ReadWrite<string, string>;
  okay_to_send: number;
  start_character: number;
}
type Ctx = Context<unknown, ConnectionHeap>;

const Chargen_Connection = {
  new(socket: Socket): undefined {
    Session.create<unknown, ConnectionHeap>({
      inlineStates: {
        _start: Chargen_Connection.poe_start,
        wheel_got_input: Chargen_Connection.poe_got_input,
        wheel_got_error: Chargen_Connection.poe_got_error,
        wheel_throttle: Chargen_Connection.poe_throttle,
        wheel_resume: Chargen_Connection.poe_resume,
        write_chunk: Chargen_Connection.poe_write_chunk,
      },
      args: [socket],
    });
    return undefined;
  },

  poe_start(ctx: Ctx, socket: unknown): void {
    ctx.heap.wheel = new ReadWrite<string, string>({
      handle: socket as Socket,
      driver: new StreamDriver(),
      filter: new Line(),
      inputEvent: 'wheel_got_input',
      errorEvent: 'wheel_got_error',
      highMark: 1024,
      lowMark: 128,
      highEvent: 'wheel_throttle',
      lowEvent: 'wheel_resume',
    });
    ctx.heap.okay_to_send = 1;
    ctx.heap.start_character = 32;
    ctx.kernel.yield('write_chunk');
  },

  poe_got_input(ctx: Ctx): void {
    console.error(`Chargen session ${ctx.session.ID} is ignoring some input.`);
  },

  poe_got_error(ctx: Ctx, operation: unknown, errnum: unknown, errstr: unknown): void {
    console.error(`Chargen session ${ctx.session.ID} encountered ${String(operation)} error ${Number(errnum)}: ${String(errstr)}`);
    ctx.heap.okay_to_send = 0;
    ctx.heap.wheel?.destroy();
    delete ctx.heap.wheel;
  },

  poe_write_chunk(ctx: Ctx): void {
    if (!ctx.heap.okay_to_send) return;
    for (;;) {
      // 72 characters from the start character on, wrapped into printable ASCII.
      let chargen_line = '';
      for (let c = ctx.heap.start_character; c <= ctx.heap.start_character + 71; c++) chargen_line += String.fromCharCode(c > 0x7e ? c - 0x5f : c);
      if (++ctx.heap.start_character > 126) ctx.heap.start_character = 32;
      if (ctx.heap.wheel!.put(chargen_line)) break;
    }
    console.error(`Chargen session ${ctx.session.ID} writes are paused.`);
  },

  poe_throttle(ctx: Ctx): void {
    console.error(`Chargen session ${ctx.session.ID} is throttled.`);
    ctx.heap.okay_to_send = 0;
  },

  poe_resume(ctx: Ctx): void {
    if (ctx.heap.wheel !== undefined) {
      console.error(`Chargen session ${ctx.session.ID} is resuming.`);
      ctx.heap.okay_to_send = 1;
      ctx.kernel.yield('write_chunk');
    }
  },
};

console.log(
  '*** If all goes well, a watermarked (self-throttling) chargen\n' +
    `*** service will be listening on localhost port ${chargen_port}.\n` +
    '*** Watch it perform flow control by connecting to it over a slow\n' +
    '*** connection or with a client you can pause.  The server will\n' +
    '*** throttle itself when its output buffer becomes too large, and\n' +
    '*** it will resume output when the client receives enough data.',
);

ServerTCP.create({
  port: chargen_port,
  acceptor: (_ctx, socket) => {
    Chargen_Connection.new(socket);
  },
});

await poeKernel.run();
