import type * as net from 'node:net';
import { constants } from 'node:os';
import type * as tls from 'node:tls';
import { describe } from '../errors.js';
import type { DuplexHandle } from '../driver/driver.js';
import { isInputHandle, isOutputHandle } from '../driver/driver.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Context } from '../session/context.js';
import { Session, type SessionId } from '../session/session.js';
import type { InlineStates, StatesList, Untyped } from '../session/types.js';
import { inetNtoa } from '../wheel/address.js';
import { ReadWrite, readPauseMarks } from '../wheel/read-write.js';
import { SocketFactory, isNoPort, type SocketDomain } from '../wheel/socket-factory.js';
import { type TlsListenOptions, tlsListener } from '../wheel/tls.js';
import type { WheelId } from '../wheel/wheel.js';
import {
  type FilterSpec,
  bad,
  checkAddress,
  checkArray,
  checkDomain,
  checkFilterSpec,
  checkFunctions,
  checkKeys,
  checkMarks,
  checkPort,
  checkReserved,
  checkSessionParams,
  checkString,
  isUnix,
  makeFilter,
} from './options.js';

const E = constants.errno;

/** The listener session's heap. POE: the heap of Server::TCP's accepting session. */
export interface ServerTCPListenerHeap {
  /** The listening SocketFactory; deleted (and destroyed) by `shutdown` or the default `error`. */
  listener?: SocketFactory;
  /** The `alias` option, if any. */
  alias?: string;
  /** The connection limit: -1 for none. Changed by the `set_concurrency` event. */
  concurrency: number;
  /** Connections accepted and not yet `disconnected`. */
  connections: number;
  [key: string]: unknown;
}

/**
 * A connection session's heap, POE's keys: `heap.client.put(...)` ports as it is.
 * `H` adds the program's own keys.
 */
export interface ServerTCPClientHeap<In = string, Out = string> {
  /** The peer's address as text; `'LOCAL'` for unix sockets. */
  remote_ip: string;
  /** The peer's port (undefined for unix sockets). */
  remote_port: number | undefined;
  /** Set by the `shutdown` event: input is ignored from then on. */
  shutdown: boolean;
  /** From `clientShutdownOnError`: whether an error yields `shutdown`. */
  shutdown_on_error: boolean;
  /** Set when an error started the shutdown (output is then not waited for). */
  got_an_error?: boolean;
  /** The connection's ReadWrite wheel; deleted (and destroyed) when the connection shuts down. */
  client?: ReadWrite<In, Out>;
  /**
   * With the `tls` option: the connection's TLS socket, its handshake done. What was negotiated
   * is on it: `alpnProtocol`, `servername` (SNI), `authorized` and `authorizationError` (the
   * client's certificate), `getPeerCertificate()`, `getCipher()`, `getProtocol()`. POE:
   * SSLify's `SSLify_GetSocket`, `SSLify_GetCipher`, `SSLify_GetSSL`.
   */
  tls?: tls.TLSSocket;
}

/** The heap as the connection's callbacks see it: the wheel is there. */
export type ServerTCPConnectedHeap<In = string, Out = string, H extends object = Record<string, unknown>> = Omit<ServerTCPClientHeap<In, Out>, 'client'> & {
  client: ReadWrite<In, Out>;
} & H;

/** `ctx` of the listener's callbacks. */
export type ServerTCPListenerContext = Context<Untyped, ServerTCPListenerHeap>;
/** `ctx` of a connection's callbacks (`clientInput`, `clientConnected`, ...). */
export type ServerTCPClientContext<In = string, Out = string, H extends object = Record<string, unknown>> = Context<Untyped, ServerTCPConnectedHeap<In, Out, H>>;

/**
 * Options of {@link ServerTCP.create}: POE::Component::Server::TCP's parameters in camelCase.
 * Every callback is a handler `(ctx, ...args)`, called with POE's arguments. `In` and `Out` are
 * the record types of the connection filter (strings for the default Line filter); `H` types the
 * program's own keys in connection heaps.
 */
