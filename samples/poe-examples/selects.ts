/**
 * POE's examples/selects.perl, ported line by line: a chargen server and a client in one
 * program, both written with the kernel's raw I/O watchers (`select_read`, `select`) rather
 * than wheels. The client reads a few lines and hangs up; the server notices at its next
 * write. The server runs until interrupted.
 *
 *   node build/samples/poe-examples/selects.js      (runs until Ctrl-C)
 *
 * CHARGEN_PORT sets the port (32100, as POE's); 0 takes a free one, which the client then uses.
 */
import * as net from 'node:net';
import { constants } from 'node:os';
import { type Context, Session, SocketFactory, poeKernel, strerror } from '../../src/index.js';

let chargen_port = Number(process.env.CHARGEN_PORT ?? 32100);

// Perl's scalar(gmtime): `Thu Sep  9 01:46:40 1999`.
function gmtime(date = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][date.getUTCDay()]!;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][date.getUTCMonth()]!;
  return `${day} ${month} ${String(date.getUTCDate()).padStart(2)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

// --- a chargen connection: one session per client ---

interface ConnectionHeap {
  host: string;
  port: number;
  char: number;
}

function connection_start(ctx: Context<unknown, ConnectionHeap>, socket_handle: unknown, peer_host: unknown, peer_port: unknown): string {
  const { kernel, heap } = ctx;
  console.log(`Starting chargen connection with ${String(peer_host)}:${String(peer_port)} ...`);
  kernel.sig('INT', 'signal');
  kernel.sig('PIPE', 'signal');

  heap.host = String(peer_host);
  heap.port = Number(peer_port);
  heap.char = 32;

  kernel.select(socket_handle as net.Socket, 'read', 'write');
  return gmtime();
}

function connection_stop(ctx: Context<unknown, ConnectionHeap>): void {
  const { heap } = ctx;
  const peer_host = heap.host;
  const peer_port = heap.port;
  console.log(`Stopped chargen connection with ${peer_host}:${peer_port}`);
}

function connection_default(_ctx: Context<unknown, ConnectionHeap>, state: unknown, params: unknown): number {
  console.log('The chargen connection has received a _default event.');
  console.log(`The original event was ${String(state)}, with the following parameters:${(params as unknown[]).join('; ')}`);
  return 0;
}

function connection_read(_ctx: Context<unknown, ConnectionHeap>, handle: unknown): void {
  // Read and discard whatever the client sent.
  while ((handle as net.Socket).read() !== null);
}

function connection_write(ctx: Context<unknown, ConnectionHeap>, h: unknown): void {
  const { kernel, heap } = ctx;
  const handle = h as net.Socket;
  // 72 characters from the current one on, wrapped into printable ASCII, then CRLF.
  let output_string = '';
  for (let c = heap.char; c <= heap.char + 71; c++) output_string += String.fromCharCode(c > 0x7e ? c - 0x5f : c);
  output_string += '\r\n';
  if (++heap.char > 126) heap.char = 32;

  // syswrite's failure shows here as the stream's error, which Node reports after the write.
  const failed: NodeJS.ErrnoException | null = handle.errored;
  if (failed === null && !handle.destroyed) {
    handle.write(output_string);
    return;
  }
  const code = (constants.errno as Record<string, number>)[failed?.code ?? 'EPIPE'] ?? constants.errno.EPIPE;
  console.log(`The chargen connection has encountered write error ${code}: ${strerror(code)}`);
  kernel.select(handle);
  // Perl closes the socket when the watcher, its last holder, lets go of it.
  handle.destroy();
}

function connection_signal(_ctx: Context<unknown, ConnectionHeap>, signal_name: unknown): void {
  console.log(`The chargen connection received SIG${String(signal_name)}`);
}

// --- the chargen server ---

function server_start(ctx: Context<unknown, { listener?: SocketFactory }>): void {
  const { kernel, heap } = ctx;

  console.log(`The chargen server is starting on port ${chargen_port} ...`);
  kernel.sig('INT', 'signal');
  kernel.sig('PIPE', 'signal');

  // IO::Socket::INET's listener watched with select_read: a SocketFactory, which listens
  // and accepts (Node has no accept() to call from a read watcher).
  heap.listener = new SocketFactory({
    bindAddress: '0.0.0.0',
    bindPort: chargen_port,
    reuse: 'yes',
    successEvent: 'accept',
    failureEvent: 'listen_failed',
  });
  const name = heap.listener.getsockname();
  if (name && 'port' in name) chargen_port = name.port;
}

function server_listen_failed(ctx: Context<unknown, { listener?: SocketFactory }>, _operation: unknown, _errnum: unknown, errstr: unknown): void {
  console.log(`The chargen server could not listen on ${chargen_port}: ${String(errstr)}`);
  ctx.heap.listener?.destroy();
  delete ctx.heap.listener;
}

function server_stop(): void {
  console.log('The chargen server has stopped.');
}

const english: Record<string, string> = { gain: 'gained', lose: 'lost', create: 'created' };

function server_child(_ctx: Context, direction: unknown, _child: unknown, ret: unknown): void {
  console.log(`The chargen server has ${english[String(direction)]} a child session.`);
  if (direction === 'create') {
    console.log(`The child session's _start state returned: ${String(ret)}`);
  }
}

