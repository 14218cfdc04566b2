import * as net from 'node:net';
import { constants } from 'node:os';
import * as tls from 'node:tls';
import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import { strerror } from '../errno.js';

/*
 * TLS for SocketFactory (and through it Server::TCP and Client::TCP): what
 * POE::Component::SSLify gave POE programs. The options, their checks, and how a failed
 * handshake becomes POE's `(operation, errnum, errstr)`. The handshake itself is Node's; the
 * wheels above see plaintext, the drivers a stream, the kernel nothing.
 */

const E = constants.errno;

/** Options shared by both ends: certificates, keys, trust, versions (node:tls `createSecureContext`). */
type ContextKeys =
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'crl'
  | 'ciphers'
  | 'sigalgs'
  | 'ecdhCurve'
  | 'dhparam'
  | 'honorCipherOrder'
  | 'minVersion'
  | 'maxVersion'
  | 'secureOptions'
  | 'secureProtocol'
  | 'sessionIdContext'
  | 'ticketKeys'
  | 'sessionTimeout';

/**
 * TLS options of a listener: `SocketFactory`'s `tls` with a bind address, `ServerTCP`'s `tls`.
 * node:tls `createServer` options (`key`, `cert`, `ca`, `requestCert`, `rejectUnauthorized`,
 * `ALPNProtocols`, `SNICallback`, `minVersion`, `handshakeTimeout`, ...), plus `contexts`.
 */
export interface TlsListenOptions extends Pick<tls.TlsOptions, ContextKeys | 'requestCert' | 'rejectUnauthorized' | 'ALPNProtocols' | 'ALPNCallback' | 'SNICallback' | 'handshakeTimeout' | 'enableTrace'> {
  /**
   * SNI: a certificate per server name, `{ 'example.org': { key, cert } }` (a name may start
   * with `*.`). A client asking for a name not listed gets the listener's own `key`/`cert`.
   * Node's `server.addContext(name, context)`.
   */
  contexts?: Readonly<Record<string, tls.SecureContextOptions | tls.SecureContext>>;
  /**
   * Milliseconds a connection has to finish its handshake; after it the connection is closed
   * and reported as a `'handshake'` failure with ETIMEDOUT. Node's `handshakeTimeout`.
   * @default 120000
   */
  handshakeTimeout?: number;
}

/**
 * TLS options of a client: `SocketFactory`'s `tls` with a remote address, `ClientTCP`'s `tls`.
 * node:tls `connect` options (`ca`, `cert`, `key` for a client certificate, `servername`,
 * `ALPNProtocols`, `rejectUnauthorized`, `checkServerIdentity`, `minVersion`, `session`, ...).
 * `servername` defaults to the remote address when that is a host name (as https does).
 */
export type TlsConnectOptions = Pick<tls.ConnectionOptions, ContextKeys | 'rejectUnauthorized' | 'ALPNProtocols' | 'servername' | 'checkServerIdentity' | 'session' | 'minDHSize' | 'secureContext' | 'enableTrace'>;

const CONTEXT_KEYS: readonly ContextKeys[] = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'crl',
  'ciphers',
  'sigalgs',
  'ecdhCurve',
  'dhparam',
  'honorCipherOrder',
  'minVersion',
  'maxVersion',
  'secureOptions',
  'secureProtocol',
  'sessionIdContext',
  'ticketKeys',
  'sessionTimeout',
];

const LISTEN_KEYS = [...CONTEXT_KEYS, 'requestCert', 'rejectUnauthorized', 'ALPNProtocols', 'ALPNCallback', 'SNICallback', 'handshakeTimeout', 'enableTrace', 'contexts'];
const CONNECT_KEYS = [...CONTEXT_KEYS, 'rejectUnauthorized', 'ALPNProtocols', 'servername', 'checkServerIdentity', 'session', 'minDHSize', 'secureContext', 'enableTrace'];

function fail(message: string, cause?: unknown): never {
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', message, cause === undefined ? undefined : { cause });
}

function checkObject(what: string, value: unknown): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`Expected ${what} option \`tls\` to be an object of node:tls options, got ${describe(value)}`);
}

/** Node's own message for certificates or keys it cannot load, under the option's name. */
function load<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return fail(`${what} option \`tls\`: ${(err as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`, err);
  }
}

/**
 * Checks listener TLS options and builds what serves them: a `tls.Server` that never listens.
 * The listening socket stays the wheel's own `net.Server`; each accepted connection is handed
 * to this server (its documented `'connection'` injection), which runs the handshake, SNI,
 * ALPN and client-certificate checks and says `'secureConnection'` or `'tlsClientError'`.
 * Certificates and keys are loaded here, so a bad one is an option error at the door.
 * @internal
 */
