/**
 * POE's examples/thrash.perl, ported line by line: a daytime server and a pool of five clients
 * in one program, each client replaced by a new one as soon as it ends, to see how many
 * connections a second the kernel can turn over. Every ten seconds it prints the rate. It runs
 * until interrupted.
 *
 *   node build/samples/poe-examples/thrash.js      (runs until Ctrl-C; THRASH_PORT, 32100 as POE's, 0 for a free one)
 */
import type { Socket } from 'node:net';
import { type Context, Line, ReadWrite, Session, SocketFactory, StreamDriver, fileno, inetNtoa, poeKernel } from '../../src/index.js';

const MAX_SIMULTANEOUS_CLIENTS = 5;
const DEBUG = false;

const server_addr = '127.0.0.1';
let server_port = Number(process.env.THRASH_PORT ?? 32100);

// Perl's `delete $heap->{wheel}` on a wheel: JavaScript has no destructor, so destroy() it.
function drop(heap: { wheel?: { destroy(): void } }): void {
  heap.wheel?.destroy();
  delete heap.wheel;
}

// Perl's scalar(gmtime): `Thu Sep  9 01:46:40 1999`.
function gmtime(date = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][date.getUTCDay()]!;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][date.getUTCMonth()]!;
  return `${day} ${month} ${String(date.getUTCDate()).padStart(2)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

// Perl's time(): whole seconds.
const time = (): number => Math.floor(Date.now() / 1000);
const started = time(); // Perl's $^T

// --- the clients ---

interface ClientHeap {
  serial: number;
  wheel?: SocketFactory | ReadWrite<string, string>;
}
type ClientCtx = Context<unknown, ClientHeap>;

function client_create(serial_number: number): void {
  Session.create<unknown, ClientHeap>({
    inlineStates: {
      _start: client_start,
      _stop: client_stop,
      receive: client_receive,
      error: client_error,
      connected: client_connected,
      signals: client_signals,
      _parent: () => undefined,
    },
    args: [serial_number],
  });
}

function client_start(ctx: ClientCtx, serial: unknown): void {
  const { kernel, heap } = ctx;

  if (DEBUG) console.log(`Client ${String(serial)} is starting.`);

  heap.serial = Number(serial);
  kernel.sig('INT', 'signals');

  heap.wheel = new SocketFactory({
    remoteAddress: server_addr,
    remotePort: server_port,
    successEvent: 'connected',
    failureEvent: 'error',
  });
}

function client_stop(ctx: ClientCtx): void {
  if (DEBUG) console.log(`Client ${ctx.heap.serial} has stopped.`);
}

function client_connected(ctx: ClientCtx, s: unknown): void {
  const { heap } = ctx;
  const socket = s as Socket;

  if ((fileno(socket) ?? 0) > 63) throw new Error('possible filehandle leak');

  if (DEBUG) console.log(`Client ${heap.serial} is connected.`);

  heap.wheel?.destroy();
  heap.wheel = new ReadWrite<string, string>({
    handle: socket,
    driver: new StreamDriver(),
    filter: new Line(),
    inputEvent: 'receive',
    errorEvent: 'error',
  });

  // shutdown($socket, 1): nothing more to send.
  socket.end();
}

function client_receive(ctx: ClientCtx, line: unknown): void {
  if (DEBUG) console.log(`Client ${ctx.heap.serial} received: ${String(line)}`);
}

function client_error(ctx: ClientCtx, operation: unknown, errnum: unknown, errstr: unknown): void {
  const { heap } = ctx;
  if (DEBUG) {
    if (errnum) {
      console.log(`Client ${heap.serial} encountered ${String(operation)} error ${Number(errnum)}: ${String(errstr)}`);
    } else {
      console.log(`Client ${heap.serial} the server closed the connection.`);
    }
  }
  drop(heap);
}

function client_signals(ctx: ClientCtx, signal_name: unknown): number {
  if (DEBUG) console.log(`Client ${ctx.heap.serial} caught SIG${String(signal_name)}`);
  return 0;
}

// --- the pool that keeps five clients going ---

interface PoolHeap {
  children: number;
  'client serial': number;
  state: string;
  'bench start': number;
  'bench count': number;
}
type PoolCtx = Context<unknown, PoolHeap>;

function pool_create(): void {
  Session.create<unknown, PoolHeap>({
    inlineStates: {
      _start: pool_start,
      _stop: pool_stop,
      signals: pool_signals,
      _child: pool_child,
      _parent: () => undefined,
    },
  });
}

function pool_start(ctx: PoolCtx): void {
  const { kernel, heap } = ctx;

  if (DEBUG) console.log('Pool starting.');

  kernel.sig('INT', 'signals');

  heap.children = 0;
  heap['client serial'] = 0;
  heap.state = 'running';

  heap['bench start'] = time();
  heap['bench count'] = 0;

  for (let i = 0; i < MAX_SIMULTANEOUS_CLIENTS; i++) {
    client_create(++heap['client serial']);
  }
}

function pool_stop(ctx: PoolCtx): void {
  ctx.kernel.signal('server', 'QUIT');
  if (DEBUG) console.log('Pool has stopped.');
}

function pool_signals(_ctx: PoolCtx, signal_name: unknown): number {
  if (DEBUG) console.log(`Pool caught SIG${String(signal_name)}`);
  return 0;
}

const english: Record<string, string> = { create: 'created', lose: 'lost', gain: 'gained' };

function pool_child(ctx: PoolCtx, direction: unknown): void {
  const { heap } = ctx;

  if (direction === 'lose') {
    heap.children--;
    if (heap.state === 'running') {
      client_create(++heap['client serial']);
    }
  } else {
    heap.children++;
    heap['bench count']++;
  }

  if (DEBUG) console.log(`Pool ${english[String(direction)]} a child session (now has ${heap.children}).`);

  const elapsed = time() - heap['bench start'];
  if (elapsed >= 10) {
    console.log(`bench: ${heap['bench count']} / ${elapsed} = ${heap['bench count'] / elapsed}`);
    heap['bench count'] = 0;
    heap['bench start'] = time();
    if (DEBUG && time() - started >= 60.0) {
      heap.state = 'quitting';
    }
  }
}

// --- the daytime server's sessions, one per connection ---

interface SessionHeap {
  host: string;
  port: number;
  wheel?: ReadWrite<string, string>;
}
type SessionCtx = Context<unknown, SessionHeap>;

function session_create(handle: Socket, peer_host: unknown, peer_port: unknown): void {
  Session.create<unknown, SessionHeap>({
    inlineStates: {
      _start: session_start,
      _stop: session_stop,
      receive: session_receive,
      flushed: session_flushed,
      error: session_error,
      signals: session_signals,
      _child: () => undefined,
      _parent: () => undefined,
    },
    args: [handle, peer_host, peer_port],
  });
}

function session_start(ctx: SessionCtx, handle: unknown, packed_host: unknown, peer_port: unknown): void {
  const { kernel, heap } = ctx;

  const peer_host = inetNtoa(packed_host as Buffer);

  if (DEBUG) console.log(`Session with ${peer_host} ${Number(peer_port)} is starting.`);

  kernel.sig('INT', 'signals');

  heap.host = peer_host;
  heap.port = Number(peer_port);

  heap.wheel = new ReadWrite<string, string>({
    handle: handle as Socket,
    driver: new StreamDriver(),
    filter: new Line(),
    inputEvent: 'receive',
    errorEvent: 'error',
    flushedEvent: 'flushed',
  });

  heap.wheel.put(`Hi, ${peer_host} ${Number(peer_port)}!  The time is: ${gmtime()} GMT`);
}

function session_stop(ctx: SessionCtx): void {
  if (DEBUG) console.log(`Session with ${ctx.heap.host} ${ctx.heap.port} has stopped.`);
}

function session_receive(ctx: SessionCtx, line: unknown): void {
  if (DEBUG) console.log(`Received from ${ctx.heap.host} ${ctx.heap.port}: ${String(line)}`);
}

function session_error(ctx: SessionCtx, operation: unknown, errnum: unknown, errstr: unknown): void {
  const { heap } = ctx;
  if (DEBUG) console.log(`Session with ${heap.host} ${heap.port} encountered ${String(operation)} error ${Number(errnum)}: ${String(errstr)}`);
  drop(heap);
}

function session_flushed(ctx: SessionCtx): void {
  const { heap } = ctx;
  if (DEBUG) console.log(`Output to ${heap.host} ${heap.port} has flushed.`);
  drop(heap);
}

function session_signals(ctx: SessionCtx, signal_name: unknown): number {
  if (DEBUG) console.log(`Session with ${ctx.heap.host} ${ctx.heap.port} has received a SIG${String(signal_name)}`);
  return 0;
}

// --- the daytime server ---

function server_create(): void {
  Session.create<unknown, { wheel?: SocketFactory }>({
    inlineStates: {
      _start: server_start,
      _stop: server_stop,
      accept_success: server_accept,
      accept_error: server_error,
      signals: server_signals,
      _child: () => undefined,
      _parent: () => undefined,
    },
  });
}

function server_start(ctx: Context<unknown, { wheel?: SocketFactory }>): void {
  const { kernel, heap } = ctx;

  if (DEBUG) console.log('Daytime server is starting.');

  kernel.aliasSet('server');
  kernel.sig('INT', 'signals');
  kernel.sig('QUIT', 'signals');

  heap.wheel = new SocketFactory({
    bindAddress: server_addr,
    bindPort: server_port,
    reuse: 'yes',
    successEvent: 'accept_success',
    failureEvent: 'accept_error',
  });
  // With port 0 the clients need the port the system chose.
  const name = heap.wheel.getsockname();
  if (name && 'port' in name) server_port = name.port;
}

function server_stop(): void {
  if (DEBUG) console.log('Daytime server has stopped.');
}

function server_error(_ctx: Context<unknown, { wheel?: SocketFactory }>, operation: unknown, errnum: unknown, errstr: unknown): void {
  if (DEBUG) console.log(`Daytime server encountered ${String(operation)} error ${Number(errnum)}: ${String(errstr)}`);
}

function server_accept(_ctx: Context<unknown, { wheel?: SocketFactory }>, handle: unknown, host: unknown, port: unknown): void {
  if ((fileno(handle) ?? 0) > 63) throw new Error('possible filehandle leak');
  session_create(handle as Socket, host, port);
}

function server_signals(_ctx: Context<unknown, { wheel?: SocketFactory }>, signal_name: unknown): number {
  if (DEBUG) console.log(`Daytime server caught SIG${String(signal_name)}`);
  return 0;
}

server_create();
pool_create();

await poeKernel.run();