export interface ServerTCPOptions<In = string, Out = string, H extends object = Record<string, unknown>> {
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
  /** POE `Port`: a number or a service name. @default 0 (any free port; read it back with `heap.listener.getsockname()`) */
  port?: number | string;
  /** POE `Address`: an address literal, host name or packed address; for unix sockets the path. @default INADDR_ANY */
  address?: string | Uint8Array;
  /** POE `Hostname`: a host name to bind to, used when `address` is not given. */
  hostname?: string;
  /** POE `Domain`. @default 'inet' (AF_INET) */
  domain?: SocketDomain;
  /** POE `Alias`: the listener's alias, to post `shutdown` or `set_concurrency` to. */
  alias?: string;
  /**
   * POE `Concurrency`: the most connections at once; -1 for no limit. The limit is checked
   * after each accept, so even 0 lets the first connection in (G36). @default -1
   */
  concurrency?: number;
  /** POE `Started`: the listener's `_start` callback, with `listenerArgs` as arguments. */
  started?: (ctx: ServerTCPListenerContext, ...args: unknown[]) => unknown;
  /** POE `Stopped`: the listener's `_stop` callback. */
  stopped?: (ctx: ServerTCPListenerContext) => unknown;
  /** POE `ListenerArgs`: the arguments of `started`. */
  listenerArgs?: unknown[];
  /**
   * POE `Error`: a listener failure, with SocketFactory's FailureEvent arguments. The default
   * logs `PID: Server N got OP error ERRNUM (ERRSTR)` and deletes the listener, so the server
   * ends once its connections end.
   */
  error?: (ctx: ServerTCPListenerContext, operation: string, errnum: number, errstr: string, wheelId: WheelId) => unknown;
  /**
   * POE `Acceptor`: handles each accepted socket itself, with SocketFactory's SuccessEvent
   * arguments, instead of a connection session. Excludes `clientInput` and every `client*`
   * option; it must post `disconnected` to the listener for `concurrency` to work.
   */
  acceptor?: (ctx: ServerTCPListenerContext, socket: net.Socket, address: Buffer | undefined, port: number | undefined, wheelId: WheelId) => unknown;
  /** POE `ClientInput`: each record, `(record, wheelId)`; ignored once the connection is shutting down. */
  clientInput?: (ctx: ServerTCPClientContext<In, Out, H>, record: In, wheelId: WheelId) => unknown;
  /** POE `ClientConnected`: the connection is ready; the arguments are `clientArgs`. */
  clientConnected?: (ctx: ServerTCPClientContext<In, Out, H>, ...args: unknown[]) => unknown;
  /** POE `ClientDisconnected`: the connection is closing; the wheel is deleted right after. */
  clientDisconnected?: (ctx: ServerTCPClientContext<In, Out, H>, ...args: unknown[]) => unknown;
  /**
   * POE `ClientError`: ReadWrite's ErrorEvent arguments; EOF is `('read', 0, '', wheelId)`.
   * The default logs errors other than EOF and ECONNRESET. Then, with `clientShutdownOnError`,
   * the connection shuts down without waiting for its output.
   */
  clientError?: (ctx: ServerTCPClientContext<In, Out, H>, operation: 'read' | 'write', errnum: number, errstr: string, wheelId: WheelId) => unknown;
  /** POE `ClientFlushed`: the output buffer emptied, `(wheelId)`. */
  clientFlushed?: (ctx: ServerTCPClientContext<In, Out, H>, wheelId: WheelId) => unknown;
  /**
   * POE `ClientPreConnect`: called with `(socket, clientArgs)` before the wheel is made; returns
   * the stream to use (the socket, or a wrapper such as a TLS socket), or undefined to drop the
   * connection.
   */
  clientPreConnect?: (ctx: Context<Untyped, ServerTCPClientHeap<In, Out> & H>, socket: net.Socket, clientArgs: unknown[]) => DuplexHandle | undefined | null;
  /** POE `ClientFilter`: a filter object (cloned per connection), a class, or `[Class, ...args]`. @default Line */
  clientFilter?: FilterSpec<In, Out>;
  /** POE `ClientInputFilter`; needs `clientOutputFilter`. */
  clientInputFilter?: FilterSpec<In, unknown>;
  /** POE `ClientOutputFilter`; needs `clientInputFilter`. */
  clientOutputFilter?: FilterSpec<unknown, Out>;
  /** POE `ClientArgs`: the arguments of `clientConnected`. */
  clientArgs?: unknown[];
  /** POE `ClientShutdownOnError`. @default true */
  clientShutdownOnError?: boolean;
  /** POE `ClientHigh`: the wheel's HighEvent, `(wheelId)`. All four watermark options or none. */
  clientHigh?: (ctx: ServerTCPClientContext<In, Out, H>, wheelId: WheelId) => unknown;
  /** POE `ClientLow`: the wheel's LowEvent, `(wheelId)`. */
  clientLow?: (ctx: ServerTCPClientContext<In, Out, H>, wheelId: WheelId) => unknown;
  /** POE `HighMark` of each connection's wheel. */
  highMark?: number;
  /** POE `LowMark` of each connection's wheel. */
  lowMark?: number;
  /**
   * Each connection's ReadWrite `readPauseMark`: the connection stops reading its client while
   * this many octets of replies wait to be written, so a client that never reads cannot grow
   * the server without limit. `false` (or `Infinity`) for POE's unbounded buffering. Not in POE.
   * @default 1048576 (1 MiB)
   */
  readPauseMark?: number | false;
  /** Each connection's ReadWrite `readResumeMark`. Not in POE. @default half of `readPauseMark` */
  readResumeMark?: number;
  /** POE `InlineStates`: more handlers for the connection sessions. */
  inlineStates?: InlineStates<Untyped, ServerTCPClientHeap<In, Out> & H>;
  /** POE `ObjectStates` for the connection sessions. */
  objectStates?: StatesList;
  /** POE `PackageStates` for the connection sessions. */
  packageStates?: StatesList;
  /** POE `SessionParams`: session `options` (trace, debug, default) for the listener and connection sessions. */
  sessionParams?: { options?: Record<string, unknown> };
  /**
   * TLS on every connection (POE::Component::SSLify's `Server_SSLify` in `ClientPreConnect`):
   * node:tls server options (`key`, `cert`, `ca`, `requestCert`, `rejectUnauthorized`,
   * `ALPNProtocols`, `contexts` for SNI, `minVersion`, `handshakeTimeout`, ...). A connection
   * session starts only once its handshake has succeeded, and its filter reads and writes
   * plaintext; `heap.tls` is the TLS socket. A failed handshake makes no session: it is the
   * listener's `error` with operation `'handshake'`, and the listener keeps listening. Not in POE.
   */
  tls?: TlsListenOptions;
}

