// The module's Buffer, not the global one: `globalThis.Buffer` is a getter, a call at each use.
import { Buffer } from 'node:buffer';
import type * as net from 'node:net';
import { constants, hostname } from 'node:os';
import type * as tls from 'node:tls';
import { PoeArgumentError, describe } from '../errors.js';
import { FilterBase } from '../filter/filter.js';
import { HTTPD, type HTTPDRecord } from '../filter/httpd.js';
import { headerLines, trustedHeaders } from '../http/headers.js';
import type { HttpRequest } from '../http/request.js';
import { HttpResponse } from '../http/response.js';
import { serializeResponse } from '../http/serialize.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Context } from '../session/context.js';
import { Session, type SessionId } from '../session/session.js';
import type { Untyped } from '../session/types.js';
import { inetNtoa } from '../wheel/address.js';
import { ReadWrite } from '../wheel/read-write.js';
import { SocketFactory, type SocketDomain, type SocketName } from '../wheel/socket-factory.js';
import { type TlsListenOptions, tlsListener } from '../wheel/tls.js';
import { sessionStopped, type WheelId } from '../wheel/wheel.js';
import { bad, checkAddress, checkDomain, checkKeys, checkPort, checkSeconds, checkString } from './options.js';

const E = constants.errno;

/**
 * One route: requests whose path matches `dir` go to `event` of `session`, with
 * `(request, response, dir)`. POE: a `HANDLERS` entry, `{ DIR, SESSION, EVENT }`.
 */
export interface SimpleHTTPHandler {
  /** A RegExp, or a string made into one (JavaScript's syntax, not Perl's), tested against the request's path. POE: `DIR`. */
  dir: RegExp | string;
  /** The session to call: an alias, an id or a session. POE: `SESSION`. */
  session: string | number | Session<never, never>;
  /** The event to call in it. POE: `EVENT`. */
  event: string;
}

/** Where an optional notification goes: POE's `{ SESSION, EVENT }` hashes (`errorHandler`, `logHandler`, ...). */
export interface SimpleHTTPNotify {
  session: string | number | Session<never, never>;
  event: string;
}

/** Options of {@link SimpleHTTP.spawn}: POE::Component::Server::SimpleHTTP's parameters in camelCase, and poe-ts's limits. */
export interface SimpleHTTPOptions {
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
  /** POE `ALIAS`: the component session's alias, where handlers post `DONE`, `CLOSE`, `STREAM`, ... */
  alias?: string;
  /** POE `ADDRESS`: the address to bind to (a unix path with `domain: 'unix'`). @default INADDR_ANY */
  address?: string | Uint8Array;
  /** POE `PORT`. @default 0 (any free port: read it back with `server.port`) */
  port?: number | string;
  /** POE `DOMAIN`. @default 'inet' */
  domain?: SocketDomain;
  /**
   * POE `HOSTNAME`. POE writes it into each request's URI; poe-ts keeps `request.uri` as the
   * client sent it and only records it (`server.hostname`). @default os.hostname()
   */
  hostname?: string;
  /** POE `HANDLERS`: the routes, tried in order; the first whose `dir` matches the path gets the request. */
  handlers: readonly SimpleHTTPHandler[];
  /** POE `HEADERS`: headers every response starts with. */
  headers?: Readonly<Record<string, string | number>>;
  /**
   * POE `KEEPALIVE`: keep HTTP/1.1 connections open after a response, unless the request or
   * the response says `Connection: close` or the response is an error (4xx, 5xx), as POE.
   * @default false
   */
  keepAlive?: boolean;
  /** POE `PROXYMODE`: route on the whole request-target instead of its path. @default false */
  proxyMode?: boolean;
  /** POE `ERRORHANDLER`: `(message, remoteIp)` for malformed requests and answers to vanished connections. */
  errorHandler?: SimpleHTTPNotify;
  /** POE `LOGHANDLER`: `(request, remoteIp)` for each request, before its handler. */
  logHandler?: SimpleHTTPNotify;
  /** POE `LOG2HANDLER`: called with `(request, response)` as each response is sent. */
  log2Handler?: SimpleHTTPNotify;
  /** POE `SETUPHANDLER`: `(port, address)` once the listener is bound. */
  setupHandler?: SimpleHTTPNotify;
  /**
   * Most connections open at once. At the limit the listener stops accepting (connections wait
   * in the listen queue, up to 511; later ones are reset) until one closes. Not in POE.
   * @default 1000
   */
  maxConnections?: number;
  /**
   * Seconds a connection may stay without progress while the server owes it nothing: before
   * its first request, between keep-alive requests, or with a reply the client does not read.
   * Then it is closed. `Infinity` turns it off. Not in POE. @default 5
   */
  idleTimeout?: number;
  /**
   * Seconds a client has to send a whole request (head and body) once its first byte came,
   * however slowly the bytes trickle in (slowloris): then it gets a 408 and is closed.
   * `Infinity` turns it off. Not in POE. @default 30
   */
  headerTimeout?: number;
  /** Largest request body in bytes (a 413 beyond it). HTTPD's `maxContent`. @default 1048576 */
  maxContent?: number;
  /** Largest request head in bytes (a 431 beyond it). HTTPD's `maxHeaderSize`. @default 16384 */
  maxHeaderSize?: number;
  /**
   * HTTPS: every connection is TLS. node:tls server options (`key`, `cert`, `ca`,
   * `requestCert`, `rejectUnauthorized`, `ALPNProtocols`, `contexts` for SNI, `minVersion`,
   * `handshakeTimeout`, ...), as ServerTCP's `tls`; `handshakeTimeout` defaults to
   * `headerTimeout`. A connection is made (and counted) only
   * once its handshake has succeeded; a failed one (a refused client certificate, a plaintext
   * client, a timeout) reaches no route: it goes to `errorHandler` as
   * `('handshake error <errno> (<code>)', remoteIp)` and the server keeps serving.
   * `response.connection.ssl` is then true. POE `SSLKEYCERT` (`[key, cert]` files) and
   * `SSLINTERMEDIATECACERT`: here `{ key, cert, ca }` with the files' contents.
   */
  tls?: TlsListenOptions;
}

