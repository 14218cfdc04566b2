/*
 * One link to another kernel over one transport: what makes every transport deliver posts in
 * order, once, or tell the sender that it did not.
 *
 * Frames that carry posts, calls, answers, errors and publications are numbered; each batch
 * the other end receives is acknowledged with the highest number it has taken, once what it
 * carried has been handled (its posts dispatched, in the kernel's order). At most WINDOW
 * frames are in flight: the sender is paced by the receiver's kernel. A frame is kept
 * until it is acknowledged: while the transport is down, new frames wait behind it. When the
 * transport comes back, each side says who it is (`hello`: its kernel name, an instance id
 * made at start, the instance it last talked to and the last number it took from it). The
 * same two instances carry on: unacknowledged frames are sent again and duplicates dropped.
 * A new instance (a restarted peer) cannot say what it took: each frame sent and not
 * acknowledged is reported to its sender as ERR_POE_IKC_LOST (it may or may not have been
 * handled), and frames never sent go to the new instance in order.
 *
 * The bound: at most `bufferLimit` numbers wait (unsent plus unacknowledged; a post, a call or
 * an answer takes one); a post past it is reported at once (ERR_POE_IKC_BUFFER_FULL). A frame that has waited
 * `bufferTimeout` seconds while the transport is down is reported too (ERR_POE_IKC_EXPIRED,
 * or ERR_POE_IKC_LOST if it had been sent). Nothing is dropped without its sender hearing.
 */
import type { ClockTimer } from '../kernel/clock.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Session } from '../session/session.js';
import type { IkcErrorCode } from '../errors.js';
import { formatAddress } from './address.js';
import { decodeBatch, encodeBatch } from './codec.js';
import type { Transport, TransportSink } from './transport.js';

/** Frame tags. A frame is an array: its tag, then its fields. */
export const enum Tag {
  /** [Hello, kernelName, instance, peerInstance, got, published: [session, events | null][]] */
  Hello = 0,
  /** [Ack, got] */
  Ack = 1,
  /** [Post, seq, session, event, args, fromSessionId] */
  Post = 2,
  /** [Call, seq, session, event, args, fromSessionId, callId] */
  Call = 3,
  /** [Ret, seq, callId, ok, value | [code, message]] */
  Ret = 4,
  /** [Err, seq, fromSessionId, code, address, message]: a post could not be delivered */
  Err = 5,
  /** [Pub, seq, session, events | null] */
  Pub = 6,
  /** [Retract, seq, session] */
  Retract = 7,
  /** [Bye]: the other end closes for good */
  Bye = 8,
  /**
   * [PostRun, firstSeq, session, event, fromSessionId, argsList]: consecutive posts from one
   * sender to one event, numbered firstSeq, firstSeq + 1, ...: the form every post takes in the
   * link (a post made right after another from the same sender to the same event joins its
   * run), so a stream of posts costs one array per post, not three objects, and the names cross
   * once per run.
   */
  PostRun = 9,
}

/** Frames sent and not yet acknowledged at most: the sender is paced by the receiver's acks. */
const WINDOW = 16_384;
/** Unsent frames that go at once, without waiting for the end of the kernel slice. */
const FLUSH_AT = 2048;

/** `o`'s frame as it goes on the wire: a run of one post as the Post frame it is. */
function wire(o: Out): unknown[] {
  const f = o.frame;
  if (f[0] !== Tag.PostRun || (f[5] as unknown[]).length !== 1) return f;
  return [Tag.Post, f[1], f[2], f[3], (f[5] as unknown[][])[0], f[4]];
}

/** How many numbers an out holds: a run one per post, any other frame one. */
function size(o: Out): number {
  return o.frame[0] === Tag.PostRun ? (o.frame[5] as unknown[]).length : 1;
}

/** A numbered frame waiting to be sent or acknowledged, and whom to tell if it never is. */
export interface Out {
  frame: unknown[];
  /** The session that posted it; undefined for the kernel's own frames. */
  sender: Session | undefined;
  address: string;
  /** The kernel clock when it was queued. */
  at: number;
  /** A call's failure handler. */
  fail: ((code: IkcErrorCode, message: string) => void) | undefined;
}

