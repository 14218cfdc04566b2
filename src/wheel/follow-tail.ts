import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { PoeArgumentError, describe } from '../errors.js';
import { describeIoError } from '../driver/driver.js';
import { FilterLimitError, isFilter, type Filter } from '../filter/filter.js';
import { Line } from '../filter/line.js';
import type { EventName, Untyped } from '../session/types.js';
import { EMSGSIZE } from './feed.js';
import { Wheel, type WheelOwner, wheelArgs } from './wheel.js';

/** A Node stream FollowTail can watch (POE's select mode): pipes, sockets, terminals. */
export type FollowTailStream = Readable;

/**
 * Options of {@link FollowTail}. POE: `POE::Wheel::FollowTail->new(%params)`. `E`: the session's
 * event map when the wheel is given its handler's context first (`new FollowTail(ctx, {...})`).
 */
export interface FollowTailOptions<E = Untyped> {
  /**
   * Path of the file to follow. It is reopened when it is rotated (its inode or device changes,
   * or its link count) or truncated, and it may not exist yet. A FIFO is opened read-write
   * (so it never reports EOF) and watched like a stream. Exactly one of `filename` and `handle`.
   * POE: `Filename`.
   */
  filename?: string;
  /**
   * An open regular file (a descriptor, or anything with an `fd`, such as a `fs/promises`
   * FileHandle), followed by polling and rewound on truncation; or a Readable stream (pipe,
   * socket, terminal), watched for data. The wheel never closes a handle it was given.
   * POE: `Handle`.
   */
  handle?: number | { readonly fd: number } | FollowTailStream;
  /** Event for each record: `(record, wheelId)`. Required. POE: `InputEvent`. */
  inputEvent: EventName<E>;
  /** Event for errors: `(operation, errno, message, wheelId)`, operation `'read'` or `'stat'`. POE: `ErrorEvent`. */
  errorEvent?: EventName<E>;
  /** Event when the file is truncated or replaced: `(wheelId)`. POE: `ResetEvent`. */
  resetEvent?: EventName<E>;
  /** Event after each poll that found nothing new: `(wheelId)`. POE: `IdleEvent`. */
  idleEvent?: EventName<E>;
  /**
   * Turns bytes into records.
   * @default new Line()
   */
  filter?: Filter;
  /**
   * Seconds between polls of a plain file when nothing new was found. After data the wheel
   * polls again at once (a zero-second timer). POE: `PollInterval`.
   * @default 1
   */
  pollInterval?: number;
  /**
   * Start at this byte offset; past the end means at the end. Conflicts with `seekBack`.
   * POE: `Seek`.
   */
  seek?: number;
  /**
   * Start this many bytes before the end; more than the file's size means at the start.
   * Without `seek` or `seekBack` the wheel seeks back 4096 bytes and discards everything up to
   * the end, so only records appended later are reported (G32). POE: `SeekBack`.
   */
  seekBack?: number;
  /**
   * Most bytes read per poll; POE's default driver reads the same.
   * POE: `Driver => POE::Driver::SysRW->new(BlockSize => ...)`.
   * @default 65536
   */
  blockSize?: number;
}

const KNOWN = [
  'filename',
  'handle',
  'inputEvent',
  'errorEvent',
  'resetEvent',
  'idleEvent',
  'filter',
  'pollInterval',
  'seek',
  'seekBack',
  'blockSize',
] as const;
const EVENTS = ['inputEvent', 'errorEvent', 'resetEvent', 'idleEvent'] as const;

/** The events {@link FollowTail.event} can rename. */
export interface FollowTailEvents<E = Untyped> {
  inputEvent?: EventName<E>;
  errorEvent?: EventName<E> | undefined;
  resetEvent?: EventName<E> | undefined;
  idleEvent?: EventName<E> | undefined;
}

/** What FollowTail compares between polls: POE's stat fields 0, 1, 2, 3, 6 and 7. */
interface StatKey {
  dev: bigint;
  ino: bigint;
  mode: bigint;
  nlink: bigint;
  rdev: bigint;
  size: bigint;
}

/** A file that vanished compares as all -1, as POE's `(-1) x 8`. */
const GONE: StatKey = { dev: -1n, ino: -1n, mode: -1n, nlink: -1n, rdev: -1n, size: -1n };

