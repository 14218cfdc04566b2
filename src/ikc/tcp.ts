/*
 * IKC over TCP with no broker, IKC's own model: one kernel listens (`listenTcp`), others connect
 * (`TcpTransport`) and reconnect with backoff. Both ends are the project's own components
 * (ServerTCP, ClientTCP) running as sessions in the kernel they serve, with the Block filter
 * framing each batch as `frameBytes` does (a 4-byte big-endian length, then the bytes).
 *
 * Before any batch, the two ends shake hands on the same framing: the listener sends a nonce,
 * the connecting kernel answers with its name, its own nonce and an HMAC-SHA256 of the
 * listener's nonce under the shared `secret`, and the listener answers with its name and an
 * HMAC of the other nonce. Each end thus proves it knows the secret without sending it; a wrong
 * proof refuses the connection (a log line and the `refused` callback), never a crash. The
 * listener keeps one transport per peer kernel name, so a peer that reconnects finds its link
 * where it left it (its unacknowledged posts are sent again). TLS is the components' `tls`
 * option; the secret is checked inside it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import { ClientTCP } from '../component/client-tcp.js';
import { ServerTCP } from '../component/server-tcp.js';
import { Block, type LengthCodec } from '../filter/block.js';
import { Kernel } from '../kernel/kernel.js';
import type { SessionId } from '../session/session.js';
import type { TlsConnectOptions, TlsListenOptions } from '../wheel/tls.js';
import { frameBytes } from './codec.js';
import type { Responder } from './responder.js';
import type { Transport, TransportSink } from './transport.js';

/** Largest batch a TCP link takes (a bigger length header ends the connection). */
export const TCP_MAX_BATCH = 256 * 1024 * 1024;

/** `frameBytes` as a Block length codec: the one framing every byte-stream IKC transport uses. */
const FRAMING: LengthCodec = {
  encode: (data) => frameBytes(data),
  decode: (buffer) => (buffer.length < 4 ? undefined : { length: buffer.readUInt32BE(0), headerLength: 4 }),
};
const blockSpec = (): [typeof Block, object] => [Block, { lengthCodec: FRAMING, maxLength: TCP_MAX_BATCH }];

const PROTOCOL = 'poe-ikc-tcp/1';

function proof(secret: string | undefined, role: string, nonce: string, name: string): string {
  return secret === undefined ? '' : createHmac('sha256', secret).update(`${PROTOCOL}|${role}|${nonce}|${name}`).digest('hex');
}

function proofOk(expected: string, got: unknown): boolean {
  if (typeof got !== 'string' || got.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(got), Buffer.from(expected));
}

function parseShake(record: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(record.toString('utf8'));
    if (v !== null && typeof v === 'object' && (v as Record<string, unknown>).p === PROTOCOL) return v as Record<string, unknown>;
  } catch {
    // Not a handshake: the caller refuses it.
  }
  return undefined;
}

const shake = (fields: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ p: PROTOCOL, ...fields }));

/** Why a TCP peer was refused, as `refused` is told. */
export interface TcpRefusal {
  /** `host:port` of the other end. */
  remote: string;
  /** The kernel name it gave, if it got that far. */
  kernel: string | undefined;
  reason: string;
}

function checkCommon(what: string, o: Record<string, unknown>): void {
  if (o.secret !== undefined && (typeof o.secret !== 'string' || o.secret === '')) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what}: expected \`secret\` to be a non-empty string, got ${describe(o.secret)}`);
  }
  if (o.refused !== undefined && typeof o.refused !== 'function') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what}: expected \`refused\` to be a function, got ${describe(o.refused)}`);
  }
}

// ---------------------------------------------------------------- the connecting side

/** Options of `new TcpTransport`. */
export interface TcpTransportOptions {
  /** The listening kernel's host. @default '127.0.0.1' */
  host?: string;
  /** The listening kernel's port. */
  port: number;
  /** The kernel whose link this is (its sessions run the connection). @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
  /** The secret both kernels share; without it, any peer that speaks the protocol is taken. */
  secret?: string;
  /** TLS, as ClientTCP takes it (`ca`, `cert`, `key`, `servername`, ...). */
  tls?: TlsConnectOptions;
  /** Seconds before the first reconnect; doubled after each failure up to `reconnectMax`. @default 0.1 */
  reconnectMin?: number;
  /** @default 5 */
  reconnectMax?: number;
  /** Told when the listener refuses this kernel or cannot prove it knows the secret (also logged). */
  refused?: (refusal: TcpRefusal) => void;
}

