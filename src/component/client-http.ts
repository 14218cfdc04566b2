import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import { PoeArgumentError, PoeError, describe } from '../errors.js';
import { sysError } from '../errno.js';
import { headerLines, trustedHeaders } from '../http/headers.js';
import { HttpRequest } from '../http/request.js';
import { HttpResponse } from '../http/response.js';
import { ArrayFifo } from '../kernel/array-fifo.js';
import { WorkHold } from '../kernel/holds.js';
import type { Item } from '../kernel/events.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Context } from '../session/context.js';
import { Session, type SessionId } from '../session/session.js';
import type { Untyped } from '../session/types.js';
import { type TlsConnectOptions, handshakeFailure, tlsClient } from '../wheel/tls.js';
import { sessionStopped } from '../wheel/wheel.js';
import { bad, checkCount, checkKeys, checkSeconds, checkString } from './options.js';

/** ARG0 of a response or progress event: the request as it was posted, and its tag. POE: `$_[ARG0]`. */
export type ClientHTTPRequestPacket = [request: HttpRequest, tag: unknown];

/**
 * ARG1 of a response event: `[response]`; with `streaming`, `[response, chunk]` for each piece
 * of the body (the response then has no content), and a last `[response]` once the body has
 * ended (POE's undefined chunk). POE: `$_[ARG1]`.
 */
export type ClientHTTPResponsePacket = [response: HttpResponse, chunk?: Buffer];

/** ARG1 of a progress event: octets so far, the Content-Length (undefined without one), the octets of this read. */
export type ClientHTTPProgressPacket = [got: number, total: number | undefined, octets: Buffer];

/** A response handler's parameters, for a session's event map: `{ response: ClientHTTPResponseHandler }`. */
export type ClientHTTPResponseHandler = (request: ClientHTTPRequestPacket, response: ClientHTTPResponsePacket) => void;

/** A progress handler's parameters, for a session's event map. */
export type ClientHTTPProgressHandler = (request: ClientHTTPRequestPacket, progress: ClientHTTPProgressPacket) => void;

/**
 * The events the component's session takes (POE's accepted events), for a typed `post` to
 * {@link ClientHTTP.session}: `request`, `cancel`, `shutdown`, and `pending_requests_count`
 * for `call`.
 */
export interface ClientHTTPEvents {
  request: (responseEvent: string, request: HttpRequest, tag?: unknown, progressEvent?: string, proxy?: ClientHTTPProxy) => void;
  cancel: (request: HttpRequest) => void;
  pending_requests_count: () => number;
  shutdown: () => void;
}

/** A proxy: `'http://host:port'` (several, comma-separated: one is picked at random per request), or `[host, port]`. */
export type ClientHTTPProxy = string | readonly [host: string, port: number];

/**
 * TLS options for `https:` requests: node:tls `connect` options (`ca`, `cert` and `key` for a
 * client certificate, `pfx`, `passphrase`, `rejectUnauthorized`, `servername`,
 * `checkServerIdentity`, `minVersion`, `ciphers`, ...). Not `ALPNProtocols` (undici speaks
 * HTTP/1.1 and says so) nor `session` (undici caches sessions per host).
 */
export type ClientHTTPTlsOptions = Omit<TlsConnectOptions, 'ALPNProtocols' | 'session'>;

/** Options of {@link ClientHTTP.spawn}: POE::Component::Client::HTTP's parameters and Client::Keepalive's, in camelCase. */
export interface ClientHTTPOptions {
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
  /** POE `Alias`: requests are posted to it as the `request` event. @default 'weeble' (POE's) */
  alias?: string;
  /** POE `Agent`: the User-Agent of requests without one; from a list, one at random per request. @default `poe-ts-ClientHTTP/<version>` */
  agent?: string | readonly string[];
  /** POE `From`: the From header of requests without one. @default none */
  from?: string;
  /** POE `Protocol`. Only `'HTTP/1.1'` (undici speaks nothing older). @default 'HTTP/1.1' */
  protocol?: 'HTTP/1.1';
  /**
   * POE `Timeout`: seconds a request may take, counted from when the component gets it (time
   * waiting for a connection counts) and started again whenever data arrives. @default 180
   */
  timeout?: number;
  /** POE `MaxSize`: the largest body accepted, in octets; a larger one is answered 406. @default no limit */
  maxSize?: number;
  /** POE `Streaming`: body pieces of at most this many octets are sent as they come, each its own response event. @default 0 (off) */
  streaming?: number;
  /** POE `FollowRedirects`: how many redirects to follow. @default 0 */
  followRedirects?: number;
  /**
   * POE `Proxy`: requests for `http:` URLs go to the proxy, in absolute form. `false` turns the
   * environment's proxy off. @default `HTTP_PROXY` or `http_proxy` from the environment
   */
  proxy?: ClientHTTPProxy | false;
  /** POE `NoProxy`: hosts (matched at the end of the name, any case) never proxied. @default `NO_PROXY` or `no_proxy` */
  noProxy?: string | readonly string[];
  /** Client::Keepalive `max_per_host`: connections open at once to one host (scheme, name and port). @default 4 */
  maxPerHost?: number;
  /** Client::Keepalive `max_open`: requests on connections at once, across hosts; more wait in FIFO order. @default 128 */
  maxOpen?: number;
  /** Client::Keepalive `keep_alive`: seconds an idle connection is kept for reuse. @default 15 */
  keepAlive?: number;
  /** Client::Keepalive `timeout`: seconds to establish a connection. @default 120 */
  connectTimeout?: number;
  /**
   * TLS for `https:` requests ({@link ClientHTTPTlsOptions}): a private CA (`ca`), a client
   * certificate (`cert`, `key`), `rejectUnauthorized: false` to accept any certificate (what
   * POE's Client::HTTP does: SSLify checks none), `servername`. Certificates are loaded once,
   * at spawn. A certificate refused (either way) is POE's 500 connect-failure response with
   * the TLS code: `Connection to host:port failed: handshake error 71: DEPTH_ZERO_SELF_SIGNED_CERT`.
   * @default node's: the system's CAs, certificates checked
   */
  tls?: ClientHTTPTlsOptions;
}