const S_IFMT = BigInt(fsConstants.S_IFMT);
const S_IFBLK = BigInt(fsConstants.S_IFBLK);
const S_IFCHR = BigInt(fsConstants.S_IFCHR);

function statKey(s: BigIntStats): StatKey {
  return { dev: s.dev, ino: s.ino, mode: s.mode, nlink: s.nlink, rdev: s.rdev, size: s.size };
}

/**
 * POE's rotation test: inode, device, link count or device type changed, or the file shrank.
 * Device type only counts for block and character devices (POE copies it over otherwise).
 */
function rotated(last: StatKey, now: StatKey): boolean {
  const type = now.mode & S_IFMT;
  if (type !== S_IFBLK && type !== S_IFCHR) last.rdev = now.rdev;
  return now.ino !== last.ino || now.dev !== last.dev || now.rdev !== last.rdev || now.nlink !== last.nlink || now.size < last.size;
}

/** POE's `($!+0, "$!")` for a Node system error: the errno and the C library's text. */
function errnoOf(err: unknown): [number, string] {
  const { errno, message } = describeIoError(err);
  return [errno, message];
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isStream(value: unknown): value is FollowTailStream {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.on === 'function' && typeof v.pipe === 'function' && typeof v.read === 'function';
}

function nonNegativeInt(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected FollowTail option \`${name}\` to be an integer >= 0, got ${describe(value)}`);
  }
  return value;
}

/**
 * Follows the end of an ever-growing file, such as a log, and emits each new record
 * (POE::Wheel::FollowTail, spec 2.5).
 *
 * A plain file is polled on the kernel's timers, so a manual clock drives it in tests: after
 * data it polls again at once, after nothing new it waits `pollInterval` and emits IdleEvent.
 * Reads are synchronous and at most `blockSize` bytes per poll, as POE's sysread was; each
 * poll is one timer event, so other sessions run between polls. In `filename` mode a rotated or
 * truncated file is closed, reopened and read from the start, with ResetEvent when the new
 * file is opened (also when a missing file appears). In `handle` mode a truncated file emits
 * ResetEvent and is read again from offset 0.
 *
 * Pipes, sockets and terminals (a `handle` stream, or a FIFO `filename`) are watched for data
 * instead, like POE's select mode; EOF on a pipe emits IdleEvent and stops watching, EOF on a
 * socket or terminal is ErrorEvent `('read', 0, '')`.
 *
 * Events are `call`ed in the wheel's session: `Input(record, id)`, `Reset(id)`, `Idle(id)`,
 * `Error(operation, errno, message, id)`. As in POE, records already read keep coming from the
 * same chunk even if a handler destroys the wheel (G35); the wheel stops polling after it.
 *
 * POE: `POE::Wheel::FollowTail`. No `Driver` option (see `blockSize`); a filter over its size
 * limit is ErrorEvent `('read', EMSGSIZE, message)` and stops the wheel, where POE died.
 */
export class FollowTail<E = Untyped> extends Wheel {
  readonly #filter: Filter;
  readonly #interval: number;
  readonly #blockSize: number;
  readonly #filename: string | undefined;
  #inputEvent: string;
  #errorEvent: string | undefined;
  #resetEvent: string | undefined;
  #idleEvent: string | undefined;

  // timer mode
  #fd: number | undefined;
  #ownsFd = false;
  #pos = 0;
  #last: StatKey = { ...GONE };
  #scratch: Buffer | undefined;
  #pollState: string | undefined;
  #syncState: string | undefined;

  // select mode
  #stream: FollowTailStream | undefined;
  #ownsStream = false;
  #watching = false;