const CLIENT_KEYS = ['host', 'port', 'kernel', 'secret', 'tls', 'reconnectMin', 'reconnectMax', 'refused'] as const;

/**
 * The connecting end of a TCP link: `ikc.connect(new TcpTransport({ port }))`. It connects when
 * the link starts and again, with backoff, whenever the connection fails or drops, until the
 * link is closed.
 */
export class TcpTransport implements Transport {
  readonly description: string;
  readonly #o: TcpTransportOptions;
  readonly #kernel: Kernel;
  #sink: TransportSink | undefined = undefined;
  #session: SessionId | undefined = undefined;
  #put: ((b: Buffer) => void) | undefined = undefined;
  #ready = false;
  #closed = false;
  #delay: number;

  constructor(options: TcpTransportOptions) {
    if (options === null || typeof options !== 'object') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `TcpTransport: expected options, got ${describe(options)}`);
    rejectUnknownKeys('TcpTransport', options, CLIENT_KEYS);
    checkCommon('TcpTransport', options as unknown as Record<string, unknown>);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `TcpTransport: expected \`port\` to be a port number, got ${describe(options.port)}`);
    }
    this.#o = options;
    this.#kernel = options.kernel ?? Kernel.current();
    this.#delay = options.reconnectMin ?? 0.1;
    this.description = `tcp ${options.host ?? '127.0.0.1'}:${options.port}${options.tls !== undefined ? ' (tls)' : ''}`;
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    const o = this.#o;
    const name = this.#kernel.name;
    let nonce = '';
    const lost = (why: string): void => {
      this.#put = undefined;
      if (this.#ready) {
        this.#ready = false;
        this.#sink?.down(why);
      }
    };
    this.#session = ClientTCP.create<Buffer, Buffer>({
      kernel: this.#kernel,
      remoteAddress: o.host ?? '127.0.0.1',
      remotePort: o.port,
      filter: blockSpec(),
      ...(o.tls !== undefined ? { tls: o.tls } : {}),
      connected: (ctx) => {
        nonce = '';
        // ClientTCP keeps POE's `got_an_error` across reconnects: left set by the last
        // connection's error, a later `shutdown` would drop output not yet written (a Bye, or
        // posts sent again), which the link counts as delivered to the socket.
        delete ctx.heap.got_an_error;
      },
      serverInput: (ctx, record) => {
        if (this.#ready) {
          this.#sink?.data(record);
          return;
        }
        const m = parseShake(record);
        const refuse = (reason: string, kernel?: string): void => {
          this.#refuse({ remote: this.description.slice(4), kernel, reason });
          ctx.kernel.yield('shutdown');
        };
        if (m === undefined) return refuse('it did not speak the IKC TCP protocol');
        if (typeof m.refused === 'string') return refuse(`it refused this kernel: ${m.refused}`);
        if (nonce === '' && typeof m.nonce === 'string') {
          nonce = randomBytes(16).toString('hex');
          ctx.heap.server.put(shake({ kernel: name, nonce, proof: proof(o.secret, 'client', m.nonce, name) }));
          return;
        }
        if (nonce === '' || typeof m.kernel !== 'string') return refuse('a malformed handshake');
        if (!proofOk(proof(o.secret, 'server', nonce, m.kernel), m.proof)) return refuse('it does not know the shared secret', m.kernel);
        const wheel = ctx.heap.server;
        this.#put = (b) => wheel.put(b);
        this.#ready = true;
        this.#delay = o.reconnectMin ?? 0.1;
        this.#sink?.up();
      },
      connectError: (ctx) => this.#retry(ctx.kernel),
      serverError: (ctx, op, errnum, errstr) => {
        lost(errnum === 0 ? 'the connection was closed' : `${op} error: ${errstr}`);
      },
      disconnected: (ctx) => {
        lost('the connection was closed');
        this.#retry(ctx.kernel);
      },
      inlineStates: {
        ikc_tcp_retry: (ctx) => {
          if (!this.#closed) ctx.kernel.yield('reconnect');
        },
        ikc_tcp_close: (ctx) => {
          // A pending retry would keep the session (and its kernel) alive for nothing.
          ctx.kernel.delay('ikc_tcp_retry');
          ctx.kernel.yield('shutdown');
        },
      },
    });
  }

  #retry(kernel: Kernel): void {
    if (this.#closed) return;
    kernel.delay('ikc_tcp_retry', this.#delay);
    this.#delay = Math.min(this.#delay * 2, this.#o.reconnectMax ?? 5);
  }

  #refuse(r: TcpRefusal): void {
    this.#kernel._warn(`IKC: refused the TCP link ${r.remote}${r.kernel !== undefined ? ` (kernel ${r.kernel})` : ''}: ${r.reason}`);
    this.#o.refused?.(r);
  }

  send(bytes: Uint8Array): void {
    this.#put?.(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    this.#put = undefined;
    if (this.#session !== undefined) {
      this.#kernel.post(this.#session, 'ikc_tcp_close');
    }
  }
}

