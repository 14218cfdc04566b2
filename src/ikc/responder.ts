/*
 * The IKC responder: the session that carries posts and calls between this kernel and others.
 * It registers with the kernel as the router of remote addresses (the kernel's only IKC hook,
 * kernel/remote.ts), owns one link per transport (link.ts), and answers the POE-form requests
 * POE::Component::IKC::Responder answers, under its alias (`IKC` by default).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { PoeArgumentError, PoeIkcError, describe, rejectUnknownKeys, type IkcErrorCode } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import { NOT_REMOTE, type RemoteRouter } from '../kernel/remote.js';
import { Phase, Session, type Owned } from '../session/session.js';
import { Wait } from '../task/wait.js';
import type { Item } from '../kernel/events.js';
import { checkSeconds } from '../component/options.js';
import { RemoteSession, formatAddress, parseAddress } from './address.js';
import { checkSendable } from './codec.js';
import { Link, RunOut, Tag, type LinkOwner, type Out } from './link.js';
import type { Transport } from './transport.js';

const ENOBUFS = constants.errno.ENOBUFS ?? 105;
const ESRCH = constants.errno.ESRCH ?? 3;

/** Options of `Responder.spawn`. */
export interface ResponderOptions {
  /** The kernel to serve. @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
  /** The responder session's alias, for the POE form (`post('IKC', 'post', ...)`). @default 'IKC' */
  alias?: string;
  /** Numbered frames (posts, calls, answers) that may wait for one peer, unsent or unconfirmed. @default 100000 */
  bufferLimit?: number;
  /** Seconds a frame may wait for a peer that is down before its sender hears of it. @default 30 */
  bufferTimeout?: number;
  /** Seconds a `call` waits for its answer. @default 30 */
  callTimeout?: number;
  /** The event a post's sender gets when the post could not be delivered. @default 'ikc_error' */
  errorEvent?: string;
}

const OPTION_KEYS = ['kernel', 'alias', 'bufferLimit', 'bufferTimeout', 'callTimeout', 'errorEvent'] as const;

/** Events a `monitor` posts: each `(kernelName, data)`. */
export interface MonitorEvents {
  /** A kernel connected (its hello came). POE::Component::IKC: `register`. */
  register?: string;
  /** A kernel disconnected. POE::Component::IKC: `unregister`. */
  unregister?: string;
  /** A kernel came back after a disconnect; without it, `register` is posted again (as IKC does). */
  reconnect?: string;
  /**
   * The link to a congested kernel (`congested(name)` was true: half the buffer bound or more
   * waiting, or a post refused) has drained to a quarter of the bound: a producer may go on.
   * Not in POE::Component::IKC.
   */
  drain?: string;
}

interface Monitor {
  session: Session;
  kernel: string;
  events: MonitorEvents;
  data: unknown;
}

interface Subscription {
  session: Session;
  kernel: string;
  remoteSession: string;
  event: string;
  /** The last availability posted. */
  state: boolean | undefined;
}

interface PendingCall {
  id: number;
  link: Link;
  address: string;
  wait: Wait<unknown>;
  timer: Item | undefined;
  /** Its frame is numbered and waiting in the link, or was sent. */
  sent: boolean;
  /** Its frame, once queued. */
  out?: Out;
}

/** True when every argument is a primitive that always crosses (no walk needed). */
function plain(args: unknown[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const t = typeof a;
    if (t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'undefined' && t !== 'bigint' && a !== null) return false;
  }
  return true;
}

/** A link as the responder session owns it: one hold, named in `ps()`. */
class OwnedLink implements Owned {
  readonly _holdCount = 1;
  constructor(
    readonly link: Link,
    readonly onDestroy: () => void,
  ) {}
  get _holdName(): string {
    return this.link.describe();
  }
  destroy(): void {
    this.onDestroy();
  }
}

/** A service of the responder (see `_service`): one hold, named in `ps()`. */
class OwnedService implements Owned {
  readonly _holdCount = 1;
  constructor(
    readonly _holdName: string,
    readonly destroy: () => void,
  ) {}
}

/**
 * The IKC responder of a kernel. POE: `POE::Component::IKC::Responder->spawn()`.
 *
 * Object form: `connect(transport)`, `publish`, `retract`, `subscribe`, `monitor`, `post`,
 * `call`, `postback`, `shutdown`. With a responder running, the kernel's own `post` and
 * `call` take remote addresses (`poe://kernel/session` or `remote<E>(kernel, session)`).
 * POE form: post `post`, `call`, `publish`, `retract`, `subscribe`, `unsubscribe`,
 * `monitor` and `shutdown` to its alias.
 */