/**
 * Posts to one event of one session from one sender, queued one after another: one frame,
 * its posts numbered from `frame[1]`. Its address, needed only to report a failure, is made then.
 */
export class RunOut implements Out {
  readonly fail = undefined;
  constructor(
    readonly frame: unknown[],
    readonly sender: Session | undefined,
    readonly kernel: string,
    readonly at: number,
  ) {}
  get address(): string {
    return formatAddress(this.kernel, this.frame[2] as string, this.frame[3] as string);
  }
  /** A run of the posts `from` .. `to` - 1 of this one, numbered on from its first. */
  slice(from: number, to?: number): RunOut {
    const f = this.frame;
    return new RunOut([Tag.PostRun, (f[1] as number) + from, f[2], f[3], f[4], (f[5] as unknown[]).slice(from, to)], this.sender, this.kernel, this.at);
  }
}

/** What the link asks of its responder. */
export interface LinkOwner {
  readonly kernel: Kernel;
  readonly name: string;
  readonly instance: string;
  published(): [string, string[] | null][];
  /** The peer said hello: `again` when it is the same instance as before. */
  linkUp(link: Link, again: boolean, previousName: string | undefined): void;
  linkDown(link: Link, reason: string): void;
  /** Frames received, numbered ones in order and each once. */
  input(link: Link, frames: unknown[][]): void;
  /**
   * Numbered frames up to `got` were given to `input`: the owner calls `link.acknowledge(got)`
   * once it has handled them (posts dispatched), so a peer that dies with posts queued does
   * not leave their senders believing them delivered.
   */
  taken(link: Link, got: number): void;
  /** A congested link (see `Link.congested`) has drained to a quarter of its bound. */
  drained(link: Link): void;
  /** The peer ended (`TransportSink.gone`): the owner fails the calls it took and had not answered. */
  linkGone(link: Link, reason: string): void;
  /** A numbered frame will never be delivered. */
  undelivered(out: Out, code: IkcErrorCode, message: string): void;
  log(line: string): void;
}

export interface LinkLimits {
  bufferLimit: number;
  bufferTimeout: number;
}

export class Link implements TransportSink {
  readonly transport: Transport;
  readonly #owner: LinkOwner;
  readonly #limits: LinkLimits;
  /** The peer's kernel name, from its hello. */
  peer: string | undefined = undefined;
  /** The peer's published sessions, from its hello and later Pub/Retract frames. */
  readonly peerPublished = new Map<string, string[] | null>();
  #peerInstance = '';
  /** The transport is up. */
  #up = false;
  /** Up, and the peer's hello has come: numbered frames may go. */
  ready = false;
  closed = false;
  #seq = 0;
  #unsent: Out[] = [];
  /** The numbers #unsent holds (a run holds one per post). */
  #unsentCount = 0;
  #unacked: Out[] = [];
  /** Acknowledged frames at the front of #unacked not yet cut off (cutting on every ack would copy the rest each time). */
  #ackHead = 0;
  /** The numbers #unacked holds from #ackHead on. */
  #unackedCount = 0;
  /**
   * The clock when the first post since the last flush was queued, the time of every post
   * queued until the next: posts of one kernel slice share it (and so can share a run), and
   * the clock is read once per slice rather than once per post.
   */
  #stamp: number | undefined = undefined;
  /** The highest number taken from the peer. */
  #got = 0;
  #control: unknown[][] = [];
  #flushQueued = false;
  #expiry: ClockTimer | undefined = undefined;
  /** Whether it has ever been ready (for monitor's register vs. reconnect). */
  everReady = false;

  constructor(owner: LinkOwner, transport: Transport, limits: LinkLimits) {
    this.#owner = owner;
    this.transport = transport;
    this.#limits = limits;
  }

