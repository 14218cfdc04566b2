import type * as net from 'node:net';
import { constants } from 'node:os';
import type * as tls from 'node:tls';
import { describe } from '../errors.js';
import type { DuplexHandle } from '../driver/driver.js';
import { isInputHandle, isOutputHandle } from '../driver/driver.js';
import type { AlarmId, Kernel } from '../kernel/kernel.js';
import { strerror } from '../errno.js';
import type { Context } from '../session/context.js';
import { Session, type SessionId } from '../session/session.js';
import type { InlineStates, StatesList, Untyped } from '../session/types.js';
import { ReadWrite, readPauseMarks } from '../wheel/read-write.js';
import { SocketFactory, isNoPort, type SocketDomain } from '../wheel/socket-factory.js';
import { type TlsConnectOptions, tlsClient } from '../wheel/tls.js';
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

/**
 * The client session's heap, POE's keys. `server` is the connecting SocketFactory until the
 * connection is made, then the connection's ReadWrite wheel; `heap.server.put(...)` ports as it
 * is from the callbacks that run while connected (see {@link ClientTCPConnectedHeap}).
 */
export interface ClientTCPHeap<In = string, Out = string> {
  server?: SocketFactory | ReadWrite<In, Out>;
  /** True while the connection's wheel exists and `shutdown` has not run. */
  connected: boolean;
  /** Set by `shutdown`: input is ignored from then on. */
  shutdown: boolean;
  /** Always true, as in POE: a server error yields `shutdown`. */
  shutdown_on_error: boolean;
  /** Set when an error started the shutdown (output is then not waited for). */
  got_an_error?: boolean;
  /** The pending connect-timeout alarm. */
  ctimeout_id?: AlarmId;
  /**
   * With the `tls` option, once connected: the TLS socket, its handshake done. What was
   * negotiated is on it: `alpnProtocol`, `authorized`, `getPeerCertificate()`, `getCipher()`,
   * `getProtocol()`, `getSession()`. POE: SSLify's `SSLify_GetSocket`, `SSLify_GetCipher`.
   */
  tls?: tls.TLSSocket;
}

/** The heap as the connection's callbacks see it: `server` is the ReadWrite wheel. */
export type ClientTCPConnectedHeap<In = string, Out = string, H extends object = Record<string, unknown>> = Omit<ClientTCPHeap<In, Out>, 'server'> & {
  server: ReadWrite<In, Out>;
} & H;

/** `ctx` of the callbacks that run while there is no connection (`started`, `connectError`, `disconnected`, ...). */
export type ClientTCPContext<In = string, Out = string, H extends object = Record<string, unknown>> = Context<Untyped, ClientTCPHeap<In, Out> & H>;
/** `ctx` of the callbacks that run on a connection (`connected`, `serverInput`, `serverError`, ...). */
export type ClientTCPConnectedContext<In = string, Out = string, H extends object = Record<string, unknown>> = Context<Untyped, ClientTCPConnectedHeap<In, Out, H>>;

/**
 * Options of {@link ClientTCP.create}: POE::Component::Client::TCP's parameters in camelCase.
 * Every callback is a handler `(ctx, ...args)`, called with POE's arguments.
 */
