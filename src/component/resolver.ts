import * as dns from 'node:dns';
import { isIP } from 'node:net';
import { PoeArgumentError, PoeError, describe } from '../errors.js';
import { ArrayFifo } from '../kernel/array-fifo.js';
import { WorkHold } from '../kernel/holds.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Context } from '../session/context.js';
import { Session, type SessionId } from '../session/session.js';
import type { Untyped } from '../session/types.js';
import { sessionStopped } from '../wheel/wheel.js';
import { bad, checkCount, checkKeys, checkSeconds, checkString } from './options.js';

/** The record types a {@link Resolver} asks for: what node:dns's `Resolver#resolve` takes. */
export type ResolverType = 'A' | 'AAAA' | 'ANY' | 'CAA' | 'CNAME' | 'MX' | 'NAPTR' | 'NS' | 'PTR' | 'SOA' | 'SRV' | 'TXT';

/** The answers of each record type, as node:dns gives them (no TTLs, no packet). */
export interface ResolverAnswers {
  A: string[];
  AAAA: string[];
  ANY: dns.AnyRecord[];
  CAA: dns.CaaRecord[];
  CNAME: string[];
  MX: dns.MxRecord[];
  NAPTR: dns.NaptrRecord[];
  NS: string[];
  PTR: string[];
  SOA: dns.SoaRecord;
  SRV: dns.SrvRecord[];
  TXT: string[][];
}

/** A request's id, from `request()` (and in its response): what `cancel(id)` takes. */
export type ResolverRequestId = number & { readonly __brand?: 'ResolverRequestId' };

/**
 * What a request's response says, POE's response hash: `host`, `type`, `class` and `context`
 * as the request gave them, and either `response` (the answers) or `error`.
 *
 * `error` is a node:dns code: `ENOTFOUND` (NXDOMAIN), `ENODATA` (the name exists, without
 * records of that type), `ETIMEOUT` (no answer after every try), `ECONNREFUSED` (the server is
 * unreachable), `ESERVFAIL`, `EREFUSED`, ...; for a request that was never sent, `EBADNAME`
 * (empty host, a host over 253 bytes or a label over 63), `EBADQUERY` (an unknown type or
 * class) or `EDESTRUCTION` (made after `shutdown()`); `ECANCELLED` for a promise-form request
 * that was cancelled.
 */
export interface ResolverResponse<T extends ResolverType = ResolverType> {
  /** The request's id (not in POE). */
  id: ResolverRequestId;
  host: string;
  /** The type as the request gave it (`'A'` by default). */
  type: T;
  /** Always `'IN'`. */
  class: string;
  context: unknown;
  /** The answers; undefined when `error` is set. POE: a Net::DNS::Packet. */
  response: ResolverAnswers[T] | undefined;
  /** Undefined on success. POE: Net::DNS's error string. */
  error: string | undefined;
}

/** Options of {@link Resolver.spawn}: POE::Component::Client::DNS's parameters in camelCase, and AnyEvent::DNS's limits. */
export interface ResolverOptions {
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
  /** POE `Alias`: requests may be posted to it as the `resolve` event. @default 'resolver' */
  alias?: string;
  /**
   * POE `Nameservers`: addresses as node:dns's `setServers` takes them (`'127.0.0.1'`,
   * `'127.0.0.1:5353'`, `'[::1]:53'`). @default the system's (`dns.getServers()`)
   */
  nameservers?: string[];
  /**
   * Seconds to wait for one try's answer (c-ares lengthens later tries). POE's `Timeout` bounds
   * a whole request; see docs/differences.md. @default 5
   */
  timeout?: number;
  /** How many times a query is sent before `ETIMEOUT`. @default 3 */
  tries?: number;
  /**
   * The most queries on the wire at once; more wait in FIFO order. A burst without a limit
   * loses UDP replies even on loopback (AnyEvent::DNS's `max_outstanding`). @default 10
   */
  maxOutstanding?: number;
}