/** Options of the promise form, {@link ClientHTTP.request}. */
export interface ClientHTTPRequestOptions {
  /** Aborting it cancels the request: the promise resolves with POE's 408 "(request canceled)" response. */
  signal?: AbortSignal;
  /** The proxy for this request, as POE's fifth `request` argument. */
  proxy?: ClientHTTPProxy;
  /**
   * TLS options for this request, in place of the spawn's `tls` (not merged with them). Each
   * distinct object gets its own connection pool (`maxPerHost` connections per host, kept
   * alive as the component's): reuse one object for requests that share certificates.
   */
  tls?: ClientHTTPTlsOptions;
}

const WHAT = 'ClientHTTP';
const KNOWN = [
  'kernel',
  'alias',
  'agent',
  'from',
  'protocol',
  'timeout',
  'maxSize',
  'streaming',
  'followRedirects',
  'proxy',
  'noProxy',
  'maxPerHost',
  'maxOpen',
  'keepAlive',
  'connectTimeout',
  'tls',
] as const;
/** The extra-reference tag on a session waiting for a response: POE's package name. */
const TAG = 'POE::Component::Client::HTTP';
const DEFAULT_AGENT = 'poe-ts-ClientHTTP/0.1';

/** The words glibc's gai_strerror gives for node's getaddrinfo codes (POE prints them). */
const RESOLVE_ERRORS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
  ENODATA: 'No address associated with hostname',
};

type Proxy = readonly [host: string, port: number];

let undici: typeof Undici | undefined;

/**
 * undici, loaded by the first spawn: loading it takes longer than loading all of poe-ts, and
 * a program without an HTTP client should not pay for it (nor a bundle carry it).
 */
function loadUndici(): typeof Undici {
  return (undici ??= createRequire(import.meta.url)('undici') as typeof Undici);
}

/** One request from its arrival to its answer, across redirects. POE: a PoCo::Client::HTTP::Request. */
interface Pending {
  /** POE's request id, which some of its error messages quote. */
  readonly id: number;
  /** The request as posted: ARG0's first element, and the key `cancel` takes. */
  readonly original: HttpRequest;
  readonly tag: unknown;
  /** Event form: where and what to answer. */
  readonly sender: Session | undefined;
  readonly event: string | undefined;
  readonly progress: string | undefined;
  /** Promise form. */
  readonly settle: ((response: HttpResponse) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  readonly override: Proxy[] | undefined;
  /** The pool of a request with its own `tls`; undefined: the component's. */
  readonly dispatcher: Undici.Agent | undefined;
  /** The request on the wire (the original, or the one a redirect made). */
  current: HttpRequest;
  url: URL;
  /** Where the socket goes: `host:port` as POE's connect errors name it, and as an origin. */
  hostPort: string;
  origin: string;
  wire: Wire | undefined;
  redirects: number;
  previous: HttpResponse | undefined;
  timer: Item | undefined;
  /** The clock's time of the last data, for POE's timeout that restarts on input. */
  lastInput: number;
  held: boolean;
  queued: boolean;
  done: boolean;
}

/**
 * A request on the wire: undici's dispatch handler (its native, legacy-shaped interface, the
 * one its own `request` uses). Callbacks come from socket events; each that the requester must
 * hear of goes through the kernel's I/O dispatch to the component's session.
 */
class Wire {
  abort: ((err?: Error) => void) | undefined = undefined;
  response: HttpResponse | undefined = undefined;
  chunks: Buffer[] = [];
  got = 0;
  total: number | undefined = undefined;
  redirect: URL | undefined = undefined;

