import * as dgram from 'node:dgram';
import { lookup } from 'node:dns';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { constants } from 'node:os';
import * as tls from 'node:tls';
import { PoeArgumentError, describe } from '../errors.js';
import { strerror, sysError } from '../errno.js';
import { inetAton } from './address.js';
import { handleFd, listenError, listenOnAddress, tlsParent } from '../driver/node-internals.js';
import { type TlsConnectOptions, type TlsListenOptions, handshakeFailure, startClientHandshake, tlsClient, tlsListener } from './tls.js';
import { DescriptorCeiling } from './descriptor-ceiling.js';
import type { EventName, Untyped } from '../session/types.js';
import { Wheel, type WheelId, type WheelOwner, ignoreLateErrors, wheelArgs } from './wheel.js';

const E = constants.errno;

/** POE's socket domains: `inet` (AF_INET, the default), `inet6` and `unix`, also by POE's constant names. */
export type SocketDomain = 'inet' | 'inet6' | 'unix' | 'AF_INET' | 'PF_INET' | 'AF_INET6' | 'PF_INET6' | 'AF_UNIX' | 'PF_UNIX' | 'AF_LOCAL' | 'PF_LOCAL';
/** Socket types: a stream (TCP, unix) or datagrams (UDP). */
export type SocketType = 'stream' | 'dgram' | 'SOCK_STREAM' | 'SOCK_DGRAM';
/** Internet protocols, by name or number (6 is tcp, 17 is udp). */
export type SocketProtocol = 'tcp' | 'udp' | 6 | 17;

/**
 * Options of `new SocketFactory(...)`: POE::Wheel::SocketFactory's parameters in camelCase. `E`:
 * the session's event map when the wheel is given its handler's context first.
 */
export interface SocketFactoryOptions<E = Untyped> {
  /** Event for each accepted connection, the connected client socket, or the bound UDP socket. Required. */
  successEvent: EventName<E>;
  /** Event for any failure: `(operation, errnum, errstr, wheelId)`. Required. */
  failureEvent: EventName<E>;
  /** POE `SocketDomain`. @default 'inet' (AF_INET) */
  socketDomain?: SocketDomain;
  /** POE `SocketType`. @default 'stream' for tcp and unix, 'dgram' for udp */
  socketType?: SocketType;
  /** POE `SocketProtocol`; not for unix sockets. @default 'tcp' */
  socketProtocol?: SocketProtocol;
  /**
   * POE `Reuse`: `true`, `'yes'`, `'on'` or a non-zero number set SO_REUSEADDR. Honoured for UDP;
   * Node (libuv) always sets SO_REUSEADDR on TCP sockets it binds, so TCP behaves as `Reuse => 'yes'`.
   * @default false
   */
  reuse?: boolean | number | string;
  /**
   * POE `BindAddress`: an address literal, a host name (resolved without blocking), or a
   * packed address (4 bytes for inet, 16 for inet6); for unix sockets the socket's path.
   * @default INADDR_ANY (`0.0.0.0`, or `::` for inet6)
   */
  bindAddress?: string | Uint8Array;
  /** POE `BindPort`: a number or a service name (`/etc/services`). @default 0 (any free port) */
  bindPort?: number | string;
  /** POE `RemoteAddress`: makes a client; an address, host name, packed address, or unix path. */
  remoteAddress?: string | Uint8Array;
  /** POE `RemotePort`: a number or a service name; required with an inet `remoteAddress`. */
  remotePort?: number | string;
  /** POE `ListenQueue`: the listen backlog, also the most connections held while accept is paused. @default 511 (Node's default; POE: SOMAXCONN) */
  listenQueue?: number;
  /**
   * poe-ts: an existing listening `net.Server`, or `{ fd }` of an inherited listening socket,
   * to accept on instead of binding a new one (how a forked child adopts its parent's
   * listener). Excludes the bind, remote and socket options.
   */
  handle?: net.Server | { fd: number };
  /**
   * poe-ts: TLS (POE::Component::SSLify's job). A listener takes {@link TlsListenOptions}
   * (`key`, `cert`, `ca`, `requestCert`, `ALPNProtocols`, `contexts` for SNI, ...), a client
   * {@link TlsConnectOptions} (`ca`, `servername`, a client `cert`/`key`, ...). SuccessEvent
   * then comes once the handshake has succeeded, with the `tls.TLSSocket`, which reads and
   * writes plaintext; a failed handshake is FailureEvent `('handshake', errnum, errstr, id)`
   * (see `handshakeFailure` in the docs), after which a listener keeps listening; a listener's
   * adds the client's address (`'127.0.0.1'`) as ARG4. Not for UDP.
   */
  tls?: TlsListenOptions | TlsConnectOptions;
}

/**
 * SuccessEvent arguments: `(socket, address, port, wheelId)`. For an accepted connection the
 * address is the peer's, packed (a Buffer of 4 bytes for IPv4, 16 for IPv6; G31), and the port
 * its port; for a connected client they are the remote end's. Unix servers give `undefined`
 * for both; unix clients give the path and `undefined`. A bound UDP socket (no remote address)
 * comes with `undefined, undefined`; `S` is then `dgram.Socket`.
 */
export type SocketFactorySuccessArgs<S = net.Socket> = [socket: S, address: Buffer | string | undefined, port: number | undefined, wheelId: WheelId];
/**
 * FailureEvent arguments: `(operation, errnum, errstr, wheelId)`, e.g. `('connect', 111, 'Connection refused', 4)`.
 * A TLS listener's `'handshake'` failure adds the client's address (unpacked; undefined for a
 * unix socket), since no connection was handed over to name it.
 */
export type SocketFactoryFailureArgs = [operation: string, errnum: number, errstr: string, wheelId: WheelId, remoteAddress?: string];

/** What `getsockname()` returns: the local end, unpacked. */
export type SocketName = { family: 'IPv4' | 'IPv6'; address: string; port: number } | { family: 'unix'; path: string };