/**
 * What a response knows of its connection. POE: `POE::Component::Server::SimpleHTTP::Connection`
 * (its accessors are these properties: `response.connection.remote_ip`).
 */
export class SimpleHTTPConnection {
  /** The client's address. */
  readonly remote_ip: string;
  /** The client's port. */
  readonly remote_port: number | undefined;
  /** The server's address of this connection. */
  readonly local_ip: string | undefined;
  /** The server's port. */
  readonly local_port: number | undefined;
  /** The wheel id of the connection. POE: `$conn->ID`. */
  readonly ID: WheelId;
  /** Set once the connection is gone (the client closed it, or it failed). */
  dead = false;
  /** True on a TLS connection (the server's `tls` option). POE: `$conn->ssl`. */
  readonly ssl: boolean;
  /**
   * The connection's TLS socket, its handshake done; undefined without TLS. What was
   * negotiated is on it: `getPeerCertificate()`, `authorized` and `authorizationError` (the
   * client's certificate), `getCipher()`, `getProtocol()`, `alpnProtocol`, `servername`.
   * POE: SSLify's `SSLify_GetSocket`, `SSLify_GetSSL`.
   */
  readonly tls: tls.TLSSocket | undefined;

  /** @internal */
  constructor(id: WheelId, remoteIp: string, remotePort: number | undefined, localIp: string | undefined, localPort: number | undefined, secure: tls.TLSSocket | undefined) {
    this.ID = id;
    this.remote_ip = remoteIp;
    this.remote_port = remotePort;
    this.local_ip = localIp;
    this.local_port = localPort;
    this.ssl = secure !== undefined;
    this.tls = secure;
  }

  /** The cipher's OpenSSL name (`'TLS_AES_256_GCM_SHA384'`); undefined without TLS. POE: `$conn->sslcipher`. */
  get sslcipher(): string | undefined {
    return this.tls?.getCipher().name;
  }
}

/** Options of {@link SimpleHTTPResponse.stream}. */
export interface SimpleHTTPStreamOptions {
  /** The session to call back after each piece. @default the session that posts `STREAM` */
  session?: string | number | Session<never, never>;
  /** The event called back with the response after each piece is queued. */
  event: string;
  /** POE `dont_flush`: no callback; the program sends each piece when it wants. @default false */
  dontFlush?: boolean;
}

// The states of a response.
const PENDING = 0; // with its handler
const STREAMING = 1; // pieces going out
const DONE = 2; // answered (or a streamed one ended): written when its turn comes
const GONE = 3; // written, closed or dropped

/**
 * The response a handler fills in and hands back with `DONE`, `STREAM` or `CLOSE`. POE:
 * `POE::Component::Server::SimpleHTTP::Response`, an HTTP::Response with `_WHEEL`,
 * `connection` and `stream()`.
 */
export class SimpleHTTPResponse extends HttpResponse {
  /** The connection's wheel id. POE: `$response->_WHEEL`. */
  readonly wheelId: WheelId;
  /** The connection. POE: `$response->connection`. */
  readonly connection: SimpleHTTPConnection;
  /** Set by `stream()`. POE: `STREAM_SESSION`. */
  streamSession: string | number | Session<never, never> | undefined = undefined;
  /** Set by `stream()`. POE: `STREAM`. */
  streamEvent: string | undefined = undefined;
  /** Set by `stream()`. POE: `DONT_FLUSH`. */
  dontFlush = false;
  /** @internal */
  _state = PENDING;
  /** @internal The connection, while the response is owed to it. */
  _conn: Conn | undefined;
  /** @internal Pieces of a streamed response waiting for the responses before it. */
  _pieces: Buffer[] | undefined = undefined;
  /** @internal The streamed body goes out in chunked coding. */
  _chunked = false;
  /** @internal What the headers said when the response was answered (H_* bits). */
  _flags = 0;
  /** @internal A streamed body without chunks or a length: it ends when the connection closes. */
  _eofBody = false;
  /** @internal The head of a streamed response is written. */
  _headSent = false;

  /** @internal */
  constructor(conn: Conn, request: HttpRequest | undefined, code = 200) {
    // No reason phrase, as POE's HTTP::Response->new: the status line reads `200 (OK)`.
    super(code, '');
    this.wheelId = conn.id;
    this.connection = conn.connection;
    this._conn = conn;
    this.request = request;
  }

  /** POE: `_WHEEL`. */
  get _WHEEL(): WheelId {
    return this.wheelId;
  }

  /**
   * Makes this a streamed response: each `STREAM` event sends `content` as the next piece and
   * then calls `event` back with the response (unless `dontFlush`). POE: `$response->stream(...)`.
   */
  stream(options: SimpleHTTPStreamOptions): void {
    checkKeys(`${WHAT} stream()`, options, ['session', 'event', 'dontFlush']);
    if (typeof options.event !== 'string' || options.event === '') bad(`Expected ${WHAT} stream() \`event\` to be an event name, got ${describe(options.event)}`);
    this.streamSession = options.session;
    this.streamEvent = options.event;
    this.dontFlush = options.dontFlush === true;
  }
}

/**
 * The component's events, to `post` or `call` to its alias or `server.session`.
 * POE: SimpleHTTP's events.
 */
export interface SimpleHTTPEvents {
  /** Sends the response (or ends a streamed one). POE: `DONE`. */
  DONE: (response: SimpleHTTPResponse) => unknown;
  /** Closes the response's connection without sending it. POE: `CLOSE`. */
  CLOSE: (response: SimpleHTTPResponse) => unknown;
  /** Sends `response.content` as the next piece of a streamed response. POE: `STREAM`. */
  STREAM: (response: SimpleHTTPResponse) => unknown;
  /** Stops listening and closes every connection; with a true argument (`'GRACEFUL'`), lets answers in progress finish. POE: `SHUTDOWN`. */
  SHUTDOWN: (graceful?: unknown) => unknown;
  /** Posts `(handlers)` (a copy) to `event` of `session`. POE: `GETHANDLERS`. */
  GETHANDLERS: (session: string | number | Session<never, never>, event: string) => unknown;
  /** Replaces the routes. POE: `SETHANDLERS`. */
  SETHANDLERS: (handlers: readonly SimpleHTTPHandler[]) => unknown;
  /** Listens again after `STOPLISTEN`, on the same port. POE: `STARTLISTEN`. */
  STARTLISTEN: () => unknown;
  /** Stops listening; connections carry on. POE: `STOPLISTEN`. */
  STOPLISTEN: () => unknown;
}

