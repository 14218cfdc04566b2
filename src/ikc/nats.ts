/*
 * IKC over NATS: kernels on many hosts find each other through a NATS broker and talk through
 * it, one link per pair of kernels, on the official client (@nats-io/transport-node).
 *
 * Subjects (`prefix` is `poe.ikc` unless given; a kernel name becomes one subject token, each
 * character outside [A-Za-z0-9_-] written as `%XX`, so `host.example-42` is
 * `host%2Eexample-42`):
 *
 *   <prefix>.all               every kernel listens: `hello` (connected, or connected again),
 *                              `beat` (every `heartbeat` seconds), `bye` (leaving for good)
 *   <prefix>.k.<to>.<from>     what kernel <from> sends kernel <to>: link batches, and `sync`
 *
 * Sessions are named inside the frames, not in subjects: the link numbers and acknowledges
 * the frames of a pair of kernels as one stream (POE's order holds between one sender and one
 * receiver, and a call sees the posts sent before it), so the pair's frames take one subject.
 * A broker's permissions can restrict who may publish to `<prefix>.k.<name>.>`.
 *
 * NATS core delivers at most once. The link above (link.ts) makes it reliable: it numbers,
 * acknowledges, keeps what is unacknowledged and sends it again once both ends said hello.
 * This file only has to make sure that a lost message is always followed by a new hello:
 * each message of a pair carries its own number, restarted with each hello (a stream); a
 * receiver that sees a number missing restarts its stream and asks the other end (`sync`) to
 * restart its own. A kernel that connects (again) says `hello`; the others restart their
 * stream to it and answer `sync`. A kernel not heard from for `peerTimeout` seconds is down
 * (its posts wait in the link, to the buffer bound); heard from again, it is up again.
 */
import { createRequire } from 'node:module';
import type * as Nats from '@nats-io/transport-node';
import { PoeArgumentError, PoeIkcError, describe, rejectUnknownKeys } from '../errors.js';
import { checkSeconds } from '../component/options.js';
import type { Responder } from './responder.js';
import type { Transport, TransportSink } from './transport.js';

/** TLS for the NATS connection: the client's own TlsOptions (files or PEM text). */
export interface NatsTlsOptions {
  caFile?: string;
  ca?: string;
  certFile?: string;
  cert?: string;
  keyFile?: string;
  key?: string;
  /** TLS before the NATS greeting (the server must be configured with `handshake_first`). */
  handshakeFirst?: boolean;
}

/** Options of `NatsIkc.connect`. */
export interface NatsIkcOptions {
  /** The broker: `nats://host:port`, or several for a cluster. @default 'nats://127.0.0.1:4222' */
  servers?: string | string[];
  /** User and password the broker asks for. */
  user?: string;
  pass?: string;
  /** A token the broker asks for (instead of user and password). */
  token?: string;
  /** TLS, passed to the NATS client as it is. */
  tls?: NatsTlsOptions;
  /** The first token(s) of every subject, to keep apart systems that share a broker. @default 'poe.ikc' */
  prefix?: string;
  /** Seconds between the `beat`s that tell the other kernels this one is alive. @default 2 */
  heartbeat?: number;
  /** Seconds without a word from a kernel before its link goes down. @default 3 × heartbeat */
  peerTimeout?: number;
  /** Seconds between attempts to reach the broker again after losing it. @default 0.25 */
  reconnectWait?: number;
}

const OPTION_KEYS = ['servers', 'user', 'pass', 'token', 'tls', 'prefix', 'heartbeat', 'peerTimeout', 'reconnectWait'] as const;

let nats: typeof Nats | undefined;
/** The NATS client, loaded on first use: importing poe-ts does not pay for it. */
function client(): typeof Nats {
  return (nats ??= createRequire(import.meta.url)('@nats-io/transport-node') as typeof Nats);
}