function server_default(_ctx: Context, state: unknown, params: unknown): number {
  console.log('The chargen server has received a _default event.');
  console.log(`The original event was ${String(state)}, with the following parameters:${(params as unknown[]).join('; ')}`);
  return 0;
}

function server_accept(_ctx: Context, connection: unknown): void {
  console.log('The chargen server detected an incoming connection.');
  const socket = connection as net.Socket;
  const peer_host = socket.remoteAddress;
  const peer_port = socket.remotePort;
  Session.create<unknown, ConnectionHeap>({
    inlineStates: {
      _start: connection_start,
      _stop: connection_stop,
      _default: connection_default,
      read: connection_read,
      write: connection_write,
      signal: connection_signal,
    },
    args: [socket, peer_host, peer_port],
  });
}

function server_signal(_ctx: Context, signal_name: unknown): number {
  console.log(`The chargen server received SIG${String(signal_name)}`);
  return 0;
}

// --- the chargen client ---

interface ClientHeap {
  'lines read': number;
}

function client_start(ctx: Context<unknown, ClientHeap>): void {
  const { kernel, heap } = ctx;

  console.log(`The chargen client is connecting to port ${chargen_port} ...`);
  kernel.sig('INT', 'signal');
  kernel.sig('PIPE', 'signal');

  heap['lines read'] = 0;

  // IO::Socket::INET connects before it returns; a Node socket connects later, and a
  // failure would show as the end of what it reads.
  const socket = net.connect({ host: 'localhost', port: chargen_port, family: 4 });
  console.log(`The chargen client has connected to port ${chargen_port}.`);
  kernel.select_read(socket, 'read');
}

function client_stop(_ctx: Context<unknown, ClientHeap>): void {
  console.log('\nThe chargen client has stopped.');
}

function client_default(_ctx: Context<unknown, ClientHeap>, state: unknown, params: unknown): number {
  console.log('The chargen client has received a _default event.');
  console.log(`The original event was ${String(state)}, with the following parameters:${(params as unknown[]).join('; ')}`);
  return 0;
}

function client_read(ctx: Context<unknown, ClientHeap>, h: unknown): void {
  const { kernel, heap } = ctx;
  const handle = h as net.Socket;
  // sysread($handle, $buffer, 512): at most 512 of the octets there are.
  const buffer = handle.read(Math.min(512, handle.readableLength)) as Buffer | null;
  if (buffer !== null && buffer.length > 0) {
    process.stdout.write(buffer);
    heap['lines read'] += buffer.toString('latin1').split('\r\n').length - 1;
    if (heap['lines read'] > 5) {
      kernel.select(handle);
      handle.destroy(); // as Perl, once nothing holds the socket
    }
  } else {
    kernel.select(handle);
    handle.destroy();
  }
}

function client_signal(_ctx: Context<unknown, ClientHeap>, signal_name: unknown): number {
  console.log(`The chargen client received SIG${String(signal_name)}`);
  return 0;
}

Session.create({
  inlineStates: {
    _start: server_start,
    _stop: server_stop,
    _default: server_default,
    _child: server_child,
    accept: server_accept,
    listen_failed: server_listen_failed,
    signal: server_signal,
  },
});

Session.create<unknown, ClientHeap>({
  inlineStates: {
    _start: client_start,
    _stop: client_stop,
    _default: client_default,
    read: client_read,
    signal: client_signal,
  },
});

await poeKernel.run();