  constructor(options: FollowTailOptions);
  constructor(owner: WheelOwner<E>, options: FollowTailOptions<E>);
  constructor(first: FollowTailOptions | WheelOwner<E>, second?: FollowTailOptions<E>) {
    const [owner, options] = wheelArgs<FollowTailOptions>('FollowTail', first, second as FollowTailOptions | undefined);
    const o = FollowTail.#validate(options);
    super('FollowTail', owner);
    this.#filter = o.filter ?? new Line();
    this.#interval = o.pollInterval ?? 1;
    this.#blockSize = o.blockSize ?? 65536;
    this.#filename = o.filename;
    this.#inputEvent = o.inputEvent;
    this.#errorEvent = o.errorEvent;
    this.#resetEvent = o.resetEvent;
    this.#idleEvent = o.idleEvent;
    try {
      this.#start(o);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  static #validate(options: FollowTailOptions): FollowTailOptions {
    const o = Wheel.checkOptions('FollowTail', options, KNOWN, EVENTS);
    if ((o.handle !== undefined) === (o.filename !== undefined)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'FollowTail requires a `handle` or a `filename` option, but not both');
    }
    if (o.inputEvent === undefined) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'FollowTail requires an `inputEvent` option');
    }
    if (o.filename !== undefined && (typeof o.filename !== 'string' || o.filename === '')) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected FollowTail option \`filename\` to be a non-empty string, got ${describe(o.filename)}`);
    }
    if (o.filter !== undefined && !isFilter(o.filter)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected FollowTail option \`filter\` to be a filter, got ${describe(o.filter)}`);
    }
    const interval = o.pollInterval;
    if (interval !== undefined && (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected FollowTail option \`pollInterval\` to be a finite number of seconds >= 0, got ${describe(interval)}`);
    }
    const seek = nonNegativeInt('seek', o.seek);
    const seekBack = nonNegativeInt('seekBack', o.seekBack);
    if (seek !== undefined && seekBack !== undefined) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'FollowTail cannot have `seek` and `seekBack` at the same time');
    }
    const blockSize = o.blockSize;
    if (blockSize !== undefined && (typeof blockSize !== 'number' || !Number.isSafeInteger(blockSize) || blockSize < 1)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected FollowTail option \`blockSize\` to be a positive integer, got ${describe(blockSize)}`);
    }
    const handle = o.handle;
    if (handle !== undefined && !isStream(handle)) {
      const fd = typeof handle === 'number' ? handle : (handle as { fd?: unknown } | null)?.fd;
      if (typeof fd !== 'number' || !Number.isSafeInteger(fd) || fd < 0) {
        throw new PoeArgumentError(
          'ERR_POE_INVALID_ARGUMENT',
          `Expected FollowTail option \`handle\` to be a file descriptor, a FileHandle or a Readable stream, got ${describe(handle)}`,
        );
      }
    } else if (handle !== undefined && (seek !== undefined || seekBack !== undefined)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `FollowTail cannot \`${seek !== undefined ? 'seek' : 'seekBack'}\` on a stream`);
    }
    return o;
  }

  /** Opens the file (or watches the stream) and starts following it. */
  #start(o: FollowTailOptions): void {
    const { seek, seekBack } = o;
    const handle = o.handle;
    if (handle !== undefined && isStream(handle)) {
      this.#startSelect(handle, false);
      return;
    }
    if (handle !== undefined) {
      const fd = typeof handle === 'number' ? handle : handle.fd;
      let st: BigIntStats;
      try {
        st = fstatSync(fd, { bigint: true });
      } catch (err) {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `FollowTail cannot follow \`handle\` ${fd}: ${errnoOf(err)[1]}`, { cause: err });
      }
      if (!st.isFile()) {
        throw new PoeArgumentError(
          'ERR_POE_INVALID_ARGUMENT',
          `FollowTail \`handle\` ${fd} is not a regular file; pass pipes, sockets and terminals as a Readable stream (e.g. \`new net.Socket({ fd })\`)`,
        );
      }
      this.#fd = fd;
      this.#last = statKey(st);
      this.#startTimer(st.size, seek, seekBack);
      return;
    }

    // Filename mode. A file that cannot be opened yet is retried on every poll.
    const filename = o.filename!;
    let st: BigIntStats | undefined;
    try {
      st = statSync(filename, { bigint: true });
    } catch {
      st = undefined;
    }
    if (st?.isFIFO()) {
      if (seek !== undefined || seekBack !== undefined) {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `FollowTail cannot \`${seek !== undefined ? 'seek' : 'seekBack'}\` on a FIFO`);
      }
      // Read-write, so the FIFO never reports EOF when its writers come and go (as POE).
      const fifo = openSync(filename, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
      this.#startSelect(new Socket({ fd: fifo, readable: true, writable: false }), true);
      return;
    }
    let fd: number | undefined;
    try {
      fd = openSync(filename, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    } catch {
      fd = undefined;
    }
    if (fd === undefined) {
      this.#startTimer(undefined, seek, seekBack);
      return;
    }
    this.#fd = fd;
    this.#ownsFd = true;
    const fst = fstatSync(fd, { bigint: true });
    if (!fst.isFile()) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `FollowTail cannot follow \`${filename}\`: it is ${fst.isDirectory() ? 'a directory' : 'not a regular file or a FIFO'}`);
    }
    this.#last = statKey(fst);
    this.#startTimer(fst.size, seek, seekBack);
  }

  /**
   * The byte offset the next poll reads from, or `undefined` when no file is open (a missing
   * file, or a stream). POE: `$wheel->tell`.
   */
  tell(): number | undefined {
    return this.#fd === undefined ? undefined : this.#pos;
  }

  /**
   * Renames events at run time; `undefined` turns an optional event off. `inputEvent` cannot be
   * turned off. POE: `$wheel->event(InputEvent => ..., ...)`.
   */
  event(events: FollowTailEvents<E>): void {
    const o = Wheel.checkOptions('FollowTail event()', events, EVENTS, EVENTS);
    if ('inputEvent' in o) {
      if (o.inputEvent === undefined) {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'FollowTail `inputEvent` requires an event name');
      }
      this.#inputEvent = o.inputEvent;
    }
    if ('errorEvent' in o) this.#errorEvent = o.errorEvent;
    if ('resetEvent' in o) this.#resetEvent = o.resetEvent;
    if ('idleEvent' in o) this.#idleEvent = o.idleEvent;
  }

  // ------------------------------------------------------------------------------------------
  // timer mode: plain files

  /** Positions the file as POE does, primes the filter, and starts the polling loop. */
  #startTimer(size: bigint | undefined, seek: number | undefined, seekBack: number | undefined): void {
    this.#scratch = Buffer.allocUnsafe(this.#blockSize);
    if (size !== undefined) {
      const end = Number(size);
      if (seekBack !== undefined) this.#pos = Math.max(0, end - seekBack);
      else if (seek !== undefined) this.#pos = Math.min(seek, end);
      else {
        // G32: back 4096 bytes, then read and discard to EOF. The discarded bytes frame the
        // input: a partial last line stays in the filter and completes with the next append.
        this.#pos = Math.max(0, end - 4096);
        for (;;) {
          const chunk = this.#read();
          if (chunk === undefined || chunk.length === 0) break;
          this.#filter.get([chunk]);
        }
      }
    }
    this.#pollState = this.defineState(this.#filename === undefined ? 'handle timer read' : 'name timer read', () => this.#poll());
    this.#syncState = this.defineState('sync', (fn) => (fn as () => void)());
    this.#arm(0);
  }

  /** The next poll, `seconds` from now, as a kernel timer of the wheel's session (POE's `delay`). */
  #arm(seconds: number): void {
    if (this.destroyed || this.#pollState === undefined) return;
    this.kernel.delay(this.#pollState, seconds);
  }

  /** One block from the current offset; `[]`-like empty Buffer at EOF; throws on errors. */
  #read(): Buffer | undefined {
    const fd = this.#fd;
    const scratch = this.#scratch;
    if (fd === undefined || scratch === undefined) return undefined;
    let n: number;
    try {
      n = readSync(fd, scratch, 0, scratch.length, this.#pos);
    } catch (err) {
      if (errorCode(err) === 'EAGAIN') return Buffer.alloc(0);
      throw err;
    }
    this.#pos += n;
    // A copy: filters may keep what they are given (Stream returns it as the record).
    return Buffer.from(scratch.subarray(0, n));
  }

  #poll(): void {
    const id = this.ID;
    const byName = this.#filename !== undefined;
    if (this.#fd === undefined) {
      // A missing or rotated file: try to (re)open it; a new file is a reset.
      try {
        this.#fd = openSync(this.#filename!, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
      } catch {
        this.emit(this.#idleEvent, id);
        this.#arm(this.#interval);
        return;
      }
      this.#ownsFd = true;
      this.#pos = 0;
      this.emit(this.#resetEvent, id);
      if (this.destroyed) return;
      try {
        this.#last = statKey(fstatSync(this.#fd, { bigint: true }));
      } catch {
        this.#last = { ...GONE };
      }
    }

    let chunk: Buffer | undefined;
    try {
      chunk = this.#read();
    } catch (err) {
      // POE reports the error and stops polling; the wheel stays until destroyed.
      const [errno, message] = errnoOf(err);
      this.emit(this.#errorEvent, 'read', errno, message, id);
      return;
    }
    if (chunk !== undefined && chunk.length > 0) {
      if (this.#feed(chunk)) this.#arm(0);
      return;
    }

    // EOF: has the file been rotated or truncated?
    let now: StatKey;
    try {
      now = statKey(byName ? statSync(this.#filename, { bigint: true }) : fstatSync(this.#fd, { bigint: true }));
    } catch (err) {
      if (!(byName && errorCode(err) === 'ENOENT')) {
        const [errno, message] = errnoOf(err);
        this.emit(this.#errorEvent, 'stat', errno, message, id);
        return;
      }
      now = { ...GONE };
    }
    if (rotated(this.#last, now)) {
      this.#last = now;
      if (byName) {
        // Closed now, reopened (with ResetEvent) by the next poll, at once.
        this.#closeFd();
        this.#arm(0);
        return;
      }
      this.emit(this.#resetEvent, id);
      this.#pos = 0;
    } else {
      this.emit(this.#idleEvent, id);
    }
    this.#last = now;
    this.#arm(this.#interval);
  }

  /**
   * Runs a chunk through the filter, emitting each record. False when the filter failed (its
   * error was reported and the wheel stopped).
   */
  #feed(chunk: Buffer | string): boolean {
    const filter = this.#filter;
    const id = this.ID;
    try {
      filter.getOneStart([chunk]);
      for (;;) {
        const records = filter.getOne();
        if (records.length === 0) break;
        for (const record of records) this.emit(this.#inputEvent, record, id);
      }
    } catch (err) {
      if (!(err instanceof FilterLimitError)) throw err;
      this.emit(this.#errorEvent, 'read', EMSGSIZE, err.message, id);
      this.#stop();
      return false;
    }
    return true;
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined && this.#ownsFd) {
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to release
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // select mode: streams

  #startSelect(stream: FollowTailStream, owned: boolean): void {
    this.#stream = stream;
    this.#ownsStream = owned;
    const state = this.defineState('select read', (kind, payload) => this.#onStream(kind as string, payload));
    this.listen(stream, 'data', (chunk: Buffer | string) => this.ioDispatch(state, 'data', chunk));
    this.listen(stream, 'end', () => this.ioDispatch(state, 'end'));
    this.listen(stream, 'error', (err: Error) => this.ioDispatch(state, 'error', err));
    this.#watching = true;
    this.hold();
  }

  #onStream(kind: string, payload: unknown): void {
    if (!this.#watching) return;
    const id = this.ID;
    if (kind === 'data') {
      this.#feed(payload as Buffer | string);
      return;
    }
    const stream = this.#stream;
    this.#stop();
    if (kind === 'error') {
      const [errno, message] = errnoOf(payload);
      this.emit(this.#errorEvent, 'read', errno, message, id);
    } else if ((stream as { isTTY?: unknown } | undefined)?.isTTY === true || (stream instanceof Socket && stream.remoteAddress !== undefined)) {
      // POE: EOF on a socket or terminal is an error (errno 0), on a pipe merely idle.
      this.emit(this.#errorEvent, 'read', 0, '', id);
    } else {
      this.emit(this.#idleEvent, id);
    }
  }

  /** Stops watching the stream (POE's `select_read($fh => undef)`) or polling; the wheel stays. */
  #stop(): void {
    if (this.#pollState !== undefined) this.#clearTimer();
    const stream = this.#stream;
    if (stream === undefined || !this.#watching) return;
    this.#watching = false;
    this.unlisten(stream);
    if (this.#ownsStream) this.closeHandle(stream, 'destroy');
    else stream.pause();
    this.release();
  }

  /** Clears the poll timer; the kernel's timer calls need the wheel's session active. */
  #clearTimer(): void {
    const state = this.#pollState!;
    if (this.kernel.getActiveSession() === this.session) this.kernel.delay(state);
    else if (this.#syncState !== undefined) this.kernel._ioDispatch(this.session, this.#syncState, [() => this.kernel.delay(state)]);
  }

  protected onDestroy(): void {
    this.#stop();
    this.#closeFd();
    this.#scratch = undefined;
  }
}
