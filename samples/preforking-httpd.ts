/**
 * preforking-httpd: the seed program, POE's pre-forking HTTP server from the POE wiki, ported line
 * by line (bench/anchors/poe-preforking-httpd-bench.pl is its benchmark form). One listener session
 * binds the port and forks MAX_PROCESSES children; the parent and every child accept connections
 * from the one shared listening socket, and each connection gets an interactor session that answers
 * one request with a page of its request headers, the answering process's PID and the time, then
 * closes. The parent reaps children and forks replacements while it is listening; with
 * TESTING_CHURN a child retires (stops listening, finishes what it serves and exits) after a
 * connection with probability 0.25. Ctrl-C stops every process gracefully.
 *
 *   node build/samples/preforking-httpd.js            (or `npm start`)
 *   DEBUG=0 MAX_PROCESSES=2 PORT=0 TESTING_CHURN=0 node build/samples/preforking-httpd.js
 *
 * Environment (defaults are the seed's constants): DEBUG (1), MAX_PROCESSES (10), PORT (8888;
 * 0 picks a free port, shown in the "has begun listening" line), TESTING_CHURN (1),
 * REQUEST_TIMEOUT (10 seconds), BIND_ADDRESS (all addresses, as the seed).
 *
 * What the port keeps: the same states, heap keys and control flow, the same page and the same
 * log lines on stderr, in the seed's order. Perl's `delete $heap->{x}` becomes
 * `heap.x?.destroy(); delete heap.x`: deleting the last reference to a wheel ran its DESTROY,
 * which stopped its watchers and closed its handle, and JavaScript has no such destructor.
 *
 * What it adds, marked "poe-ts:" where it happens:
 * - one state, `got_timeout`: a connection that has not completed a request within
 *   REQUEST_TIMEOUT seconds (idle, or trickling bytes) gets a 408 response and is closed. The
 *   seed would let such a client hold its interactor forever.
 * - responses are HTTP/1.1 with `Connection: close` (the seed closes after every response,
 *   and the filter adds Content-Length and Date); after the response no further request on
 *   that connection is read (RFC 9112 9.6). Header names and values are HTML-escaped on the
 *   page.
 * - the fork child does not repeat the parent's "has begun listening" line: in POE the child
 *   is a copy made after that line ran, here it runs `_start` again (README, "Pre-forking on
 *   Node").
 * - `do_fork` forks only while the server is listening, as the seed's `got_sig_child` means to:
 *   a `do_fork` already queued when SIGINT deletes the server would otherwise fork a child
 *   that never gets the signal, and the parent would wait for it forever; and a server that
 *   could not bind forks no children.
 * - the program exits with status 1 when its listener failed (the seed exits 0).
 */
import type * as net from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  type Context,
  HTTPD,
  type HTTPDRecord,
  HttpRequest,
  HttpResponse,
  type Kernel,
  PoeArgumentError,
  ReadWrite,
  type ReadWriteErrorArgs,
  type ReadWriteIdArgs,
  type ReadWriteInputArgs,
  Session,
  SocketFactory,
  type SocketFactoryFailureArgs,
  type SocketFactorySuccessArgs,
  poeKernel,
  strerror,
} from '../src/index.js';

/** Options of {@link start}; each defaults to the seed's constant or its environment variable. */
export interface PreforkingHttpdOptions {
  /** Enable much runtime information (the seed's DEBUG). @default true */
  debug?: boolean;
  /** Total server process count: children forked besides the parent (MAX_PROCESSES). @default 10 */
  maxProcesses?: number;
  /** Server port (SERVER_PORT); 0 picks a free one. @default 8888 */
  port?: number;
  /** Randomly test process respawning (TESTING_CHURN). @default true */
  testingChurn?: boolean;
  /** poe-ts: seconds a connection may take to deliver its request before a 408. @default 10 */
  requestTimeout?: number;
  /** Address to listen on. @default all addresses (INADDR_ANY), as the seed */
  bindAddress?: string;
  /** The kernel to run in. @default poeKernel */
  kernel?: Kernel;
  /** Where the seed's `warn` output goes. @default a write to stderr */
  warn?: (text: string) => void;
}