/** What a route's event receives: POE's ARG0..ARG2. */
export type SimpleHTTPHandlerArgs = [request: HttpRequest, response: SimpleHTTPResponse, dirmatch: RegExp | string];

const WHAT = 'SimpleHTTP';
const KNOWN = [
  'kernel',
  'alias',
  'address',
  'port',
  'domain',
  'hostname',
  'handlers',
  'headers',
  'keepAlive',
  'proxyMode',
  'errorHandler',
  'logHandler',
  'log2Handler',
  'setupHandler',
  'maxConnections',
  'idleTimeout',
  'headerTimeout',
  'maxContent',
  'maxHeaderSize',
  'tls',
] as const;

interface Route {
  readonly dir: RegExp | string;
  readonly re: RegExp;
  readonly session: string | number | Session<never, never>;
  readonly event: string;
  /** The session, once resolved. */
  target: Session | undefined;
}

/** The output side of each connection's wheel: responses are serialized by the component, so bytes pass as they are. */
class Bytes extends FilterBase<never, Buffer> {
  getOneStart(): void {}
  getOne(): never[] {
    return [];
  }
  put(records: readonly Buffer[]): Buffer[] {
    return records as Buffer[];
  }
  getPending(): undefined {
    return undefined;
  }
  clone(): Bytes {
    return this;
  }
}
const BYTES = new Bytes();

/** @internal A connection: its wheel, and the responses it is owed, oldest first. */
class Conn {
  readonly id: WheelId;
  readonly wheel: ReadWrite<HTTPDRecord, Buffer>;
  readonly filter: HTTPD;
  readonly connection: SimpleHTTPConnection;
  /** The oldest response not yet written. */
  head: SimpleHTTPResponse | undefined = undefined;
  /** The responses after it (pipelined requests), rarely any. */
  rest: SimpleHTTPResponse[] | undefined = undefined;
  /** No more requests are read: the connection closes once what it owes is written. */
  ending = false;
  /** Closing once the output is written. */
  closing = false;
  /** Progress since the last sweep (a request, an answer). */
  active = true;
  /** When the current idle period began (clock seconds). */
  idleSince: number;
  /** When unfinished request bytes were first seen; -1 when none. */
  partialSince = -1;
  /** Output octets at the last sweep: a write stalled when they have not moved. */
  lastOctets = 0;

  constructor(wheel: ReadWrite<HTTPDRecord, Buffer>, filter: HTTPD, connection: SimpleHTTPConnection, now: number) {
    this.id = wheel.ID;
    this.wheel = wheel;
    this.filter = filter;
    this.connection = connection;
    this.idleSince = now;
  }

  /** True while a response is with its handler or being streamed: the server owes the client. */
  get owing(): boolean {
    return this.head !== undefined;
  }
}

function checkNotify(key: string, value: unknown): void {
  if (value === undefined) return;
  checkKeys(`${WHAT} \`${key}\``, value, ['session', 'event']);
  const v = value as Record<string, unknown>;
  checkTarget(`${WHAT} \`${key}\``, v.session);
  if (typeof v.event !== 'string' || v.event === '') bad(`Expected ${WHAT} \`${key}\` \`event\` to be an event name, got ${describe(v.event)}`);
}

function checkTarget(what: string, session: unknown): void {
  if ((typeof session === 'string' && session !== '') || (typeof session === 'number' && Number.isInteger(session)) || session instanceof Session) return;
  bad(`Expected ${what} \`session\` to be an alias, a session id or a session, got ${describe(session)}`);
}

/** Checks the routes and compiles them (POE's MassageHandlers); a bad one throws `PoeArgumentError`. */
function compileRoutes(handlers: unknown): Route[] {
  if (!Array.isArray(handlers)) bad(`Expected ${WHAT} \`handlers\` to be an array of { dir, session, event }, got ${describe(handlers)}`);
  return handlers.map((h: unknown, i: number) => {
    const what = `${WHAT} handler ${i}`;
    checkKeys(what, h, ['dir', 'session', 'event']);
    const r = h as Record<string, unknown>;
    checkTarget(what, r.session);
    if (typeof r.event !== 'string' || r.event === '') bad(`Expected ${what} \`event\` to be an event name, got ${describe(r.event)}`);
    let re: RegExp;
    if (r.dir instanceof RegExp) {
      // A global or sticky RegExp keeps a position between tests: drop those flags.
      re = /[gy]/.test(r.dir.flags) ? new RegExp(r.dir.source, r.dir.flags.replace(/[gy]/g, '')) : r.dir;
    } else if (typeof r.dir === 'string') {
      try {
        re = new RegExp(r.dir);
      } catch (err) {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what} has a malformed \`dir\` ${describe(r.dir)}: ${(err as Error).message}`, { cause: err });
      }
    } else {
      bad(`Expected ${what} \`dir\` to be a RegExp or a string, got ${describe(r.dir)}`);
    }
    return { dir: r.dir, re, session: r.session as Route['session'], event: r.event, target: undefined };
  });
}

/** The path a route is matched against: the request-target without query or fragment (POE: `$uri->path`, `/` when empty). */
function pathOf(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    // absolute-form (`http://host/path`): the path starts after the authority
    const scheme = target.indexOf('://');
    if (scheme < 0) return target; // `*` (OPTIONS) or an authority (CONNECT)
    start = target.indexOf('/', scheme + 3);
    if (start < 0) return '/';
  }
  let end = target.length;
  for (let i = start; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f || c === 0x23) end = i;
  }
  return start === 0 && end === target.length ? target : target.slice(start, end) || '/';
}

/** A route's `dir` in a message: `/re/` or `"string"`. */
function dirText(dir: RegExp | string): string {
  return typeof dir === 'string' ? JSON.stringify(dir) : String(dir);
}

