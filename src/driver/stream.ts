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

function toBytes(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a driver chunk to be a Buffer or a string, got ${describe(chunk)}`);
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

  #queue: (Buffer | undefined)[] = [];
  #head = 0;
  #octets = 0;
  #error: Error | undefined = undefined;
  /** A write failure Node reported after the fact: the next flush returns it. */
  #pending: Error | undefined = undefined;
  /** Errors already reported as write failures, so the read side does not report them too. */
  readonly #writeErrors = new WeakSet<Error>();
  /** Errors already reported as read failures. */
  readonly #readErrors = new WeakSet<Error>();
  /** Handles an active read watch of this driver reads: their 'error' events are read errors. */
  readonly #reading = new Set<InputHandle>();
  #writeSink: DriverWriteSink | undefined = undefined;

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
    const bufs = chunks.map(toBytes);
    for (const b of bufs) {
      if (b.length === 0) continue;
      this.#queue.push(b);
      this.#octets += b.length;
    }
    return this.#octets;
  }

  /**
   * Hands queued chunks to `handle` until it is full; returns the octets left. `error` is set
   * when the handle is closed or failed (a full handle is not an error, as EAGAIN is not).
   */
  flush(handle: OutputHandle): number {
    this.#error = undefined;
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
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
        this.#octets -= chunk.length;
        if (!handle.write(chunk, this.#onWritten)) break;
      }
    } finally {
      if (cork) handle.uncork();
    }
    if (this.#head === q.length) {
      this.#queue = [];
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
    if (this.#writeErrors.has(err) || this.#readErrors.has(err)) return;
    this.#writeErrors.add(err);
    this.#pending ??= err;
    this.#writeSink?.error(err);
  };

  /**
   * Starts reading `handle` (resuming it) and delivers each chunk, then `end` or `error`, to
   * `sink`. A handle that already ended reads as EOF at the next turn.
   */
  read(handle: InputHandle, sink: DriverReadSink, soon: Soon): DriverWatch {
    const blockSize = this.blockSize;
    const reading = this.#reading;
    const writeErrors = this.#writeErrors;
    const readErrors = this.#readErrors;
    let paused = false;
    let stopped = false;
    let done = false;

    const onData = (chunk: Buffer | string): void => {
      if (done) return;
      if (paused) {
        // Someone else resumed the stream (Node's child_process does, for a child's stdout and
        // stderr, once the child exits): a paused watch delivers nothing, so the stream stops
        // again and the chunk goes back until the watch is resumed. Paused first: unshift()
        // on a flowing stream would deliver the chunk again at once.
        handle.pause();
        handle.unshift(chunk);
        return;
      }
      if (typeof chunk === 'string' || chunk.length <= blockSize) {
        sink.data(chunk);
        return;
      }
      for (let off = 0; off < chunk.length; ) {
        if (stopped || paused) {
          // The reader stopped between two blocks: the rest goes back to the stream.
          handle.unshift(chunk.subarray(off));
          return;
        }
        const end = Math.min(off + blockSize, chunk.length);
        sink.data(chunk.subarray(off, end));
        off = end;
      }
    };
    const onEnd = (): void => {
      if (done) return;
      done = true;
      sink.end();
    };
    const onError = (err: Error): void => {
      if (done || writeErrors.has(err)) return;
      done = true;
      readErrors.add(err);
      sink.error(err);
    };
    // Destroyed without an end or an error of the reader's own (closed under it, or after a
    // failed write): nothing more can come, which is what EOF says.
    const onClose = (): void => onEnd();

    const watch: DriverWatch = {
      get paused() {
        return paused;
      },
      pause() {
        if (stopped || paused) return;
        paused = true;
        handle.pause();
      },
      resume() {
        if (stopped || !paused) return;
        paused = false;
        handle.resume();
      },
      stop() {
        if (stopped) return;
        stopped = true;
        reading.delete(handle);
        handle.removeListener('data', onData);
        handle.removeListener('end', onEnd);
        handle.removeListener('error', onError);
        handle.removeListener('close', onClose);
        handle.pause();
        guardErrors(handle);
      },
    };

    reading.add(handle);
    handle.on('error', onError);
    if (handle.readableEnded || handle.destroyed) {
      soon(() => {
        if (!stopped) onEnd();
      });
      return watch;
    }
    handle.on('data', onData);
    handle.on('end', onEnd);
    handle.on('close', onClose);
    handle.resume();
    return watch;
  }

  /**
   * Watches `handle` for room (after a flush that filled it: its 'drain') and for failures.
   * Starts paused, as POE's ReadWrite pauses its write watcher until it has output. While
   * resumed it is level-triggered: `sink.writable()` comes at the next turn when the handle
   * has room, else at its 'drain', and again after each call while still resumed.
   */
  watchWrite(handle: OutputHandle, sink: DriverWriteSink, soon: Soon): DriverWatch {
    const reading = this.#reading;
    const writeErrors = this.#writeErrors;
    const readErrors = this.#readErrors;
    let paused = true;
    let stopped = false;
    let armed = false;
    let awaitingDrain = false;

    const fire = (): void => {
      armed = false;
      awaitingDrain = false;
      if (stopped || paused) return;
      sink.writable();
      arm();
    };
    const arm = (): void => {
      if (armed || stopped || paused) return;
      armed = true;
      if (handle.writableNeedDrain) awaitingDrain = true;
      else soon(fire);
    };
    const onDrain = (): void => {
      if (awaitingDrain) fire();
    };
    const onError = (err: Error): void => {
      // A duplex handle that is being read: its errors are the reader's, unless a write
      // failed with them first.
      if (writeErrors.has(err) || readErrors.has(err) || reading.has(handle as unknown as InputHandle)) return;
      writeErrors.add(err);
      this.#pending ??= err;
      if (!stopped) sink.error(err);
    };

    this.#writeSink = sink;
    handle.on('drain', onDrain);
    handle.on('error', onError);
    return {
      get paused() {
        return paused;
      },
      pause() {
        paused = true;
      },
      resume: () => {
        if (stopped || !paused) return;
        paused = false;
        arm();
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        if (this.#writeSink === sink) this.#writeSink = undefined;
        handle.removeListener('drain', onDrain);
        handle.removeListener('error', onError);
        guardErrors(handle);
      },
    };
  }
}