  constructor(
    readonly client: ClientHTTP,
    readonly p: Pending,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(statusCode: number, raw: Buffer[], _resume: () => void, statusText: string): boolean {
    if (this.p.wire !== this) return false;
    return this.client._headers(this, statusCode, raw, statusText);
  }

  onData(chunk: Buffer): boolean {
    if (this.p.wire !== this) return false;
    return this.client._data(this, chunk);
  }

  onComplete(): void {
    if (this.p.wire === this) this.client._complete(this);
  }

  onError(err: Error): void {
    if (this.p.wire === this) this.client._failed(this, err);
  }
}

/** POE's proxy forms: `[host, port]`, or URLs with a port, comma-separated. An empty string is no proxy. */
function parseProxy(value: unknown, what: string): Proxy[] | undefined {
  if (Array.isArray(value)) {
    const [host, port] = value as unknown[];
    if (value.length !== 2 || typeof host !== 'string' || host === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      bad(`Expected ${what} to be [host, port], got ${describe(value)}`);
    }
    return [[host, port]];
  }
  if (typeof value !== 'string') bad(`Expected ${what} to be a proxy URL ('http://host:port'), a comma-separated list of them, or [host, port], got ${describe(value)}`);
  const out: Proxy[] = [];
  for (let one of value.split(/\s*,\s*/)) {
    if (one === '') continue;
    one = one.replace(/^http:\/+/i, '').replace(/\/+$/, '');
    const m = /^(.+):(\d+)$/.exec(one);
    if (m === null || Number(m[2]) > 65535) bad(`Expected ${what} to name a host and port ('http://host:port'), got ${describe(value)}`);
    out.push([m[1]!.replace(/^\[(.*)\]$/, '$1'), Number(m[2])]);
  }
  return out.length > 0 ? out : undefined;
}

function proxyUrl([host, port]: Proxy): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * What is wrong with a request's URI before anything is sent, as POE words it, or the URL.
 * POE checks the scheme, then the host; a URI WHATWG cannot parse past those is refused too.
 */
function parseTarget(uri: string): URL | string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
  if (scheme !== 'http' && scheme !== 'https') return `Unsupported URI scheme: '${scheme}'`;
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(uri)?.[1];
  const host = authority
    ?.replace(/^.*@/, '')
    .replace(/:\d*$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  if (host === undefined || host === '') return 'URI contains no discernable host.';
  try {
    return new URL(uri);
  } catch {
    return `URI does not parse: ${uri}`;
  }
}

/** POE's page for a request refused before it was made (bad scheme or host, or after shutdown). */
function refusal(code: number, message: string, heading: string, text: string, request: HttpRequest): HttpResponse {
  const r = new HttpResponse(code, message);
  r.content = `<html>\n<HEAD><TITLE>Error: ${message}</TITLE></HEAD>\n<BODY>\n<H1>Error: ${heading}</H1>\n${text}\n</BODY>\n</HTML>\n`;
  r.request = request;
  return r;
}

/** POE's client-error response (`PoCo::Client::HTTP::Request::error`): the reason in X-PCCH-Errmsg and in the page. */
function clientError(code: number, text: string, request: HttpRequest): HttpResponse {
  const message = STATUS_CODES[code] ?? 'Unknown Error';
  const r = new HttpResponse(code, message, [['X-PCCH-Errmsg', text.replace(/[\r\n\0]+/g, ' ')]]);
  r.content =
    `<html>\n<HEAD><TITLE>Error: ${message}</TITLE></HEAD>\n<BODY>\n<H1>Error: ${message}</H1>\n${text}\n` +
    `<small>This is a client error, not a server error.</small>\n</BODY>\n</HTML>\n`;
  r.request = request;
  return r;
}

/** Marks an error of a TLS connect that failed in its handshake. */
const TLS_FAILURE = Symbol('poe-ts tls failure');

/**
 * Checks TLS options and loads their certificates once (tlsClient's SecureContext). @internal
 */
function checkTls(what: string, options: unknown): TlsConnectOptions {
  if (options !== null && typeof options === 'object') {
    for (const key of ['ALPNProtocols', 'session']) {
      if (key in options) bad(`${what} option \`tls.${key}\` is not supported: undici negotiates HTTP/1.1 and caches sessions itself`);
    }
  }
  return tlsClient(what, options);
}

/**
 * A connection failure of TLS's own, as POE's `(errnum, errstr)`: a certificate refused (an
 * OpenSSL verify code, no system call), a protocol failure (`ERR_SSL_*`, `ERR_TLS_*`). Failures
 * of the connector carry the mark it set (TLS_FAILURE); an alert after the handshake (a
 * refused client certificate under TLS 1.3) is known by its code.
 */
function tlsFailure(err: Error & { code?: string; syscall?: string }): { errno: number; errstr: string } | undefined {
  const code = err.code ?? '';
  if ((err as { [TLS_FAILURE]?: boolean })[TLS_FAILURE] !== true && !/^ERR_(?:SSL|TLS)_/.test(code)) return undefined;
  return handshakeFailure(err, undefined);
}

function randomOf<T>(list: readonly T[]): T {
  return list.length === 1 ? list[0]! : list[Math.floor(Math.random() * list.length)]!;
}

/**
 * An HTTP client component: requests on undici's connection pools, answered as events to the
 * requesting session in POE's packets, or as promises. POE::Component::Client::HTTP's
 * interface with Client::Keepalive's pooling.
 *
 * `ClientHTTP.spawn(options)` makes the component's session (alias `weeble`, POE's default).
 * `kernel.post(alias, 'request', 'response', request, tag?, 'progress'?, proxy?)` sends
 * `request` (an {@link HttpRequest} with an absolute `http:` or `https:` URI) and posts
 * `response([request, tag], [response])` back to the sender, which stays alive until then;
 * with `streaming`, one `[response, chunk]` per piece of the body and a last `[response]`.
 * `cancel` (with the request), `shutdown` and `pending_requests_count` (by `call`) are POE's.
 * `client.request(request, { signal })` is the promise form.
 *
 * Every failure is a response, never an exception out of the kernel: POE's codes and
 * messages (400 for a URI it cannot use or a broken response, 500 for a host that does not
 * resolve or a refused connection, 406 over `maxSize`, 408 for a timeout, a cancel or a
 * shutdown), with the reason in the `X-PCCH-Errmsg` header. See docs/api.md for the table.
 *
 * POE: `POE::Component::Client::HTTP` over `POE::Component::Client::Keepalive`.
 */
export class ClientHTTP {
  readonly #kernel: Kernel;
  readonly #session: Session;
  readonly #alias: string;
  readonly #agents: readonly string[];
  readonly #from: string | undefined;
  readonly #timeout: number;
  readonly #maxSize: number | undefined;
  readonly #streaming: number;
  readonly #follow: number;
  readonly #proxy: Proxy[] | undefined;
  readonly #noProxy: readonly string[];
  readonly #maxOpen: number;
  readonly #agent: Undici.Agent;
  /** Pools of requests with their own `tls`, by the options object (a pool each). */
  #tlsAgents: WeakMap<object, Undici.Agent> | undefined = undefined;
  /** The same pools, to close at shutdown (those not collected). */
  #tlsAgentRefs: Set<WeakRef<Undici.Agent>> | undefined = undefined;
  readonly #maxPerHost: number;
  readonly #keepAliveMs: number;
  readonly #connectTimeoutMs: number;
  /** The address each origin's last connection reached, for X-PCCH-Peer (`127.0.0.1.8080`). */
  readonly #peers = new Map<string, string>();
  readonly #pending = new Map<HttpRequest, Pending>();
  readonly #queue = new ArrayFifo<Pending>();
  #onWire = 0;
  readonly #work: WorkHold;
  #nextId = 0;
  #shutdown = false;