// What a response's headers say, found in one pass over them (a bit each).
const H_TYPE = 1; // Content-Type
const H_LENGTH = 2; // Content-Length
const H_CODING = 4; // Transfer-Encoding
const H_CLOSE = 8; // Connection: close

/**
 * The headers the component acts on, in one pass over the field lines and without building
 * the headers' lookup table (names told apart by length before case, and the usual spelling
 * before a lower-cased copy).
 */
function headerFlags(response: HttpResponse): number {
  const [names, values] = headerLines(response.headers);
  let flags = 0;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    switch (n.length) {
      case 12:
        if (n === 'Content-Type' || n.toLowerCase() === 'content-type') flags |= H_TYPE;
        break;
      case 14:
        if (n === 'Content-Length' || n.toLowerCase() === 'content-length') flags |= H_LENGTH;
        break;
      case 17:
        if (n === 'Transfer-Encoding' || n.toLowerCase() === 'transfer-encoding') flags |= H_CODING;
        break;
      case 10:
        if ((n === 'Connection' || n.toLowerCase() === 'connection') && /(?:^|,)\s*close\s*(?:,|$)/i.test(values[i]!)) flags |= H_CLOSE;
        break;
      default:
        break;
    }
  }
  return flags;
}

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/**
 * An HTTP server in one call: routes requests by path to session events, and sends what the
 * handlers hand back. POE::Component::Server::SimpleHTTP's interface, on the strict HTTPD
 * filter, with keep-alive, pipelining, streamed (chunked) responses, timeouts and a connection
 * limit.
 *
 * `SimpleHTTP.spawn({ alias, port, handlers: [{ dir, session, event }], ... })` makes the
 * component's session, which listens at once. For each request the first route whose `dir`
 * matches the path gets `event(request, response, dir)` in `session`; the handler fills in the
 * response and posts (or calls) `DONE` with it to the component, or `CLOSE` to drop the
 * connection, or streams it with `response.stream({ event })` and `STREAM`. A request no route
 * matches gets POE's 404 (`404 Not Found`, text/plain). `SHUTDOWN`, `GETHANDLERS`,
 * `SETHANDLERS`, `STARTLISTEN` and `STOPLISTEN` are POE's.
 *
 * Responses on a keep-alive connection go out in request order, whatever order their handlers
 * answer in. A handler that throws (or whose promise rejects) gets a 500 for its request, a
 * warning, and the server carries on: the route's event is called, not posted, so the
 * component sees its failure (POE posts it, and a handler's `die` stops the program).
 *
 * POE: `POE::Component::Server::SimpleHTTP`. Differences: docs/differences.md.
 */
export class SimpleHTTP {
  readonly #kernel: Kernel;
  readonly #session: Session<SimpleHTTPEvents>;
  readonly #alias: string | undefined;
  readonly #options: SimpleHTTPOptions;
  #routes: Route[];
  readonly #headerNames: string[];
  readonly #headerValues: string[];
  readonly #keepAlive: boolean;
  readonly #proxyMode: boolean;
  readonly #maxConnections: number;
  readonly #idleTimeout: number;
  readonly #headerTimeout: number;
  /** Seconds between sweeps for timed-out connections. */
  readonly #tick: number;
  readonly #filter: HTTPD;
  readonly #conns = new Map<WheelId, Conn>();
  readonly #log2: SimpleHTTPNotify | undefined;
  /** Every connection is TLS with the `tls` option, none without: no test per connection. */
  readonly #secure: boolean;
  #listener: SocketFactory | undefined;
  #port: number | undefined;
  #paused = false;
  #sweeping = false;
  #shutdown = false;
  #graceful = false;
  readonly hostname: string;