  /**
   * Half the bound or more waits (or a post was refused): a producer should pause until the
   * owner's `drained`, which comes when a quarter or less waits. Without it, a producer
   * faster than the peer meets the bound, and each post past it is an error.
   */
  congested = false;

  get waiting(): number {
    return this.#unsentCount + this.#unackedCount;
  }

  describe(): string {
    return `IKC link to ${this.peer ?? '(unknown)'} over ${this.transport.description} (${this.ready ? 'up' : 'down'}, ${this.waiting} waiting)`;
  }

  /** Queues a numbered frame; false when the buffer is full (the caller reports it). */
  enqueue(out: Out): boolean {
    if (!this.#room()) return false;
    out.frame[1] = ++this.#seq;
    this.#unsent.push(out);
    this.#unsentCount++;
    this.#queued();
    return true;
  }

  /**
   * Queues a post to `session`'s `event` on kernel `kernel` (the name it was addressed by)
   * from `sender`; false when the buffer is full (the caller reports it). It joins the run
   * the last post began when it has the same sender, session and event.
   */
  post(kernel: string, session: string, event: string, args: unknown[], sender: Session | undefined): boolean {
    if (!this.#room()) return false;
    const at = this.ready ? (this.#stamp ??= this.#owner.kernel.clock.now()) : this.#owner.kernel.clock.now();
    const tail = this.#unsent[this.#unsent.length - 1];
    if (tail instanceof RunOut && tail.at === at && tail.sender === sender && tail.frame[3] === event && tail.frame[2] === session && tail.kernel === kernel) {
      (tail.frame[5] as unknown[]).push(args);
      this.#seq++;
    } else {
      this.#unsent.push(new RunOut([Tag.PostRun, ++this.#seq, session, event, sender?._id ?? 0, [args]], sender, kernel, at));
    }
    this.#unsentCount++;
    this.#queued();
    return true;
  }

  /** Whether one more number fits the bound; sets `congested` from half of it on. */
  #room(): boolean {
    const waiting = this.waiting;
    if (waiting >= this.#limits.bufferLimit) {
      this.congested = true;
      return false;
    }
    if ((waiting + 1) * 2 >= this.#limits.bufferLimit) this.congested = true;
    return true;
  }

  #queued(): void {
    if (!this.ready) this.#armExpiry();
    else if (this.#unsentCount >= FLUSH_AT && this.#unackedCount < WINDOW) {
      // A producer that posts thousands in one kernel slice: the peer starts on them now
      // rather than after the slice, and fewer frames live long enough to burden the GC.
      this.#flush();
    } else this.#schedule();
  }

  #schedule(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Posts made in one kernel timeslice leave as one batch, after the slice.
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    this.#stamp = undefined;
    if (!this.#up || this.closed) return;
    const control = this.#control;
    // Paced by acknowledgements: at most WINDOW numbers in flight; the rest wait for acks.
    const room = WINDOW - this.#unackedCount;
    const sendNumbered = this.ready && this.#unsentCount > 0 && room > 0;
    if (control.length === 0 && !sendNumbered) return;
    let outs: Out[] = [];
    if (sendNumbered) outs = this.#takeUnsent(room);
    const frames: unknown[] = [...control];
    for (const o of outs) frames.push(wire(o));
    let bytes: Buffer;
    try {
      bytes = encodeBatch(frames);
    } catch {
      // checkSendable let something through that V8 cannot encode: find it, tell its sender, send the rest.
      bytes = this.#encodeSparing(control, outs);
    }
    this.#control = [];
    for (const o of outs) {
      this.#unacked.push(o);
      this.#unackedCount += size(o);
    }
    this.transport.send(bytes);
  };

  /** Takes up to `room` numbers from the front of #unsent, cutting a run that does not fit. */
  #takeUnsent(room: number): Out[] {
    if (this.#unsentCount <= room) {
      const all = this.#unsent;
      this.#unsent = [];
      this.#unsentCount = 0;
      return all;
    }
    const u = this.#unsent;
    let i = 0;
    let left = room;
    while (i < u.length && size(u[i]!) <= left) left -= size(u[i++]!);
    const outs = u.slice(0, i);
    if (left > 0 && i < u.length) {
      const run = u[i] as RunOut;
      outs.push(run.slice(0, left));
      u[i] = run.slice(left);
    }
    this.#unsent = u.slice(i);
    this.#unsentCount -= room;
    return outs;
  }

  /** Tells the senders of `o`'s posts (or its one frame's) that they will not be delivered. */
  #report(o: Out, code: IkcErrorCode, message: string): void {
    for (let k = size(o); k > 0; k--) this.#owner.undelivered(o, code, message);
  }