export class Responder implements LinkOwner, RemoteRouter {
  readonly kernel: Kernel;
  readonly session: Session;
  readonly alias: string;
  /** This kernel's name, as its peers address it. */
  readonly name: string;
  /** Made at start: a peer that sees another one after a reconnect knows this kernel restarted. */
  readonly instance = randomBytes(8).toString('hex');
  readonly #bufferLimit: number;
  readonly #bufferTimeout: number;
  readonly #callTimeout: number;
  readonly #errorEvent: string;
  readonly #links = new Set<OwnedLink>();
  readonly #services = new Set<OwnedService>();
  /** Peers by kernel name: the link last known to reach each. */
  readonly #kernels = new Map<string, Link>();
  /** Links whose coming up monitors have heard of, and not yet of their going down. */
  readonly #announced = new WeakSet<Link>();
  /** Sessions this kernel accepts posts for: alias -> its published events (null: all). */
  readonly #published = new Map<string, string[] | null>();
  readonly #monitors: Monitor[] = [];
  readonly #subs: Subscription[] = [];
  readonly #calls = new Map<number, PendingCall>();
  #callSeq = 0;
  #down = false;
  readonly #shutdownHooks: (() => void)[] = [];
  readonly #parsed = new Map<string, [string, string]>();

  private constructor(options: ResponderOptions) {
    this.kernel = options.kernel ?? Kernel.current();
    this.alias = options.alias ?? 'IKC';
    this.name = this.kernel.name;
    this.#bufferLimit = options.bufferLimit ?? 100_000;
    this.#bufferTimeout = options.bufferTimeout ?? 30;
    this.#callTimeout = options.callTimeout ?? 30;
    this.#errorEvent = options.errorEvent ?? 'ikc_error';
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handlers below act for this responder
    const self = this;
    this.session = Session.create<unknown, Record<string, unknown>>({
      kernel: this.kernel,
      inlineStates: {
        _start(ctx: { kernel: Kernel }) {
          ctx.kernel.aliasSet(self.alias);
        },
        _stop() {
          self.#stopped();
        },
        ikc_input(_ctx: unknown, link: unknown, frames: unknown) {
          if (link instanceof Link && Array.isArray(frames)) self.#input(link, frames as unknown[][]);
        },
        // Queued behind the posts of a batch: when it runs, they have been dispatched.
        ikc_ack(_ctx: unknown, link: unknown, got: unknown) {
          if (link instanceof Link && typeof got === 'number') link.acknowledge(got);
        },
        ikc_call(_ctx: unknown, link: unknown, frame: unknown) {
          if (link instanceof Link && Array.isArray(frame)) self.#runCall(link, frame);
        },
        // The POE form.
        post(ctx: { sender: unknown }, address: unknown, ...args: unknown[]) {
          self.#poePost(ctx.sender, address, args);
        },
        call(ctx: { sender: unknown }, address: unknown, args: unknown, rsvp: unknown) {
          self.#poeCall(ctx.sender, address, args, rsvp);
        },
        publish(_ctx: unknown, session: unknown, events: unknown) {
          self.publish(session as string, events as string[] | undefined);
        },
        retract(_ctx: unknown, session: unknown) {
          self.retract(session as string);
        },
        subscribe(ctx: { sender: unknown }, address: unknown, event: unknown) {
          if (ctx.sender instanceof Session) self.#subscribe(ctx.sender, address, event);
        },
        unsubscribe(ctx: { sender: unknown }, address: unknown) {
          if (ctx.sender instanceof Session) self.#unsubscribe(ctx.sender, address);
        },
        monitor(ctx: { sender: unknown }, kernel: unknown, events: unknown, data: unknown) {
          if (ctx.sender instanceof Session) self.#monitor(ctx.sender, kernel, events, data);
        },
        shutdown() {
          self.shutdown();
        },
      },
    })!;
    this.kernel._setRouter(this);
  }