/** What {@link start} returns. */
export interface PreforkingHttpd {
  kernel: Kernel;
  /** The port bound (the one PORT=0 picked), or undefined when the listener failed. */
  port: number | undefined;
  /** Settles when this process's sessions are all gone (children reaped, in the parent). */
  done: Promise<void>;
  /** The listener's failure as the seed logs it (`bind error 98: ...`), if it failed. */
  failure: () => string | undefined;
  /** Stops gracefully, as SIGINT does. */
  stop: () => void;
}

// The listener's events and heap.
interface Listener {
  _start: () => void;
  _stop: () => void;
  do_fork: () => void;
  got_error: (...args: SocketFactoryFailureArgs) => void;
  got_sig_int: (signal: string) => void;
  got_sig_child: (signal: string, pid: number, status: number) => void;
  got_connection: (...args: SocketFactorySuccessArgs) => void;
}
interface ListenerHeap {
  server?: SocketFactory<Listener>;
  children: Record<number, number>;
  is_a_child: number;
  max_processes: number;
}

// The interactor's events and heap.
interface Interactor {
  _start: () => void;
  _stop: () => void;
  got_request: (...args: ReadWriteInputArgs<HTTPDRecord>) => void;
  got_flush: (...args: ReadWriteIdArgs) => void;
  got_error: (...args: ReadWriteErrorArgs) => void;
  got_timeout: () => void;
}
interface InteractorHeap {
  socket: net.Socket;
  peer_addr: Buffer | string | undefined;
  peer_port: number | undefined;
  client?: ReadWrite<HTTPDRecord, HttpResponse, Interactor>;
}