  /**
   * Encodes control frames and `outs`; an out V8 cannot encode is reported and left out (a run
   * is tried post by post, so only its bad posts are). `outs` is left holding what was encoded.
   */
  #encodeSparing(control: unknown[][], outs: Out[]): Buffer {
    const keep: unknown[] = [...control];
    const left: Out[] = [];
    const tryOne = (o: Out): boolean => {
      try {
        encodeBatch([wire(o)]);
      } catch (err) {
        if (o instanceof RunOut && size(o) > 1) return false;
        // Its number is spent: the peer sees a gap, which it tolerates (see `data`).
        this.#owner.undelivered(o, 'ERR_POE_IKC_UNSENDABLE', `Cannot send to ${o.address}: ${err instanceof Error ? err.message : String(err)}`);
        return true;
      }
      keep.push(wire(o));
      left.push(o);
      return true;
    };
    for (const o of outs) {
      if (tryOne(o)) continue;
      const run = o as RunOut;
      for (let k = 0; k < size(run); k++) tryOne(run.slice(k, k + 1));
    }
    outs.length = 0;
    for (const o of left) outs.push(o);
    return encodeBatch(keep);
  }

  #control1(frame: unknown[]): void {
    this.#control.push(frame);
    this.#schedule();
  }

  // ---- TransportSink

  up(): void {
    if (this.closed) return;
    this.#up = true;
    const published = this.#owner.published();
    // Hello goes alone and first: nothing numbered leaves before the peer's hello is read.
    this.#control = [[Tag.Hello, this.#owner.name, this.#owner.instance, this.#peerInstance, this.#got, published]];
    this.#schedule();
  }

  down(reason: string): void {
    if (!this.#up) return;
    this.#up = false;
    this.#control = [];
    const wasReady = this.ready;
    this.ready = false;
    if (this.waiting > 0) this.#armExpiry();
    if (wasReady) this.#owner.linkDown(this, reason);
  }

  gone(reason: string): void {
    if (this.closed) return;
    // Taken before `down`, whose timer would otherwise count them.
    const lost = this.#takeUnacked();
    const peer = this.peer ?? 'the peer';
    this.down(reason);
    for (const o of lost) this.#report(o, 'ERR_POE_IKC_LOST', `${peer} ended (${reason}) before ${o.address} was confirmed; it may or may not have been handled`);
    this.#owner.linkGone(this, reason);
    this.#checkDrained();
  }

  /** Whether `out` waits unsent. */
  holds(out: Out): boolean {
    return this.#unsent.includes(out);
  }

  data(bytes: Uint8Array): void {
    if (this.closed) return;
    let frames: unknown[];
    try {
      frames = decodeBatch(bytes);
    } catch (err) {
      this.#owner.log(`IKC: dropped a batch from ${this.peer ?? this.transport.description}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const taken: unknown[][] = [];
    let numbered = false;
    for (const f of frames) {
      if (!Array.isArray(f) || typeof f[0] !== 'number') {
        this.#owner.log(`IKC: dropped a malformed frame from ${this.peer ?? this.transport.description}`);
        continue;
      }
      const tag = f[0] as Tag;
      if (tag === Tag.Hello) {
        // Frames after a hello belong to the stream it starts: deliver what came before first.
        if (taken.length > 0) this.#owner.input(this, taken.splice(0));
        this.#hello(f);
        continue;
      }
      if (tag === Tag.Ack) {
        if (typeof f[1] === 'number') this.#acked(f[1]);
        continue;
      }
      if (tag === Tag.Bye) {
        if (taken.length > 0) this.#owner.input(this, taken.splice(0));
        this.down('closed by the other end');
        continue;
      }
      if (!this.ready) continue;
      const seq: unknown = f[1];
      if (typeof seq !== 'number') continue;
      if (tag === Tag.PostRun) {
        const list: unknown = f[5];
        if (!Array.isArray(list)) continue;
        const last = seq + list.length - 1;
        if (last <= this.#got) continue;
        // Part of a run sent again after a reconnect: only the posts not taken yet.
        taken.push(seq > this.#got ? f : [Tag.PostRun, this.#got + 1, f[2], f[3], f[4], list.slice(this.#got + 1 - seq)]);
        this.#got = last;
        numbered = true;
        continue;
      }
      // A frame sent again after a reconnect, already taken: once only.
      if (seq <= this.#got) continue;
      this.#got = seq;
      numbered = true;
      taken.push(f);
    }
    if (taken.length > 0) this.#owner.input(this, taken);
    if (numbered) this.#owner.taken(this, this.#got);
  }

  /**
   * Acknowledges frames up to `got`, which the owner has handled: the peer's sender may
   * forget them, and its window moves on.
   */
  acknowledge(got: number): void {
    if (this.#up && !this.closed) this.#control1([Tag.Ack, got]);
  }

  #hello(f: unknown[]): void {
    const [, name, instance, peerInstance, got, published] = f;
    if (typeof name !== 'string' || typeof instance !== 'string' || typeof got !== 'number' || !Array.isArray(published)) {
      this.#owner.log(`IKC: dropped a malformed hello from ${this.transport.description}`);
      return;
    }
    const previousName = this.peer;
    const again = instance === this.#peerInstance && peerInstance === this.#owner.instance && name === previousName;
    if (again) {
      this.#acked(got);
      // Unacknowledged frames go again, ahead of the ones never sent.
      const resend = this.#takeUnacked();
      for (const o of resend) this.#unsentCount += size(o);
      this.#unsent = [...resend, ...this.#unsent];
    } else {
      // A new peer (or a restarted one): what it was sent is unaccounted for, and numbering starts over.
      const lost = this.#takeUnacked();
      for (const o of lost) this.#report(o, 'ERR_POE_IKC_LOST', `The connection to ${previousName ?? 'the peer'} was lost before ${o.address} was confirmed; it may or may not have been handled`);
      if (previousName !== undefined && name !== previousName) {
        const gone = this.#unsent;
        this.#unsent = [];
        this.#unsentCount = 0;
        for (const o of gone) this.#report(o, 'ERR_POE_IKC_LOST', `A different kernel (${name}) answered in place of ${previousName}`);
      }
      this.#seq = 0;
      for (const o of this.#unsent) {
        o.frame[1] = this.#seq + 1;
        this.#seq += size(o);
      }
      this.#got = 0;
      this.#peerInstance = instance;
    }
    this.peer = name;
    this.peerPublished.clear();
    for (const p of published) {
      if (Array.isArray(p) && typeof p[0] === 'string') this.peerPublished.set(p[0], Array.isArray(p[1]) ? (p[1] as string[]) : null);
    }
    this.ready = true;
    this.#disarmExpiry();
    this.#owner.linkUp(this, again, previousName);
    this.everReady = true;
    this.#checkDrained();
    if (this.#unsent.length > 0) this.#schedule();
  }

  #acked(got: number): void {
    const u = this.#unacked;
    const before = this.#unackedCount;
    let n = this.#ackHead;
    for (; n < u.length; n++) {
      const o = u[n]!;
      const first = o.frame[1] as number;
      if (first > got) break;
      const k = size(o);
      if (first + k - 1 > got) {
        // A run taken in part (the peer acknowledges what it has handled): keep the rest.
        const done = got - first + 1;
        u[n] = (o as RunOut).slice(done);
        this.#unackedCount -= done;
        break;
      }
      this.#unackedCount -= k;
    }
    // Room in the window: frames held back by it may go.
    if (this.#unackedCount < before && this.#unsentCount > 0 && this.ready) this.#schedule();
    if (n === u.length) {
      this.#unacked = [];
      this.#ackHead = 0;
    } else if (n > 1024 && n * 2 > u.length) {
      this.#unacked = u.slice(n);
      this.#ackHead = 0;
    } else this.#ackHead = n;
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.congested && this.waiting * 4 <= this.#limits.bufferLimit) {
      this.congested = false;
      this.#owner.drained(this);
    }
  }

  /** The unacknowledged frames, in order; the list is emptied. */
  #takeUnacked(): Out[] {
    const live = this.#ackHead === 0 ? this.#unacked : this.#unacked.slice(this.#ackHead);
    this.#unacked = [];
    this.#ackHead = 0;
    this.#unackedCount = 0;
    return live;
  }

  // ---- the timeout of frames waiting for the peer to come back

  #armExpiry(): void {
    if (this.#expiry !== undefined || this.ready || this.closed) return;
    const first = this.#unacked[this.#ackHead] ?? this.#unsent[0];
    if (first === undefined) return;
    const clock = this.#owner.kernel.clock;
    const wait = Math.max(0, first.at + this.#limits.bufferTimeout - clock.now());
    this.#expiry = clock.setTimer(this.#expire, wait);
  }

  #disarmExpiry(): void {
    if (this.#expiry === undefined) return;
    this.#owner.kernel.clock.clearTimer(this.#expiry);
    this.#expiry = undefined;
  }

  readonly #expire = (): void => {
    this.#expiry = undefined;
    if (this.ready) return;
    const limit = this.#owner.kernel.clock.now() - this.#limits.bufferTimeout;
    const secs = this.#limits.bufferTimeout;
    const unacked = this.#takeUnacked();
    while (unacked.length > 0 && unacked[0]!.at <= limit) {
      const o = unacked.shift()!;
      this.#report(o, 'ERR_POE_IKC_LOST', `${this.peer ?? 'The peer'} did not come back within ${secs} s; ${o.address} was sent but not confirmed`);
    }
    // Never-sent frames behind a kept unacknowledged one keep their order: they expire after it.
    this.#unacked = unacked;
    for (const o of unacked) this.#unackedCount += size(o);
    if (this.#unacked.length === 0) {
      while (this.#unsent.length > 0 && this.#unsent[0]!.at <= limit) {
        const o = this.#unsent.shift()!;
        this.#unsentCount -= size(o);
        this.#report(o, 'ERR_POE_IKC_EXPIRED', `${this.peer ?? 'The peer'} did not come back within ${secs} s; ${o.address} was not sent`);
      }
    }
    this.#armExpiry();
    this.#checkDrained();
  };

  /**
   * Closes for good. Up, it sends what waits and a bye: the transport carries them in order,
   * ahead of the close, so nobody is told of a failure. Down, each waiting frame is reported.
   */
  close(reason: string): void {
    if (this.closed) return;
    let left = [...this.#takeUnacked(), ...this.#unsent];
    if (this.ready) {
      try {
        // Everything taken is acknowledged: what is queued here still runs after the link closes.
        const ack = this.#got > 0 ? [[Tag.Ack, this.#got]] : [];
        this.transport.send(encodeBatch([...this.#control, ...ack, ...this.#unsent.map(wire), [Tag.Bye]]));
        left = [];
      } catch {
        // Something unsendable in the last batch: report everything still waiting.
      }
    }
    this.closed = true;
    this.#disarmExpiry();
    const wasReady = this.ready;
    this.ready = false;
    this.#up = false;
    this.#unsent = [];
    this.#unsentCount = 0;
    for (const o of left) this.#report(o, 'ERR_POE_IKC_SHUTDOWN', `The link to ${this.peer ?? 'the peer'} was closed (${reason}) before ${o.address} was confirmed`);
    this.transport.close();
    if (wasReady) this.#owner.linkDown(this, reason);
  }
}