export interface ClientTCPOptions<In = string, Out = string, H extends object = Record<string, unknown>> {
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
  /** POE `RemoteAddress` (required; `undefined` means 127.0.0.1): an address, host name, packed address, or unix path. */
  remoteAddress: string | Uint8Array | undefined;
  /** POE `RemotePort` (required for inet domains): a number or a service name. */
  remotePort: number | string | undefined;
  /** POE `BindAddress`: the local address to bind before connecting. */
  bindAddress?: string | Uint8Array;
  /** POE `BindPort`: the local port to bind before connecting. */
  bindPort?: number | string;
  /** POE `Domain`. @default 'inet' (AF_INET) */
  domain?: SocketDomain;
  /** POE `ConnectTimeout`, in seconds: after it, `connectError('connect', ETIMEDOUT, ...)`. */
  connectTimeout?: number;
  /** POE `Alias` of the client session. */
  alias?: string;
  /** POE `Args`: the arguments of `started`. */
  args?: unknown[];
  /** POE `Filter`: a filter object (cloned per connection), a class, or `[Class, ...args]`. @default Line */
  filter?: FilterSpec<In, Out>;
  /** POE `ServerInput` (required): each record, `(record, wheelId)`; ignored after `shutdown`. */
  serverInput: (ctx: ClientTCPConnectedContext<In, Out, H>, record: In, wheelId: WheelId) => unknown;
  /** POE `Started`: the session's `_start` callback, with `args`. The first connect is already queued. */
  started?: (ctx: ClientTCPContext<In, Out, H>, ...args: unknown[]) => unknown;
  /**
   * POE `PreConnect`: called with SocketFactory's success arguments before the wheel is made;
   * returns the stream to use (the socket or a wrapper), or a false value to give up.
   */
  preConnect?: (ctx: ClientTCPContext<In, Out, H>, socket: net.Socket, address: Buffer | string | undefined, port: number | undefined, wheelId: WheelId) => DuplexHandle | undefined | null | false;
  /** POE `Connected`: SocketFactory's success arguments `(socket, packedAddress, port, wheelId)`. */
  connected?: (ctx: ClientTCPConnectedContext<In, Out, H>, socket: net.Socket, address: Buffer | string | undefined, port: number | undefined, wheelId: WheelId) => unknown;
  /**
   * POE `ConnectError`: `(operation, errnum, errstr, wheelId)`; a timeout is
   * `('connect', ETIMEDOUT, 'Connection timed out')`. The default logs (except for EOF and
   * ECONNRESET) and deletes the factory. Post `reconnect` from here to try again.
   */
  connectError?: (ctx: ClientTCPContext<In, Out, H>, operation: string, errnum: number, errstr: string, wheelId?: WheelId) => unknown;
  /** POE `Disconnected`: the connection's wheel was deleted. Post `reconnect` from here to connect again. */
  disconnected?: (ctx: ClientTCPContext<In, Out, H>, ...args: unknown[]) => unknown;
  /**
   * POE `ServerError`: ReadWrite's ErrorEvent arguments; EOF is `('read', 0, '', wheelId)`. The
   * default logs `Client N got OP error ERRNUM (Normal disconnection)` and shuts down; the
   * session yields `shutdown` after it either way.
   */
  serverError?: (ctx: ClientTCPConnectedContext<In, Out, H>, operation: 'read' | 'write', errnum: number, errstr: string, wheelId: WheelId) => unknown;
  /** POE `ServerFlushed`: the output buffer emptied, `(wheelId)`. */
  serverFlushed?: (ctx: ClientTCPConnectedContext<In, Out, H>, wheelId: WheelId) => unknown;
  /** POE `ServerHigh`: the wheel's HighEvent. All four watermark options or none. */
  serverHigh?: (ctx: ClientTCPConnectedContext<In, Out, H>, wheelId: WheelId) => unknown;
  /** POE `ServerLow`: the wheel's LowEvent. */
  serverLow?: (ctx: ClientTCPConnectedContext<In, Out, H>, wheelId: WheelId) => unknown;
  /** POE `HighMark` of the connection's wheel. */
  highMark?: number;
  /** POE `LowMark` of the connection's wheel. */
  lowMark?: number;
  /**
   * The connection's ReadWrite `readPauseMark`: the client stops reading the server while this
   * many octets it sent wait to be written. `false` (or `Infinity`) for POE's unbounded
   * buffering. Not in POE.
   * @default 1048576 (1 MiB)
   */
  readPauseMark?: number | false;
  /** The connection's ReadWrite `readResumeMark`. Not in POE. @default half of `readPauseMark` */
  readResumeMark?: number;
  /** POE `InlineStates`: more handlers for the client session. */
  inlineStates?: InlineStates<Untyped, ClientTCPHeap<In, Out> & H>;
  /** POE `ObjectStates`. */
  objectStates?: StatesList;
  /** POE `PackageStates`. */
  packageStates?: StatesList;
  /** POE `SessionParams`: session `options` (trace, debug, default). */
  sessionParams?: { options?: Record<string, unknown> };
  /**
   * TLS over the connection (POE::Component::SSLify's `Client_SSLify` in `PreConnect`):
   * node:tls client options (`ca`, `servername`, `cert`/`key` for a client certificate,
   * `ALPNProtocols`, `rejectUnauthorized`, `minVersion`, ...). `connected` comes once the
   * handshake has succeeded, with the TLS socket (also `heap.tls`); the filter reads and writes
   * plaintext. A failed handshake is `connectError('handshake', errnum, errstr)`, e.g.
   * `('handshake', EPROTO, 'DEPTH_ZERO_SELF_SIGNED_CERT')`. `connectTimeout` covers connect
   * and handshake. Certificates are loaded once, at `create`. Not in POE.
   */
  tls?: TlsConnectOptions;
}