const KNOWN = [
  'kernel',
  'port',
  'address',
  'hostname',
  'domain',
  'alias',
  'concurrency',
  'started',
  'stopped',
  'listenerArgs',
  'error',
  'acceptor',
  'clientInput',
  'clientConnected',
  'clientDisconnected',
  'clientError',
  'clientFlushed',
  'clientPreConnect',
  'clientFilter',
  'clientInputFilter',
  'clientOutputFilter',
  'clientArgs',
  'clientShutdownOnError',
  'clientHigh',
  'clientLow',
  'highMark',
  'lowMark',
  'readPauseMark',
  'readResumeMark',
  'inlineStates',
  'objectStates',
  'packageStates',
  'sessionParams',
  'tls',
] as const;

const CALLBACKS = ['started', 'stopped', 'error', 'acceptor', 'clientInput', 'clientConnected', 'clientDisconnected', 'clientError', 'clientFlushed', 'clientPreConnect', 'clientHigh', 'clientLow'];

/** Only meaningful for connection sessions, so refused with an `acceptor`. */
const CONNECTION_ONLY = ['inlineStates', 'objectStates', 'packageStates', 'highMark', 'lowMark', 'readPauseMark', 'readResumeMark'];

/** Handlers of a connection session that user states may not replace (POE's ASSERT_USAGE list). */
const RESERVED = ['_start', '_stop', '_child', 'shutdown', 'tcp_server_got_error', 'tcp_server_got_flush', 'tcp_server_got_high', 'tcp_server_got_input', 'tcp_server_got_low'];