/** A kernel name as one subject token. */
export function subjectToken(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 256 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

function fromToken(token: string): string {
  return token.replace(/%u([0-9A-F]{4})|%([0-9A-F]{2})/g, (_m, u: string | undefined, b: string | undefined) => String.fromCharCode(parseInt(u ?? b!, 16)));
}

/** Kinds of a message on `<prefix>.k.<to>.<from>` (its first byte). */
const enum Kind {
  /** [0, n (uint32), batch...]: the n-th message of the sender's stream */
  Data = 0,
  /** [1]: the sender restarted its stream to you: restart yours */
  Sync = 1,
  /** [2, n (uint32), part...]: the n-th message, a part of a batch larger than the broker takes; the rest follows */
  Part = 2,
}

const SYNC = new Uint8Array([Kind.Sync]);

/** The transport to one other kernel through the broker. */
class NatsPeer implements Transport {
  readonly description: string;
  #sink: TransportSink | undefined = undefined;
  #up = false;
  closed = false;
  /** The number of the last message sent in this stream. */
  #out = 0;
  /** The number of the next message expected; 0: a new stream (number 1) is awaited. */
  #expect = 0;
  lastSeen = Date.now();
  readonly #subject: string;
  /** The parts of a batch received so far. */
  #parts: Uint8Array[] = [];

  constructor(
    readonly hub: NatsIkc,
    readonly name: string,
  ) {
    this.description = `nats:${name}@${hub.server.replace(/^nats:\/\//, '')}`;
    this.#subject = `${hub.prefix}.k.${subjectToken(name)}.${subjectToken(hub.name)}`;
  }

  get up(): boolean {
    return this.#up;
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    if (this.hub.connected) this.restart();
  }

  /** A new stream to the other end: the link says hello again (and sends what it holds). */
  restart(): void {
    if (this.closed || this.#sink === undefined || !this.hub.connected) return;
    if (this.#up) this.down('its stream restarted');
    this.#up = true;
    this.#out = 0;
    this.#expect = 0;
    this.#parts = [];
    this.#sink.up();
  }

  /** Restarts this stream and asks the other end to restart its own. */
  sync(): void {
    this.hub.publish(this.#subject, SYNC);
    this.restart();
  }

  down(reason: string): void {
    if (!this.#up) return;
    this.#up = false;
    this.#sink?.down(reason);
  }

  send(bytes: Uint8Array): void {
    if (!this.#up) return;
    // A batch larger than the broker's max_payload goes in parts, each numbered in the stream.
    const room = this.hub.maxPayload - 5;
    let at = 0;
    do {
      const end = Math.min(bytes.byteLength, at + room);
      const msg = new Uint8Array(5 + end - at);
      msg[0] = end < bytes.byteLength ? Kind.Part : Kind.Data;
      new DataView(msg.buffer).setUint32(1, ++this.#out);
      msg.set(bytes.subarray(at, end), 5);
      this.hub.publish(this.#subject, msg);
      at = end;
    } while (at < bytes.byteLength);
  }

  /** A message from the other end. */
  take(data: Uint8Array): void {
    this.lastSeen = Date.now();
    if (data.byteLength === 1 && data[0] === Kind.Sync) {
      this.restart();
      return;
    }
    if (data.byteLength < 5 || (data[0] !== Kind.Data && data[0] !== Kind.Part)) {
      this.hub.log(`IKC: dropped a malformed NATS message from ${this.name} (${data.byteLength} bytes)`);
      return;
    }
    const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
    if (n === 1) {
      // Its new stream: its hello comes first. A link that is down goes up to answer it.
      if (!this.#up) this.restart();
      this.#expect = 2;
    } else if (n === this.#expect && this.#up) {
      this.#expect++;
    } else {
      // A message missing (NATS core may lose some), or a stream this end does not know: the
      // link's acknowledgements say what was taken; a new hello each way resends the rest.
      if (this.#expect !== 0 || !this.#up) {
        this.hub.log(`IKC: a message from ${this.name} over NATS was lost (expected ${this.#expect}, got ${n}); restarting the link`);
        this.sync();
      }
      this.#parts = [];
      return;
    }
    if (n === 1) this.#parts = [];
    if (data[0] === Kind.Part) {
      this.#parts.push(data.subarray(5));
      return;
    }
    if (this.#parts.length === 0) {
      this.#sink?.data(data.subarray(5));
      return;
    }
    this.#parts.push(data.subarray(5));
    const whole = Buffer.concat(this.#parts);
    this.#parts = [];
    this.#sink?.data(whole);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#up = false;
    this.hub.forget(this);
  }
}

/**
 * Connects a kernel's IKC responder to a NATS broker: the kernel announces itself, finds the
 * other kernels that use the same broker and prefix, and gets a link to each (monitor events
 * `register`, `unregister`, `reconnect` as they come, go and come back). The responder stays
 * alive while it is connected; `ikc.shutdown()` (or `close()`) says `bye` and disconnects.
 *
 *     const ikc = Responder.spawn({ kernel });
 *     await NatsIkc.connect(ikc, { servers: process.env.NATS_URL, user, pass });
 *     kernel.post('poe://other/session', 'event', ...args);
 *
 * Rejects with ERR_POE_IKC_CONNECT when the broker cannot be reached or refuses the
 * credentials. Later losses of the broker are reconnected without end; posts wait meanwhile
 * (see `ResponderOptions.bufferLimit` and `bufferTimeout`).
 */
export class NatsIkc {
  readonly ikc: Responder;
  readonly name: string;
  readonly prefix: string;
  /** The first server, for descriptions and logs. */
  readonly server: string;
  connected = false;
  /** The largest message the broker takes (its max_payload, read at connect). */
  maxPayload = 1024 * 1024;
  #nc: Nats.NatsConnection | undefined = undefined;
  readonly #peers = new Map<string, NatsPeer>();
  readonly #instance: string;
  #beat: ReturnType<typeof setInterval> | undefined = undefined;
  readonly #heartbeat: number;
  readonly #peerTimeout: number;
  #release: (() => void) | undefined = undefined;
  #closed = false;
  readonly #all: string;

  private constructor(ikc: Responder, o: NatsIkcOptions) {
    this.ikc = ikc;
    this.name = ikc.name;
    this.prefix = o.prefix ?? 'poe.ikc';
    const servers = o.servers === undefined ? ['nats://127.0.0.1:4222'] : Array.isArray(o.servers) ? o.servers : [o.servers];
    this.server = servers[0] ?? '';
    this.#instance = ikc.instance;
    this.#heartbeat = o.heartbeat ?? 2;
    this.#peerTimeout = o.peerTimeout ?? 3 * this.#heartbeat;
    this.#all = `${this.prefix}.all`;
  }

  /** Connects `ikc` to the broker; resolves once it is connected and has said hello. */
  static async connect(ikc: Responder, options: NatsIkcOptions = {}): Promise<NatsIkc> {
    if (options === null || typeof options !== 'object') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected NatsIkc options to be an object, got ${describe(options)}`);
    rejectUnknownKeys('NatsIkc', options, OPTION_KEYS);
    for (const key of ['heartbeat', 'peerTimeout', 'reconnectWait'] as const) checkSeconds(`\`${key}\``, options[key]);
    const p = options.prefix;
    if (p !== undefined && (typeof p !== 'string' || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(p))) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`prefix\` to be subject tokens (letters, digits, \`_\`, \`-\`) joined by \`.\`, got ${describe(p)}`);
    }
    const hub = new NatsIkc(ikc, options);
    hub.#release = ikc._service(`IKC NATS ${hub.server}`, () => void hub.close());
    try {
      hub.#nc = await client().connect({
        servers: options.servers ?? hub.server,
        user: options.user,
        pass: options.pass,
        token: options.token,
        tls: options.tls,
        name: `poe-ts ${hub.name}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: Math.round((options.reconnectWait ?? 0.25) * 1000),
      });
    } catch (err) {
      hub.#releaseService();
      throw new PoeIkcError('ERR_POE_IKC_CONNECT', hub.server, `Cannot connect kernel ${hub.name} to NATS at ${hub.server}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (hub.#closed) {
      await hub.#nc.close();
      throw new PoeIkcError('ERR_POE_IKC_SHUTDOWN', hub.server, `The IKC responder of ${hub.name} shut down while connecting to NATS`);
    }
    hub.#started();
    return hub;
  }

  #started(): void {
    const nc = this.#nc!;
    this.connected = true;
    this.maxPayload = nc.info?.max_payload ?? this.maxPayload;
    nc.subscribe(this.#all, { callback: (err, msg) => (err === null ? this.#announced(msg.data) : undefined) });
    const mine = `${this.prefix}.k.${subjectToken(this.name)}.`;
    nc.subscribe(`${mine}*`, {
      callback: (err, msg) => {
        if (err !== null) return;
        this.#direct(fromToken(msg.subject.slice(mine.length)), msg.data);
      },
    });
    void this.#watch(nc);
    this.#beat = setInterval(() => this.#tick(), this.#heartbeat * 1000);
    this.#beat.unref();
    this.#say('hello');
  }

  async #watch(nc: Nats.NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        for (const p of this.#peers.values()) p.down('the connection to NATS was lost');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.#say('hello');
      }
    }
  }

  #say(what: 'hello' | 'beat' | 'bye'): void {
    this.publish(this.#all, Buffer.from(JSON.stringify({ t: what, k: this.name, i: this.#instance })));
  }

  /** @internal */
  publish(subject: string, data: Uint8Array): void {
    const nc = this.#nc;
    if (nc === undefined || !this.connected || nc.isClosed()) return;
    try {
      nc.publish(subject, data);
    } catch (err) {
      // Lost between the status event and now: the link holds what it sent.
      this.log(`IKC: NATS publish to ${subject} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** @internal */
  log(line: string): void {
    this.ikc.log(line);
  }

  /** The transport to kernel `name`, made (and given to the responder) on first word from it. */
  #peer(name: string): NatsPeer | undefined {
    let p = this.#peers.get(name);
    if (p === undefined && !this.#closed) {
      p = new NatsPeer(this, name);
      this.#peers.set(name, p);
      try {
        this.ikc.connect(p);
      } catch {
        this.#peers.delete(name);
        return undefined;
      }
    }
    return p;
  }

  #announced(data: Uint8Array): void {
    let m: { t?: unknown; k?: unknown; i?: unknown };
    try {
      m = JSON.parse(Buffer.from(data).toString('utf8')) as typeof m;
    } catch {
      this.log(`IKC: dropped an undecodable announcement on ${this.#all}`);
      return;
    }
    if (m === null || typeof m !== 'object' || typeof m.k !== 'string' || m.k === '' || typeof m.t !== 'string') {
      this.log(`IKC: dropped a malformed announcement on ${this.#all}`);
      return;
    }
    if (m.k === this.name) {
      if (m.i !== this.#instance && m.t === 'hello') this.log(`IKC: another kernel named ${this.name} is on the NATS broker; names must be unique`);
      return;
    }
    const known = this.#peers.get(m.k);
    if (m.t === 'bye') {
      known?.down(`${m.k} left`);
      return;
    }
    if (m.t === 'hello') {
      // It (re)connected: a new stream each way.
      this.#peer(m.k)?.sync();
      return;
    }
    if (m.t === 'beat') {
      if (known === undefined || !known.up) this.#peer(m.k)?.sync();
      else known.lastSeen = Date.now();
    }
  }

  #direct(from: string, data: Uint8Array): void {
    if (from === '' || from === this.name) return;
    this.#peer(from)?.take(data);
  }

  #tick(): void {
    if (!this.connected) return;
    this.#say('beat');
    const limit = Date.now() - this.#peerTimeout * 1000;
    for (const p of this.#peers.values()) {
      if (p.up && p.lastSeen < limit) p.down(`no word from ${p.name} over NATS for ${this.#peerTimeout} s`);
    }
  }

  /** @internal The responder closed the link to `peer`. */
  forget(peer: NatsPeer): void {
    if (this.#peers.get(peer.name) === peer) this.#peers.delete(peer.name);
  }

  /** Kernels heard from over this connection and up now. */
  kernels(): string[] {
    return [...this.#peers.values()].filter((p) => p.up).map((p) => p.name);
  }

  #releaseService(): void {
    const r = this.#release;
    this.#release = undefined;
    r?.();
  }

  /** Says `bye` and disconnects (the responder calls it at `shutdown`). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#releaseService();
    if (this.#beat !== undefined) clearInterval(this.#beat);
    const nc = this.#nc;
    if (nc === undefined) return;
    this.#say('bye');
    this.connected = false;
    for (const p of this.#peers.values()) p.down('the NATS connection was closed');
    try {
      // The links' last batches and bye go out first.
      await nc.drain();
    } catch {
      await nc.close().catch(() => undefined);
    }
  }
}