/** Starts the server in this process: the parent, or (run as a fork child) one of the children. */
export function start(options: PreforkingHttpdOptions = {}): PreforkingHttpd {
  const DEBUG = options.debug ?? true; // Enable much runtime information.
  const MAX_PROCESSES = count('maxProcesses', options.maxProcesses ?? 10); // Total server process count.
  const SERVER_PORT = port(options.port ?? 8888); // Server port.
  const TESTING_CHURN = options.testingChurn ?? true; // Randomly test process respawning.
  const REQUEST_TIMEOUT = seconds(options.requestTimeout ?? 10); // poe-ts: slow-request timeout.
  const BIND_ADDRESS = options.bindAddress;
  const kernel = options.kernel ?? poeKernel;
  const warn = options.warn ?? ((text: string) => void process.stderr.write(text));
  let failure: string | undefined;

  // We are the parent process.  Start the server, and then run it.
  // Exit when it's done.
  const listener = Session.create<Listener, ListenerHeap>({
    kernel,
    inlineStates: {
      _start: listenerStart,
      _stop: listenerStop,
      do_fork: listenerDoFork,
      got_error: listenerGotError,
      got_sig_int: listenerGotSigInt,
      got_sig_child: listenerGotSigChild,
      got_connection: listenerGotConnection,
      _child: () => undefined,
    },
    heap: { max_processes: MAX_PROCESSES } as ListenerHeap,
  });
  const done = kernel.run().then(() => undefined);
  const bound = listener?.getHeap().server?.getsockname();

  ///// Listener callbacks.
  // The server has started.  Set up the listener socket and begin
  // tracking child processes.  Fork the initial child processes.
  function listenerStart(ctx: Context<Listener, ListenerHeap>): void {
    const { kernel, heap } = ctx;
    heap.server = new SocketFactory(ctx, {
      ...(BIND_ADDRESS !== undefined ? { bindAddress: BIND_ADDRESS } : {}),
      bindPort: SERVER_PORT,
      successEvent: 'got_connection',
      failureEvent: 'got_error',
      reuse: 'yes',
    });
    kernel.sig('INT', 'got_sig_int');
    heap.children = {};
    heap.is_a_child = 0;
    // poe-ts: POE's child is a copy made after this line ran; ours runs _start again. And a
    // port in use fails after `new` returns (got_error, as in POE): only a bound socket has a
    // name, so the line is not printed before that error.
    const name = heap.server.getsockname();
    if (!kernel.isForkChild && name !== undefined && 'port' in name) warn(`Server ${process.pid} has begun listening on port ${name.port}\n`);
    kernel.yield('do_fork');
  }

  // Log the fact that the main server session has stopped.
  function listenerStop(): void {
    if (DEBUG) warn(`Server ${process.pid} stopped.\n`);
  }

  // Shut down the server if it encounters an error.
  function listenerGotError(ctx: Context<Listener, ListenerHeap>, syscall: string, errno: number, error: string): void {
    const { heap } = ctx;
    failure = `${syscall} error ${errno}: ${error}`;
    if (DEBUG) warn(`Server ${process.pid} got ${syscall} error ${errno}: ${error}\n` + `Server ${process.pid} is shutting down.\n`);
    // `delete $heap->{server}`: the wheel's DESTROY closed the socket; here destroy() does.
    heap.server?.destroy();
    delete heap.server;
  }

  // The parent may fork() more processes as needed.  Because events are
  // copied during fork(), we must make sure this is only done in the
  // parent.  Otherwise, hilarity in the form of forkbombing may ensue.
  function listenerDoFork(ctx: Context<Listener, ListenerHeap>): void {
    const { kernel, heap } = ctx;
    if (heap.is_a_child) return;
    // poe-ts: nor while not listening. A do_fork queued by got_sig_child just before SIGINT
    // deleted the server would fork a child that never gets the signal, and wait for it.
    if (!('server' in heap)) return;
    while (Object.keys(heap.children).length < heap.max_processes) {
      const pid = kernel.fork();

      // Fork failed.  Try again shortly.
      if (pid === undefined) {
        if (DEBUG) warn(`Server ${process.pid} fork failed: ${strerror(kernel.errno)}\n` + `Server ${process.pid} will retry fork shortly.\n`);
        kernel.delay('do_fork', 1);
        return;
      }

      // Parent.  Add the child process to its list.
      if (pid) {
        if (DEBUG) warn(`Server ${process.pid} forked child ${pid}\n`);
        heap.children[pid] = 1;
        kernel.sigChild(pid, 'got_sig_child');
        continue;
      }

      // Child.  Clear the child process list.
      kernel.hasForked();
      heap.is_a_child = 1;
      heap.children = {};
      return;
    }
  }

  // Gracefully stop a server on SIGINT.  sig_handled() prevents the
  // signal from gracelessly forcing the server to stop.
  function listenerGotSigInt(ctx: Context<Listener, ListenerHeap>): void {
    if (DEBUG) warn(`Server ${process.pid} received SIGINT.\n`);
    ctx.heap.server?.destroy();
    delete ctx.heap.server;
    ctx.kernel.sigHandled();
  }

  // Reap child processes, and fork new ones if the server is still
  // listening for connections.  Ignore child processes that we've
  // already stopped tracking.
  function listenerGotSigChild(ctx: Context<Listener, ListenerHeap>, _signal: string, childPid: number): void {
    const { kernel, heap } = ctx;
    const tracked = heap.children[childPid];
    delete heap.children[childPid];
    if (!tracked) return;
    if (DEBUG) warn(`Server ${process.pid} reaped child ${childPid}.\n`);
    if ('server' in ctx.heap) kernel.yield('do_fork');
  }

  // Handle a new connection.
  // Create a new session to interact with the client.
  function listenerGotConnection(ctx: Context<Listener, ListenerHeap>, socket: net.Socket, peerAddr: Buffer | string | undefined, peerPort: number | undefined): void {
    const { heap } = ctx;
    if (DEBUG) warn(`Server ${process.pid} received a connection.\n`);
    Session.create<Interactor, InteractorHeap>({
      inlineStates: {
        _start: interactorStart,
        _stop: interactorStop,
        got_request: interactorGotRequest,
        got_flush: interactorFlushedRequest,
        got_error: interactorGotError,
        got_timeout: interactorGotTimeout,
        _parent: () => 0,
      },
      heap: {
        socket: socket,
        peer_addr: peerAddr,
        peer_port: peerPort,
      },
    });

    // Gracefully exit if testing process churn.
    if (TESTING_CHURN && heap.is_a_child && Math.random() < 0.25) {
      heap.server?.destroy();
      delete heap.server;
    }
  }

  ///// Interactor callbacks.
  // The interactor has started for a client socket.  Begin reading
  // and writing on the socket.
  function interactorStart(ctx: Context<Interactor, InteractorHeap>): void {
    const { heap } = ctx;
    // poe-ts: given the context, the event names are checked against Interactor at compile time.
    heap.client = new ReadWrite(ctx, {
      handle: heap.socket,
      filter: new HTTPD(),
      inputEvent: 'got_request',
      errorEvent: 'got_error',
      flushedEvent: 'got_flush',
    });
    // poe-ts: the request must be complete within REQUEST_TIMEOUT seconds.
    ctx.kernel.delay('got_timeout', REQUEST_TIMEOUT);
    if (DEBUG) warn(`Client handler ${process.pid}/${ctx.session.ID} started.\n`);
  }

  // Log the fact that the interactor has stopped.
  function interactorStop(ctx: Context<Interactor, InteractorHeap>): void {
    if (DEBUG) warn(`Client handler ${process.pid}/${ctx.session.ID} stopped.\n`);
  }

  // The interactor has received a request.  If it's an HTTP::Response
  // object, then some error has occurred.  Send the response back to the
  // client, and return immediately.  Otherwise, parse and process the
  // request, generating an HTTP::Response object and sending it back.
  function interactorGotRequest(ctx: Context<Interactor, InteractorHeap>, request: HTTPDRecord): void {
    const { heap } = ctx;
    if (DEBUG) warn(`Client handler ${process.pid}/${ctx.session.ID} is handling a request.\n`);
    ctx.kernel.delay('got_timeout'); // poe-ts: the request is in; no timeout now
    // poe-ts: one request per connection, so nothing after this one is read (RFC 9112 9.6).
    heap.client!.event({ inputEvent: undefined });
    if (request instanceof HttpResponse) {
      heap.client!.put(request);
      return;
    }
    if (!(request instanceof HttpRequest)) return; // body pieces come only in streaming mode
    const response = new HttpResponse(200);
    response.protocol = 'HTTP/1.1'; // poe-ts: HTTP/1.1 (POE's filter writes HTTP/1.0)
    response.header('Connection', 'close'); // poe-ts: as the seed closes after each response
    response.contentType = 'text/html';
    response.content =
      '<' + 'html>' + // Avoid confusing the wiki.
      '<head><title>POE Pre-Forking Server Example</title></head>' +
      '<body><table border=1>' +
      request
        .headerFieldNames()
        .map((name) => `<tr><td>${html(name)}</td><td>${html(request.header(name) ?? '')}</td></tr>`)
        .join('') +
      `<tr><td>PID</td><td>${process.pid}</td></tr>` +
      `<tr><td>time</td><td>${gmtime()} GMT</td></tr>` +
      '</table></body>' +
      '</html>';
    heap.client!.put(response);
  }

  // Stop interacting if a socket error has occurred.
  function interactorGotError(ctx: Context<Interactor, InteractorHeap>, operation: string, errnum: number, errstr: string): void {
    const { heap } = ctx;
    if (DEBUG) {
      warn(
        `Client handler ${process.pid}/${ctx.session.ID} got ${operation} error ${errnum}: ${errstr}\n` +
          `Client handler ${process.pid}/${ctx.session.ID} is shutting down.\n`,
      );
    }
    ctx.kernel.delay('got_timeout'); // poe-ts: nothing left to time out
    heap.client?.destroy();
    delete heap.client;
  }

  // Shut down the connection after a response has been fully flushed to
  // the socket.  No, we don't support keep-alive.
  function interactorFlushedRequest(ctx: Context<Interactor, InteractorHeap>): void {
    const { heap } = ctx;
    if (DEBUG) {
      warn(
        `Client handler ${process.pid}/${ctx.session.ID} flushed its response.\n` +
          `Client handler ${process.pid}/${ctx.session.ID} is shutting down.\n`,
      );
    }
    ctx.kernel.delay('got_timeout'); // poe-ts: nothing left to time out
    heap.client?.destroy();
    delete heap.client;
  }

  // poe-ts: the client was idle or too slow to send a whole request. Tell it so, then close
  // once the response is flushed, as after any other response.
  function interactorGotTimeout(ctx: Context<Interactor, InteractorHeap>): void {
    const { heap } = ctx;
    if (heap.client === undefined) return;
    if (DEBUG) warn(`Client handler ${process.pid}/${ctx.session.ID} timed out waiting for a request.\n`);
    heap.client.event({ inputEvent: undefined });
    heap.client.put(timeoutResponse());
  }

  return {
    kernel,
    port: bound !== undefined && 'port' in bound ? bound.port : undefined,
    done,
    failure: () => failure,
    stop: () => void kernel.signal(kernel, 'INT'),
  };
}