  /** Starts the responder session of `options.kernel`. POE::Component::IKC::Responder->spawn. */
  static spawn(options: ResponderOptions = {}): Responder {
    if (options === null || typeof options !== 'object') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected Responder options to be an object, got ${describe(options)}`);
    }
    rejectUnknownKeys('Responder', options, OPTION_KEYS);
    const limit = options.bufferLimit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`bufferLimit\` to be a positive integer, got ${describe(limit)}`);
    }
    checkSeconds('`bufferTimeout`', options.bufferTimeout);
    checkSeconds('`callTimeout`', options.callTimeout);
    for (const key of ['alias', 'errorEvent'] as const) {
      const v = options[key];
      if (v !== undefined && (typeof v !== 'string' || v === '')) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${key}\` to be a non-empty string, got ${describe(v)}`);
    }
    if (options.kernel !== undefined && !Kernel.isKernel(options.kernel)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`kernel\` to be a Kernel, got ${describe(options.kernel)}`);
    }
    return new Responder(options);
  }

  // ------------------------------------------------------------------------------------------
  // links

  /** Starts carrying posts over `transport`; the responder stays alive while it is open. */
  connect(transport: Transport): void {
    if (this.#down) throw new PoeIkcError('ERR_POE_IKC_SHUTDOWN', '', 'The IKC responder was shut down');
    const link = new Link(this, transport, { bufferLimit: this.#bufferLimit, bufferTimeout: this.#bufferTimeout });
    const owned = new OwnedLink(link, () => link.close('its session stopped'));
    this.#links.add(owned);
    (this.session._owned ??= new Set()).add(owned);
    this.kernel._hold(this.session, 1);
    transport.start(link);
  }

  /**
   * @internal Runs `fn` once when the responder shuts down or its session stops: a listener
   * (tcp.ts) is not a link, yet must not outlive the responder it feeds.
   */
  _onShutdown(fn: () => void): void {
    if (this.#down) fn();
    else this.#shutdownHooks.push(fn);
  }

  #runShutdownHooks(): void {
    for (const fn of this.#shutdownHooks.splice(0)) fn();
  }

  /** Frames (posts, calls, answers) waiting for kernel `name`, unsent or unconfirmed; 0 for a kernel not known. */
  waiting(name: string): number {
    return this.#kernels.get(name)?.waiting ?? 0;
  }

  /**
   * Whether the link to kernel `name` is congested: half the buffer bound or more is waiting
   * (or a post was refused). A producer that pauses while it is, and goes on at the monitor's
   * `drain` event, streams any number of posts without reaching the bound.
   */
  congested(name: string): boolean {
    return this.#kernels.get(name)?.congested ?? false;
  }

  /**
   * Keeps the responder running for something that makes links rather than being one (a
   * NATS connection that finds kernels): `close` runs once, at `shutdown` or when the session
   * stops, after the links are closed. Returns a release for when it ends by itself.
   */
  _service(name: string, close: () => void): () => void {
    if (this.#down) throw new PoeIkcError('ERR_POE_IKC_SHUTDOWN', '', 'The IKC responder was shut down');
    let owned: OwnedService | undefined = new OwnedService(name, () => release(true));
    const release = (closing: boolean): void => {
      if (owned === undefined) return;
      const o = owned;
      owned = undefined;
      this.#services.delete(o);
      if (this.session._owned?.delete(o) === true) this.kernel._hold(this.session, -1);
      if (closing) close();
    };
    this.#services.add(owned);
    (this.session._owned ??= new Set()).add(owned);
    this.kernel._hold(this.session, 1);
    return () => release(false);
  }

  /** Kernels connected now, by name. */
  kernels(): string[] {
    return [...this.#kernels].filter(([, l]) => l.ready).map(([n]) => n);
  }

  /** Closes every link (each waiting frame reported to its sender) and ends the responder session. */
  shutdown(): void {
    if (this.#down) return;
    this.#down = true;
    for (const owned of [...this.#links]) this.#dropLink(owned, 'shutdown');
    for (const service of [...this.#services]) service.destroy();
    this.#runShutdownHooks();
    if (this.kernel._router === this) this.kernel._setRouter(undefined);
    if (this.session._phase === Phase.Running) {
      const prev = this.kernel.aliasList(this.session);
      for (const a of prev) this.#aliasRemoveFor(a);
    }
  }

  #aliasRemoveFor(alias: string): void {
    // aliasRemove acts for the active session: run it as the responder's own code.
    this.kernel._actAs(this.session, () => this.kernel.aliasRemove(alias));
  }

  #dropLink(owned: OwnedLink, reason: string): void {
    if (!this.#links.delete(owned)) return;
    owned.link.close(reason);
    if (this.session._owned?.delete(owned) === true) this.kernel._hold(this.session, -1);
  }

  #stopped(): void {
    this.#down = true;
    for (const owned of [...this.#links]) this.#dropLink(owned, 'its session stopped');
    for (const service of [...this.#services]) service.destroy();
    this.#runShutdownHooks();
    if (this.kernel._router === this) this.kernel._setRouter(undefined);
    for (const call of [...this.#calls.values()]) this.#settleCall(call, false, new PoeIkcError('ERR_POE_IKC_SHUTDOWN', call.address, `The IKC responder stopped before ${call.address} answered`));
  }

  // ---- LinkOwner

  published(): [string, string[] | null][] {
    return [...this.#published];
  }

  linkUp(link: Link, again: boolean, previousName: string | undefined): void {
    const name = link.peer!;
    if (previousName !== undefined && previousName !== name && this.#kernels.get(previousName) === link) this.#kernels.delete(previousName);
    this.#kernels.set(name, link);
    if (!again) {
      // A new instance cannot answer calls the old one took.
      for (const call of [...this.#calls.values()]) {
        if (call.link === link && call.sent) this.#settleCall(call, false, new PoeIkcError('ERR_POE_IKC_LOST', call.address, `${name} restarted before ${call.address} answered`));
      }
    }
    // A link that comes up again without having gone down (a stream resynchronised, a hello
    // repeated) is no news to monitors: they hear register, then unregister/reconnect in turn.
    const news = !this.#announced.has(link);
    this.#announced.add(link);
    this.#inSession(() => {
      if (news) {
        for (const m of this.#liveMonitors(name)) {
          const ev = link.everReady ? (m.events.reconnect ?? m.events.register) : m.events.register;
          if (ev !== undefined) this.kernel.post(m.session, ev, name, m.data);
        }
      }
      this.#refreshSubs(name);
    });
  }

  linkDown(link: Link, _reason: string): void {
    const name = link.peer;
    // Its own shutdown tells nobody: the sessions that monitor are being left, not warned.
    if (this.#down || name === undefined || this.#kernels.get(name) !== link) return;
    if (!this.#announced.delete(link)) return;
    this.#inSession(() => {
      for (const m of this.#liveMonitors(name)) if (m.events.unregister !== undefined) this.kernel.post(m.session, m.events.unregister, name, m.data);
      this.#refreshSubs(name);
    });
  }

  linkGone(link: Link, reason: string): void {
    const name = link.peer ?? link.transport.description;
    for (const call of [...this.#calls.values()]) {
      // Calls still unsent wait for a new end, as posts do; one sent and unconfirmed was reported by the link.
      if (call.link !== link || !call.sent || (call.out !== undefined && link.holds(call.out))) continue;
      this.#settleCall(call, false, new PoeIkcError('ERR_POE_IKC_LOST', call.address, `${name} ended (${reason}) before ${call.address} answered`));
    }
  }

  drained(link: Link): void {
    const name = link.peer;
    if (this.#down || name === undefined || this.#kernels.get(name) !== link) return;
    this.#inSession(() => {
      for (const m of this.#liveMonitors(name)) if (m.events.drain !== undefined) this.kernel.post(m.session, m.events.drain, name, m.data);
    });
  }

  /** Runs `fn` as the responder's code, so what it posts comes from the responder (SENDER). */
  #inSession(fn: () => void): void {
    if (this.session._phase === Phase.Stopped) return;
    this.kernel._actAs(this.session, fn);
  }

  input(link: Link, frames: unknown[][]): void {
    if (this.session._phase === Phase.Stopped) return;
    this.kernel._ioDispatch(this.session, 'ikc_input', [link, frames]);
  }

  taken(link: Link, got: number): void {
    this.#inSession(() => this.kernel.post(this.session, 'ikc_ack', link, got));
  }

  undelivered(out: Out, code: IkcErrorCode, message: string): void {
    if (out.fail !== undefined) {
      out.fail(code, message);
      return;
    }
    const s = out.sender;
    if (s !== undefined && s._phase === Phase.Running) this.kernel.post(s, this.#errorEvent, code, out.address, message);
    else this.log(`IKC: ${code}: ${message}`);
  }

  log(line: string): void {
    this.kernel._warn(line);
  }

  // ------------------------------------------------------------------------------------------
  // sending

  /** The kernel's hook: `post(remote, event, ...args)`. */
  post(sender: Session | Kernel, dest: unknown, event: string, args: unknown[]): 1 | undefined | typeof NOT_REMOTE {
    const target = this.#target(dest, 'post');
    if (target === undefined) return NOT_REMOTE;
    return this.#send(sender instanceof Session ? sender : undefined, target[0], target[1], event, args);
  }

  /** The kernel's hook: `call(remote, event, ...args)`, a promise of the remote handler's value. */
  call(sender: Session | Kernel, dest: unknown, event: string, args: unknown[]): Promise<unknown> | typeof NOT_REMOTE {
    const target = this.#target(dest, 'call');
    if (target === undefined) return NOT_REMOTE;
    const { wait, promise } = Wait.promise<unknown>(this.kernel, `ikc call ${formatAddress(target[0], target[1], event)}`, () => undefined, undefined, this.call);
    this.#startCall(sender instanceof Session ? sender : undefined, target[0], target[1], event, args, wait);
    return promise;
  }

  /** [kernel, session] of a remote destination, or undefined when `dest` is none. */
  #target(dest: unknown, what: string): [string, string] | undefined {
    if (typeof dest === 'string') {
      const known = this.#parsed.get(dest);
      if (known !== undefined) return known;
    } else if (dest instanceof RemoteSession) return [dest.kernel, dest.session];
    if (typeof dest !== 'string' || !dest.startsWith('poe://')) return undefined;
    const t = this.#parse(dest, what);
    // A program posts to a few addresses many times: parse each once (a bounded memo).
    if (this.#parsed.size >= 1024) this.#parsed.clear();
    this.#parsed.set(dest, t);
    return t;
  }

  #parse(dest: string, what: string): [string, string] {
    const a = parseAddress(dest);
    if (a === undefined || a.event !== undefined) {
      throw new PoeIkcError('ERR_POE_IKC_BAD_ADDRESS', dest, `${what}: expected a session address \`poe://kernel/session\` (the event goes apart), got ${describe(dest)}`);
    }
    return [a.kernel!, a.session!];
  }

  #send(sender: Session | undefined, kernel: string, session: string, event: string, args: unknown[]): 1 | undefined {
    // Most posts carry numbers and strings: the address is made only when something may fail.
    if (!plain(args)) checkSendable(args, formatAddress(kernel, session, event));
    if (kernel === this.name) return this.kernel.post(session, event, ...args);
    const link = this.#kernels.get(kernel);
    if (link === undefined || link.closed) {
      this.kernel.errno = ESRCH;
      return undefined;
    }
    if (link.post(kernel, session, event, args, sender)) return 1;
    const out = new RunOut([Tag.PostRun, 0, session, event, sender?._id ?? 0, [args]], sender, kernel, this.kernel.clock.now());
    this.undelivered(out, 'ERR_POE_IKC_BUFFER_FULL', `The buffer for ${kernel} is full (${this.#bufferLimit} frames); ${out.address} was not sent`);
    this.kernel.errno = ENOBUFS;
    return undefined;
  }

  #startCall(sender: Session | undefined, kernel: string, session: string, event: string, args: unknown[], wait: Wait<unknown>): void {
    const address = formatAddress(kernel, session, event);
    const fail = (err: PoeIkcError): void => {
      // Answered in the kernel's order, like any wait.
      wait.reject(err);
    };
    try {
      checkSendable(args, address);
    } catch (err) {
      wait.destroy();
      throw err;
    }
    const link = this.#kernels.get(kernel);
    if (link === undefined || link.closed) {
      fail(new PoeIkcError('ERR_POE_IKC_UNKNOWN_KERNEL', address, `No kernel named ${kernel} is connected to ${this.name}`));
      return;
    }
    const id = ++this.#callSeq;
    const call: PendingCall = { id, link, address, wait, timer: undefined, sent: false };
    this.#calls.set(id, call);
    call.timer = this.kernel._wakeAt(sender, this.#callTimeout, () => {
      call.timer = undefined;
      this.#settleCall(call, false, new PoeIkcError('ERR_POE_IKC_CALL_TIMEOUT', address, `${address} did not answer within ${this.#callTimeout} s`));
    });
    const out: Out = {
      frame: [Tag.Call, 0, session, event, args, sender?._id ?? 0, id],
      sender,
      address,
      at: this.kernel.clock.now(),
      fail: (code, message) => this.#settleCall(call, false, new PoeIkcError(code, address, message)),
    };
    if (!link.enqueue(out)) {
      this.#settleCall(call, false, new PoeIkcError('ERR_POE_IKC_BUFFER_FULL', address, `The buffer for ${kernel} is full (${this.#bufferLimit} frames); ${address} was not sent`));
      return;
    }
    call.sent = true;
    call.out = out;
  }

  #settleCall(call: PendingCall, ok: boolean, value: unknown): void {
    if (!this.#calls.delete(call.id)) return;
    if (call.timer !== undefined) {
      this.kernel._dropWake(call.timer);
      call.timer = undefined;
    }
    if (call.wait.session !== undefined && call.wait.session._phase !== Phase.Running) {
      call.wait.answerNow(ok, value);
      return;
    }
    if (ok) call.wait.settle(value);
    else call.wait.reject(value);
  }

  /**
   * Posts to `address` (`poe://kernel/session/event`) with `args`. Returns 1, or undefined
   * (errno ESRCH for an unknown kernel, ENOBUFS for a full buffer). POE::Component::IKC: the
   * responder's `post`, with the arguments spread instead of one ARG0.
   */
  postTo(address: string, ...args: unknown[]): 1 | undefined {
    const [k, s, e] = this.#full(address, 'post');
    const active = this.kernel.getActiveSession();
    return this.#send(active instanceof Session ? active : undefined, k, s, e, args);
  }

  /** A promise of the value of `address`'s handler called with `args`. */
  callTo(address: string, ...args: unknown[]): Promise<unknown> {
    const [k, s, e] = this.#full(address, 'call');
    return this.call(this.kernel.getActiveSession(), formatAddress(k, s), e, args) as Promise<unknown>;
  }

  /**
   * A postback to a remote event: calling it posts `([...context], [...args])` to `address`,
   * as a local postback posts to its session. Nothing is held: the remote session's life is
   * its own kernel's business.
   */
  postback(address: string, ...context: unknown[]): (...args: unknown[]) => 0 {
    const [k, s, e] = this.#full(address, 'postback');
    checkSendable(context, address);
    const sender = this.kernel._waiter();
    return (...args: unknown[]) => {
      this.#send(sender, k, s, e, [[...context], args]);
      return 0;
    };
  }

  #full(address: unknown, what: string): [string, string, string] {
    const a = typeof address === 'string' ? parseAddress(address) : undefined;
    if (a === undefined || a.kernel === undefined || a.event === undefined) {
      throw new PoeIkcError('ERR_POE_IKC_BAD_ADDRESS', String(address), `${what}: expected an event address \`poe://kernel/session/event\`, got ${describe(address)}`);
    }
    return [a.kernel, a.session!, a.event];
  }

  #poePost(sender: unknown, address: unknown, args: unknown[]): void {
    const [k, s, e] = this.#full(address, 'post');
    this.#send(sender instanceof Session ? sender : undefined, k, s, e, args);
  }

  /** POE form: `call(address, [args], 'poe:event' | 'poe:/session/event')`: the answer is posted `(value, undefined)` or `(undefined, error)`. */
  #poeCall(sender: unknown, address: unknown, args: unknown, rsvp: unknown): void {
    const [k, s, e] = this.#full(address, 'call');
    const list = Array.isArray(args) ? (args as unknown[]) : args === undefined ? [] : [args];
    const r = typeof rsvp === 'string' ? parseAddress(rsvp) : undefined;
    if (r === undefined || r.kernel !== undefined) {
      throw new PoeIkcError('ERR_POE_IKC_BAD_ADDRESS', String(rsvp), `call: expected the response event as \`poe:event\` or \`poe:/session/event\`, got ${describe(rsvp)}`);
    }
    const target = r.session === undefined ? sender : this.kernel.aliasResolve(r.session);
    const wait = Wait.event<unknown>(this.kernel, `ikc call ${formatAddress(k, s, e)}`, () => undefined, target, r.event, [], this.#poeCall, true);
    this.#startCall(sender instanceof Session ? sender : undefined, k, s, e, list, wait);
  }

  // ------------------------------------------------------------------------------------------
  // receiving (in the responder session: what it posts comes from it)

  #input(link: Link, frames: unknown[][]): void {
    for (const f of frames) {
      switch (f[0]) {
        case Tag.Post:
          this.#takePost(link, f);
          break;
        case Tag.PostRun:
          this.#takeRun(link, f);
          break;
        case Tag.Call:
          this.#takeCall(link, f);
          break;
        case Tag.Ret:
          this.#takeRet(f);
          break;
        case Tag.Err:
          this.#takeErr(f);
          break;
        case Tag.Pub:
          if (typeof f[2] === 'string') {
            link.peerPublished.set(f[2], Array.isArray(f[3]) ? (f[3] as string[]) : null);
            if (link.peer !== undefined) this.#refreshSubs(link.peer);
          }
          break;
        case Tag.Retract:
          if (typeof f[2] === 'string') {
            link.peerPublished.delete(f[2]);
            if (link.peer !== undefined) this.#refreshSubs(link.peer);
          }
          break;
        default:
          this.log(`IKC: dropped a frame with unknown tag ${describe(f[0])} from ${link.peer ?? '(unknown)'}`);
      }
    }
  }

  /** The published session `name` if it takes `event`, or why not. */
  #accept(name: unknown, event: unknown): Session | [IkcErrorCode, string] {
    if (typeof name !== 'string' || typeof event !== 'string' || event === '') return ['ERR_POE_IKC_BAD_FRAME', 'a malformed frame'];
    const events = this.#published.get(name);
    if (events === undefined) return ['ERR_POE_IKC_NO_SESSION', `${this.name} publishes no session ${name}`];
    if (events !== null && !events.includes(event)) return ['ERR_POE_IKC_NO_EVENT', `${this.name} does not publish event ${event} of ${name}`];
    const s = this.kernel.aliasResolve(name);
    if (!(s instanceof Session)) return ['ERR_POE_IKC_NO_SESSION', `${this.name} publishes ${name}, but no session has that alias now`];
    return s;
  }

  #takeRun(link: Link, f: unknown[]): void {
    const [, , name, event, from, list] = f;
    const s = this.#accept(name, event);
    if (s instanceof Session) {
      const posts = list as unknown[];
      if (posts.every(Array.isArray)) {
        this.kernel._postRun(s, event as string, posts as unknown[][]);
        return;
      }
      for (const args of posts) {
        if (Array.isArray(args)) this.kernel.post(s, event as string, ...(args as unknown[]));
        else this.log(`IKC: dropped a malformed post to ${String(name)} from ${link.peer ?? '(unknown)'}`);
      }
      return;
    }
    // Refused: each post of the run is refused, as it would have been alone.
    for (const args of list as unknown[]) this.#takePost(link, [Tag.Post, 0, name, event, args, from]);
  }

  #takePost(link: Link, f: unknown[]): void {
    const [, , name, event, args, from] = f;
    const s = this.#accept(name, event);
    if (!(s instanceof Session) || !Array.isArray(args)) {
      const [code, message] = s instanceof Session ? (['ERR_POE_IKC_BAD_FRAME', 'a malformed frame'] as const) : s;
      const address = formatAddress(this.name, String(name), String(event));
      this.log(`IKC: dropped a post to ${address} from ${link.peer ?? '(unknown)'}: ${code}: ${message}`);
      if (typeof from === 'number' && from > 0) this.#reply(link, [Tag.Err, 0, from, code, address, message]);
      return;
    }
    this.kernel.post(s, event as string, ...(args as unknown[]));
  }

  /** A call waits its turn behind the posts that came before it, as IKC's call is a post with an rsvp. */
  #takeCall(link: Link, f: unknown[]): void {
    this.kernel.post(this.session, 'ikc_call', link, f);
  }

  #runCall(link: Link, f: unknown[]): void {
    const [, , name, event, args, , callId] = f;
    if (typeof callId !== 'number') return;
    const s = this.#accept(name, event);
    const address = formatAddress(this.name, String(name), String(event));
    if (!(s instanceof Session) || !Array.isArray(args)) {
      const [code, message] = s instanceof Session ? (['ERR_POE_IKC_BAD_FRAME', 'a malformed frame'] as const) : s;
      this.log(`IKC: refused a call to ${address} from ${link.peer ?? '(unknown)'}: ${code}: ${message}`);
      this.#reply(link, [Tag.Ret, 0, callId, 0, [code, message]]);
      return;
    }
    let ret: unknown;
    try {
      ret = this.kernel.call(s, event as string, ...(args as unknown[]));
    } catch (err) {
      this.#reply(link, [Tag.Ret, 0, callId, 0, ['ERR_POE_IKC_CALL_FAILED', `${address} threw: ${err instanceof Error ? err.message : String(err)}`]]);
      return;
    }
    if (ret !== null && typeof ret === 'object' && typeof (ret as PromiseLike<unknown>).then === 'function') {
      (ret as PromiseLike<unknown>).then(
        (v) => this.#answer(link, callId, address, v),
        (err: unknown) => this.#reply(link, [Tag.Ret, 0, callId, 0, ['ERR_POE_IKC_CALL_FAILED', `${address} failed: ${err instanceof Error ? err.message : String(err)}`]]),
      );
      return;
    }
    this.#answer(link, callId, address, ret);
  }

  #answer(link: Link, callId: number, address: string, value: unknown): void {
    let why: string | undefined;
    try {
      checkSendable([value], address);
    } catch (err) {
      why = (err as Error).message;
    }
    if (why !== undefined) this.#reply(link, [Tag.Ret, 0, callId, 0, ['ERR_POE_IKC_UNSENDABLE', `The value of ${address} cannot be sent back: ${why}`]]);
    else this.#reply(link, [Tag.Ret, 0, callId, 1, value]);
  }

  /** A numbered frame with no sender to tell: an answer or an error report. */
  #reply(link: Link, frame: unknown[]): void {
    if (link.closed) return;
    const out: Out = { frame, sender: undefined, address: `poe://${link.peer ?? '?'}`, at: this.kernel.clock.now(), fail: undefined };
    if (!link.enqueue(out)) this.log(`IKC: the buffer for ${link.peer ?? '(unknown)'} is full; a reply was dropped`);
  }

  #takeRet(f: unknown[]): void {
    const [, , callId, ok, value] = f;
    const call = typeof callId === 'number' ? this.#calls.get(callId) : undefined;
    if (call === undefined) return; // timed out already
    if (ok === 1) {
      this.#settleCall(call, true, value);
      return;
    }
    const [code, message] = Array.isArray(value) ? (value as [IkcErrorCode, string]) : (['ERR_POE_IKC_CALL_FAILED', 'the call failed'] as const);
    this.#settleCall(call, false, new PoeIkcError(code, call.address, String(message)));
  }

  #takeErr(f: unknown[]): void {
    const [, , from, code, address, message] = f;
    const s = typeof from === 'number' ? this.kernel.idToSession(from) : undefined;
    if (s === undefined || s._phase !== Phase.Running) {
      this.log(`IKC: ${String(code)}: ${String(message)}`);
      return;
    }
    this.kernel.post(s, this.#errorEvent, code, address, message);
  }

  // ------------------------------------------------------------------------------------------
  // publish, subscribe, monitor

  /**
   * Accepts posts and calls from other kernels for the session aliased `session` (all its
   * events, or only `events`). A kernel takes nothing for a session it does not publish.
   * POE::Component::IKC: `publish(session, [events])`.
   */
  publish(session: string, events?: string[]): void {
    if (typeof session !== 'string' || session === '' || /[/\s]/.test(session)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `publish: expected a session alias without \`/\` or whitespace, got ${describe(session)}`);
    }
    if (events !== undefined && (!Array.isArray(events) || !events.every((e) => typeof e === 'string' && e !== ''))) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `publish: expected \`events\` to be an array of event names, got ${describe(events)}`);
    }
    const list = events === undefined ? null : [...events];
    this.#published.set(session, list);
    for (const l of this.#links) if (l.link.ready) l.link.enqueue({ frame: [Tag.Pub, 0, session, list], sender: undefined, address: session, at: this.kernel.clock.now(), fail: undefined });
  }

  /** Stops accepting posts for `session`. POE::Component::IKC: `retract`. */
  retract(session: string): void {
    if (!this.#published.delete(session)) return;
    for (const l of this.#links) if (l.link.ready) l.link.enqueue({ frame: [Tag.Retract, 0, session], sender: undefined, address: session, at: this.kernel.clock.now(), fail: undefined });
  }

  /**
   * For the current session: posts `event(address, true)` whenever the remote session
   * `poe://kernel/session` is published and its kernel connected, and `event(address, false)`
   * when it stops being so. POE::Component::IKC: `subscribe`, with a callback each time.
   */
  subscribe(address: string | RemoteSession, event: string): void {
    const s = this.kernel._waiter();
    if (s === undefined) throw new PoeArgumentError('ERR_POE_KERNEL_NOT_IN_SESSION', 'subscribe: call it from a session, whose event it posts');
    this.#subscribe(s, address, event);
  }

  #subscribe(session: Session, address: unknown, event: unknown): void {
    const t = this.#target(address, 'subscribe');
    if (t === undefined) throw new PoeIkcError('ERR_POE_IKC_BAD_ADDRESS', String(address), `subscribe: expected \`poe://kernel/session\`, got ${describe(address)}`);
    if (typeof event !== 'string' || event === '') throw new PoeArgumentError('ERR_POE_KERNEL_BAD_EVENT', `subscribe: expected an event name, got ${describe(event)}`);
    const sub: Subscription = { session, kernel: t[0], remoteSession: t[1], event, state: undefined };
    this.#subs.push(sub);
    if (this.#kernels.get(t[0])?.ready === true) this.#inSession(() => this.#refreshSubs(t[0]));
  }

  /** Stops the current session's subscription to `address`. */
  unsubscribe(address: string | RemoteSession): void {
    const s = this.kernel._waiter();
    if (s !== undefined) this.#unsubscribe(s, address);
  }

  #unsubscribe(session: Session, address: unknown): void {
    const t = this.#target(address, 'unsubscribe');
    if (t === undefined) return;
    for (let i = this.#subs.length - 1; i >= 0; i--) {
      const sub = this.#subs[i]!;
      if (sub.session === session && sub.kernel === t[0] && sub.remoteSession === t[1]) this.#subs.splice(i, 1);
    }
  }

  #refreshSubs(kernel: string): void {
    const link = this.#kernels.get(kernel);
    for (let i = this.#subs.length - 1; i >= 0; i--) {
      if (this.#subs[i]!.session._phase !== Phase.Running) this.#subs.splice(i, 1);
    }
    for (const sub of this.#subs) {
      if (sub.kernel !== kernel) continue;
      const now = link !== undefined && link.ready && link.peerPublished.has(sub.remoteSession);
      if (now === sub.state || (sub.state === undefined && !now)) {
        sub.state = now;
        continue;
      }
      sub.state = now;
      this.kernel.post(sub.session, sub.event, formatAddress(kernel, sub.remoteSession), now);
    }
  }

  /**
   * For the current session: posts `events.register(name, data)` when kernel `kernel` (or any,
   * with `'*'`) connects, `events.unregister(name, data)` when it disconnects, and
   * `events.reconnect` (or `register`) when it comes back. A kernel connected already is
   * registered at once. POE::Component::IKC: `monitor`.
   */
  monitor(kernel: string, events: MonitorEvents, data?: unknown): void {
    const s = this.kernel._waiter();
    if (s === undefined) throw new PoeArgumentError('ERR_POE_KERNEL_NOT_IN_SESSION', 'monitor: call it from a session, whose events it posts');
    this.#monitor(s, kernel, events, data);
  }

  #monitor(session: Session, kernel: unknown, events: unknown, data: unknown): void {
    if (typeof kernel !== 'string' || kernel === '') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `monitor: expected a kernel name or '*', got ${describe(kernel)}`);
    for (let i = this.#monitors.length - 1; i >= 0; i--) {
      const m = this.#monitors[i]!;
      if (m.session === session && m.kernel === kernel) this.#monitors.splice(i, 1);
    }
    // POE::Component::IKC: monitoring with no events ends the monitor.
    if (events === undefined || events === null) return;
    if (typeof events !== 'object') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `monitor: expected events { register, unregister, reconnect }, got ${describe(events)}`);
    rejectUnknownKeys('monitor', events, ['register', 'unregister', 'reconnect', 'drain']);
    const m: Monitor = { session, kernel, events: { ...(events as MonitorEvents) }, data };
    this.#monitors.push(m);
    this.#inSession(() => {
      for (const [name, link] of this.#kernels) {
        if ((kernel === '*' || kernel === name) && link.ready && m.events.register !== undefined) this.kernel.post(session, m.events.register, name, data);
      }
    });
  }

  #liveMonitors(name: string): Monitor[] {
    for (let i = this.#monitors.length - 1; i >= 0; i--) if (this.#monitors[i]!.session._phase !== Phase.Running) this.#monitors.splice(i, 1);
    return this.#monitors.filter((m) => m.kernel === '*' || m.kernel === name);
  }
}