const WHAT = 'ServerTCP';

function validate(options: ServerTCPOptions<unknown, unknown, object>): boolean {
  checkKeys(WHAT, options, KNOWN);
  const o = options as Record<string, unknown>;
  checkFunctions(WHAT, o, CALLBACKS);
  if ((o.acceptor === undefined) === (o.clientInput === undefined)) {
    bad(`${WHAT} needs either \`acceptor\` or \`clientInput\`, but not both`);
  }
  if (o.acceptor !== undefined) {
    for (const key of Object.keys(o)) {
      if ((key.startsWith('client') || CONNECTION_ONLY.includes(key)) && o[key] !== undefined) bad(`${WHAT}: \`${key}\` is not permitted without \`clientInput\` (it configures connection sessions)`);
    }
  }
  checkPort(WHAT, 'port', o.port);
  checkAddress(WHAT, 'address', o.address);
  checkString(WHAT, 'hostname', o.hostname);
  checkDomain(WHAT, o.domain);
  checkString(WHAT, 'alias', o.alias);
  if (isUnix(o.domain as string | undefined)) {
    if (typeof o.address !== 'string') bad(`${WHAT}: a unix-domain server needs \`address\`, the socket's path`);
    // POE leaves Port out of a unix listener's SocketFactory; 0 is the default, so it is no port.
    if (!isNoPort(o.port)) bad(`${WHAT}: \`port\` has no meaning for a unix-domain server (only 0, the default, is accepted), got ${describe(o.port)}`);
  }
  const c = o.concurrency;
  if (c !== undefined && (typeof c !== 'number' || !Number.isInteger(c) || c < -1)) {
    bad(`Expected ${WHAT} option \`concurrency\` to be an integer >= -1 (-1: no limit), got ${describe(c)}`);
  }
  checkArray(WHAT, 'listenerArgs', o.listenerArgs);
  checkArray(WHAT, 'clientArgs', o.clientArgs);
  const sd = o.clientShutdownOnError;
  if (sd !== undefined && typeof sd !== 'boolean') bad(`Expected ${WHAT} option \`clientShutdownOnError\` to be a boolean, got ${describe(sd)}`);
  checkFilterSpec(WHAT, 'clientFilter', o.clientFilter);
  checkFilterSpec(WHAT, 'clientInputFilter', o.clientInputFilter);
  checkFilterSpec(WHAT, 'clientOutputFilter', o.clientOutputFilter);
  if ((o.clientInputFilter === undefined) !== (o.clientOutputFilter === undefined)) {
    bad(`${WHAT}: \`clientInputFilter\` must be used with \`clientOutputFilter\``);
  }
  if (o.clientFilter !== undefined && o.clientInputFilter !== undefined) {
    // POE carps and ignores ClientFilter; a contradiction is better refused.
    bad(`${WHAT}: \`clientFilter\` cannot be combined with \`clientInputFilter\`/\`clientOutputFilter\``);
  }
  checkReserved(WHAT, o, RESERVED);
  checkSessionParams(WHAT, o.sessionParams);
  readPauseMarks(WHAT, o.readPauseMark, o.readResumeMark, `${WHAT} option`);
  // Certificates and keys are loaded now, so a bad one fails here rather than in the listener.
  if (o.tls !== undefined) tlsListener(WHAT, o.tls);
  return checkMarks(WHAT, o, 'clientHigh', 'clientLow');
}

/**
 * POE's `_default_server_error`: log and drop the listener. A failed TLS handshake is one
 * client's failure, not the listener's: it is logged (unless the client just left) and the
 * listener stays.
 */
function defaultServerError(ctx: ServerTCPListenerContext, operation: string, errnum: number, errstr: string): void {
  if (operation === 'handshake') {
    if (errnum !== E.ECONNRESET) ctx.kernel._warn(`${process.pid}: Server ${ctx.session.ID} got handshake error ${errnum} (${errstr})`);
    return;
  }
  ctx.kernel._warn(`${process.pid}: Server ${ctx.session.ID} got ${operation} error ${errnum} (${errstr})`);
  ctx.heap.listener?.destroy();
  delete ctx.heap.listener;
}