export function tlsListener(what: string, options: unknown): tls.Server {
  checkObject(what, options);
  rejectUnknownKeys(`${what} tls`, options, LISTEN_KEYS);
  const { contexts, handshakeTimeout, ...rest } = options as TlsListenOptions;
  if (handshakeTimeout !== undefined && (typeof handshakeTimeout !== 'number' || !Number.isFinite(handshakeTimeout) || handshakeTimeout <= 0)) {
    fail(`Expected ${what} option \`tls.handshakeTimeout\` to be a positive number of milliseconds, got ${describe(handshakeTimeout)}`);
  }
  if (contexts !== undefined && (contexts === null || typeof contexts !== 'object' || Array.isArray(contexts))) {
    fail(`Expected ${what} option \`tls.contexts\` to be an object of server name -> { key, cert }, got ${describe(contexts)}`);
  }
  const server = load(what, () => tls.createServer({ ...rest, ...(handshakeTimeout !== undefined ? { handshakeTimeout } : {}) }));
  for (const [name, context] of Object.entries(contexts ?? {})) {
    if (context === null || typeof context !== 'object') fail(`Expected ${what} option \`tls.contexts\` entry \`${name}\` to be { key, cert } or a SecureContext, got ${describe(context)}`);
    load(what, () => server.addContext(name, context));
  }
  return server;
}

/**
 * Checks client TLS options and loads their certificates once into a SecureContext: the
 * options returned carry it (`secureContext`) in place of the certificate options, so every
 * connection made with them (every reconnect of a Client::TCP) shares it. @internal
 */
export function tlsClient(what: string, options: unknown): TlsConnectOptions {
  checkObject(what, options);
  rejectUnknownKeys(`${what} tls`, options, CONNECT_KEYS);
  const o = { ...(options) } as TlsConnectOptions & Record<string, unknown>;
  if (o.servername !== undefined && (typeof o.servername !== 'string' || o.servername === '')) fail(`Expected ${what} option \`tls.servername\` to be a host name, got ${describe(o.servername)}`);
  if (o.secureContext === undefined) {
    const contextOptions: Record<string, unknown> = {};
    for (const key of CONTEXT_KEYS) {
      if (o[key] === undefined) continue;
      contextOptions[key] = o[key];
      delete o[key];
    }
    o.secureContext = load(what, () => tls.createSecureContext(contextOptions as tls.SecureContextOptions));
  }
  return o;
}

/**
 * Starts the client handshake over a connected socket. `host` is the address connected to:
 * a host name is also the SNI name unless `servername` says otherwise; the certificate is
 * checked against `servername`, else `host`. @internal
 */
export function startClientHandshake(options: TlsConnectOptions, socket: net.Socket, host: string | undefined): tls.TLSSocket {
  const servername = options.servername ?? (host !== undefined && net.isIP(host) === 0 ? host : undefined);
  return tls.connect({ ...options, socket, ...(host !== undefined ? { host } : {}), ...(servername !== undefined ? { servername } : {}) });
}

/** What POE's FailureEvent carries for a failed handshake: `('handshake', errnum, errstr)`. */
export interface HandshakeFailure {
  readonly errno: number;
  readonly errstr: string;
}

/**
 * A failed handshake as POE's `(errnum, errstr)`:
 * - the handshake timed out (`ERR_TLS_HANDSHAKE_TIMEOUT`): ETIMEDOUT;
 * - a certificate was refused, or the TLS protocol failed (an OpenSSL verify code such as
 *   `DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`, an `ERR_SSL_*` code):
 *   EPROTO;
 * - the socket failed with a system error (ECONNRESET: the peer left mid-handshake): that
 *   errno.
 * `errstr` is Node's code for TLS failures (`'DEPTH_ZERO_SELF_SIGNED_CERT'`), the strerror
 * text for system errors (`'Connection reset by peer'`). A server that refused a client's
 * certificate closes the connection without an error of its own (Node resets it); the
 * socket's `authorizationError` then names the refusal, and that is what is reported.
 * @internal
 */
export function handshakeFailure(err: unknown, socket: tls.TLSSocket | undefined): HandshakeFailure {
  const given = (err as { code?: unknown } | null)?.code;
  let code = typeof given === 'string' ? given : 'ERR_TLS_HANDSHAKE';
  const refused = socket?.authorizationError;
  if (code === 'ECONNRESET' && refused !== undefined && refused !== null) code = String(refused);
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return { errno: E.ETIMEDOUT, errstr: code };
  const sys = (E as Record<string, number | undefined>)[code];
  if (sys !== undefined) return { errno: sys, errstr: strerror(sys) };
  return { errno: E.EPROTO, errstr: code };
}