  private constructor(options: SimpleHTTPOptions) {
    checkKeys(WHAT, options, KNOWN);
    const o = options as unknown as Record<string, unknown>;
    checkString(WHAT, 'alias', o.alias);
    checkAddress(WHAT, 'address', o.address);
    checkPort(WHAT, 'port', o.port);
    checkDomain(WHAT, o.domain);
    checkString(WHAT, 'hostname', o.hostname);
    this.#routes = compileRoutes(o.handlers);
    if (o.headers !== undefined && (o.headers === null || typeof o.headers !== 'object' || Array.isArray(o.headers))) bad(`Expected ${WHAT} option \`headers\` to be an object of header values, got ${describe(o.headers)}`);
    // Checked once here; every response then starts with these lines unchecked.
    const defaults = new HttpResponse(200, undefined, (o.headers ?? {}) as Record<string, string | number>);
    const [names, values] = headerLines(defaults.headers);
    this.#headerNames = [...names];
    this.#headerValues = [...values];
    for (const key of ['keepAlive', 'proxyMode'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'boolean') bad(`Expected ${WHAT} option \`${key}\` to be a boolean, got ${describe(o[key])}`);
    }
    for (const key of ['errorHandler', 'logHandler', 'log2Handler', 'setupHandler']) checkNotify(key, o[key]);
    const max = o.maxConnections;
    if (max !== undefined && (typeof max !== 'number' || !(max >= 1) || (!Number.isInteger(max) && max !== Infinity))) bad(`Expected ${WHAT} option \`maxConnections\` to be an integer >= 1 (or Infinity), got ${describe(max)}`);
    checkSeconds(`${WHAT} option \`idleTimeout\``, o.idleTimeout, true);
    checkSeconds(`${WHAT} option \`headerTimeout\``, o.headerTimeout, true);
    // Certificates and keys are loaded now, so a bad one fails here rather than in the listener.
    if (o.tls !== undefined) tlsListener(WHAT, o.tls);
    this.#secure = o.tls !== undefined;
    this.#options = options;
    this.#alias = options.alias;
    this.#log2 = options.log2Handler;
    this.#keepAlive = options.keepAlive ?? false;
    this.#proxyMode = options.proxyMode ?? false;
    this.#maxConnections = options.maxConnections ?? 1000;
    this.#idleTimeout = options.idleTimeout ?? 5;
    this.#headerTimeout = options.headerTimeout ?? 30;
    const shortest = Math.min(this.#idleTimeout, this.#headerTimeout);
    this.#tick = Math.min(1, Math.max(0.01, shortest / 5));
    // The filter of every connection is a clone of this one: its options are checked now.
    this.#filter = new HTTPD({ maxContent: options.maxContent, maxHeaderSize: options.maxHeaderSize });
    this.hostname = options.hostname ?? hostname();

    type Ctx = Context<Untyped, Record<string, unknown>>;
    const session = Session.create({
      kernel: options.kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          if (this.#alias !== undefined && ctx.kernel.aliasSet(this.#alias) !== 0) ctx.kernel._warn(`${WHAT}: alias ${JSON.stringify(this.#alias)} is taken; post to the session by its id (${ctx.session.ID})`);
          this.#listen(ctx.kernel);
        },
        got_connection: (_ctx: Ctx, socket: net.Socket, address: Buffer | string | undefined, port: number | undefined) => this.#accepted(socket, address, port),
        listener_error: (ctx: Ctx, operation: string, errnum: number, errstr: string, _id: WheelId, remote: string | undefined) => {
          // One client's failed handshake: it never became a connection; the listener stays.
          if (operation === 'handshake') {
            this.#notifyError(`handshake error ${errnum} (${errstr})`, remote ?? 'LOCAL');
            return;
          }
          ctx.kernel._warn(`${WHAT}: listener ${operation} error ${errnum} (${errstr})`);
          this.#listener?.destroy();
          this.#listener = undefined;
        },
        got_input: (_ctx: Ctx, record: HTTPDRecord, id: WheelId) => this.#input(record, id),
        got_error: (_ctx: Ctx, operation: string, errnum: number, _errstr: string, id: WheelId) => this.#failed(operation, errnum, id),
        got_flush: (_ctx: Ctx, id: WheelId) => {
          const conn = this.#conns.get(id);
          if (conn !== undefined && conn.closing) this.#close(conn);
        },
        got_failure: (_ctx: Ctx, route: Route, response: SimpleHTTPResponse, err: unknown) => this.#handlerFailed(route, response, err),
        got_setup: (ctx: Ctx, port: number | undefined, address: string | undefined) => {
          const setup = this.#options.setupHandler;
          if (setup !== undefined) ctx.kernel.post(setup.session as string, setup.event, port, address);
        },
        sweep: () => this.#sweep(),
        DONE: (_ctx: Ctx, response: unknown) => this.#done(response),
        CLOSE: (_ctx: Ctx, response: unknown) => this.#closeRequest(response),
        STREAM: (ctx: Ctx, response: unknown) => this.#stream(response, ctx.sender),
        SHUTDOWN: (_ctx: Ctx, graceful?: unknown) => this.#stop(Boolean(graceful)),
        GETHANDLERS: (ctx: Ctx, session: unknown, event: unknown) => {
          if ((typeof session !== 'string' && typeof session !== 'number' && !(session instanceof Session)) || typeof event !== 'string') return;
          ctx.kernel.post(session as string, event, this.getHandlers());
        },
        SETHANDLERS: (ctx: Ctx, handlers: unknown) => {
          try {
            this.#routes = compileRoutes(handlers);
          } catch (err) {
            ctx.kernel._warn(`${WHAT}: SETHANDLERS ignored: ${(err as Error).message}`);
          }
        },
        STARTLISTEN: () => {
          if (!this.#shutdown && this.#listener === undefined) this.#listen(this.#kernel);
        },
        STOPLISTEN: () => {
          this.#listener?.destroy();
          this.#listener = undefined;
        },
        _stop: () => {
          for (const conn of this.#conns.values()) conn.connection.dead = true;
          this.#conns.clear();
        },
      },
    });
    this.#session = session as unknown as Session<SimpleHTTPEvents>;
    this.#kernel = (session as Session)._kernel;
  }

  /**
   * Makes the component's session, which binds and listens at once, and returns the component.
   * Throws `PoeArgumentError` (`ERR_POE_UNKNOWN_OPTION`, `ERR_POE_INVALID_ARGUMENT`) for bad
   * options or routes. POE: `POE::Component::Server::SimpleHTTP->new(...)`.
   */
  static spawn(options: SimpleHTTPOptions): SimpleHTTP {
    return new SimpleHTTP(options);
  }

  /** The component's session id. POE: `session_id`. */
  get ID(): SessionId {
    return this.#session.ID;
  }

  /** The component's session, typed: `kernel.post(server.session, 'DONE', response)` is checked at compile time. */
  get session(): Session<SimpleHTTPEvents> {
    return this.#session;
  }

  /** The alias, if any. */
  get alias(): string | undefined {
    return this.#alias;
  }

  /** The bound port (POE updates `PORT` the same way when it was 0). */
  get port(): number | undefined {
    return this.#port;
  }

  /** Open connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /** The listener's address, unpacked; undefined when not listening. POE: `getsockname`. */
  getsockname(): SocketName | undefined {
    return this.#listener?.getsockname();
  }

  /** A copy of the routes as given. POE: what `GETHANDLERS` posts. */
  getHandlers(): SimpleHTTPHandler[] {
    return this.#routes.map((r) => ({ dir: r.dir, session: r.session, event: r.event }));
  }

  /** Replaces the routes; throws `PoeArgumentError` for a bad one (the old ones stay). POE: `SETHANDLERS`. */
  setHandlers(handlers: readonly SimpleHTTPHandler[]): void {
    this.#routes = compileRoutes(handlers);
  }

  /** `SHUTDOWN`, from anywhere. POE: `$server->shutdown`. */
  shutdown(graceful = false): void {
    if (!sessionStopped(this.#session)) this.#kernel.call(this.#session as unknown as Session, 'SHUTDOWN', graceful);
  }

  // ------------------------------------------------------------------------------------------
  // listening and connections

  /** Binds the listener; `kernel` because the first bind runs in `_start`, inside the constructor. */
  #listen(kernel: Kernel): void {
    const o = this.#options;
    const unix = o.domain !== undefined && /unix|local/i.test(o.domain);
    this.#listener = new SocketFactory({
      bindPort: unix ? undefined : (this.#port ?? o.port ?? 0),
      bindAddress: o.address,
      socketDomain: o.domain,
      ...(o.tls !== undefined ? { tls: this.#tlsOptions(o.tls) } : {}),
      reuse: 'yes',
      successEvent: 'got_connection',
      failureEvent: 'listener_error',
    });
    const name = this.#listener.getsockname();
    if (name !== undefined && 'port' in name) this.#port = name.port;
    this.#paused = false;
    if (this.#conns.size >= this.#maxConnections) this.#pauseAccept();
    const setup = o.setupHandler;
    // POE binds in a `start_listener` event it yields from START, so the notice comes a turn
    // later: a session created after spawn() (by alias) is there to get it.
    if (setup !== undefined) kernel.yield('got_setup', this.#port, name !== undefined && 'address' in name ? name.address : undefined);
  }

  /**
   * The listener's TLS options: a handshake is the start of a request, so unless the options
   * say otherwise it has `headerTimeout` to finish (Node's own default is two minutes).
   */
  #tlsOptions(options: TlsListenOptions): TlsListenOptions {
    if (options.handshakeTimeout !== undefined || this.#headerTimeout === Infinity) return options;
    return { ...options, handshakeTimeout: this.#headerTimeout * 1000 };
  }

  #pauseAccept(): void {
    this.#paused = true;
    this.#listener?.pauseAccept();
  }

  #accepted(socket: net.Socket, address: Buffer | string | undefined, port: number | undefined): void {
    if (this.#shutdown) {
      socket.destroy();
      return;
    }
    // As node:http: small responses and stream pieces go out at once, not held for an ACK.
    socket.setNoDelay(true);
    const filter = this.#filter.clone();
    const wheel = new ReadWrite<HTTPDRecord, Buffer>({
      handle: socket,
      inputFilter: filter,
      outputFilter: BYTES,
      inputEvent: 'got_input',
      errorEvent: 'got_error',
    });
    const remote = address === undefined ? 'LOCAL' : typeof address === 'string' ? address : inetNtoa(address);
    const connection = new SimpleHTTPConnection(wheel.ID, remote, port, socket.localAddress, socket.localPort, this.#secure ? (socket as tls.TLSSocket) : undefined);
    const conn = new Conn(wheel, filter, connection, this.#kernel.clock.now());
    this.#conns.set(wheel.ID, conn);
    if (this.#conns.size >= this.#maxConnections) this.#pauseAccept();
    if (!this.#sweeping && (this.#idleTimeout !== Infinity || this.#headerTimeout !== Infinity)) {
      this.#sweeping = true;
      this.#kernel.delay('sweep', this.#tick);
    }
  }

  /** Closes a connection now: its wheel goes (what Node already holds is still written). */
  #close(conn: Conn): void {
    if (!this.#conns.delete(conn.id)) return;
    conn.connection.dead = true;
    conn.closing = true;
    conn.ending = true;
    this.#drop(conn);
    conn.wheel.destroy();
    if (this.#paused && this.#conns.size < this.#maxConnections && this.#listener !== undefined) {
      this.#paused = false;
      this.#listener.resumeAccept();
    }
    if (this.#graceful && this.#conns.size === 0) this.#finish();
  }

  /** The responses the connection is owed will never be sent. */
  #drop(conn: Conn): void {
    for (let r = conn.head; r !== undefined; r = conn.rest?.shift()) {
      r._state = GONE;
      r._conn = undefined;
      r._pieces = undefined;
    }
    conn.head = undefined;
    conn.rest = undefined;
  }

  /** Closes once everything queued is written. */
  #closeAfterFlush(conn: Conn): void {
    conn.ending = true;
    conn.closing = true;
    if (conn.wheel.getDriverOutOctets() === 0) this.#close(conn);
    else conn.wheel.event({ flushedEvent: 'got_flush' });
  }

  #failed(operation: string, errnum: number, id: WheelId): void {
    const conn = this.#conns.get(id);
    if (conn === undefined) return;
    // EOF with answers still owed: the client half-closed after its requests; answer them.
    if (operation === 'read' && errnum === 0 && conn.owing && !conn.closing) {
      conn.ending = true;
      return;
    }
    if (operation !== 'read' || (errnum !== 0 && errnum !== E.ECONNRESET)) {
      this.#notifyError(`${operation} error ${errnum}`, conn.connection.remote_ip);
    }
    this.#close(conn);
  }

  // ------------------------------------------------------------------------------------------
  // requests

  #input(record: HTTPDRecord, id: WheelId): void {
    const conn = this.#conns.get(id);
    if (conn === undefined || conn.ending) return;
    conn.active = true;
    conn.partialSince = -1;
    if (record instanceof HttpResponse) {
      // The filter refused the request: its error response goes out and the connection closes.
      conn.ending = true;
      const response = new SimpleHTTPResponse(conn, record.request, record.code);
      response.message = record.message;
      response.headers = record.headers;
      response.content = record.content;
      response.closeConnection = true;
      response._state = DONE;
      this.#enqueue(conn, response);
      this.#notifyError('BadRequest (by POE::Filter::HTTPD)', conn.connection.remote_ip);
      this.#flush(conn);
      return;
    }
    if (Buffer.isBuffer(record)) return; // the filter does not stream bodies here
    const request = record;
    const response = new SimpleHTTPResponse(conn, request);
    if (this.#headerNames.length > 0) response.headers = trustedHeaders(this.#headerNames.slice(), this.#headerValues.slice());
    // A request after which the connection cannot stay open: nothing more is read.
    if (!this.#keepAlive || !request.keepAlive || request.protocol !== 'HTTP/1.1' || this.#graceful) conn.ending = true;
    this.#enqueue(conn, response);
    const log = this.#options.logHandler;
    if (log !== undefined) this.#kernel.post(log.session as string, log.event, request, conn.connection.remote_ip);

    const path = this.#proxyMode ? request.uri : pathOf(request.uri);
    const routes = this.#routes;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!;
      if (!route.re.test(path)) continue;
      this.#dispatch(route, request, response);
      return;
    }
    // POE's answer when no route matches.
    response.code = 404;
    response.content = '404 Not Found';
    this.#answer(response);
  }

  #enqueue(conn: Conn, response: SimpleHTTPResponse): void {
    if (conn.head === undefined) conn.head = response;
    else (conn.rest ??= []).push(response);
  }

  /** Calls the route's event; a throw or a rejection becomes a 500 for its request. */
  #dispatch(route: Route, request: HttpRequest, response: SimpleHTTPResponse): void {
    let target = route.target;
    if (target === undefined || sessionStopped(target)) {
      const found = this.#kernel.aliasResolve(route.session);
      target = route.target = found instanceof Session ? found : undefined;
    }
    if (target === undefined) {
      this.#kernel._warn(`${WHAT}: no session ${describe(route.session)} for handler ${dirText(route.dir)} (event '${route.event}'); answering 500`);
      this.#serverError(response);
      return;
    }
    let ret: unknown;
    try {
      ret = this.#kernel._callOwned(target, route.event, [request, response, route.dir]);
    } catch (err) {
      this.#handlerFailed(route, response, err);
      return;
    }
    if (ret !== null && typeof ret === 'object' && typeof (ret as PromiseLike<unknown>).then === 'function') {
      (ret as PromiseLike<unknown>).then(undefined, (err: unknown) => {
        // After its own turn: the rejection is handled in the component's session.
        if (!sessionStopped(this.#session)) this.#kernel._ioDispatch(this.#session, 'got_failure', [route, response, err]);
      });
    }
  }

  #handlerFailed(route: Route, response: SimpleHTTPResponse, err: unknown): void {
    this.#kernel._warn(`${WHAT}: handler '${route.event}' for ${dirText(route.dir)} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (response._state === PENDING) this.#serverError(response);
  }

  #serverError(response: SimpleHTTPResponse): void {
    response.code = 500;
    response.content = '500 Internal Server Error';
    this.#answer(response);
  }

  // ------------------------------------------------------------------------------------------
  // answers

  /** The response of `value` (from a DONE, STREAM or CLOSE), if it is one of ours and still owed. */
  #owed(value: unknown, what: string): SimpleHTTPResponse | undefined {
    if (!(value instanceof SimpleHTTPResponse)) {
      this.#kernel._warn(`${WHAT}: ${what} needs the SimpleHTTPResponse a handler was given, got ${describe(value)}`);
      return undefined;
    }
    if (value._conn === undefined || value._state === GONE) {
      if (value.connection.dead) this.#notifyError('Wheel disappeared !', value.connection.remote_ip);
      // POE dies here ("Tried to send a response to the same connection twice!").
      else this.#kernel._warn(`${WHAT}: ${what} for a response already sent; ignored`);
      return undefined;
    }
    return value;
  }

  /** `DONE`: the response is complete (or a streamed one ends). */
  #done(value: unknown): void {
    const response = this.#owed(value, 'DONE');
    if (response === undefined) return;
    if (response._state === DONE) {
      // POE dies here ("Tried to send a response to the same connection twice!").
      this.#kernel._warn(`${WHAT}: DONE again for a response already answered; ignored`);
      return;
    }
    this.#answer(response);
  }

  /** Marks the response answered, adds POE's headers, and writes what is due on its connection. */
  #answer(response: SimpleHTTPResponse): void {
    const conn = response._conn!;
    conn.active = true;
    if (response._state === PENDING) this.#fixHeaders(response);
    response._state = DONE;
    if (conn.head === response) this.#flush(conn);
  }

  /** POE's fix_headers: Content-Type text/plain when absent, the request's protocol. (Date and Content-Length: the serializer.) */
  #fixHeaders(response: SimpleHTTPResponse): void {
    const flags = (response._flags = headerFlags(response));
    if ((flags & H_TYPE) === 0) response.headers.pushHeader('Content-Type', 'text/plain');
    if (response.protocol === undefined) response.protocol = response.request?.protocol === 'HTTP/0.9' ? 'HTTP/1.0' : (response.request?.protocol ?? 'HTTP/1.0');
  }