  private constructor(options: ClientHTTPOptions) {
    checkKeys(WHAT, options, KNOWN);
    const o = options as Record<string, unknown>;
    checkString(WHAT, 'alias', o.alias);
    if (o.agent !== undefined && typeof o.agent !== 'string' && !(Array.isArray(o.agent) && o.agent.length > 0 && o.agent.every((a) => typeof a === 'string'))) {
      bad(`Expected ${WHAT} option \`agent\` to be a string or a non-empty array of strings, got ${describe(o.agent)}`);
    }
    checkString(WHAT, 'from', o.from);
    if (o.protocol !== undefined && o.protocol !== 'HTTP/1.1') bad(`Expected ${WHAT} option \`protocol\` to be 'HTTP/1.1' (undici speaks nothing older), got ${describe(o.protocol)}`);
    checkSeconds(`${WHAT} option \`timeout\``, o.timeout);
    checkCount(`${WHAT} option \`maxSize\``, o.maxSize, 0, false);
    checkCount(`${WHAT} option \`streaming\``, o.streaming, 0, false);
    checkCount(`${WHAT} option \`followRedirects\``, o.followRedirects, 0, false);
    checkCount(`${WHAT} option \`maxPerHost\``, o.maxPerHost, 1, false);
    checkCount(`${WHAT} option \`maxOpen\``, o.maxOpen, 1, true);
    checkSeconds(`${WHAT} option \`keepAlive\``, o.keepAlive);
    checkSeconds(`${WHAT} option \`connectTimeout\``, o.connectTimeout);
    const noProxy = o.noProxy ?? process.env.NO_PROXY ?? process.env.no_proxy;
    if (noProxy !== undefined && typeof noProxy !== 'string' && !(Array.isArray(noProxy) && noProxy.every((h) => typeof h === 'string'))) {
      bad(`Expected ${WHAT} option \`noProxy\` to be a comma-separated string or an array of host names, got ${describe(noProxy)}`);
    }
    const proxy = o.proxy ?? process.env.HTTP_PROXY ?? process.env.http_proxy;
    const proxyFrom = o.proxy !== undefined ? `${WHAT} option \`proxy\`` : `${WHAT}'s proxy from HTTP_PROXY (or http_proxy)`;
    this.#proxy = proxy === false || proxy === undefined ? undefined : parseProxy(proxy, proxyFrom);
    this.#noProxy = (typeof noProxy === 'string' ? noProxy.split(/\s*,\s*/) : (noProxy ?? [])).filter((h) => h !== '').map((h) => h.toLowerCase());
    this.#alias = options.alias ?? 'weeble';
    this.#agents = options.agent === undefined ? [DEFAULT_AGENT] : typeof options.agent === 'string' ? [options.agent] : [...options.agent];
    this.#from = options.from;
    this.#timeout = options.timeout ?? 180;
    this.#maxSize = options.maxSize;
    this.#streaming = options.streaming ?? 0;
    this.#follow = options.followRedirects ?? 0;
    this.#maxOpen = options.maxOpen ?? 128;
    this.#keepAliveMs = (options.keepAlive ?? 15) * 1000;
    this.#maxPerHost = options.maxPerHost ?? 4;
    this.#connectTimeoutMs = (options.connectTimeout ?? 120) * 1000;
    this.#agent = this.#makeAgent(o.tls === undefined ? undefined : checkTls(WHAT, o.tls));

    type Ctx = Context<Untyped, Record<string, unknown>>;
    const session = Session.create({
      ...(options.kernel !== undefined ? { kernel: options.kernel } : {}),
      inlineStates: {
        _start: (ctx: Ctx) => {
          if (ctx.kernel.aliasSet(this.#alias) !== 0) ctx.kernel._warn(`${WHAT}: alias ${JSON.stringify(this.#alias)} is taken; post to the session by its id (${ctx.session.ID})`);
        },
        request: (ctx: Ctx, event: unknown, request: unknown, tag: unknown, progress: unknown, proxy: unknown) => this.#onRequest(ctx.sender, event, request, tag, progress, proxy),
        cancel: (_ctx: Ctx, request: unknown) => {
          const p = request instanceof HttpRequest ? this.#pending.get(request) : undefined;
          if (p !== undefined) this.#answer(p, clientError(408, 'Request timed out (request canceled)', p.original));
        },
        pending_requests_count: () => this.#pending.size,
        shutdown: (ctx: Ctx) => this.#onShutdown(ctx.kernel),
        // Internal: the promise form enters here, so that its work runs as the component's.
        _promise: (_ctx: Ctx, request: HttpRequest, options: ClientHTTPRequestOptions, settle: (r: HttpResponse) => void) => this.#submitPromise(request, options, settle),
        _deliver: (_ctx: Ctx, p: Pending, response: HttpResponse, chunk: Buffer | undefined, last: boolean) => this.#deliver(p, response, chunk, last),
        _progress: (ctx: Ctx, p: Pending, got: number, total: number | undefined, octets: Buffer) => {
          if (!p.done && p.sender !== undefined && !sessionStopped(p.sender)) ctx.kernel.post(p.sender.ID, p.progress!, [p.original, p.tag], [got, total, octets]);
        },
        _follow: (_ctx: Ctx, p: Pending, location: URL, response: HttpResponse) => this.#redirect(p, location, response),
        _stop: () => this.#stopped(),
      },
    });
    this.#session = session!;
    this.#kernel = this.#session._kernel;
    this.#work = new WorkHold(this.#kernel, this.#session);
  }

  /** An undici pool; `tls` (checked) goes to its connector, which uses it for `https:` origins only. */
  #makeAgent(tls: TlsConnectOptions | undefined): Undici.Agent {
    const { Agent, buildConnector } = loadUndici();
    const connect = buildConnector({ ...tls, timeout: this.#connectTimeoutMs });
    const peers = this.#peers;
    return new Agent({
      connections: this.#maxPerHost,
      keepAliveTimeout: this.#keepAliveMs,
      keepAliveMaxTimeout: this.#keepAliveMs,
      // The component's own timer is POE's Timeout; undici's would answer differently.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: (opts, callback) =>
        connect(opts, (err, socket) => {
          if (err === null) {
            peers.set(`${opts.protocol}//${opts.host}`, `${socket.remoteAddress}.${socket.remotePort}`);
          } else if (opts.protocol === 'https:' && (err as { syscall?: unknown }).syscall === undefined && !String((err as { code?: unknown }).code).startsWith('UND_')) {
            // Not the TCP connect (a system call) nor undici's timeout: the handshake failed.
            (err as { [TLS_FAILURE]?: boolean })[TLS_FAILURE] = true;
          }
          (callback as (e: Error | null, s: unknown) => void)(err, socket);
        }),
    });
  }

  /** The pool for a request's own `tls` options: made (and the options checked) on first use of the object. */
  #agentFor(options: unknown): Undici.Agent {
    if (options === null || typeof options !== 'object') return checkTls(`${WHAT} request`, options) as never;
    const known = this.#tlsAgents?.get(options);
    if (known !== undefined) return known;
    const agent = this.#makeAgent(checkTls(`${WHAT} request`, options));
    (this.#tlsAgents ??= new WeakMap()).set(options, agent);
    (this.#tlsAgentRefs ??= new Set()).add(new WeakRef(agent));
    return agent;
  }

  /** Closes every pool. */
  #closeAgents(): void {
    void this.#agent.destroy().catch(() => undefined);
    for (const ref of this.#tlsAgentRefs ?? []) void ref.deref()?.destroy().catch(() => undefined);
    this.#tlsAgentRefs = undefined;
    this.#tlsAgents = undefined;
  }

  /**
   * Makes the component's session and returns the component. Throws `PoeArgumentError`
   * (`ERR_POE_UNKNOWN_OPTION`, `ERR_POE_INVALID_ARGUMENT`) for bad options.
   * POE: `POE::Component::Client::HTTP->spawn(...)`.
   */
  static spawn(options: ClientHTTPOptions = {}): ClientHTTP {
    return new ClientHTTP(options);
  }

  /** The component's session, typed with the events it takes. */
  get session(): Session<ClientHTTPEvents> {
    return this.#session as unknown as Session<ClientHTTPEvents>;
  }

  /** The component's session id. */
  get ID(): SessionId {
    return this.#session.ID;
  }

  /** The component's alias. */
  get alias(): string {
    return this.#alias;
  }

  /** Requests not yet answered or cancelled. POE: `call(alias, 'pending_requests_count')`. */
  pendingRequestsCount(): number {
    return this.#pending.size;
  }

  /** POE: `pending_requests_count`. */
  pending_requests_count(): number {
    return this.#pending.size;
  }

  /**
   * The promise form: sends `request` and resolves with the response, whole (the `streaming`
   * option applies to the event form only). Failures resolve too, with POE's error responses;
   * the promise rejects only for a `request` that is not an {@link HttpRequest}
   * (`PoeArgumentError`) or a component whose session is gone (`PoeError`).
   */
  request(request: HttpRequest, options: ClientHTTPRequestOptions = {}): Promise<HttpResponse> {
    if (!(request instanceof HttpRequest)) return Promise.reject(new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a ${WHAT} request to be an HttpRequest, got ${describe(request)}`));
    checkKeys(`${WHAT} request`, options, ['signal', 'proxy', 'tls']);
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) bad(`Expected ${WHAT} request \`signal\` to be an AbortSignal, got ${describe(options.signal)}`);
    if (options.proxy !== undefined) parseProxy(options.proxy, `${WHAT} request \`proxy\``);
    if (options.tls !== undefined) this.#agentFor(options.tls);
    if (sessionStopped(this.#session)) return Promise.reject(new PoeError('ERR_POE_KERNEL_NO_SESSION', `${WHAT}: the component's session has ended`));
    return new Promise((settle) => {
      this.#kernel.call(this.#session, '_promise', request, options, settle);
    });
  }

  /**
   * Answers every pending request with 408 "Request timed out (component shut down)", closes
   * the connections and removes the alias; the session then ends. POE: `post(alias, 'shutdown')`.
   */
  shutdown(): void {
    if (!sessionStopped(this.#session)) this.#kernel.call(this.#session, 'shutdown');
  }

  // ------------------------------------------------------------------------------------------
  // requests in

  #onRequest(sender: unknown, event: unknown, request: unknown, tag: unknown, progress: unknown, proxy: unknown): void {
    const problem =
      !(sender instanceof Session)
        ? 'it came from outside any session, so no one can be answered'
        : typeof event !== 'string' || event === ''
          ? `its response event is ${describe(event)}`
          : !(request instanceof HttpRequest)
            ? `expected an HttpRequest, got ${describe(request)}`
            : progress !== undefined && (typeof progress !== 'string' || progress === '')
              ? `its progress event is ${describe(progress)}`
              : undefined;
    if (problem !== undefined) {
      this.#kernel._warn(`${WHAT}: dropped a request: ${problem}`);
      return;
    }
    let override: Proxy[] | undefined;
    if (proxy !== undefined && proxy !== null) {
      try {
        override = parseProxy(proxy, `${WHAT} request proxy`);
      } catch (err) {
        this.#kernel.post((sender as Session).ID, event as string, [request, tag], [clientError(400, (err as Error).message, request as HttpRequest)]);
        return;
      }
    }
    this.#submit(request as HttpRequest, tag, sender as Session, event as string, progress as string | undefined, undefined, undefined, override, undefined);
  }

  #submitPromise(request: HttpRequest, options: ClientHTTPRequestOptions, settle: (r: HttpResponse) => void): void {
    const override = options.proxy === undefined ? undefined : parseProxy(options.proxy, `${WHAT} request \`proxy\``);
    // Checked by request(): here a lookup.
    const dispatcher = options.tls === undefined ? undefined : this.#agentFor(options.tls);
    this.#submit(request, undefined, undefined, undefined, undefined, settle, options.signal, override, dispatcher);
  }

  #submit(
    request: HttpRequest,
    tag: unknown,
    sender: Session | undefined,
    event: string | undefined,
    progress: string | undefined,
    settle: ((r: HttpResponse) => void) | undefined,
    signal: AbortSignal | undefined,
    override: Proxy[] | undefined,
    dispatcher: Undici.Agent | undefined,
  ): void {
    // Refused before anything is made, as POE does: answered at once, no request id used.
    const target = parseTarget(request.uri);
    let refused: HttpResponse | undefined;
    if (typeof target === 'string') refused = refusal(400, 'Bad Request', 'Bad Request', target, request);
    else if (this.#shutdown) refused = refusal(408, 'Request timed out (component shut down)', 'Request Timeout', 'Request timed out (component shut down)', request);
    if (refused !== undefined) {
      if (settle !== undefined) settle(refused);
      else this.#kernel.post(sender!.ID, event!, [request, tag], [refused]);
      return;
    }
    const url = target as URL;
    const p: Pending = {
      id: ++this.#nextId,
      original: request,
      tag,
      sender,
      event,
      progress,
      settle,
      signal,
      onAbort: undefined,
      override,
      dispatcher,
      current: request,
      url,
      hostPort: '',
      origin: '',
      wire: undefined,
      redirects: 0,
      previous: undefined,
      timer: undefined,
      lastInput: 0,
      held: false,
      queued: false,
      done: false,
    };
    // A second post of the same request object replaces the first as `cancel`'s target, as in POE.
    this.#pending.set(request, p);
    if (sender !== undefined) p.held = this.#kernel.refcountIncrement(sender.ID, TAG) !== undefined;
    this.#work.set(true);
    p.lastInput = this.#kernel.clock.now();
    p.timer = this.#kernel._wakeAt(this.#session, this.#timeout, () => this.#timedOut(p));
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#answer(p, clientError(408, 'Request timed out (request canceled)', request));
        return;
      }
      p.onAbort = () => this.#kernel.call(this.#session, '_deliver', p, clientError(408, 'Request timed out (request canceled)', request), undefined, true);
      signal.addEventListener('abort', p.onAbort, { once: true });
    }
    if (this.#onWire < this.#maxOpen) this.#send(p);
    else {
      p.queued = true;
      this.#queue.push(p);
    }
  }

  /** Puts `p.current` on the wire, to its host or through a proxy. */
  #send(p: Pending): void {
    p.queued = false;
    this.#onWire++;
    const url = p.url;
    const request = p.current;
    const proxies = p.override ?? (url.protocol === 'http:' && !this.#noProxied(url.hostname) ? this.#proxy : undefined);
    const proxy = proxies === undefined ? undefined : randomOf(proxies);
    const [names, values] = headerLines(request.headers);
    const headers: string[] = [];
    let hasAgent = false;
    let hasFrom = false;
    let hasHost = false;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      headers.push(name, values[i]!);
      const n = name.length;
      if (n === 10) hasAgent ||= name.toLowerCase() === 'user-agent';
      else if (n === 4) {
        const lower = name.toLowerCase();
        hasFrom ||= lower === 'from';
        hasHost ||= lower === 'host';
      }
    }
    if (!hasAgent) headers.push('User-Agent', randomOf(this.#agents));
    if (!hasFrom && this.#from !== undefined) headers.push('From', this.#from);
    let origin: string;
    let path: string;
    if (proxy === undefined) {
      origin = url.origin;
      path = url.pathname + url.search;
      p.hostPort = `${url.hostname.replace(/^\[(.*)\]$/, '$1')}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
    } else {
      // POE's proxying: the absolute URI to the proxy, with the origin's Host.
      origin = proxyUrl(proxy);
      path = url.href.replace(/#.*$/, '');
      if (!hasHost) headers.push('Host', url.host);
      p.hostPort = `${proxy[0]}:${proxy[1]}`;
    }
    p.origin = origin;
    const wire = new Wire(this, p);
    p.wire = wire;
    const content = request.content;
    try {
      (p.dispatcher ?? this.#agent).dispatch({ origin, path, method: request.method, headers, body: content.length > 0 ? content : null }, wire);
    } catch (err) {
      // undici refused the request (a header it will not send, a bad method): POE's 400 for a
      // request its connection manager would not take.
      p.wire = undefined;
      this.#onWire--;
      this.#kernel._ioSoon(() => {
        if (!p.done && !sessionStopped(this.#session)) this.#kernel._ioDispatch(this.#session, '_deliver', [p, clientError(400, (err as Error).message, p.original), undefined, true]);
      });
    }
  }

  #noProxied(host: string): boolean {
    const name = host.toLowerCase();
    for (const suffix of this.#noProxy) if (name.endsWith(suffix)) return true;
    return false;
  }

  // ------------------------------------------------------------------------------------------
  // undici's callbacks (called by Wire for the request on the wire only)

  /** @internal */
  _headers(w: Wire, code: number, raw: Buffer[], statusText: string): boolean {
    const p = w.p;
    p.lastInput = this.#kernel.clock.now();
    const names: string[] = [];
    const values: string[] = [];
    let location: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      const value = raw[i + 1]!.toString('latin1');
      names.push(name);
      values.push(value);
      const n = name.length;
      if (n === 14 && w.total === undefined && name.toLowerCase() === 'content-length') w.total = Number(value);
      else if (n === 8 && code >= 300 && code < 400 && name.toLowerCase() === 'location') location = value;
    }
    const message = statusText !== '' && !/[\r\n\0]/.test(statusText) ? statusText : undefined;
    const response = new HttpResponse(code, message, trustedHeaders(names, values));
    response.protocol = 'HTTP/1.1';
    response.request = p.current;
    response.previous = p.previous;
    const peer = this.#peers.get(p.origin);
    if (peer !== undefined) response.headers.pushHeader('X-PCCH-Peer', peer);
    w.response = response;
    if (location !== undefined && p.redirects < this.#follow) {
      try {
        // Relative to the request's URI, as POE's `URI->new($location, $base)->abs($base)`.
        w.redirect = new URL(location, p.url);
      } catch {
        w.redirect = undefined;
      }
      if (w.redirect !== undefined && w.redirect.protocol !== 'http:' && w.redirect.protocol !== 'https:') w.redirect = undefined;
      // The redirect's body is read and dropped: the connection stays reusable.
      if (w.redirect !== undefined) return true;
    }
    const max = this.#maxSize;
    if (max !== undefined && w.total !== undefined && w.total > max && p.current.method !== 'HEAD') {
      this.#fromIo(p, clientError(406, `Response content length ${w.total} is greater than specified MaxSize of ${max}.  Use range requests to retrieve specific amounts of content.`, p.original));
      return false;
    }
    return true;
  }

  /** @internal */
  _data(w: Wire, chunk: Buffer): boolean {
    const p = w.p;
    if (w.redirect !== undefined) return true;
    p.lastInput = this.#kernel.clock.now();
    w.got += chunk.length;
    const max = this.#maxSize;
    if (max !== undefined && w.got > max) {
      this.#fromIo(p, clientError(406, `Response content is longer than specified MaxSize of ${max}.  Use range requests to retrieve specific amounts of content.`, p.original));
      return false;
    }
    if (p.progress !== undefined) this.#kernel._ioDispatch(this.#session, '_progress', [p, w.got, w.total, chunk]);
    const step = this.#streaming;
    if (step > 0 && p.sender !== undefined) {
      for (let at = 0; at < chunk.length && !p.done; at += step) {
        this.#kernel._ioDispatch(this.#session, '_deliver', [p, w.response!, chunk.subarray(at, Math.min(at + step, chunk.length)), false]);
      }
      return true;
    }
    w.chunks.push(chunk);
    return true;
  }

  /** @internal */
  _complete(w: Wire): void {
    const p = w.p;
    p.wire = undefined;
    this.#onWire--;
    if (w.redirect !== undefined) {
      this.#kernel._ioDispatch(this.#session, '_follow', [p, w.redirect, w.response]);
    } else {
      const response = w.response!;
      const chunks = w.chunks;
      if (chunks.length > 0) response.content = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, w.got);
      this.#kernel._ioDispatch(this.#session, '_deliver', [p, response, undefined, true]);
    }
    this.#pump();
  }

  /** @internal */
  _failed(w: Wire, err: Error): void {
    const p = w.p;
    p.wire = undefined;
    this.#onWire--;
    if (!p.done) this.#fromIo(p, this.#errorResponse(p, w, err));
    this.#pump();
  }

  /** POE's answer for each way a request fails on the wire (docs/api.md has the table). */
  #errorResponse(p: Pending, w: Wire, err: Error): HttpResponse {
    const e = err as Error & { code?: string; syscall?: string };
    const code = e.code ?? '';
    const at = `Connection to ${p.hostPort} failed`;
    if (e.syscall === 'getaddrinfo' || RESOLVE_ERRORS[code] !== undefined) {
      return clientError(500, `${at}: resolve error ??: ${RESOLVE_ERRORS[code] ?? e.message}`, p.original);
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return clientError(408, `${at}: timeout`, p.original);
    if (w.response === undefined) {
      const tls = tlsFailure(e);
      if (tls !== undefined) return clientError(500, `${at}: handshake error ${tls.errno}: ${tls.errstr}`, p.original);
    }
    if (e.syscall === 'connect' || (w.response === undefined && (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL'))) {
      const s = sysError(e);
      return clientError(500, `${at}: connect error ${s.errno}: ${s.message}`, p.original);
    }
    if (code.startsWith('E') && !code.startsWith('ERR_')) {
      const s = sysError(e);
      return clientError(400, `read error ${s.errno}: ${s.message}`, p.original);
    }
    if (code === 'UND_ERR_SOCKET') {
      if (w.response === undefined) return clientError(400, `Incomplete response - ${p.id}`, p.original);
      if (w.total !== undefined && w.got < w.total) return clientError(400, `incomplete response b ${p.id}.  Wanted ${w.total} octets.  Got ${w.got}.`, p.original);
    }
    // undici refused the request itself (a header it will not send): POE's 400 with the reason.
    if (code === 'UND_ERR_INVALID_ARG') return clientError(400, err.message, p.original);
    if (code.startsWith('HPE_') || err.name === 'HTTPParserError') return clientError(406, `Server response is Not Acceptable - ${p.id}`, p.original);
    return clientError(400, `${code !== '' ? `${code}: ` : ''}${err.message}`, p.original);
  }

  /** A failure found in an undici callback: stop the wire and answer from the component's session. */
  #fromIo(p: Pending, response: HttpResponse): void {
    if (sessionStopped(this.#session)) return;
    this.#kernel._ioDispatch(this.#session, '_deliver', [p, response, undefined, true]);
  }

  // ------------------------------------------------------------------------------------------
  // answers out (run as the component's session)

  #redirect(p: Pending, location: URL, response: HttpResponse): void {
    if (p.done) return;
    const old = p.current;
    const headers = old.headers.clone();
    // POE drops cookies on a redirect (rt #30400), and moves an explicit Host with an absolute Location.
    headers.removeHeader('Cookie');
    if (headers.header('Host') !== undefined) headers.header('Host', location.host);
    const next = new HttpRequest(old.method, location.href, headers, old.content);
    next.protocol = old.protocol;
    // The 3xx heads the chain the final response carries as `previous`.
    p.previous = response;
    p.current = next;
    p.url = location;
    p.redirects++;
    if (this.#onWire < this.#maxOpen) this.#send(p);
    else {
      p.queued = true;
      this.#queue.push(p);
    }
  }

  #deliver(p: Pending, response: HttpResponse, chunk: Buffer | undefined, last: boolean): void {
    if (p.done) return;
    if (!last) {
      // A streamed piece: the response event with [response, chunk]; the response has no content.
      if (p.sender !== undefined && !sessionStopped(p.sender)) this.#kernel.post(p.sender.ID, p.event!, [p.original, p.tag], [response, chunk]);
      return;
    }
    this.#answer(p, response);
  }

  /** Answers `p` with `response` (its last event) and forgets it. */
  #answer(p: Pending, response: HttpResponse): void {
    if (p.done) return;
    p.done = true;
    if (this.#pending.get(p.original) === p) this.#pending.delete(p.original);
    if (p.timer !== undefined) this.#kernel._dropWake(p.timer);
    if (p.onAbort !== undefined) p.signal!.removeEventListener('abort', p.onAbort);
    const wire = p.wire;
    if (wire !== undefined) {
      p.wire = undefined;
      this.#onWire--;
      wire.abort?.(new Error('request finished'));
      this.#pump();
    }
    this.#work.set(this.#pending.size > 0);
    if (p.settle !== undefined) {
      p.settle(response);
      return;
    }
    const sender = p.sender!;
    if (sessionStopped(sender)) return;
    // With streaming, a body's end is a last [response] with no chunk (POE's undefined chunk).
    this.#kernel.post(sender.ID, p.event!, [p.original, p.tag], [response]);
    // After the post, as POE's postback: the queued event holds the session from here on.
    if (p.held) this.#kernel.refcountDecrement(sender.ID, TAG);
  }

  #timedOut(p: Pending): void {
    p.timer = undefined;
    if (p.done) return;
    // POE restarts the timer on every read (delay_adjust); here the last input time is kept
    // and the timer re-armed for what is left, so reads cost no timer work.
    const left = p.lastInput + this.#timeout - this.#kernel.clock.now();
    if (left > 0.001) {
      p.timer = this.#kernel._wakeAt(this.#session, left, () => this.#timedOut(p));
      return;
    }
    this.#answer(p, clientError(408, 'Request timed out', p.original));
  }

  #pump(): void {
    while (this.#onWire < this.#maxOpen && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      if (!next.done) this.#send(next);
    }
  }

  #onShutdown(kernel: Kernel): void {
    if (this.#shutdown) return;
    this.#shutdown = true;
    for (const p of [...this.#pending.values()]) this.#answer(p, clientError(408, 'Request timed out (component shut down)', p.original));
    kernel.aliasRemove(this.#alias);
    this.#closeAgents();
  }

  /** The session is stopping (kernel.stop, or the end of every other session): nothing more is answered. */
  #stopped(): void {
    for (const p of [...this.#pending.values()]) {
      p.done = true;
      if (p.onAbort !== undefined) p.signal!.removeEventListener('abort', p.onAbort);
      p.wire?.abort?.(new Error('component stopped'));
      p.wire = undefined;
      if (p.held && p.sender !== undefined && !sessionStopped(p.sender)) this.#kernel.refcountDecrement(p.sender.ID, TAG);
      // A promise is told, with POE's shutdown answer.
      p.settle?.(clientError(408, 'Request timed out (component shut down)', p.original));
    }
    this.#pending.clear();
    this.#queue.clear();
    this.#work.dropped();
    this.#closeAgents();
  }
}