/** POE's `_default_client_error`: quiet for EOF and a reset. */
function defaultClientError(ctx: Context<Untyped, unknown>, operation: string, errnum: number, errstr: string): void {
  if (operation === 'read' && (errnum === 0 || errnum === E.ECONNRESET)) return;
  ctx.kernel._warn(`${process.pid}: Client session ${ctx.session.ID} got ${operation} error ${errnum} (${errnum ? errstr : '(no error)'})`);
}

function isStream(value: unknown): value is DuplexHandle {
  return isInputHandle(value) && isOutputHandle(value);
}

/** The peer's address as POE's heap has it: dotted (or IPv6) text, `LOCAL` for unix sockets. */
function remoteIp(unix: boolean, address: Buffer | undefined): string {
  if (unix || address === undefined) return 'LOCAL';
  return inetNtoa(address);
}

/**
 * A TCP server in one call: a listener session that accepts connections and, for each, a
 * session with a ReadWrite wheel that calls your callbacks. POE's Server::TCP (spec 4.1).
 *
 * `ServerTCP.create(options)` returns the listener's session id, as POE's `new` does (G30);
 * post `shutdown` to it (or to its `alias`) to stop listening, and `set_concurrency` to change
 * the limit. The listener's heap has `listener`, `alias`, `concurrency` and `connections`; each
 * connection's heap has `remote_ip`, `remote_port`, `shutdown`, `shutdown_on_error` and
 * `client`, its ReadWrite wheel. A connection session handles `shutdown` too: it stops input,
 * waits for its output to be written (unless an error started it), then calls
 * `clientDisconnected` and deletes the wheel; the session then ends and tells the listener
 * (`disconnected`).
 *
 * Kept from POE: `clientError` is called for plain EOF (`'read', 0`); input after `shutdown`
 * is ignored; the listener always binds with SO_REUSEADDR; `concurrency: 0` still accepts the
 * first connection (G36). Differences: options are checked when `create` is called (an unknown
 * filter class, a `clientFilter` beside `clientInputFilter`, or user states named like the
 * component's own handlers are errors, not warnings); `sessionParams` takes only `options`;
 * there is no `SessionType`.
 *
 * POE: `POE::Component::Server::TCP`.
 */
export class ServerTCP {
  private constructor() {}