  /** Whether the connection stays open after this response. POE: must_keepalive (and the request's own say). */
  #keeps(conn: Conn, response: SimpleHTTPResponse): boolean {
    if (conn.ending && conn.rest === undefined) return false;
    if (response.closeConnection || response.isError || this.#graceful) return false;
    if (response._eofBody) return false; // a streamed body that ends when the connection does
    return (response._flags & H_CLOSE) === 0;
  }

  /**
   * Writes the responses at the head of the connection's line that are ready, in order, in
   * one put: what was answered out of order waits for those before it.
   */
  #flush(conn: Conn): void {
    const first = conn.head;
    if (first !== undefined && first._state === DONE && first._pieces === undefined && !first._headSent && conn.rest === undefined && this.#log2 === undefined) {
      // One whole answer and nothing behind it (nearly every request): no list to build.
      const keep = this.#keeps(conn, first);
      first._state = GONE;
      first._conn = undefined;
      conn.head = undefined;
      conn.wheel.put(serializeResponse(first, Date.now));
      if (!keep || conn.ending) this.#closeAfterFlush(conn);
      return;
    }
    let out: Buffer[] | undefined;
    let close = false;
    const now = Date.now;
    for (;;) {
      const r = conn.head;
      if (r === undefined) break;
      if (r._state === PENDING) break;
      if (r._state === STREAMING) {
        if (!r._headSent) (out ??= []).push(this.#streamHead(r));
        if (r._pieces !== undefined) {
          (out ??= []).push(...r._pieces);
          r._pieces = undefined;
        }
        break;
      }
      // DONE
      if (r._headSent) {
        if (r._pieces !== undefined) (out ??= []).push(...r._pieces);
        if (r._chunked) (out ??= []).push(LAST_CHUNK);
      } else if (r._pieces !== undefined) {
        (out ??= []).push(this.#streamHead(r), ...r._pieces);
        if (r._chunked) out.push(LAST_CHUNK);
      } else {
        (out ??= []).push(serializeResponse(r, now));
      }
      r._pieces = undefined;
      const keep = this.#keeps(conn, r);
      r._state = GONE;
      r._conn = undefined;
      conn.head = conn.rest?.shift();
      if (conn.rest !== undefined && conn.rest.length === 0) conn.rest = undefined;
      const log2 = this.#log2;
      if (log2 !== undefined) this.#kernel.call(log2.session as string, log2.event, r.request, r);
      if (!keep) {
        close = true;
        break;
      }
    }
    if (out !== undefined) {
      if (out.length === 1) conn.wheel.put(out[0]!);
      else conn.wheel.put(...out);
    }
    if (close) {
      this.#closeAfterFlush(conn);
    } else if (conn.head === undefined && conn.ending) {
      this.#closeAfterFlush(conn);
    }
  }

  // ------------------------------------------------------------------------------------------
  // streaming

  /** `STREAM`: sends `response.content` as the next piece, then calls the stream event back. */
  #stream(value: unknown, sender: unknown): void {
    const response = this.#owed(value, 'STREAM');
    if (response === undefined) return;
    if (response.streamEvent === undefined) {
      this.#kernel._warn(`${WHAT}: STREAM for a response without stream(); ignored`);
      return;
    }
    if (response._state === DONE) return;
    const conn = response._conn!;
    conn.active = true;
    if (response._state === PENDING) {
      this.#fixHeaders(response);
      response._state = STREAMING;
      // A length the program set frames the body; otherwise HTTP/1.1 gets chunks and older
      // clients a body that ends when the connection does (POE's only way).
      const flags = response._flags;
      response._chunked = response.request?.protocol === 'HTTP/1.1' && (flags & (H_LENGTH | H_CODING)) === 0;
      if (response._chunked) response.headers.pushHeader('Transfer-Encoding', 'chunked');
      else response._eofBody = (flags & H_LENGTH) === 0;
    }
    const body = response.content;
    if (body.length > 0) {
      const pieces = (response._pieces ??= []);
      if (response._chunked) pieces.push(Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1'), body, CRLF);
      else pieces.push(body);
    }
    if (conn.head === response) this.#flush(conn);
    if (!response.dontFlush) {
      const to = response.streamSession ?? (sender instanceof Session ? sender : undefined);
      if (to !== undefined) this.#kernel.post(to as string, response.streamEvent, response);
    }
  }

  #streamHead(response: SimpleHTTPResponse): Buffer {
    response._headSent = true;
    return serializeResponse(response, Date.now, true);
  }