/** A request: POE's `resolve` fields. */
export interface ResolverRequestFields<T extends ResolverType = ResolverType> {
  /** The name to look up; for `PTR`, an IP address is turned into its `in-addr.arpa`/`ip6.arpa` name. */
  host: string;
  /** @default 'A' */
  type?: T;
  /** Only `'IN'`. @default 'IN' */
  class?: string;
  /** Handed back untouched in the response. */
  context?: unknown;
  /** Seconds per try for this request. @default the resolver's `timeout` */
  timeout?: number;
  /** Name servers for this request. @default the resolver's `nameservers` */
  nameservers?: string[];
}

/** The event form: the response is posted to the calling session as `event`, `(response)`. */
export interface ResolverEventRequest<T extends ResolverType = ResolverType> extends ResolverRequestFields<T> {
  event: string;
}

/** The promise form: no `event`; the promise resolves with the response (it never rejects). */
export interface ResolverPromiseRequest<T extends ResolverType = ResolverType> extends ResolverRequestFields<T> {
  event?: undefined;
  /** Aborting it cancels the request (the promise resolves with `ECANCELLED`). */
  signal?: AbortSignal;
}

const WHAT = 'Resolver';
const KNOWN = ['kernel', 'alias', 'nameservers', 'timeout', 'tries', 'maxOutstanding'] as const;
const REQUEST_KEYS = ['event', 'host', 'type', 'class', 'context', 'timeout', 'nameservers', 'signal'];
const TYPES = new Set<string>(['A', 'AAAA', 'ANY', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT']);
/** The extra-reference tag on a session waiting for an answer, POE's (it is the package name). */
const TAG = 'POE::Component::Client::DNS';

/** One c-ares channel per distinct (timeout, tries, servers): c-ares does the retries per channel. */
interface Channel {
  readonly resolver: dns.Resolver;
  /** Queries of this channel on the wire. */
  flight: number;
  /** Of those, the ones still wanted (not cancelled). */
  live: number;
}

interface Pending {
  readonly id: ResolverRequestId;
  readonly host: string;
  readonly type: string;
  readonly class: string;
  readonly context: unknown;
  /** The name and type sent. */
  readonly qname: string;
  readonly qtype: ResolverType;
  readonly channel: Channel;
  /** Event form: the session to post to, and the event. */
  readonly sender: Session | undefined;
  readonly event: string | undefined;
  /** Promise form. */
  readonly settle: ((response: ResolverResponse) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  sent: boolean;
  /** The sender's extra reference is held (event-form requests that were accepted). */
  held: boolean;
  /** Answered or cancelled: the requester has been told (or asked not to be). */
  done: boolean;
}

function checkServers(what: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length === 0 || !value.every((s) => typeof s === 'string' && s !== '')) {
    bad(`Expected ${what} to be a non-empty array of addresses, got ${describe(value)}`);
  }
  try {
    new dns.Resolver().setServers(value as string[]);
  } catch (err) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${what} to be addresses node:dns accepts ('127.0.0.1', '127.0.0.1:53', '[::1]:53'), got ${describe(value)}`, { cause: err });
  }
}

/** Throws `PoeArgumentError` for a request's malformed options (not its host or type, which get an error response). */
function checkRequest(req: unknown): void {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) bad(`Expected a ${WHAT} request to be an object, got ${describe(req)}`);
  const r = req as Record<string, unknown>;
  checkKeys(`${WHAT} request`, r, REQUEST_KEYS);
  if (r.event !== undefined && (typeof r.event !== 'string' || r.event === '')) bad(`Expected ${WHAT} request \`event\` to be an event name, got ${describe(r.event)}`);
  checkSeconds(`${WHAT} request \`timeout\``, r.timeout);
  checkServers(`${WHAT} request \`nameservers\``, r.nameservers);
  if (r.signal !== undefined && !(r.signal instanceof AbortSignal)) bad(`Expected ${WHAT} request \`signal\` to be an AbortSignal, got ${describe(r.signal)}`);
}

/** Why a request posted as an event is malformed (what {@link checkRequest} would throw), or undefined. */
function requestProblem(req: unknown): string | undefined {
  try {
    checkRequest(req);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Why `host` cannot be sent, as a node:dns code, or undefined. */
function badName(host: unknown): string | undefined {
  if (typeof host !== 'string' || host === '' || host === '.') return 'EBADNAME';
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (Buffer.byteLength(name) > 253) return 'EBADNAME';
  for (const label of name.split('.')) {
    const n = Buffer.byteLength(label);
    if (n === 0 || n > 63) return 'EBADNAME';
  }
  return undefined;
}

/** The `in-addr.arpa` or `ip6.arpa` name of an address, as Net::DNS makes for a PTR query. */
function reverseName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const [head = '', tail] = ip.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${all
    .map((g) => g.padStart(4, '0'))
    .join('')
    .split('')
    .reverse()
    .join('.')}.ip6.arpa`;
}

function responseOf(p: Pending, error: string | undefined, answers: unknown): ResolverResponse {
  return { id: p.id, host: p.host, type: p.type as ResolverType, class: p.class, context: p.context, response: answers as ResolverResponse['response'], error };
}

/**
 * A DNS client component: lookups on node:dns's `Resolver` (c-ares) with answers delivered as
 * events to the calling session, or as promises. POE's Client::DNS interface with
 * AnyEvent::DNS's limit on queries in flight.
 *
 * `Resolver.spawn(options)` makes the component's session (alias `resolver` by default).
 * `resolver.resolve({ event, host, type, context })`, called from a handler, posts
 * `event(response)` to that session when the answer comes and holds the session alive until
 * then; without `event` it returns a promise of the response. Either way a response is a
 * {@link ResolverResponse}, and a bad request (an empty host, a host over 253 bytes, an unknown
 * type) is a response with an error, never an exception. At most `maxOutstanding` queries are
 * on the wire; the rest wait in FIFO order. `cancel(id | session)` drops pending requests;
 * `shutdown()` lets pending ones finish, refuses new ones, and lets the session go.
 *
 * Answers reach the component through the kernel's I/O dispatch (as a POE select would), and
 * the component posts them on: user code runs only from the kernel's queue.
 *
 * POE: `POE::Component::Client::DNS`.
 */
export class Resolver {
  readonly #kernel: Kernel;
  readonly #session: Session;
  readonly #alias: string;
  readonly #servers: string[];
  readonly #timeout: number;
  readonly #tries: number;
  readonly #max: number;
  readonly #channels = new Map<string, Channel>();
  /** The channel of the spawn-time settings, which most requests use. */
  #default: Channel | undefined;
  readonly #pending = new Map<ResolverRequestId, Pending>();
  /** Requests waiting for a slot, oldest first; cancelled ones are skipped when reached. */
  readonly #queue = new ArrayFifo<Pending>();
  #inFlight = 0;
  /** The session's hold, taken while any query is on the wire. */
  readonly #work: WorkHold;
  #nextId = 0;
  #shutdown = false;

  private constructor(options: ResolverOptions) {
    checkKeys(WHAT, options, KNOWN);
    checkString(WHAT, 'alias', options.alias);
    checkServers(`${WHAT} option \`nameservers\``, options.nameservers);
    checkSeconds(`${WHAT} option \`timeout\``, options.timeout);
    checkCount(`${WHAT} option \`tries\``, options.tries, 1, false);
    checkCount(`${WHAT} option \`maxOutstanding\``, options.maxOutstanding, 1, true);
    this.#alias = options.alias ?? 'resolver';
    this.#servers = options.nameservers ? [...options.nameservers] : dns.getServers();
    this.#timeout = options.timeout ?? 5;
    this.#tries = options.tries ?? 3;
    this.#max = options.maxOutstanding ?? 10;
    type Ctx = Context<Untyped, Record<string, unknown>>;
    const session = Session.create({
      ...(options.kernel !== undefined ? { kernel: options.kernel } : {}),
      inlineStates: {
        _start: (ctx: Ctx) => {
          if (ctx.kernel.aliasSet(this.#alias) !== 0) ctx.kernel._warn(`${WHAT}: alias ${JSON.stringify(this.#alias)} is taken; post to the session by its id (${ctx.session.ID})`);
        },
        // POE's request event: `post(alias, 'resolve', { event, host, ... })`.
        resolve: (ctx: Ctx, req: unknown) => this.#onRequest(ctx.sender, req),
        shutdown: (ctx: Ctx) => {
          if (this.#shutdown) return;
          this.#shutdown = true;
          ctx.kernel.aliasRemove(this.#alias);
        },
        got_bad_request: (_ctx: Ctx, p: Pending, error: string) => this.#deliver(p, error, undefined),
        got_dns_response: (_ctx: Ctx, p: Pending, err: NodeJS.ErrnoException | null, answers: unknown) => this.#answered(p, err, answers),
        _stop: () => this.#stopped(),
      },
    });
    this.#session = session!;
    this.#kernel = this.#session._kernel;
    this.#work = new WorkHold(this.#kernel, this.#session);
  }

  /**
   * Makes the component's session and returns the component. Throws `PoeArgumentError`
   * (`ERR_POE_UNKNOWN_OPTION`, `ERR_POE_INVALID_ARGUMENT`) for bad options.
   * POE: `POE::Component::Client::DNS->spawn(...)`.
   */
  static spawn(options: ResolverOptions = {}): Resolver {
    return new Resolver(options);
  }

  /** The component's session id. */
  get ID(): SessionId {
    return this.#session.ID;
  }

  /** The component's alias. */
  get alias(): string {
    return this.#alias;
  }

  /** Requests not yet answered or cancelled (on the wire and waiting). */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Event form, from a handler: looks `host` up and posts `event(response)` to the calling
   * session, which stays alive until then. Returns undefined, as POE's `resolve` does when it
   * has no cached answer (poe-ts has no cache), so `if (r) yield(...)` ports unchanged.
   *
   * Promise form, without `event` (anywhere): resolves with the response; never rejects.
   *
   * Throws `PoeArgumentError` for malformed options (an unknown key, a bad `timeout`), and
   * `PoeError` (`ERR_POE_KERNEL_NOT_IN_SESSION`) for the event form outside a handler.
   * POE: `$resolver->resolve(...)`.
   */
  resolve<T extends ResolverType = 'A'>(request: ResolverEventRequest<T>): undefined;
  resolve<T extends ResolverType = 'A'>(request: ResolverPromiseRequest<T>): Promise<ResolverResponse<T>>;
  resolve(request: ResolverEventRequest | ResolverPromiseRequest): undefined | Promise<ResolverResponse> {
    if (request !== null && typeof request === 'object' && request.event !== undefined) {
      this.request(request);
      return undefined;
    }
    checkRequest(request);
    return new Promise((settle) => this.#submit(request, undefined, settle));
  }

  /** The event form of {@link resolve}, returning the request's id for `cancel`. Not in POE. */
  request<T extends ResolverType = 'A'>(request: ResolverEventRequest<T>): ResolverRequestId {
    checkRequest(request);
    if (typeof request.event !== 'string') bad(`${WHAT}: request() needs an \`event\`; without one, resolve() returns a promise`);
    const active = this.#kernel.getActiveSession();
    if (!(active instanceof Session)) {
      throw new PoeError('ERR_POE_KERNEL_NOT_IN_SESSION', `${WHAT}: resolve with \`event\` must be called from a session's handler (the response goes to that session); without \`event\` it returns a promise`);
    }
    return this.#submit(request, active, undefined);
  }

  /**
   * Cancels pending requests: the one with `id`, every one of `session` (a session or its
   * context), or with no argument every one of the calling session (outside a handler: every
   * one). A cancelled event-form request gets no event and releases its session; a promise
   * resolves with `ECANCELLED`. A query already on the wire keeps its slot until c-ares is done
   * with it. Returns how many were cancelled. Not in POE.
   */
  cancel(target?: ResolverRequestId | Session | Context<unknown, unknown>): number {
    let which: (p: Pending) => boolean;
    if (typeof target === 'number') {
      const p = this.#pending.get(target);
      if (p === undefined) return 0;
      which = (q) => q === p;
    } else {
      const session = target === undefined ? this.#kernel.getActiveSession() : target instanceof Session ? target : target.session;
      which = session instanceof Session ? (p) => p.sender === session : () => true;
    }
    let n = 0;
    for (const p of [...this.#pending.values()]) {
      if (!which(p)) continue;
      n++;
      this.#cancel(p);
    }
    return n;
  }

  /**
   * Stops taking requests (later ones get `EDESTRUCTION`) and removes the alias; pending
   * requests are still answered, then the session ends. POE: `$resolver->shutdown`.
   */
  shutdown(): void {
    if (!sessionStopped(this.#session)) this.#kernel.call(this.#session, 'shutdown');
  }

  /** The node:dns Resolver of the spawn-time settings. POE: `get_resolver` (a Net::DNS::Resolver there). */
  getResolver(): dns.Resolver {
    return this.#channel(this.#timeout, this.#servers).resolver;
  }

  declare get_resolver: Resolver['getResolver'];
  static {
    Object.defineProperty(this.prototype, 'get_resolver', { value: this.prototype.getResolver, writable: true, configurable: true });
  }

  // ------------------------------------------------------------------------------------------

  /** The `resolve` event: a request posted (or called) from another session. */
  #onRequest(sender: unknown, req: unknown): ResolverRequestId | undefined {
    const problem = requestProblem(req);
    const r = req as ResolverEventRequest;
    if (!(sender instanceof Session) || problem !== undefined || typeof r.event !== 'string') {
      this.#kernel._warn(`${WHAT}: dropped a resolve request: ${problem ?? (sender instanceof Session ? 'it has no `event`' : 'it came from outside any session, so no one can be answered')}`);
      return undefined;
    }
    return this.#submit(r, sender, undefined);
  }

  #channel(timeout: number, servers: string[]): Channel {
    const isDefault = timeout === this.#timeout && servers === this.#servers;
    if (isDefault && this.#default !== undefined) return this.#default;
    const key = `${timeout}\0${servers.join(',')}`;
    let ch = this.#channels.get(key);
    if (ch === undefined) {
      const resolver = new dns.Resolver({ timeout: Math.round(timeout * 1000), tries: this.#tries });
      resolver.setServers(servers);
      ch = { resolver, flight: 0, live: 0 };
      this.#channels.set(key, ch);
    }
    if (isDefault) this.#default = ch;
    return ch;
  }

  #submit(req: ResolverRequestFields & { event?: string | undefined; signal?: AbortSignal | undefined }, sender: Session | undefined, settle: ((r: ResolverResponse) => void) | undefined): ResolverRequestId {
    const id = ++this.#nextId as ResolverRequestId;
    const type = (req.type ?? 'A') as string;
    const qtype = (typeof type === 'string' ? type.toUpperCase() : '') as ResolverType;
    const klass = req.class ?? 'IN';
    let error = badName(req.host);
    if (error === undefined && (!TYPES.has(qtype) || typeof klass !== 'string' || klass.toUpperCase() !== 'IN')) error = 'EBADQUERY';
    if (error === undefined && (this.#shutdown || sessionStopped(this.#session))) error = 'EDESTRUCTION';
    const host = req.host;
    const p: Pending = {
      id,
      host,
      type,
      class: klass,
      context: req.context,
      qname: error === undefined && qtype === 'PTR' && isIP(host) !== 0 ? reverseName(host) : host,
      qtype,
      channel: error === undefined ? this.#channel(req.timeout ?? this.#timeout, req.nameservers ?? this.#servers) : (undefined as unknown as Channel),
      sender,
      event: req.event,
      settle,
      signal: req.signal,
      onAbort: undefined,
      sent: false,
      held: false,
      done: false,
    };
    if (error !== undefined) {
      // Never sent: answered at once, through the queue for the event form, and from the
      // component's session as every response is (POE's SENDER), unless it is gone.
      if (sender === undefined || sessionStopped(this.#session) || this.#kernel.getActiveSession() === this.#session) this.#deliver(p, error, undefined);
      else this.#kernel.call(this.#session, 'got_bad_request', p, error);
      return id;
    }
    if (sender !== undefined) p.held = this.#kernel.refcountIncrement(sender.ID, TAG) !== undefined;
    this.#pending.set(id, p);
    if (p.signal !== undefined) {
      if (p.signal.aborted) {
        this.#cancel(p);
        return id;
      }
      p.onAbort = () => this.#cancel(p);
      p.signal.addEventListener('abort', p.onAbort, { once: true });
    }
    if (this.#inFlight < this.#max) this.#send(p);
    else this.#queue.push(p);
    return id;
  }

  #send(p: Pending): void {
    p.sent = true;
    // One hold while anything is on the wire, as a wheel holds its session while it watches.
    this.#inFlight++;
    this.#work.set(true);
    p.channel.flight++;
    p.channel.live++;
    const session = this.#session;
    const kernel = this.#kernel;
    try {
      p.channel.resolver.resolve(p.qname, p.qtype, (err: NodeJS.ErrnoException | null, answers: unknown) => {
        // Through the kernel's I/O dispatch, as POE's select on the resolver's socket: the
        // component's handler runs now and posts the response, so user code runs from the queue.
        if (!sessionStopped(session)) kernel._ioDispatch(session, 'got_dns_response', [p, err, answers]);
      });
    } catch (err) {
      // node:dns refused the query (validated above, so not expected): an answer all the same.
      const e = err as NodeJS.ErrnoException;
      this.#kernel._ioSoon(() => {
        if (!sessionStopped(session)) kernel._ioDispatch(session, 'got_dns_response', [p, { code: 'EBADQUERY', message: e.message }, undefined]);
      });
    }
  }

  /** c-ares is done with `p`'s query: free its slot, answer it unless cancelled, start the next. */
  #answered(p: Pending, err: NodeJS.ErrnoException | { code: string } | null, answers: unknown): void {
    this.#inFlight--;
    p.channel.flight--;
    if (!p.done) {
      p.channel.live--;
      this.#deliver(p, err ? (err.code ?? 'EFORMERR') : undefined, err ? undefined : answers);
    }
    this.#pump();
    this.#work.set(this.#inFlight > 0);
  }

  #pump(): void {
    while (this.#inFlight < this.#max && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      if (!next.done) this.#send(next);
    }
  }

  /** Tells the requester (once): the event posted from here, or the promise settled. */
  #deliver(p: Pending, error: string | undefined, answers: unknown): void {
    this.#done(p);
    const response = responseOf(p, error, answers);
    if (p.settle !== undefined) {
      p.settle(response);
      return;
    }
    const sender = p.sender!;
    if (sessionStopped(sender)) return;
    this.#kernel.post(sender.ID, p.event!, response);
    // After the post, as POE: the queued event holds the session from here on.
    if (p.held) this.#kernel.refcountDecrement(sender.ID, TAG);
  }

  /** `p` is answered or cancelled: no longer pending, and deaf to its signal. */
  #done(p: Pending): void {
    p.done = true;
    this.#pending.delete(p.id);
    if (p.onAbort !== undefined) p.signal!.removeEventListener('abort', p.onAbort);
  }

  #cancel(p: Pending): void {
    if (p.done) return;
    this.#done(p);
    if (p.sent) {
      p.channel.live--;
      // c-ares cancels only a whole channel: do it once nothing on it is wanted, to free the slots.
      if (p.channel.live === 0 && p.channel.flight > 0) p.channel.resolver.cancel();
    }
    if (p.settle !== undefined) {
      p.settle(responseOf(p, 'ECANCELLED', undefined));
    } else if (p.held && p.sender !== undefined && !sessionStopped(p.sender)) {
      this.#kernel.refcountDecrement(p.sender.ID, TAG);
    }
  }

  /** The session is stopping (kernel.stop, or the IDLE/ZOMBIE end): nothing more will be answered. */
  #stopped(): void {
    for (const p of [...this.#pending.values()]) this.#cancel(p);
    for (const ch of this.#channels.values()) if (ch.flight > 0) ch.resolver.cancel();
    this.#queue.clear();
    this.#work.dropped();
  }
}