const OPTION_KEYS = [
  'successEvent',
  'failureEvent',
  'socketDomain',
  'socketType',
  'socketProtocol',
  'reuse',
  'bindAddress',
  'bindPort',
  'remoteAddress',
  'remotePort',
  'listenQueue',
  'handle',
  'tls',
] as const;

type Domain = 'inet' | 'inet6' | 'unix';

const DOMAINS: Readonly<Record<string, Domain>> = {
  inet: 'inet',
  AF_INET: 'inet',
  PF_INET: 'inet',
  inet6: 'inet6',
  AF_INET6: 'inet6',
  PF_INET6: 'inet6',
  unix: 'unix',
  AF_UNIX: 'unix',
  PF_UNIX: 'unix',
  AF_LOCAL: 'unix',
  PF_LOCAL: 'unix',
};

/** Node's default listen backlog (`net.Server#listen`); POE's default is SOMAXCONN. */
const DEFAULT_BACKLOG = 511;

/** Accept errors POE's SocketFactory swallows (the peer left before accept; OS X's ESPIPE). */
const QUIET_ACCEPT_ERRORS = new Set([E.EAGAIN, E.EWOULDBLOCK, E.ECONNABORTED, E.ESPIPE]);

// ---------------------------------------------------------------------------------------------
// option parsing

function fail(message: string): never {
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', message);
}

/** POE `Reuse`: 'yes', 'on' or a true number. */
function reuseOn(value: unknown): boolean {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'yes' || v === 'on') return true;
    return /\d/.test(v) && Number(v) !== 0;
  }
  return fail(`Expected SocketFactory option \`reuse\` to be a boolean, 'yes', 'on' or a number, got ${describe(value)}`);
}

let services: Map<string, number> | undefined;

/**
 * Perl's `getservbyname(name, proto)` from `/etc/services`, read once. Blocking, as POE's
 * was; only used when a port is given by name.
 */
function getservbyname(name: string, proto: 'tcp' | 'udp'): number | undefined {
  if (services === undefined) {
    services = new Map();
    let text = '';
    try {
      text = readFileSync('/etc/services', 'utf8');
    } catch {
      // no services database: every name is unknown
    }
    for (const line of text.split('\n')) {
      const fields = line.replace(/#.*/, '').trim().split(/\s+/);
      const m = /^(\d+)\/(\w+)$/.exec(fields[1] ?? '');
      if (!m) continue;
      for (const n of [fields[0]!, ...fields.slice(2)]) {
        const key = `${n}/${m[2]}`;
        if (!services.has(key)) services.set(key, Number(m[1]));
      }
    }
  }
  return services.get(`${name}/${proto}`);
}

/** A port option: a number, a numeric string, or a service name (undefined if unknown). */
function parsePort(key: string, value: unknown, proto: 'tcp' | 'udp'): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 65535) fail(`Expected SocketFactory option \`${key}\` to be a port (0..65535), got ${describe(value)}`);
    return value;
  }
  if (typeof value === 'string' && value !== '') {
    if (/^\d+$/.test(value)) return parsePort(key, Number(value), proto);
    return getservbyname(value, proto);
  }
  return fail(`Expected SocketFactory option \`${key}\` to be a port number or service name, got ${describe(value)}`);
}

/** An address option: packed bytes become text; strings stay as they are (maybe a host name). */
function parseAddress(key: string, value: unknown, domain: Domain): string {
  if (typeof value === 'string' && value !== '') return value;
  if (value instanceof Uint8Array && domain !== 'unix') {
    if (value.length === 4) return Array.from(value).join('.');
    if (value.length === 16) {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((value[i]! << 8) | value[i + 1]!).toString(16));
      return groups.join(':');
    }
  }
  const what = domain === 'unix' ? 'a socket path' : 'an address string or a packed address (4 or 16 bytes)';
  return fail(`Expected SocketFactory option \`${key}\` to be ${what}, got ${describe(value)}`);
}

/**
 * A port that a unix socket can take as no port: none, or 0, the documented default of every
 * port option (any port). Other values are refused, as they are probably a mistake.
 * @internal Shared with the TCP components, which check their options before they build a factory.
 */
export function isNoPort(value: unknown): boolean {
  return value === undefined || value === 0 || value === '0';
}

/** A construction failure POE reports with `yield` (operation, errno) rather than by croaking. */
interface EarlyFailure {
  op: string;
  errno: number;
}

type Endpoint = { host: string; port: number } | { path: string };

interface Plan {
  success: string;
  failure: string;
  domain: Domain;
  /** Adopt a listener (`handle`), listen, connect, or a datagram socket. */
  kind: 'adopt' | 'listen' | 'connect' | 'dgram';
  handle: net.Server | { fd: number } | undefined;
  bind: Endpoint | undefined;
  remote: Endpoint | undefined;
  reuse: boolean;
  backlog: number;
  early: EarlyFailure | undefined;
  /** A listener's TLS server (never listening itself), or a client's checked TLS options. */
  tls: tls.Server | TlsConnectOptions | undefined;
}

function parseOptions(options: SocketFactoryOptions, check: (o: SocketFactoryOptions) => SocketFactoryOptions): Plan {
  const plan = parsePlan(check(options));
  const t = options.tls;
  if (t === undefined || plan.early !== undefined) return plan;
  if (plan.kind === 'dgram') fail('SocketFactory option `tls` has no meaning for UDP sockets (DTLS is not supported)');
  plan.tls = plan.kind === 'connect' ? tlsClient('SocketFactory', t) : tlsListener('SocketFactory', t);
  return plan;
}