// ---------------------------------------------------------------- the listening side

/** One accepted peer kernel: its connection comes and goes; the link stays. */
class PeerTransport implements Transport {
  readonly description: string;
  #sink: TransportSink | undefined = undefined;
  #conn: Conn | undefined = undefined;
  closed = false;
  constructor(
    readonly peer: string,
    readonly forget: () => void,
  ) {
    this.description = `tcp from ${peer}`;
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    if (this.#conn !== undefined) sink.up();
  }

  attach(conn: Conn): void {
    if (this.#conn !== undefined) this.detach(this.#conn, 'replaced by a new connection', true);
    this.#conn = conn;
    conn.transport = this;
    this.#sink?.up();
  }

  detach(conn: Conn, reason: string, end = false): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    conn.transport = undefined;
    if (end) conn.end();
    if (!this.closed) this.#sink?.down(reason);
  }

  data(bytes: Buffer): void {
    this.#sink?.data(bytes);
  }

  send(bytes: Uint8Array): void {
    this.#conn?.put(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.#conn;
    if (c !== undefined) {
      this.#conn = undefined;
      c.transport = undefined;
      c.end();
    }
    this.forget();
  }
}

interface Conn {
  put(b: Buffer): void;
  end(): void;
  transport: PeerTransport | undefined;
}

/** Peer transports by responder: a listener started again on the same kernel finds its links. */
const peersOf = new WeakMap<Responder, Map<string, PeerTransport>>();

/** Options of `listenTcp`. */
export interface TcpListenOptions {
  /** @default 0 (a free port: read it from `started` or `port()`) */
  port?: number;
  /** @default '127.0.0.1' */
  address?: string;
  /** The secret connecting kernels must know. */
  secret?: string;
  /** TLS, as ServerTCP takes it (`key`, `cert`, `ca`, `requestCert`, ...). */
  tls?: TlsListenOptions;
  /** Called with the bound port once listening. */
  started?: (port: number) => void;
  /** Told when a connection is refused (wrong secret, not the protocol, a bad handshake); also logged. */
  refused?: (refusal: TcpRefusal) => void;
}

const LISTEN_KEYS = ['port', 'address', 'secret', 'tls', 'started', 'refused'] as const;

/** What `listenTcp` returns. */
export interface TcpListener {
  /** The bound port, once `started` has been called (undefined before). */
  port(): number | undefined;
  /** Stops listening and ends the connections; the links stay (their peers may come back to a new listener). */
  close(): void;
}

/**
 * Listens for IKC peers over TCP for `ikc`'s kernel: each connecting kernel that passes the
 * handshake gets one link (`ikc.connect` is called for it), kept by its kernel name across
 * reconnects. POE::Component::IKC::Server.
 */
export function listenTcp(ikc: Responder, options: TcpListenOptions = {}): TcpListener {
  if (options === null || typeof options !== 'object') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `listenTcp: expected options, got ${describe(options)}`);
  rejectUnknownKeys('listenTcp', options, LISTEN_KEYS);
  checkCommon('listenTcp', options as unknown as Record<string, unknown>);
  const kernel = ikc.kernel;
  let peers = peersOf.get(ikc);
  if (peers === undefined) peersOf.set(ikc, (peers = new Map<string, PeerTransport>()));
  const table = peers;
  const conns = new Set<SessionId>();
  let bound: number | undefined;
  let closed = false;
  const refuse = (r: TcpRefusal): void => {
    kernel._warn(`IKC: refused a TCP peer from ${r.remote}${r.kernel !== undefined ? ` (kernel ${r.kernel})` : ''}: ${r.reason}`);
    options.refused?.(r);
  };
  interface Heap {
    ikcNonce: string;
    ikcConn: Conn;
  }
  const listener = ServerTCP.create<Buffer, Buffer, Heap>({
    kernel,
    port: options.port ?? 0,
    address: options.address ?? '127.0.0.1',
    clientFilter: blockSpec(),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    started: (ctx) => {
      const name = ctx.heap.listener?.getsockname();
      bound = name !== undefined && 'port' in name ? name.port : undefined;
      if (bound !== undefined) options.started?.(bound);
    },
    clientConnected: (ctx) => {
      if (closed) return void ctx.kernel.yield('shutdown');
      conns.add(ctx.session.ID);
      const wheel = ctx.heap.client;
      const id = ctx.session.ID;
      ctx.heap.ikcNonce = randomBytes(16).toString('hex');
      ctx.heap.ikcConn = { put: (b) => wheel.put(b), end: () => void kernel.post(id, 'shutdown'), transport: undefined };
      wheel.put(shake({ nonce: ctx.heap.ikcNonce }));
    },
    clientInput: (ctx, record) => {
      const conn = ctx.heap.ikcConn;
      if (conn.transport !== undefined) return conn.transport.data(record);
      const remote = `${ctx.heap.remote_ip}:${String(ctx.heap.remote_port)}`;
      const m = parseShake(record);
      const no = (reason: string, kernelName?: string): void => {
        refuse({ remote, kernel: kernelName, reason });
        ctx.heap.client.put(shake({ refused: reason }));
        ctx.kernel.yield('shutdown');
      };
      if (m === undefined) return no('it did not speak the IKC TCP protocol');
      const name = m.kernel;
      if (typeof name !== 'string' || name === '' || typeof m.nonce !== 'string') return no('a malformed handshake');
      if (!proofOk(proof(options.secret, 'client', ctx.heap.ikcNonce, name), m.proof)) return no('it does not know the shared secret', name);
      if (name === kernel.name) return no('it has this kernel\'s own name', name);
      ctx.heap.client.put(shake({ kernel: kernel.name, proof: proof(options.secret, 'server', m.nonce, kernel.name) }));
      let t = table.get(name);
      if (t === undefined || t.closed) {
        const fresh = new PeerTransport(name, () => {
          if (table.get(name) === fresh) table.delete(name);
        });
        table.set(name, fresh);
        fresh.attach(conn);
        ikc.connect(fresh);
        t = fresh;
      } else t.attach(conn);
    },
    clientError: (ctx, op, errnum, errstr) => {
      // EOF is a peer leaving; anything else (a length past TCP_MAX_BATCH: bytes that are not this protocol) is worth a line.
      if (errnum !== 0) kernel._warn(`IKC: dropped the TCP connection from ${ctx.heap.remote_ip}:${String(ctx.heap.remote_port)}: ${op} error: ${errstr}`);
    },
    clientDisconnected: (ctx) => {
      conns.delete(ctx.session.ID);
      const conn = ctx.heap.ikcConn as Conn | undefined;
      conn?.transport?.detach(conn, 'the connection was closed');
    },
  });
  const close = (): void => {
    if (closed) return;
    closed = true;
    kernel.post(listener, 'shutdown');
    for (const id of conns) kernel.post(id, 'shutdown');
  };
  ikc._onShutdown(close);
  return { port: () => bound, close };
}
