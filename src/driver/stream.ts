import { Buffer } from 'node:buffer';
import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import type { Driver, DriverReadSink, DriverWatch, DriverWriteSink, InputHandle, OutputHandle, Soon } from './driver.js';
import { errnoException } from './driver.js';

/** Options of {@link StreamDriver}. POE: `POE::Driver::SysRW->new(%params)`. */
export interface StreamDriverOptions {
  /**
   * Most bytes delivered per read. A longer chunk from the stream is delivered as several
   * reads, one after another (the rest waits in the stream if the reader pauses meanwhile),
   * as POE's `sysread` of at most BlockSize octets would have read it. POE: `BlockSize`.
   * @default 65536
   */
  blockSize?: number;
}

const KNOWN = ['blockSize'] as const;

function noop(): void {}

/** Keeps an 'error' from a handle nobody watches any more from crashing the process. */
function guardErrors(handle: InputHandle | OutputHandle): void {
  if (handle.listenerCount('error') === 0) handle.on('error', noop);
}

/**
 * A chunk as the stream takes it: a Buffer, or a string kept as it is (Node encodes it as UTF-8
 * straight into the write request: no Buffer of our own per reply).
 */
function toChunk(chunk: unknown): Buffer | string {
  if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a driver chunk to be a Buffer or a string, got ${describe(chunk)}`);
}

/** A chunk's size in octets (a string's in UTF-8). */
function octetsOf(chunk: Buffer | string): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.length;
}

/** A write error only when it did not come from a read (Node hands a read error to pending writes too). */
function fromRead(err: Error): boolean {
  return (err as NodeJS.ErrnoException).syscall === 'read';
}

/**
 * The stream driver: POE's SysRW over any Node stream. Writes are buffered here until the
 * wheel flushes; a flush hands chunks to the Writable until it says it is full (its `write()`
 * returns false), then waits for 'drain', so at most the stream's highWaterMark plus one
 * chunk sits in Node's buffer and the rest stays here, where the wheel's watermarks see it.
 * Reads arrive as the stream's 'data' events, at most `blockSize` octets each.
 *
 * What `flush` counts as written is what Node accepted: the analogue of the kernel's socket
 * buffer. A write that Node accepted and that fails later (a peer that vanished: EPIPE,
 * ECONNRESET) is reported through the write watch and returned by the next `flush`.
 *
 * POE: `POE::Driver::SysRW`. Its `get(fh)` has no counterpart: Node streams push their data,
 * so reading is `read(handle, sink)`.
 */
export class StreamDriver implements Driver {
  /** Most bytes delivered per read. */
  readonly blockSize: number;

  #queue: (Buffer | string | undefined)[] = [];
  #head = 0;
  #octets = 0;
  #error: Error | undefined = undefined;
  /** What the driver shares with its watches. */
  readonly #io = new DriverIo();

  constructor(options: StreamDriverOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected StreamDriver options to be an object, got ${describe(options)}`);
    }
    rejectUnknownKeys('StreamDriver', options, KNOWN);
    const size = options.blockSize ?? 65536;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`blockSize\` to be a positive integer, got ${describe(options.blockSize)}`);
    }
    this.blockSize = size;
  }

  /** Queues the non-empty chunks (Buffers, or strings as UTF-8); returns the octets queued. */
  put(chunks: readonly unknown[]): number {
    if (!Array.isArray(chunks)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected driver chunks to be an array, got ${describe(chunks)}`);
    }
    for (let i = 0; i < chunks.length; i++) {
      const c = toChunk(chunks[i]);
      if (c.length === 0) continue;
      this.#queue.push(c);
      this.#octets += octetsOf(c);
    }
    return this.#octets;
  }

  /**
   * Hands queued chunks to `handle` until it is full; returns the octets left. `error` is set
   * when the handle is closed or failed (a full handle is not an error, as EAGAIN is not).
   */
  flush(handle: OutputHandle): number {
    this.#error = undefined;
    const io = this.#io;
    const pending = io.pending;
    if (pending !== undefined) {
      io.pending = undefined;
      this.#error = pending;
      return this.#octets;
    }
    if (this.#octets === 0) return 0;
    if (handle.destroyed || handle.writableEnded || handle.writable === false) {
      this.#error = handle.errored ?? errnoException('EPIPE', 'write');
      return this.#octets;
    }
    const q = this.#queue;
    // One corked batch becomes one writev: what a single flush wrote arrives together.
    const cork = q.length - this.#head > 1;
    if (cork) handle.cork();
    try {
      while (this.#head < q.length && !handle.writableNeedDrain) {
        const chunk = q[this.#head]!;
        q[this.#head++] = undefined;
        // The last chunk leaves nothing queued: it need not be measured (a string's UTF-8
        // length is a walk over it, already taken once by put()).
        this.#octets = this.#head === q.length ? 0 : this.#octets - octetsOf(chunk);
        if (!handle.write(chunk, this.#onWritten)) break;
      }
    } finally {
      if (cork) handle.uncork();
    }
    if (this.#head === q.length) {
      // Emptied: reuse the array (a reply per read empties it every time).
      // (One chunk, the usual reply: pop() is a plain builtin where `length = 0` is a runtime call.)
      if (q.length === 1) q.pop();
      else if (q.length > 1024) this.#queue = [];
      else q.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
    return this.#octets;
  }

  /** The failure of the last `flush()`, or undefined. POE: `$!` after `flush`. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Octets queued and not yet handed to the stream. */
  getOutOctets(): number {
    return this.#octets;
  }

  /** Chunks queued and not yet handed to the stream. POE: `get_out_messages_buffered`. */
  getOutMessages(): number {
    return this.#queue.length - this.#head;
  }

  /** POE's spelling of `getOutMessages`. */
  get_out_messages_buffered(): number {
    return this.getOutMessages();
  }

  readonly #onWritten = (err?: Error | null): void => {
    if (err === undefined || err === null) return;
    // A write dropped because the stream was destroyed: whatever destroyed it is reported
    // on its own (an error, or the reader's EOF).
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_DESTROYED' || fromRead(err)) return;
    const io = this.#io;
    if (io.writeFailed(err)) io.writer?.sink.error(err);
  };

  /**
   * Starts reading `handle` (resuming it) and delivers each chunk, then `end` or `error`, to
   * `sink`. A handle that already ended reads as EOF at the next turn.
   */
  read(handle: InputHandle, sink: DriverReadSink, soon: Soon): DriverWatch {
    const watch = new ReadWatch(this.#io, handle, sink, this.blockSize);
    this.#io.readers.push(watch);
    watch.start(soon);
    return watch;
  }

  /**
   * Watches `handle` for room (after a flush that filled it: its 'drain') and for failures.
   * Starts paused, as POE's ReadWrite pauses its write watcher until it has output. While
   * resumed it is level-triggered: `sink.writable()` comes at the next turn when the handle
   * has room, else at its 'drain', and again after each call while still resumed.
   */
  watchWrite(handle: OutputHandle, sink: DriverWriteSink, soon: Soon): DriverWatch {
    const watch = new WriteWatch(this.#io, handle, sink, soon);
    this.#io.writer = watch;
    return watch;
  }
}

/*
 * The watches are classes, not object literals with a `paused` getter: a literal with an
 * accessor gets a hidden class of its own, allocated in old space, whose getter closure then
 * keeps everything the watch captured (socket, wheel, session) alive through every scavenge
 * until the next full GC. Under a connection-per-request load that made a third of all
 * allocation survive and cost more than the parsing.
 */

/** Which side reported an error: the other side then stays quiet about it. */
const READ = 1;
const WRITE = 2;

/** What a driver and its watches share. */
class DriverIo {
  /** A write failure Node reported after the fact: the next flush returns it. */
  pending: Error | undefined = undefined;
  /** Active read watches: 'error' events of the handles they read are read errors. */
  readonly readers: ReadWatch[] = [];
  /** The active write watch, told of write failures Node reports after the fact. */
  writer: WriteWatch | undefined = undefined;
  /** Errors already reported, by side; made on the first failure (most drivers never see one). */
  #reported: WeakMap<Error, number> | undefined = undefined;

  /** Marks `err` as reported by `side`; false when it was reported already. */
  claim(err: Error, side: number): boolean {
    const reported = (this.#reported ??= new WeakMap());
    if (reported.has(err)) return false;
    reported.set(err, side);
    return true;
  }

  /** A write failed with `err`: the next flush returns it. False when it was reported already. */
  writeFailed(err: Error): boolean {
    if (!this.claim(err, WRITE)) return false;
    this.pending ??= err;
    return true;
  }

  /** Which side reported `err`, or 0. */
  reportedBy(err: Error): number {
    return this.#reported?.get(err) ?? 0;
  }

  /** True while a read watch reads `handle`. */
  reads(handle: unknown): boolean {
    for (const r of this.readers) if ((r.handle as unknown) === handle) return true;
    return false;
  }

  dropReader(watch: ReadWatch): void {
    const i = this.readers.indexOf(watch);
    if (i >= 0) this.readers.splice(i, 1);
  }
}

/** A read watch: the stream's 'data', 'end', 'error' and 'close' turned into sink calls. */
class ReadWatch implements DriverWatch {
  readonly handle: InputHandle;
  readonly #io: DriverIo;
  readonly #sink: DriverReadSink;
  readonly #blockSize: number;
  #paused = false;
  #stop = false;
  #done = false;

  constructor(io: DriverIo, handle: InputHandle, sink: DriverReadSink, blockSize: number) {
    this.#io = io;
    this.handle = handle;
    this.#sink = sink;
    this.#blockSize = blockSize;
  }

  start(soon: Soon): void {
    const handle = this.handle;
    handle.on('error', this.#onError);
    if (handle.readableEnded || handle.destroyed) {
      soon(() => {
        if (!this.#stop) this.#onEnd();
      });
      return;
    }
    handle.on('data', this.#onData);
    handle.on('end', this.#onEnd);
    handle.on('close', this.#onEnd);
    handle.resume();
  }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    if (this.#stop || this.#paused) return;
    this.#paused = true;
    this.handle.pause();
  }

  resume(): void {
    if (this.#stop || !this.#paused) return;
    this.#paused = false;
    this.handle.resume();
  }

  stop(): void {
    if (this.#stop) return;
    this.#stop = true;
    this.#io.dropReader(this);
    const handle = this.handle;
    handle.removeListener('data', this.#onData);
    handle.removeListener('end', this.#onEnd);
    handle.removeListener('error', this.#onError);
    handle.removeListener('close', this.#onEnd);
    handle.pause();
    guardErrors(handle);
  }

  readonly #onData = (chunk: Buffer | string): void => {
    if (this.#done) return;
    const handle = this.handle;
    if (this.#paused) {
      // Someone else resumed the stream (Node's child_process does, for a child's stdout and
      // stderr, once the child exits): a paused watch delivers nothing, so the stream stops
      // again and the chunk goes back until the watch is resumed. Paused first: unshift()
      // on a flowing stream would deliver the chunk again at once.
      handle.pause();
      handle.unshift(chunk);
      return;
    }
    const blockSize = this.#blockSize;
    if (typeof chunk === 'string' || chunk.length <= blockSize) {
      this.#sink.data(chunk);
      return;
    }
    for (let off = 0; off < chunk.length; ) {
      if (this.#stop || this.#paused) {
        // The reader stopped between two blocks: the rest goes back to the stream.
        handle.unshift(chunk.subarray(off));
        return;
      }
      const end = Math.min(off + blockSize, chunk.length);
      this.#sink.data(chunk.subarray(off, end));
      off = end;
    }
  };

  // Also the 'close' listener: destroyed without an end or an error of the reader's own
  // (closed under it, or after a failed write), nothing more can come, which is what EOF says.
  readonly #onEnd = (): void => {
    if (this.#done) return;
    this.#done = true;
    this.#sink.end();
  };

  readonly #onError = (err: Error): void => {
    const io = this.#io;
    if (this.#done || io.reportedBy(err) === WRITE) return;
    this.#done = true;
    io.claim(err, READ);
    this.#sink.error(err);
  };
}

/** A write watch: POE's write watcher, level-triggered while resumed. */
class WriteWatch implements DriverWatch {
  readonly sink: DriverWriteSink;
  readonly #io: DriverIo;
  readonly #handle: OutputHandle;
  readonly #soon: Soon;
  #paused = true;
  #stop = false;
  #armed = false;
  #awaitingDrain = false;

  constructor(io: DriverIo, handle: OutputHandle, sink: DriverWriteSink, soon: Soon) {
    this.#io = io;
    this.#handle = handle;
    this.sink = sink;
    this.#soon = soon;
    handle.on('drain', this.#onDrain);
    handle.on('error', this.#onError);
  }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (this.#stop || !this.#paused) return;
    this.#paused = false;
    this.#arm();
  }

  stop(): void {
    if (this.#stop) return;
    this.#stop = true;
    if (this.#io.writer === this) this.#io.writer = undefined;
    const handle = this.#handle;
    handle.removeListener('drain', this.#onDrain);
    handle.removeListener('error', this.#onError);
    guardErrors(handle);
  }

  #arm(): void {
    if (this.#armed || this.#stop || this.#paused) return;
    this.#armed = true;
    if (this.#handle.writableNeedDrain) this.#awaitingDrain = true;
    else this.#soon(this.#fire);
  }

  readonly #fire = (): void => {
    this.#armed = false;
    this.#awaitingDrain = false;
    if (this.#stop || this.#paused) return;
    this.sink.writable();
    this.#arm();
  };

  readonly #onDrain = (): void => {
    if (this.#awaitingDrain) this.#fire();
  };

  readonly #onError = (err: Error): void => {
    // A duplex handle that is being read: its errors are the reader's, unless a write
    // failed with them first.
    const io = this.#io;
    if (io.reads(this.#handle)) return;
    if (io.writeFailed(err) && !this.#stop) this.sink.error(err);
  };
}