function parsePlan(o: SocketFactoryOptions): Plan {
  if (o.successEvent === undefined) fail('SocketFactory option `successEvent` is required (POE: SuccessEvent required)');
  if (o.failureEvent === undefined) fail('SocketFactory option `failureEvent` is required (POE: FailureEvent required)');
  const domainKey = o.socketDomain ?? 'inet';
  const domain = typeof domainKey === 'string' ? DOMAINS[domainKey] : undefined;
  if (domain === undefined) fail(`Expected SocketFactory option \`socketDomain\` to be one of 'inet', 'inet6', 'unix' (or AF_INET, AF_INET6, AF_UNIX, PF_*), got ${describe(domainKey)}`);

  let proto: 'tcp' | 'udp' | undefined;
  if (o.socketProtocol !== undefined) {
    if (domain === 'unix') fail('SocketFactory option `socketProtocol` has no meaning for unix sockets (POE ignores it with a warning)');
    const p = o.socketProtocol as unknown;
    proto = p === 'tcp' || p === 6 || p === 'TCP' ? 'tcp' : p === 'udp' || p === 17 || p === 'UDP' ? 'udp' : undefined;
    if (proto === undefined) fail(`SocketFactory does not support socketProtocol ${describe(p)}; expected 'tcp' (6) or 'udp' (17)`);
  }
  let type: 'stream' | 'dgram' | undefined;
  if (o.socketType !== undefined) {
    const t = o.socketType as unknown;
    type = t === 'stream' || t === 'SOCK_STREAM' ? 'stream' : t === 'dgram' || t === 'SOCK_DGRAM' ? 'dgram' : undefined;
    if (type === undefined) fail(`Expected SocketFactory option \`socketType\` to be 'stream' or 'dgram' (SOCK_STREAM, SOCK_DGRAM), got ${describe(t)}`);
  }
  if (domain === 'unix' && type === 'dgram') fail('SocketFactory cannot make unix datagram sockets: Node has no AF_UNIX SOCK_DGRAM');
  proto ??= type === 'dgram' ? 'udp' : 'tcp';
  type ??= proto === 'udp' ? 'dgram' : 'stream';
  if ((proto === 'udp') !== (type === 'dgram')) fail(`SocketFactory cannot make a ${type} socket for protocol ${proto}`);

  const reuse = reuseOn(o.reuse);
  if (o.listenQueue !== undefined && (!Number.isInteger(o.listenQueue) || o.listenQueue < 1)) {
    fail(`Expected SocketFactory option \`listenQueue\` to be a positive integer, got ${describe(o.listenQueue)}`);
  }
  const plan: Plan = {
    success: o.successEvent,
    failure: o.failureEvent,
    domain,
    kind: 'listen',
    handle: undefined,
    bind: undefined,
    remote: undefined,
    reuse,
    backlog: o.listenQueue ?? DEFAULT_BACKLOG,
    early: undefined,
    tls: undefined,
  };

  if (o.handle !== undefined) {
    for (const key of ['bindAddress', 'bindPort', 'remoteAddress', 'remotePort', 'socketType', 'socketProtocol'] as const) {
      if (o[key] !== undefined) fail(`SocketFactory option \`handle\` (an existing listener) excludes \`${key}\``);
    }
    const h = o.handle as unknown;
    const isFd = typeof h === 'object' && h !== null && !(h instanceof net.Server) && Number.isInteger((h as { fd?: unknown }).fd) && (h as { fd: number }).fd >= 0;
    if (!(h instanceof net.Server) && !isFd) fail(`Expected SocketFactory option \`handle\` to be a net.Server or { fd }, got ${describe(h)}`);
    plan.kind = 'adopt';
    plan.handle = h as net.Server | { fd: number };
    return plan;
  }

  const early = (op: string, errno: number): Plan => {
    plan.early ??= { op, errno };
    return plan;
  };

  if (domain === 'unix') {
    if (!isNoPort(o.bindPort)) fail(`SocketFactory option \`bindPort\` has no meaning for unix sockets (only 0, the default, is accepted; POE ignores any with a warning), got ${describe(o.bindPort)}`);
    if (!isNoPort(o.remotePort)) fail(`SocketFactory option \`remotePort\` has no meaning for unix sockets (only 0 is accepted), got ${describe(o.remotePort)}`);
    if (o.bindAddress !== undefined) plan.bind = { path: parseAddress('bindAddress', o.bindAddress, domain) };
    if (o.remoteAddress !== undefined) {
      plan.kind = 'connect';
      plan.remote = { path: parseAddress('remoteAddress', o.remoteAddress, domain) };
      // POE refuses to bind a unix client before connecting, with a made-up EADDRINUSE.
      if (plan.bind !== undefined) return early('bind', E.EADDRINUSE);
    } else if (plan.bind === undefined) {
      fail('A unix SocketFactory server needs `bindAddress` (the socket path)');
    }
    return plan;
  }

  // inet / inet6
  const resolveOp = domain === 'inet' ? 'inet_aton' : 'getaddrinfo';
  const wrongFamily = (host: string) => (domain === 'inet' ? net.isIPv6(host) : net.isIPv4(host));
  if (o.bindAddress !== undefined || o.bindPort !== undefined || o.remoteAddress === undefined) {
    const host = o.bindAddress === undefined ? (domain === 'inet' ? '0.0.0.0' : '::') : parseAddress('bindAddress', o.bindAddress, domain);
    const port = o.bindPort === undefined ? 0 : parsePort('bindPort', o.bindPort, proto);
    if (port === undefined) return early('getservbyname', E.EADDRNOTAVAIL);
    if (wrongFamily(host)) return early(resolveOp, E.EADDRNOTAVAIL);
    plan.bind = { host, port };
  }
  if (o.remoteAddress !== undefined) {
    // Node binds a client only to an address literal (it would throw inside net.connect).
    if (plan.bind !== undefined && 'host' in plan.bind && net.isIP(plan.bind.host) === 0 && proto === 'tcp') {
      fail(`SocketFactory option \`bindAddress\` of a TCP client must be an address literal, got ${describe(o.bindAddress)}`);
    }
    if (o.remotePort === undefined) fail('SocketFactory option `remotePort` is required with an inet `remoteAddress` (POE: RemotePort required)');
    if (o.listenQueue !== undefined) fail('SocketFactory option `listenQueue` has no meaning for a client (POE ignores it with a warning)');
    plan.kind = 'connect';
    const port = parsePort('remotePort', o.remotePort, proto);
    if (port === undefined) return early('getservbyname', E.EADDRNOTAVAIL);
    const host = parseAddress('remoteAddress', o.remoteAddress, domain);
    if (wrongFamily(host)) return early(resolveOp, E.EADDRNOTAVAIL);
    plan.remote = { host, port };
  } else if (o.remotePort !== undefined) {
    fail('SocketFactory option `remotePort` needs `remoteAddress` (POE ignores it with a warning)');
  }
  if (proto === 'udp') {
    if (o.listenQueue !== undefined) fail('SocketFactory option `listenQueue` has no meaning for UDP sockets (POE ignores it with a warning)');
    plan.kind = 'dgram';
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// binding

/** The syscall POE names for a failed bind/listen: Node reports all of them as `listen`. */
function listenOp(errno: number): string {
  if (errno === E.EMFILE || errno === E.ENFILE || errno === E.ENOBUFS || errno === E.ENOMEM || errno === E.EAFNOSUPPORT || errno === E.EPROTONOSUPPORT) return 'socket';
  if (errno === E.EOPNOTSUPP) return 'listen';
  return 'bind';
}

/**
 * The operation POE names for a client-side failure Node reports with `err.syscall`, and
 * whether POE finds it inside `new` (and so yields it) rather than when the socket turns
 * writable (and calls it). `immediate`: a unix or UDP connect(), which POE's `new` sees
 * complete or fail at once; a TCP connect() is still in progress when `new` returns.
 */
function clientOp(err: unknown, domain: Domain, immediate: boolean): { op: string; errno: number; early: boolean } {
  const syscall = (err as { syscall?: unknown } | null)?.syscall;
  const { errno } = sysError(err);
  if (syscall === 'getaddrinfo' || syscall === 'lookup' || syscall === 'queryA' || syscall === 'queryAaaa') {
    // POE resolves in new() and reports the failure as inet_aton/getaddrinfo EADDRNOTAVAIL.
    return { op: domain === 'inet' ? 'inet_aton' : 'getaddrinfo', errno: E.EADDRNOTAVAIL, early: true };
  }
  if (syscall === 'bind') return { op: 'bind', errno, early: true };
  return { op: 'connect', errno, early: immediate };
}

/** The name a listener is shared under with forked children: its options, not its port. */
function shareKey(domain: Domain, bind: Endpoint): string {
  return 'path' in bind ? `unix:${bind.path}` : `${domain}:${bind.host}:${bind.port}`;
}

function nameOf(address: net.AddressInfo | string | null | Record<string, never>): SocketName | undefined {
  if (address === null) return undefined;
  if (typeof address === 'string') return { family: 'unix', path: address };
  if (typeof address.address !== 'string') return undefined;
  return { family: address.family === 'IPv6' ? 'IPv6' : 'IPv4', address: address.address, port: address.port };
}

// ---------------------------------------------------------------------------------------------

type Phase = 'setup' | 'active' | 'done';

/**
 * Makes sockets without blocking: a listener that reports each accepted connection, a client
 * that reports its connection once, or a bound UDP socket (spec 2.3).
 *
 * Events (all `call`ed in the session, except as noted):
 * - `successEvent(socket, address, port, wheelId)` for every accepted connection, once for a
 *   connected client, and once, **yielded**, for a bound UDP socket (`socket, undefined,
 *   undefined, id`). See `SocketFactorySuccessArgs`.
 * - `failureEvent(operation, errnum, errstr, wheelId)`; `errnum` is the host's errno number and
 *   `errstr` its strerror text: `('connect', 111, 'Connection refused', id)`. Failures POE
 *   finds inside `new` (bind, name lookups, bad ports) are **yielded**, so they arrive after
 *   `new` returns and after I/O events of the same timeslice (G8, probe 19). Out of
 *   descriptors, a listener calls `('accept', 24, 'Too many open files', id)` after the
 *   connection that took the last one, once until descriptors are freed (see
 *   `DescriptorCeiling`: Node closes such connections and says nothing).
 *
 * The accepted or connected `net.Socket` is what `ReadWrite` takes as `handle`. Sockets are
 * made with `allowHalfOpen`, as POE's are: the peer's EOF does not close our side. A client
 * factory and a UDP factory hand their socket over and stop holding the session (one-shot);
 * after that `destroy()` leaves the socket alone. A listener holds the session until
 * `destroy()`, which closes it.
 *
 * With `tls`, SuccessEvent comes once the connection's TLS handshake has succeeded, with the
 * `tls.TLSSocket`; a failed handshake is `failureEvent('handshake', errnum, errstr, id)`
 * (see `handshakeFailure` in tls.ts), and a listener keeps listening after one.
 *
 * poe-ts differences: `getsockname()` returns the address unpacked; see `pauseAccept` for
 * what pausing means on Node; `handle` adopts an existing listener; `tls`.
 *
 * POE: `POE::Wheel::SocketFactory`.
 */
export class SocketFactory<E = Untyped> extends Wheel {
  #success: string;
  #failure: string;
  readonly #domain: Domain;
  readonly #kind: Plan['kind'];
  readonly #backlog: number;
  #phase: Phase = 'setup';
  #server: net.Server | undefined = undefined;
  /** A client or UDP socket until it is handed over in SuccessEvent. */
  #socket: net.Socket | dgram.Socket | undefined = undefined;
  #remotePath: string | undefined = undefined;
  #paused = false;
  /** Connections accepted by Node while accept is paused, oldest first. */
  readonly #held: net.Socket[] = [];
  #draining = false;
  /** Tells when an accepted connection took the process's last descriptor. */
  readonly #ceiling = new DescriptorCeiling();
  /** What a forked child names this listener by to find it among the inherited ones. */
  #shareKey: string | undefined = undefined;
  #unshare: (() => void) | undefined = undefined;
  #unorphan: (() => void) | undefined = undefined;
  /** A TLS listener's handshake server (it never listens itself). */
  readonly #tlsServer: tls.Server | undefined;
  /** A TLS client's options. */
  readonly #tlsConnect: TlsConnectOptions | undefined;
  /** The address a client connects to: its certificate is checked against it. */
  #remoteHost: string | undefined = undefined;
  /** Accepted connections whose handshake is running (made on the first). */
  #handshakes: Set<net.Socket> | undefined = undefined;
  /**
   * The client's address of each accepted TLS connection, read at accept: one that resets
   * mid-handshake has none by the time its failure is reported (its socket may be closed,
   * and out of #handshakes, by then).
   */
  #remotes: WeakMap<net.Socket, string> | undefined = undefined;
  #handshakeState = '';
  readonly #acceptState: string;
  readonly #connectState: string;
  readonly #yieldState: string;

  /**
   * Makes the socket. Throws `PoeArgumentError` for bad options (`ERR_POE_UNKNOWN_OPTION`,
   * `ERR_POE_INVALID_ARGUMENT`) and `PoeError` `ERR_POE_WHEEL_NO_SESSION` outside a handler.
   */
  constructor(options: SocketFactoryOptions);
  constructor(owner: WheelOwner<E>, options: SocketFactoryOptions<E>);
  constructor(first: SocketFactoryOptions | WheelOwner<E>, second?: SocketFactoryOptions<E>) {
    const [owner, options] = wheelArgs<SocketFactoryOptions>('SocketFactory', first, second as SocketFactoryOptions | undefined);
    const plan = parseOptions(options, (o) => Wheel.checkOptions('SocketFactory', o, OPTION_KEYS, ['successEvent', 'failureEvent']));
    super('SocketFactory', owner);
    this.#success = plan.success;
    this.#failure = plan.failure;
    this.#domain = plan.domain;
    this.#kind = plan.kind;
    this.#backlog = plan.backlog;
    if (plan.tls instanceof tls.Server) this.#tlsServer = plan.tls;
    else this.#tlsConnect = plan.tls;
    this.#acceptState = this.defineState('select accept', (socket, err) => this.#onAcceptReady(socket as net.Socket | undefined, err));
    this.#connectState = this.defineState('select connect', (err) => this.#onConnectReady(err));
    // Results found after `new` returned that POE would have yielded from inside `new`: they
    // are yielded from here, with the session active, so SENDER is the session as in POE.
    this.#yieldState = this.defineState('deferred yield', (event, ...args) => this.kernel.yield(event as string, ...args));
    const tlsServer = this.#tlsServer;
    if (tlsServer !== undefined) {
      this.#handshakeState = this.defineState('tls handshake', (errno, errstr, remote) => this.emit(this.#failure, 'handshake', errno, errstr, this.ID, remote));
      this.listen(tlsServer, 'secureConnection', this.#onSecureConnection);
      this.listen(tlsServer, 'tlsClientError', this.#onTlsClientError);
    }

    if (plan.early !== undefined) {
      this.#yieldFailure(plan.early.op, plan.early.errno);
      return;
    }
    switch (plan.kind) {
      case 'adopt':
        this.#adopt(plan.handle!);
        break;
      case 'listen': {
        // A forked child adopts the listener its parent made with the same options instead of
        // binding its own: both accept from one socket, and the OS gives each connection to
        // whichever process accepts first (DESIGN.md, Processes).
        this.#shareKey = shareKey(this.#domain, plan.bind!);
        const fd = this.kernel._inheritedFd(this.#shareKey);
        if (fd !== undefined) this.#adopt({ fd });
        else this.#listen(plan.bind!);
        break;
      }
      case 'connect':
        this.#connect(plan.remote!, plan.bind);
        break;
      case 'dgram':
        this.#dgram(plan.bind, plan.remote as { host: string; port: number } | undefined, plan.reuse);
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // failures

  /** Yields FailureEvent now (inside a handler: `new` itself). */
  #yieldFailure(op: string, errno: number): void {
    this.#phase = 'done';
    this.kernel.yield(this.#failure, op, errno, strerror(errno), this.ID);
  }

  /** Yields FailureEvent from a Node callback, as POE would have from `new`. */
  #deferFailure(op: string, errno: number): void {
    this.#finishSetup();
    this.ioDispatch(this.#yieldState, this.#failure, op, errno, strerror(errno), this.ID);
  }

  /** Setup is over (failed or handed over): the wheel stops holding its session. */
  #finishSetup(): void {
    this.#phase = 'done';
    this.release();
  }

  // -------------------------------------------------------------------------------------------
  // listening

  #watchServer(server: net.Server): void {
    this.#server = server;
    this.#ceiling.arm();
    this.listen(server, 'connection', this.#onConnection);
    this.listen(server, 'error', this.#onServerError);
    this.listen(server, 'close', this.#onServerClose);
    this.listen(server, 'listening', this.#onListening);
  }

  #listen(bind: Endpoint): void {
    const server = net.createServer({ allowHalfOpen: true });
    this.#watchServer(server);
    if ('path' in bind) {
      this.#listenNow(server, () => server.listen({ path: bind.path, backlog: this.#backlog }), true);
    } else if (net.isIP(bind.host) !== 0) {
      this.#listenNow(server, () => listenOnAddress(server, bind.host, bind.port, this.#backlog), true);
    } else {
      // A host name: POE's inet_aton/getaddrinfo blocked; here it is looked up first and the
      // outcome arrives later, yielded like every other failure of `new`.
      this.hold();
      lookup(bind.host, { family: this.#domain === 'inet' ? 4 : 6 }, (err, ip) => {
        if (this.destroyed || this.#phase !== 'setup') return;
        if (err) {
          this.#deferFailure(this.#domain === 'inet' ? 'inet_aton' : 'getaddrinfo', E.EADDRNOTAVAIL);
          return;
        }
        this.release();
        this.#listenNow(server, () => listenOnAddress(server, ip, bind.port, this.#backlog), false);
      });
    }
  }

  /**
   * Runs a listen that binds synchronously. Success: the wheel is active and holds the session.
   * A failure Node reports at once is yielded (from `new`, or deferred after a lookup); one it
   * reports later arrives through `error` while the wheel is still in setup.
   */
  #listenNow(server: net.Server, start: () => void, inNew: boolean): void {
    const err = listenError(server, start);
    this.hold();
    if (server.listening) {
      this.#phase = 'active';
      this.#listening();
      return;
    }
    if (err === undefined) return; // Node will say: 'listening' or 'error' (#onServerError)
    const { errno } = sysError(err);
    if (inNew) {
      this.release();
      this.#yieldFailure(listenOp(errno), errno);
    } else {
      this.#deferFailure(listenOp(errno), errno);
    }
  }

  #adopt(handle: net.Server | { fd: number }): void {
    if (handle instanceof net.Server) {
      this.#watchServer(handle);
      this.hold();
      // A server still starting to listen reports the outcome through 'listening'/'error'.
      if (handle.listening) this.#phase = 'active';
      return;
    }
    const server = net.createServer({ allowHalfOpen: true });
    this.#watchServer(server);
    this.#listenNow(server, () => server.listen({ fd: handle.fd, backlog: this.#backlog }), true);
  }

  readonly #onServerError = (err: Error): void => {
    if (this.destroyed) return;
    const { errno } = sysError(err);
    if (this.#phase === 'setup') {
      this.#deferFailure(listenOp(errno), errno);
      return;
    }
    if (this.#phase !== 'active') return; // already reported from `new`
    if (QUIET_ACCEPT_ERRORS.has(errno) || !this.#ceiling.failed(errno)) return;
    this.ioDispatch(this.#acceptState, undefined, err);
  };

  readonly #onListening = (): void => {
    if (this.#phase === 'setup') this.#phase = 'active';
    this.#listening();
  };

  /**
   * The listener is up: children forked from now on inherit it, and a forked child stops
   * accepting when its parent is gone.
   */
  #listening(): void {
    const server = this.#server;
    if (server === undefined || this.destroyed) return;
    if (this.#unshare === undefined && this.#shareKey !== undefined) {
      const fd = handleFd(server);
      if (fd >= 0) this.#unshare = this.kernel._shareFd(this.#shareKey, fd);
    }
    if (this.#unorphan === undefined && this.kernel.isForkChild) this.#unorphan = this.kernel._onOrphan(this.#orphaned);
  }

  /** The parent died: close the listener; connections already handed over finish on their own. */
  readonly #orphaned = (): void => {
    this.#unorphan = undefined;
    const server = this.#server;
    if (this.destroyed || this.#phase === 'done' || server === undefined) return;
    this.#stopSharing();
    for (const socket of this.#held.splice(0)) socket.destroy();
    server.removeListener('connection', this.#onConnection);
    if (server.listening) server.close();
    this.#finishSetup();
  };

  #stopSharing(): void {
    this.#unshare?.();
    this.#unshare = undefined;
    this.#unorphan?.();
    this.#unorphan = undefined;
  }

  readonly #onServerClose = (): void => {
    // Someone closed the listener under the wheel (or a failed listen settled): nothing more
    // can arrive, so stop holding the session.
    this.#stopSharing();
    if (this.destroyed || this.#phase === 'done') return;
    this.#finishSetup();
  };

  readonly #onConnection = (socket: net.Socket): void => {
    if (this.destroyed || this.#phase === 'done') {
      socket.destroy();
      return;
    }
    if (this.#phase === 'setup') this.#phase = 'active';
    // Node does not report running out of descriptors (see DescriptorCeiling). When this
    // connection took the last one, the next accept() fails with EMFILE, as POE's would: that
    // failure is called right after this connection, once until descriptors are freed, and
    // before libuv closes any connection it cannot accept, so a session that stops listening
    // here loses none (the queue stays for forked siblings).
    const exhausted = this.#ceiling.accepted(socket);
    if (this.#paused || this.#held.length > 0) this.#hold(socket);
    else this.#accepted(socket);
    if (exhausted !== 0) this.ioDispatch(this.#acceptState, undefined, exhausted);
  };

  /** Keeps a connection accepted while paused, up to `listenQueue`; beyond that it is reset. */
  #hold(socket: net.Socket): void {
    if (this.#held.length >= this.#backlog) {
      // An RST for TCP; a pipe (an adopted unix listener) can only be closed.
      if (socket.remoteAddress !== undefined && !(socket instanceof tls.TLSSocket)) socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    // Until it is delivered nobody else listens for its errors; a held connection that fails
    // is dropped, as POE's accept swallows ECONNABORTED.
    this.listen(socket, 'error', () => {
      const i = this.#held.indexOf(socket);
      if (i >= 0) this.#held.splice(i, 1);
      this.unlisten(socket);
      this.closeHandle(socket, 'destroy');
    });
    this.#held.push(socket);
  }

  /**
   * A connection to report: at once, or for a TLS listener once its handshake succeeded.
   * (A held connection may be either: one accepted while paused, or one whose handshake
   * ended while paused.)
   */
  #accepted(socket: net.Socket): void {
    const server = this.#tlsServer;
    if (server === undefined || socket instanceof tls.TLSSocket) {
      this.ioDispatch(this.#acceptState, socket);
      return;
    }
    const running = (this.#handshakes ??= new Set());
    running.add(socket);
    if (socket.remoteAddress !== undefined) (this.#remotes ??= new WeakMap()).set(socket, socket.remoteAddress);
    socket.once('close', () => running.delete(socket));
    // Not half-open until the handshake is done: a client that leaves mid-handshake then
    // closes the TLS socket and fails it (ECONNRESET) instead of leaving it waiting for the
    // handshake timeout. The TLS socket takes the setting from this one.
    socket.allowHalfOpen = false;
    // Node's TLS server runs the handshake over the socket; the outcome comes back as
    // 'secureConnection' or 'tlsClientError'.
    server.emit('connection', socket);
  }

  /** Stops tracking the handshake; returns the client's address. */
  #handshakeEnded(socket: tls.TLSSocket): string | undefined {
    const running = this.#handshakes;
    const parent = tlsParent(socket);
    const remote = (parent !== undefined ? this.#remotes?.get(parent) : undefined) ?? socket.remoteAddress;
    if (running === undefined) return remote;
    if (parent !== undefined) running.delete(parent);
    else running.clear(); // cannot tell which one ended: stop tracking (see tlsParent)
    return remote;
  }

  readonly #onSecureConnection = (socket: tls.TLSSocket): void => {
    this.#handshakeEnded(socket);
    // Half-open from now on, as every socket SocketFactory makes (see #accepted).
    socket.allowHalfOpen = true;
    if (this.destroyed || this.#phase === 'done') {
      socket.destroy();
      return;
    }
    if (this.#paused || this.#held.length > 0) this.#hold(socket);
    else this.ioDispatch(this.#acceptState, socket);
  };

  readonly #onTlsClientError = (err: Error, socket: tls.TLSSocket): void => {
    const remote = this.#handshakeEnded(socket);
    // Read before destroying: a refused client certificate is only on the socket.
    const { errno, errstr } = handshakeFailure(err, socket);
    // Node leaves a timed-out handshake open.
    socket.destroy();
    if (this.destroyed || this.#phase === 'done') return;
    this.ioDispatch(this.#handshakeState, errno, errstr, remote);
  };

  /** `err`: Node's error, or the errno of descriptors found exhausted. */
  #onAcceptReady(socket: net.Socket | undefined, err: unknown): void {
    if (socket === undefined) {
      const errno = typeof err === 'number' ? err : sysError(err).errno;
      this.emit(this.#failure, 'accept', errno, strerror(errno), this.ID);
      return;
    }
    let address: Buffer | undefined;
    let port: number | undefined;
    if (this.#domain !== 'unix' && socket.remoteAddress !== undefined) {
      address = inetAton(socket.remoteAddress);
      port = socket.remotePort;
    }
    this.emit(this.#success, socket, address, port, this.ID);
  }

  // -------------------------------------------------------------------------------------------
  // connecting

  #connect(remote: Endpoint, bind: Endpoint | undefined): void {
    let socket: net.Socket;
    if ('path' in remote) {
      this.#remotePath = remote.path;
      socket = net.connect({ path: remote.path, allowHalfOpen: true });
    } else {
      const local = bind !== undefined && 'host' in bind ? bind : undefined;
      this.#remoteHost = remote.host;
      socket = net.connect({
        host: remote.host,
        port: remote.port,
        family: this.#domain === 'inet' ? 4 : 6,
        allowHalfOpen: true,
        ...(local !== undefined ? { localAddress: local.host, localPort: local.port } : {}),
      });
    }
    this.#socket = socket;
    this.#phase = 'active';
    this.hold();
    this.listen(socket, 'connect', this.#onConnect);
    this.listen(socket, 'error', this.#onConnectError);
  }

  readonly #onConnect = (): void => this.ioDispatch(this.#connectState, undefined);
  readonly #onConnectError = (err: Error): void => this.ioDispatch(this.#connectState, err);

  #onConnectReady(err: unknown): void {
    const socket = this.#socket;
    if (socket === undefined || this.#phase !== 'active') return;
    if (err === undefined && this.#tlsConnect !== undefined && socket instanceof net.Socket && !(socket instanceof tls.TLSSocket)) {
      // Connected: now the handshake, over the same socket. The session hears of neither
      // until it ends (as a connect still in progress).
      this.unlisten(socket);
      const secure = startClientHandshake(this.#tlsConnect, socket, this.#remoteHost);
      this.#socket = secure;
      this.listen(secure, 'secureConnect', this.#onConnect);
      this.listen(secure, 'error', this.#onConnectError);
      return;
    }
    // One-shot, as POE's connect state: stop watching before telling the session.
    this.#socket = undefined;
    this.#finishSetup();
    this.unlisten(socket);
    if (err !== undefined && socket instanceof tls.TLSSocket) {
      const { errno, errstr } = handshakeFailure(err, socket);
      socket.destroy();
      this.emit(this.#failure, 'handshake', errno, errstr, this.ID);
      return;
    }
    if (err !== undefined) {
      const { op, errno, early } = clientOp(err, this.#domain, this.#domain === 'unix' || this.#kind === 'dgram');
      if (socket instanceof net.Socket) socket.destroy();
      else socket.close();
      if (early) this.kernel.yield(this.#failure, op, errno, strerror(errno), this.ID);
      else this.emit(this.#failure, op, errno, strerror(errno), this.ID);
      return;
    }
    let address: Buffer | string | undefined;
    let port: number | undefined;
    if (socket instanceof net.Socket) {
      // Node has no getpeername for pipes; the path connected to is what POE's
      // unpack_sockaddr_un(getpeername) gives.
      if (this.#domain === 'unix') address = this.#remotePath;
      else if (socket.remoteAddress !== undefined) {
        address = inetAton(socket.remoteAddress);
        port = socket.remotePort;
      }
    } else {
      const peer = socket.remoteAddress();
      address = inetAton(peer.address);
      port = peer.port;
    }
    this.emit(this.#success, socket, address, port, this.ID);
  }

  // -------------------------------------------------------------------------------------------
  // datagrams

  #dgram(bind: Endpoint | undefined, remote: { host: string; port: number } | undefined, reuse: boolean): void {
    const socket = dgram.createSocket({ type: this.#domain === 'inet6' ? 'udp6' : 'udp4', reuseAddr: reuse });
    this.#socket = socket;
    this.hold();
    this.listen(socket, 'error', this.#onDgramError);
    const connect = (): void => {
      if (this.destroyed || this.#phase !== 'setup') return;
      // POE connects a UDP client and reports it like a TCP one: SuccessEvent is called
      // with the remote end once the socket is writable.
      this.#phase = 'active';
      this.listen(socket, 'connect', this.#onConnect);
      socket.connect(remote!.port, remote!.host);
    };
    const bound = (): void => {
      if (this.destroyed || this.#phase !== 'setup') return;
      if (remote !== undefined) {
        connect();
        return;
      }
      // POE yields SuccessEvent for a connectionless socket from inside `new`; Node binds on a
      // later tick, so it is yielded once bound.
      this.#socket = undefined;
      this.unlisten(socket);
      this.#finishSetup();
      this.ioDispatch(this.#yieldState, this.#success, socket, undefined, undefined, this.ID);
    };
    if (bind !== undefined && 'host' in bind) socket.bind({ address: bind.host, port: bind.port }, bound);
    else connect();
  }

  readonly #onDgramError = (err: Error): void => {
    if (this.destroyed) return;
    if (this.#phase === 'active') {
      this.ioDispatch(this.#connectState, err);
      return;
    }
    if (this.#phase !== 'setup') return;
    const socket = this.#socket as dgram.Socket;
    this.#socket = undefined;
    this.unlisten(socket);
    socket.close();
    const { op, errno } = clientOp(err, this.#domain, true);
    this.#deferFailure(op, errno);
  };

  // -------------------------------------------------------------------------------------------
  // public API

  /**
   * Renames SuccessEvent and/or FailureEvent. Neither may be unset (POE refuses undef with a
   * warning; here it throws). POE: `$wheel->event(SuccessEvent => ..., FailureEvent => ...)`.
   */
  event(events: { successEvent?: EventName<E>; failureEvent?: EventName<E> }): void {
    Wheel.checkOptions('SocketFactory event()', events, ['successEvent', 'failureEvent'], ['successEvent', 'failureEvent']);
    for (const key of ['successEvent', 'failureEvent'] as const) {
      if (key in events && events[key] === undefined) fail(`SocketFactory event(): \`${key}\` requires an event name; it cannot be unset`);
    }
    if (events.successEvent !== undefined) this.#success = events.successEvent;
    if (events.failureEvent !== undefined) this.#failure = events.failureEvent;
  }

  /**
   * The local end of the wheel's socket (the listener, or a client or UDP socket not yet handed
   * over), unpacked; undefined when there is none or it is not bound yet. POE returns a packed
   * sockaddr: `unpack_sockaddr_in($wheel->getsockname)` becomes `wheel.getsockname()?.port`.
   */
  getsockname(): SocketName | undefined {
    if (this.#server !== undefined) return nameOf(this.#server.address());
    const socket = this.#socket;
    if (socket === undefined) return undefined;
    try {
      return nameOf(socket.address());
    } catch {
      return undefined; // a dgram socket that is not bound yet
    }
  }

  /**
   * The listening `net.Server` (undefined for clients and UDP). It stays open while the wheel
   * lives; a forked child can adopt it with `{ handle }`.
   */
  get listener(): net.Server | undefined {
    return this.#server;
  }

  /**
   * Stops reporting new connections until `resumeAccept()`. POE pauses the accept watcher and
   * connections wait in the kernel's listen queue. Node cannot stop a listening socket
   * accepting without closing it (and losing the port), so here the socket stays bound and
   * listening, Node keeps accepting, and the wheel holds the new connections unreported, in
   * arrival order, up to `listenQueue` of them; further ones are reset at once (where a full
   * listen queue would drop the SYN). A held connection that errors is dropped silently. The
   * wheel keeps holding its session while paused, like POE's paused watcher (G26).
   * POE: `pause_accept`.
   */
  pauseAccept(): void {
    if (this.#server === undefined || this.destroyed) return;
    this.#paused = true;
  }

  /**
   * Reports connections again: the ones held while paused come first, oldest first, each as
   * an I/O event (SuccessEvent called from outside any handler) right after the current
   * handler and the kernel's current batch, as POE's resumed watcher would see a readable
   * listener in the next timeslice. Then new ones as they arrive. POE: `resume_accept`.
   */
  resumeAccept(): void {
    if (this.#server === undefined || this.destroyed || !this.#paused) return;
    this.#paused = false;
    if (this.#held.length === 0 || this.#draining) return;
    this.#draining = true;
    // After the current dispatch: never deliver I/O events re-entrantly inside the handler
    // that called resumeAccept().
    process.nextTick(this.#drainHeld);
  }

  readonly #drainHeld = (): void => {
    this.#draining = false;
    while (this.#held.length > 0 && !this.#paused && !this.destroyed && this.#phase === 'active') {
      const socket = this.#held.shift()!;
      this.unlisten(socket);
      if (socket.destroyed) continue;
      this.#accepted(socket);
    }
  };

  /** Number of connections held while accept is paused. */
  get pendingAccepts(): number {
    return this.#held.length;
  }

  /** POE's spelling of {@link SocketFactory.pauseAccept}. */
  declare pause_accept: this['pauseAccept'];
  /** POE's spelling of {@link SocketFactory.resumeAccept}. */
  declare resume_accept: this['resumeAccept'];

  static {
    Wheel.installAliases(this, { pause_accept: 'pauseAccept', resume_accept: 'resumeAccept' });
  }

  protected onDestroy(): void {
    this.#stopSharing();
    const server = this.#server;
    if (server !== undefined) {
      ignoreLateErrors(server);
      if (server.listening) server.close();
    }
    // Connections POE would still have had in the listen queue die with the listener, and
    // so do handshakes still running.
    for (const socket of this.#held.splice(0)) this.closeHandle(socket, 'destroy');
    if (this.#handshakes !== undefined) for (const socket of this.#handshakes) this.closeHandle(socket, 'destroy');
    this.#handshakes?.clear();
    // One the wheel could not track (see tlsParent) ends unwanted.
    this.#tlsServer?.on('secureConnection', (socket: tls.TLSSocket) => socket.destroy());
    this.#tlsServer?.on('tlsClientError', (_err: Error, socket: tls.TLSSocket) => socket.destroy());
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket instanceof net.Socket) this.closeHandle(socket, 'destroy');
    else if (socket !== undefined) {
      ignoreLateErrors(socket);
      socket.close();
    }
    this.#phase = 'done';
  }
}