/** The 408 page: an error page in the style of the HTTPD filter's own. */
function timeoutResponse(): HttpResponse {
  const response = new HttpResponse(408);
  response.protocol = 'HTTP/1.1';
  response.header('Connection', 'close');
  response.contentType = 'text/html';
  response.content =
    '<html><head><title>Error 408: Request Timeout</title></head>' +
    '<body><h1>Error 408: Request Timeout</h1><p>The request did not arrive in time.</p></body></html>';
  response.closeConnection = true;
  return response;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

const HTML_SPECIAL = /[&<>"]/;

/** Request text on an HTML page: the seed printed it raw, an injection risk. */
function html(text: string): string {
  // Most header text has nothing to escape: a test is cheaper than a replace.
  return HTML_SPECIAL.test(text) ? text.replace(/[&<>"]/g, (ch) => HTML_ESCAPES[ch]!) : text;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The last second formatted by {@link gmtime} without an argument, and its text. */
let lastSecond = NaN;
let lastText = '';

/** Perl's `scalar(gmtime)`: `Thu Sep  9 01:46:40 1999`. Now, unless given a date. */
export function gmtime(date?: Date): string {
  if (date !== undefined) return formatGmtime(date);
  // Every request asks for the time of day: format it once a second.
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = formatGmtime(new Date(now));
  }
  return lastText;
}

function formatGmtime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`
  );
}

function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${name}\` to be a whole number >= 0, got ${String(value)}`);
  }
  return value;
}

function port(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`port\` to be a port number (0..65535), got ${String(value)}`);
  }
  return value;
}

