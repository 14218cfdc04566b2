/**
 * POE's examples/wheels2.perl, ported line by line: a terminal session to a rot13 server. One
 * ReadWrite wheel carries the console (stdin to stdout), another the socket; what one reads the
 * other writes. It ends when either side does.
 *
 *   node build/samples/poe-examples/wheels2.js      (needs a server on ROT13_PORT, 32100 as POE's)
 */
import type { Socket } from 'node:net';
import { type Context, ReadWrite, Session, SocketFactory, StreamDriver, Stream, poeKernel } from '../../src/index.js';

const rot13_port = Number(process.env.ROT13_PORT ?? 32100);

interface Heap {
  connector?: SocketFactory;
  console_wheel?: ReadWrite<Buffer, Buffer | string>;
  socket_wheel?: ReadWrite<Buffer, Buffer | string>;
}

// Perl's `delete $heap->{...}` on a wheel: JavaScript has no destructor, so destroy() it.
function drop(heap: Heap, ...names: (keyof Heap)[]): void {
  for (const name of names) {
    heap[name]?.destroy();
    delete heap[name];
  }
}

function session_start(ctx: Context<unknown, Heap>): void {
  const { heap } = ctx;

  console.log('Connecting...');

  heap.connector = new SocketFactory({
    remoteAddress: '127.0.0.1',
    remotePort: rot13_port,
    successEvent: 'connect_success',
    failureEvent: 'connect_failure',
  });
}

function session_connect_success(ctx: Context<unknown, Heap>, connected_socket: unknown): void {
  const { heap } = ctx;

  drop(heap, 'connector');

  heap.console_wheel = new ReadWrite<Buffer, Buffer | string>({
    inputHandle: process.stdin,
    outputHandle: process.stdout,
    driver: new StreamDriver(),
    filter: new Stream(),
    inputEvent: 'console_input',
    errorEvent: 'console_error',
  });

  heap.socket_wheel = new ReadWrite<Buffer, Buffer | string>({
    handle: connected_socket as Socket,
    driver: new StreamDriver(),
    filter: new Stream(),
    inputEvent: 'socket_input',
    errorEvent: 'socket_error',
  });

  heap.console_wheel.put('Begun terminal session.');
}

function session_connect_failure(ctx: Context<unknown, Heap>, operation: unknown, errnum: unknown, errstr: unknown): void {
  const { heap } = ctx;
  if (errnum) {
    console.log(`!!! Connecting: ${String(operation)} error ${Number(errnum)}: ${String(errstr)}`);
  }
  drop(heap, 'connector', 'console_wheel', 'socket_wheel');
}

function session_stop(ctx: Context<unknown, Heap>): void {
  drop(ctx.heap, 'connector', 'console_wheel', 'socket_wheel');
}

function session_console_input(ctx: Context<unknown, Heap>, input: unknown): void {
  ctx.heap.socket_wheel?.put(input as Buffer);
}

function session_console_error(ctx: Context<unknown, Heap>, operation: unknown, errnum: unknown, errstr: unknown): void {
  const { heap } = ctx;
  if (errnum) {
    console.log(`!!! Console: ${String(operation)} error ${Number(errnum)}: ${String(errstr)}`);
  }
  drop(heap, 'console_wheel', 'socket_wheel');
}

function session_socket_input(ctx: Context<unknown, Heap>, input: unknown): void {
  ctx.heap.console_wheel?.put(input as Buffer);
}

function session_socket_error(ctx: Context<unknown, Heap>, operation: unknown, errnum: unknown, errstr: unknown): void {
  const { heap } = ctx;
  if (errnum) {
    console.log(`!!! Socket: ${String(operation)} error ${Number(errnum)}: ${String(errstr)}`);
  }
  drop(heap, 'console_wheel', 'socket_wheel');
}

Session.create<unknown, Heap>({
  inlineStates: {
    _start: session_start,
    _stop: session_stop,
    connect_success: session_connect_success,
    connect_failure: session_connect_failure,
    console_input: session_console_input,
    console_error: session_console_error,
    socket_input: session_socket_input,
    socket_error: session_socket_error,
  },
});

await poeKernel.run();