  /**
   * Creates the listener session (which binds at once) and returns its session id.
   * Throws `PoeArgumentError` (`ERR_POE_UNKNOWN_OPTION`, `ERR_POE_INVALID_ARGUMENT`) for bad
   * options. POE: `POE::Component::Server::TCP->new(...)`.
   */
  static create<In = string, Out = string, H extends object = Record<string, unknown>>(options: ServerTCPOptions<In, Out, H>): SessionId {
    const marks = validate(options as ServerTCPOptions<unknown, unknown, object>);
    const o = options;
    const unix = isUnix(o.domain);
    const concurrency = o.concurrency ?? -1;
    const sessionOptions = o.sessionParams?.options;
    const errorCallback = o.error ?? defaultServerError;
    let acceptor = o.acceptor;

    // Cleared when the listener stops: a connection that outlives it has nobody to tell.
    let listenerId: SessionId | undefined;

    if (acceptor === undefined) {
      const clientInput = o.clientInput!;
      const clientError = o.clientError ?? defaultClientError;
      const clientArgs = o.clientArgs ?? [];
      const shutdownOnError = o.clientShutdownOnError ?? true;
      const { clientConnected, clientDisconnected, clientFlushed, clientPreConnect, clientHigh, clientLow } = o;
      type Heap = ServerTCPClientHeap<In, Out> & Record<string, unknown>;
      type Ctx = Context<Untyped, Heap>;
      type Conn = ServerTCPClientContext<In, Out, H>;
      const splitFilters = o.clientInputFilter !== undefined;
      // Every socket is a TLS socket with the option, none without: no test per connection.
      const secure = o.tls !== undefined;
      const flushedEvent = clientFlushed !== undefined ? 'tcp_server_got_flush' : undefined;
      /** Deletes the wheel, as POE's `delete $heap->{client}`. */
      const dropClient = (heap: Heap): void => {
        heap.client?.destroy();
        delete heap.client;
      };

      // One table of handlers for every connection: what differs per connection comes in as
      // `_start`'s arguments (POE passes the socket that way too).
      const states: Record<string, (ctx: Ctx, ...args: never[]) => unknown> = {
        _start: (c: Ctx, socket: net.Socket, address: Buffer | undefined, port: number | undefined) => {
          const heap = c.heap;
          heap.shutdown = false;
          heap.shutdown_on_error = shutdownOnError;
          heap.remote_ip = remoteIp(unix, address);
          heap.remote_port = port;
          if (secure) heap.tls = socket as tls.TLSSocket;
          let handle: DuplexHandle = socket;
          if (clientPreConnect !== undefined) {
            const got = clientPreConnect(c as never, socket, clientArgs);
            if (got === undefined || got === null || !isStream(got) || got.destroyed) {
              if (got !== undefined && got !== null && !isStream(got)) {
                c.kernel._warn(`${WHAT}: clientPreConnect returned ${describe(got)}, not a stream; dropping the connection`);
              }
              // Nothing else holds the socket now: POE's refcount would close it here.
              if ((got as unknown) !== socket) socket.destroy();
              return undefined;
            }
            handle = got;
          }
          // One literal of one shape for every connection (an option left undefined is an
          // option not given): no spreads per connection.
          heap.client = new ReadWrite<In, Out>({
            handle,
            filter: splitFilters ? undefined : makeFilter(o.clientFilter),
            inputFilter: splitFilters ? makeFilter(o.clientInputFilter) : undefined,
            outputFilter: splitFilters ? makeFilter(o.clientOutputFilter) : undefined,
            inputEvent: 'tcp_server_got_input',
            errorEvent: 'tcp_server_got_error',
            // Without a ClientFlushed callback the flush matters only to a pending shutdown,
            // which turns the event on (see `shutdown`): one dispatch less per write.
            flushedEvent,
            highMark: marks ? o.highMark : undefined,
            lowMark: marks ? o.lowMark : undefined,
            highEvent: marks ? 'tcp_server_got_high' : undefined,
            lowEvent: marks ? 'tcp_server_got_low' : undefined,
            readPauseMark: o.readPauseMark,
            readResumeMark: o.readResumeMark,
          });
          return clientConnected?.(c as unknown as Conn, ...clientArgs);
        },
        tcp_server_got_high: (c: Ctx, id: WheelId) => clientHigh?.(c as unknown as Conn, id),
        tcp_server_got_low: (c: Ctx, id: WheelId) => clientLow?.(c as unknown as Conn, id),
        _child: () => undefined,
        tcp_server_got_input: (c: Ctx, record: In, id: WheelId) => {
          if (c.heap.shutdown) return undefined;
          return clientInput(c as unknown as Conn, record, id);
        },
        tcp_server_got_error: (c: Ctx, operation: 'read' | 'write', errnum: number, errstr: string, id: WheelId) => {
          const ret = clientError(c as unknown as Conn, operation, errnum, errstr, id);
          if (c.heap.shutdown_on_error) {
            c.heap.got_an_error = true;
            c.kernel.yield('shutdown');
          }
          return ret;
        },
        tcp_server_got_flush: (c: Ctx, id: WheelId) => {
          const heap = c.heap;
          clientFlushed?.(c as unknown as Conn, id);
          if (heap.shutdown) {
            clientDisconnected?.(c as unknown as Conn, id);
            dropClient(heap);
          }
        },
        shutdown: (c: Ctx, ...args: unknown[]) => {
          const heap = c.heap;
          heap.shutdown = true;
          const client = heap.client;
          if (client === undefined) return;
          if (heap.got_an_error || client.getDriverOutOctets() === 0) {
            clientDisconnected?.(c as unknown as Conn, ...args);
            dropClient(heap);
          } else if (clientFlushed === undefined) {
            client.event({ flushedEvent: 'tcp_server_got_flush' });
          }
        },
        _stop: (c: Ctx) => {
          // Connection accounting: the listener may resume accepting.
          if (listenerId !== undefined) c.kernel.call(listenerId, 'disconnected');
          return undefined;
        },
        ...(o.inlineStates as Record<string, (ctx: Ctx, ...args: unknown[]) => unknown> | undefined),
      };
      const { objectStates, packageStates } = o;
      acceptor = (ctx, socket, address, port) => {
        // Undefined parameters are parameters not given: one literal, no spread per connection.
        Session.create({ options: sessionOptions, inlineStates: states, objectStates, packageStates, kernel: ctx.kernel, args: [socket, address, port] });
      };
    }

    const accept = acceptor;
    type L = ServerTCPListenerContext;
    const session = Session.create({
      kernel: o.kernel,
      ...(sessionOptions !== undefined ? { options: sessionOptions } : {}),
      heap: (): ServerTCPListenerHeap => ({ concurrency, connections: 0 }),
      args: o.listenerArgs ?? [],
      inlineStates: {
        _start: (ctx: L, ...args: unknown[]) => {
          const heap = ctx.heap;
          if (o.alias !== undefined) {
            heap.alias = o.alias;
            ctx.kernel.aliasSet(o.alias);
          }
          heap.concurrency = concurrency;
          heap.connections = 0;
          heap.listener = new SocketFactory({
            ...(unix ? {} : { bindPort: o.port ?? 0 }),
            ...(o.address !== undefined ? { bindAddress: o.address } : o.hostname !== undefined ? { bindAddress: o.hostname } : {}),
            ...(o.domain !== undefined ? { socketDomain: o.domain } : {}),
            ...(o.tls !== undefined ? { tls: o.tls } : {}),
            reuse: 'yes',
            successEvent: 'tcp_server_got_connection',
            failureEvent: 'tcp_server_got_error',
          });
          return o.started?.(ctx, ...args);
        },
        tcp_server_got_error: (ctx: L, operation: string, errnum: number, errstr: string, id: WheelId) => errorCallback(ctx, operation, errnum, errstr, id),
        // The limit is checked after the accept, so concurrency 0 still lets one in (G36).
        tcp_server_got_connection: (ctx: L, socket: net.Socket, address: Buffer | undefined, port: number | undefined, id: WheelId) => {
          const heap = ctx.heap;
          heap.connections++;
          if (heap.concurrency !== -1 && heap.listener !== undefined && heap.connections >= heap.concurrency) heap.listener.pauseAccept();
          return accept(ctx, socket, address, port, id);
        },
        disconnected: (ctx: L) => {
          const heap = ctx.heap;
          heap.connections--;
          if (heap.connections < 0) {
            ctx.kernel._warn(`Excessive 'disconnected' event from ${ctx.callerFile ?? '?'} at line ${ctx.callerLine ?? '?'}`);
            heap.connections = 0;
          }
          if (heap.concurrency !== -1 && heap.listener !== undefined && heap.connections === heap.concurrency - 1) heap.listener.resumeAccept();
        },
        set_concurrency: (ctx: L, limit: unknown) => {
          const heap = ctx.heap;
          heap.concurrency = limit as number;
          if (heap.concurrency !== -1 && heap.listener !== undefined) {
            if (heap.connections >= heap.concurrency) heap.listener.pauseAccept();
            else heap.listener.resumeAccept();
          }
        },
        shutdown: (ctx: L) => {
          ctx.heap.listener?.destroy();
          delete ctx.heap.listener;
          if (ctx.heap.alias !== undefined) ctx.kernel.aliasRemove(ctx.heap.alias);
        },
        _stop: (ctx: L) => {
          o.stopped?.(ctx);
          listenerId = undefined;
          return 0;
        },
        _child: () => undefined,
      },
    });
    // Always a session: its `_start` exists.
    listenerId = session!.ID;
    return listenerId;
  }
}