  /** `CLOSE`: the connection goes without this response (what is already queued is written). */
  #closeRequest(value: unknown): void {
    if (!(value instanceof SimpleHTTPResponse)) {
      this.#kernel._warn(`${WHAT}: CLOSE needs the SimpleHTTPResponse a handler was given, got ${describe(value)}`);
      return;
    }
    const conn = value._conn;
    if (conn === undefined) return;
    // Streamed pieces not yet written go first, as POE's were written before its CLOSE came.
    if (conn.head === value && value._pieces !== undefined) {
      conn.wheel.put(...value._pieces);
      value._pieces = undefined;
    }
    this.#drop(conn);
    this.#closeAfterFlush(conn);
  }

  // ------------------------------------------------------------------------------------------
  // timeouts and shutdown

  /**
   * Every tick: closes connections idle for `idleTimeout` and those whose request has been
   * coming in for `headerTimeout`. One timer for the server, and a flag per request, rather
   * than a timer per connection.
   */
  #sweep(): void {
    const now = this.#kernel.clock.now();
    for (const conn of this.#conns.values()) {
      if (conn.closing) {
        // A reply the client does not read: the idle rule below, on the output.
        const octets = conn.wheel.getDriverOutOctets();
        if (octets !== conn.lastOctets) {
          conn.lastOctets = octets;
          conn.idleSince = now;
        } else if (now - conn.idleSince >= this.#idleTimeout) this.#close(conn);
        continue;
      }
      const partial = conn.filter.getPending() !== undefined;
      if (partial) {
        if (conn.partialSince < 0 || conn.active) conn.partialSince = now;
        else if (now - conn.partialSince >= this.#headerTimeout) {
          this.#timedOut(conn);
          continue;
        }
      }
      const octets = conn.wheel.getDriverOutOctets();
      if (conn.active || octets !== conn.lastOctets || (conn.owing && octets === 0)) {
        // Progress, or an answer the application still owes: not idle.
        conn.active = false;
        conn.lastOctets = octets;
        conn.idleSince = now;
        continue;
      }
      if (!partial && now - conn.idleSince >= this.#idleTimeout) this.#close(conn);
    }
    if (this.#conns.size > 0 && !sessionStopped(this.#session)) this.#kernel.delay('sweep', this.#tick);
    else this.#sweeping = false;
  }

  /** A request too slow in coming: a 408, then the connection closes. */
  #timedOut(conn: Conn): void {
    conn.ending = true;
    if (conn.head !== undefined) {
      this.#close(conn);
      return;
    }
    const response = new SimpleHTTPResponse(conn, undefined, 408);
    response.headers.pushHeader('Content-Type', 'text/plain');
    response.headers.pushHeader('Connection', 'close');
    response.content = '408 Request Timeout';
    response.closeConnection = true;
    response._state = DONE;
    conn.head = response;
    this.#flush(conn);
  }

  #stop(graceful: boolean): void {
    this.#listener?.destroy();
    this.#listener = undefined;
    this.#shutdown = true;
    if (graceful) {
      this.#graceful = true;
      // Connections waiting for their next request have nothing coming: they go now.
      for (const conn of [...this.#conns.values()]) {
        conn.ending = true;
        if (!conn.owing) this.#closeAfterFlush(conn);
      }
      if (this.#conns.size === 0) this.#finish();
      return;
    }
    for (const conn of [...this.#conns.values()]) this.#close(conn);
    this.#finish();
  }

  #finish(): void {
    if (this.#alias !== undefined) this.#kernel.aliasRemove(this.#alias);
    this.#kernel.delay('sweep');
    this.#sweeping = false;
  }

  #notifyError(message: string, remoteIp: string): void {
    const h = this.#options.errorHandler;
    if (h !== undefined) this.#kernel.post(h.session as string, h.event, message, remoteIp);
  }
}