const KNOWN = [
  'kernel',
  'remoteAddress',
  'remotePort',
  'bindAddress',
  'bindPort',
  'domain',
  'connectTimeout',
  'alias',
  'args',
  'filter',
  'serverInput',
  'started',
  'preConnect',
  'connected',
  'connectError',
  'disconnected',
  'serverError',
  'serverFlushed',
  'serverHigh',
  'serverLow',
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

const CALLBACKS = ['serverInput', 'started', 'preConnect', 'connected', 'connectError', 'disconnected', 'serverError', 'serverFlushed', 'serverHigh', 'serverLow'];

/**
 * The client session's own handlers, which user states may not replace. Its `_stop`, `_child`
 * and `_parent` are POE's empty placeholders, so those stay free.
 */
const RESERVED = [
  '_start',
  'reconnect',
  'connect',
  'shutdown',
  'got_connect_success',
  'got_connect_error',
  'got_connect_timeout',
  'got_server_error',
  'got_server_input',
  'got_server_flush',
  'got_high',
  'got_low',
];

const WHAT = 'ClientTCP';

function validate(options: ClientTCPOptions<unknown, unknown, object>): boolean {
  checkKeys(WHAT, options, KNOWN);
  const o = options as unknown as Record<string, unknown>;
  // POE croaks when the keys are missing; an undefined RemoteAddress means 127.0.0.1.
  if (!('remoteAddress' in o)) bad(`${WHAT} needs a \`remoteAddress\` option (POE: RemoteAddress)`);
  if (!('remotePort' in o)) bad(`${WHAT} needs a \`remotePort\` option (POE: RemotePort)`);
  if (o.serverInput === undefined) bad(`${WHAT} needs a \`serverInput\` handler (POE: ServerInput)`);
  checkFunctions(WHAT, o, CALLBACKS);
  checkAddress(WHAT, 'remoteAddress', o.remoteAddress);
  checkPort(WHAT, 'remotePort', o.remotePort);
  checkAddress(WHAT, 'bindAddress', o.bindAddress);
  checkPort(WHAT, 'bindPort', o.bindPort);
  checkDomain(WHAT, o.domain);
  if (isUnix(o.domain as string | undefined)) {
    // Checked here rather than by the SocketFactory each reconnect makes, which would throw
    // from inside the session. POE needs the RemotePort key even for a unix path; 0 fills it.
    for (const key of ['remotePort', 'bindPort'] as const) {
      if (!isNoPort(o[key])) bad(`${WHAT}: \`${key}\` has no meaning for a unix-domain client (only 0 is accepted), got ${describe(o[key])}`);
    }
  }
  checkString(WHAT, 'alias', o.alias);
  checkArray(WHAT, 'args', o.args);
  const t = o.connectTimeout;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0)) {
    bad(`Expected ${WHAT} option \`connectTimeout\` to be a number of seconds >= 0, got ${describe(t)}`);
  }
  checkFilterSpec(WHAT, 'filter', o.filter);
  checkReserved(WHAT, o, RESERVED);
  checkSessionParams(WHAT, o.sessionParams);
  readPauseMarks(WHAT, o.readPauseMark, o.readResumeMark, `${WHAT} option`);
  return checkMarks(WHAT, o, 'serverHigh', 'serverLow');
}

/** POE's `_default_error` (for ConnectError): log unless EOF or a reset, and drop the factory. */
function defaultConnectError(ctx: Context<Untyped, ClientTCPHeap<unknown, unknown>>, operation: string, errnum: number, errstr: string): void {
  if (!(operation === 'read' && (errnum === 0 || errnum === E.ECONNRESET))) {
    ctx.kernel._warn(`Client ${ctx.session.ID} got ${operation} error ${errnum} (${errstr})`);
  }
  ctx.heap.server?.destroy();
  delete ctx.heap.server;
}

/** POE's `_default_io_error` (for ServerError): log, even a normal disconnection, and shut down. */
function defaultServerError(ctx: Context<Untyped, unknown>, operation: string, errnum: number, errstr: string): void {
  ctx.kernel._warn(`Client ${ctx.session.ID} got ${operation} error ${errnum} (${errnum ? errstr : 'Normal disconnection'})`);
  ctx.kernel.yield('shutdown');
}

function isStream(value: unknown): value is DuplexHandle {
  return isInputHandle(value) && isOutputHandle(value);
}

