/**
 * POE's examples/fakelogin.perl, ported line by line: a server that plays a login prompt. Each
 * connection's session switches its wheel's input event and output filter as the
 * conversation moves from the login prompt to the password prompt and back.
 *
 *   node build/samples/poe-examples/fakelogin.js [PORT]      (port 23 by default)
 */
import type { Socket } from 'node:net';
import { type Context, Line, ReadWrite, Session, SocketFactory, StreamDriver, Stream, poeKernel } from '../../src/index.js';

interface LoginHeap {
  wheel?: ReadWrite<string, string>;
}

// --- a login session: one per connection ---

function login_login_start(ctx: Context<unknown, LoginHeap>): void {
  const { session, heap } = ctx;

  console.log(`Session ${session.ID} - entering login state`);
  heap.wheel?.setOutputFilter(new Stream());
  heap.wheel?.event({ inputEvent: 'login_input' });
  heap.wheel?.put('login: ');
}

function login_login_input(ctx: Context<unknown, LoginHeap>, input: unknown): void {
  const { kernel, session } = ctx;

  console.log(`Session ${session.ID} - received login input`);

  if (input !== '') {
    kernel.yield('password_start');
  } else {
    kernel.yield('login_start');
  }
}

function login_password_start(ctx: Context<unknown, LoginHeap>): void {
  const { session, heap } = ctx;

  console.log(`Session ${session.ID} - entering password state`);
  heap.wheel?.setOutputFilter(new Stream());
  heap.wheel?.event({ inputEvent: 'password_input' });
  heap.wheel?.put('Password: ');
}

function login_password_input(ctx: Context<unknown, LoginHeap>): void {
  const { kernel, session, heap } = ctx;

  console.log(`Session ${session.ID} - received password input`);
  heap.wheel?.setOutputFilter(new Line());
  heap.wheel?.put('Login incorrect');
  kernel.yield('login_start');
}

function login_error(ctx: Context<unknown, LoginHeap>, operation: unknown, errnum: unknown, errstr: unknown): void {
  const { session, heap } = ctx;
  if (!errnum) errstr = 'Client closed connection';

  console.log(`Session ${session.ID}: login: ${String(operation)} error ${String(errnum)}: ${String(errstr)}`);

  // Perl's `delete $heap->{wheel}`: JavaScript has no destructor, so destroy() it.
  heap.wheel?.destroy();
  delete heap.wheel;
}

function login_session_start(ctx: Context<unknown, LoginHeap>, handle: unknown): void {
  const { kernel, session, heap } = ctx;

  console.log(`Session ${session.ID} - received connection`);

  heap.wheel = new ReadWrite<string, string>({
    handle: handle as Socket,
    driver: new StreamDriver(),
    filter: new Line(),
    errorEvent: 'error',
  });

  heap.wheel.put('FreeBSD (localhost) (ttyp2)', '', '');
  kernel.yield('login_start');
}

function login_session_create(_ctx: Context, handle: unknown, peer_addr: unknown, peer_port: unknown): undefined {
  Session.create<unknown, LoginHeap>({
    inlineStates: {
      _start: login_session_start,
      error: login_error,
      login_start: login_login_start,
      login_input: login_login_input,
      password_start: login_password_start,
      password_input: login_password_input,
    },
    args: [handle, peer_addr, peer_port],
  });
  return undefined;
}

// --- the listener ---

let port: number | undefined = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
if (port === undefined) {
  console.log(
    '*** This program listens on port 23 by default.  You can change\n' +
      '*** the port by putting a new one on the command line.  For\n' +
      '*** example, to listen on port 10023:\n' +
      `*** ${process.argv[1]} 10023`,
  );
  port = 23;
}

Session.create<unknown, { wheel?: SocketFactory }>({
  inlineStates: {
    _start: (ctx) => {
      const { heap } = ctx;
      heap.wheel = new SocketFactory({
        bindPort: port,
        successEvent: 'socket_ok',
        failureEvent: 'socket_error',
        reuse: 'yes',
      });
    },
    socket_error: (ctx, operation, errnum, errstr) => {
      const { session } = ctx;
      console.log(`Session ${session.ID}: listener: ${String(operation)} error ${String(errnum)}: ${String(errstr)}`);
    },
    socket_ok: login_session_create,
  },
});

await poeKernel.run();