function seconds(value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`requestTimeout\` to be a number of seconds > 0, got ${String(value)}`);
  }
  return value;
}

/** An environment variable as a number, or undefined when unset or empty. */
function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (Number.isNaN(value)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${name} to be a number, got ${JSON.stringify(raw)}`);
  return value;
}

/** An environment variable as a switch: unset or empty is undefined, "0" is off, else on. */
function envFlag(name: string): boolean | undefined {
  const raw = process.env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim() !== '0';
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let server: PreforkingHttpd;
  try {
    server = start({
      debug: envFlag('DEBUG'),
      maxProcesses: envNumber('MAX_PROCESSES'),
      port: envNumber('PORT'),
      testingChurn: envFlag('TESTING_CHURN'),
      requestTimeout: envNumber('REQUEST_TIMEOUT'),
      bindAddress: process.env.BIND_ADDRESS || undefined,
    });
  } catch (err) {
    process.stderr.write(`preforking-httpd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  // poe-ts: where to point a browser, and how to stop it (the parent only: children run this too).
  if (server.port !== undefined && !poeKernel.isForkChild) {
    const host = process.env.BIND_ADDRESS || undefined;
    const everywhere = host === undefined || host === '0.0.0.0' || host === '::';
    const shown = everywhere ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const where = everywhere ? ` (port ${server.port} on every interface; BIND_ADDRESS=127.0.0.1 listens on loopback only)` : '';
    process.stderr.write(`Serving http://${shown}:${server.port}/${where}. Ctrl-C stops the server and its children.\n`);
  }
  server.done.then(
    () => {
      // poe-ts: a server that could not listen says so in its status (the seed exits 0).
      if (server.failure() !== undefined) process.exitCode = 1;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