/**
 * A TCP client in one call: a session that connects, wraps the connection in a ReadWrite wheel
 * and calls your callbacks. POE's Client::TCP (spec 4.2).
 *
 * `ClientTCP.create(options)` returns the session id (G30). The session connects at once (its
 * `_start` yields `reconnect`). Events you can post to it: `connect(address, port)` (a new
 * target, then reconnect), `reconnect`, and `shutdown` (waits for output to be written unless
 * an error started it, then deletes the wheel and calls `disconnected`). The heap has POE's
 * `server`, `connected`, `shutdown` and `shutdown_on_error`.
 *
 * Differences: options are checked when `create` is called, and user states named like the
 * component's own handlers are refused; `sessionParams` takes only `options`; there is no
 * `SessionType`; the connect timeout is a kernel `delaySet` rather than an alarm at whole
 * seconds.
 *
 * POE: `POE::Component::Client::TCP`.
 */
export class ClientTCP {
  private constructor() {}

  /**
   * Creates the client session and returns its id. Throws `PoeArgumentError`
   * (`ERR_POE_UNKNOWN_OPTION`, `ERR_POE_INVALID_ARGUMENT`) for bad options.
   * POE: `POE::Component::Client::TCP->new(...)`.
   */
  static create<In = string, Out = string, H extends object = Record<string, unknown>>(options: ClientTCPOptions<In, Out, H>): SessionId {
    const marks = validate(options as unknown as ClientTCPOptions<unknown, unknown, object>);
    const o = options;
    // Checked and loaded once; every reconnect shares the secure context.
    const tlsOptions = o.tls !== undefined ? tlsClient(WHAT, o.tls) : undefined;
    let address: string | Uint8Array = o.remoteAddress ?? '127.0.0.1';
    let port = o.remotePort;
    const { alias, connectTimeout, serverInput, preConnect, connected, disconnected, serverFlushed, serverHigh, serverLow } = o;
    const connectError = o.connectError ?? defaultConnectError;
    const serverError = o.serverError ?? defaultServerError;
    type Heap = ClientTCPHeap<In, Out> & Record<string, unknown>;
    type Ctx = Context<Untyped, Heap>;
    type Idle = ClientTCPContext<In, Out, H>;
    type Conn = ClientTCPConnectedContext<In, Out, H>;

    const removeTimeout = (ctx: Ctx): void => {
      const id = ctx.heap.ctimeout_id;
      if (id === undefined) return;
      delete ctx.heap.ctimeout_id;
      ctx.kernel.alarmRemove(id);
    };
    /** Deletes the factory or wheel, as POE's `delete $heap->{server}`. */
    const dropServer = (heap: Heap): void => {
      heap.server?.destroy();
      delete heap.server;
    };

    const session = Session.create({
      kernel: o.kernel,
      ...(o.sessionParams?.options !== undefined ? { options: o.sessionParams.options } : {}),
      args: o.args ?? [],
      inlineStates: {
        _start: (ctx: Ctx, ...args: unknown[]) => {
          ctx.heap.shutdown_on_error = true;
          if (alias !== undefined) ctx.kernel.aliasSet(alias);
          ctx.kernel.yield('reconnect');
          return o.started?.(ctx as unknown as Idle, ...args);
        },
        reconnect: (ctx: Ctx) => {
          const heap = ctx.heap;
          heap.shutdown = false;
          heap.connected = false;
          delete heap.tls;
          // Re-set: a shutdown removed it, and a reconnect brings the client back.
          if (alias !== undefined) ctx.kernel.aliasSet(alias);
          // POE overwrites the heap entry; the old wheel or factory dies with it.
          dropServer(heap);
          heap.server = new SocketFactory({
            remoteAddress: address,
            ...(port !== undefined ? { remotePort: port } : {}),
            ...(o.domain !== undefined ? { socketDomain: o.domain } : {}),
            ...(o.bindAddress !== undefined ? { bindAddress: o.bindAddress } : {}),
            ...(o.bindPort !== undefined ? { bindPort: o.bindPort } : {}),
            ...(tlsOptions !== undefined ? { tls: tlsOptions } : {}),
            successEvent: 'got_connect_success',
            failureEvent: 'got_connect_error',
          });
          removeTimeout(ctx);
          if (connectTimeout !== undefined) heap.ctimeout_id = ctx.kernel.delaySet('got_connect_timeout', connectTimeout);
        },
        connect: (ctx: Ctx, newAddress?: string | Uint8Array, newPort?: number | string) => {
          if (newAddress !== undefined) address = newAddress;
          if (newPort !== undefined) port = newPort;
          ctx.kernel.yield('reconnect');
        },
        got_connect_success: (ctx: Ctx, socket: net.Socket, addr: Buffer | string | undefined, rport: number | undefined, id: WheelId) => {
          const heap = ctx.heap;
          removeTimeout(ctx);
          if (tlsOptions !== undefined) heap.tls = socket as tls.TLSSocket;
          let handle: DuplexHandle = socket;
          if (preConnect !== undefined) {
            const got = preConnect(ctx as unknown as Idle, socket, addr, rport, id);
            if (!got || !isStream(got)) {
              if (got && !isStream(got)) ctx.kernel._warn(`${WHAT}: preConnect returned ${describe(got)}, not a stream; giving up the connection`);
              heap.connected = false;
              if ((got as unknown) !== socket) socket.destroy();
              return undefined;
            }
            handle = got;
          }
          // The factory has handed its socket over; dropping it leaves the socket alone.
          dropServer(heap);
          heap.server = new ReadWrite<In, Out>({
            handle,
            filter: makeFilter(o.filter),
            inputEvent: 'got_server_input',
            errorEvent: 'got_server_error',
            flushedEvent: 'got_server_flush',
            ...(marks ? { highMark: o.highMark, lowMark: o.lowMark, highEvent: 'got_high', lowEvent: 'got_low' } : {}),
            ...(o.readPauseMark !== undefined ? { readPauseMark: o.readPauseMark } : {}),
            ...(o.readResumeMark !== undefined ? { readResumeMark: o.readResumeMark } : {}),
          });
          heap.connected = true;
          return connected?.(ctx as unknown as Conn, socket, addr, rport, id);
        },
        got_high: (ctx: Ctx, id: WheelId) => serverHigh?.(ctx as unknown as Conn, id),
        got_low: (ctx: Ctx, id: WheelId) => serverLow?.(ctx as unknown as Conn, id),
        got_connect_error: (ctx: Ctx, operation: string, errnum: number, errstr: string, id: WheelId) => {
          removeTimeout(ctx);
          ctx.heap.connected = false;
          const ret = connectError(ctx as unknown as Idle, operation, errnum, errstr, id);
          dropServer(ctx.heap);
          return ret;
        },
        got_connect_timeout: (ctx: Ctx) => {
          ctx.heap.connected = false;
          removeTimeout(ctx);
          const ret = connectError(ctx as unknown as Idle, 'connect', E.ETIMEDOUT, strerror(E.ETIMEDOUT));
          dropServer(ctx.heap);
          return ret;
        },
        got_server_error: (ctx: Ctx, operation: 'read' | 'write', errnum: number, errstr: string, id: WheelId) => {
          const ret = serverError(ctx as unknown as Conn, operation, errnum, errstr, id);
          if (ctx.heap.shutdown_on_error) {
            ctx.kernel.yield('shutdown');
            ctx.heap.got_an_error = true;
          }
          return ret;
        },
        got_server_input: (ctx: Ctx, record: In, id: WheelId) => {
          if (ctx.heap.shutdown) return undefined;
          return serverInput(ctx as unknown as Conn, record, id);
        },
        got_server_flush: (ctx: Ctx, id: WheelId) => {
          const heap = ctx.heap;
          serverFlushed?.(ctx as unknown as Conn, id);
          if (heap.shutdown) {
            dropServer(heap);
            disconnected?.(ctx as unknown as Idle, id);
          }
        },
        shutdown: (ctx: Ctx, ...args: unknown[]) => {
          const heap = ctx.heap;
          heap.shutdown = true;
          removeTimeout(ctx);
          if (heap.connected) {
            heap.connected = false;
            const server = heap.server;
            if (server instanceof ReadWrite && (heap.got_an_error || server.getDriverOutOctets() === 0)) {
              dropServer(heap);
              disconnected?.(ctx as unknown as Idle, ...args);
            }
          } else {
            dropServer(heap);
          }
          if (alias !== undefined) ctx.kernel.aliasRemove(alias);
        },
        ...(o.inlineStates as Record<string, (ctx: Ctx, ...args: unknown[]) => unknown> | undefined),
      },
      ...(o.objectStates !== undefined ? { objectStates: o.objectStates } : {}),
      ...(o.packageStates !== undefined ? { packageStates: o.packageStates } : {}),
    });
    return session!.ID;
  }
}
