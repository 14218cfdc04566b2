import { Duplex } from 'node:stream';
import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import { errnoException } from './driver.js';

/** Options of {@link duplexPair}. */
export interface DuplexPairOptions {
  /**
   * Bytes each end buffers per direction: a reader that does not read stops taking data past
   * it, and the writer's `write()` then returns false, as a full socket buffer would.
   * @default 16384
   */
  highWaterMark?: number;
  /**
   * Simulates a peer that vanishes mid-write: once the first end has written more than this
   * many octets, the second end is destroyed (its reader sees the connection close) and the
   * write that crossed the limit fails with `vanishCode`, destroying the first end with that
   * error, as a write to a socket whose peer went away does.
   */
  vanishAfter?: number;
  /**
   * The errno code of the failed write.
   * @default 'EPIPE'
   */
  vanishCode?: string;
}

const KNOWN = ['highWaterMark', 'vanishAfter', 'vanishCode'] as const;

type WriteCallback = (error?: Error | null) => void;

/** Connects two ends; set by DuplexEnd's static block, which alone sees its private fields. */
let link: (a: DuplexEnd, b: DuplexEnd, vanishAfter: number, vanishCode: string) => void;

/**
 * One end of an in-memory connection made by {@link duplexPair}: a Node `Duplex` that behaves
 * like a connected socket. Bytes written at one end are readable at the other at a later turn
 * of the event loop (never inside the writer's call), in order; what one flush wrote arrives as
 * one chunk, as a socket read would return it. `end()` is a half-close (the peer reads EOF and
 * can still write); `destroy()` is a close (the peer reads EOF, its later writes fail with
 * EPIPE).
 */
export class DuplexEnd extends Duplex {
  #peer: DuplexEnd | undefined;
  /** A write the peer has not taken yet (its buffer is full): its callback waits for the peer's read. */
  #waiting: WriteCallback | undefined = undefined;
  #written = 0;
  #vanishAfter = Infinity;
  #vanishCode = 'EPIPE';
  /** This end vanished: its peer learns it from an error, not from an EOF. */
  #vanished = false;
  /** EOF was queued to this end's reader. */
  #eof = false;

  /** @internal Made by duplexPair. */
  constructor(highWaterMark: number) {
    super({ highWaterMark, allowHalfOpen: true });
  }

  static {
    link = (a, b, vanishAfter, vanishCode) => {
      a.#peer = b;
      b.#peer = a;
      a.#vanishAfter = vanishAfter;
      a.#vanishCode = vanishCode;
    };
  }

  /** The other end. */
  get peer(): DuplexEnd {
    return this.#peer!;
  }

  /** Octets this end has written so far (accepted by its peer or failed). */
  get bytesWritten(): number {
    return this.#written;
  }

  /**
   * Simulates this end's process vanishing: this end is destroyed without an error of its
   * own, and its peer, instead of reading EOF, is destroyed with `code` (an error shaped like
   * Node's, with `code`, `errno` and `syscall: 'read'`), as a socket whose peer reset the
   * connection is.
   */
  vanish(code = 'ECONNRESET'): void {
    if (this.destroyed) return;
    this.#vanished = true;
    this.destroy();
    const peer = this.#peer!;
    if (!peer.destroyed) peer.destroy(errnoException(code, 'read'));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.#send([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: WriteCallback): void {
    this.#send(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  #send(chunks: Buffer[], callback: WriteCallback): void {
    const peer = this.#peer!;
    let size = 0;
    for (const c of chunks) size += c.length;
    if (peer.destroyed || peer.#eof) {
      callback(errnoException('EPIPE', 'write'));
      return;
    }
    if (this.#written + size > this.#vanishAfter) {
      this.#written += size;
      peer.#vanished = true;
      peer.destroy();
      callback(errnoException(this.#vanishCode, 'write'));
      return;
    }
    this.#written += size;
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    // The bytes reach the peer at a later turn, as they would cross a network: a reader is
    // never called back from inside the writer's call.
    setImmediate(() => {
      if (peer.destroyed || peer.#eof) {
        callback(errnoException('EPIPE', 'write'));
        return;
      }
      if (peer.push(data)) callback();
      else this.#waiting = callback;
    });
  }

  override _read(): void {
    // This end wants more: release the peer's write that was waiting for room.
    const peer = this.#peer;
    if (peer === undefined) return;
    const waiting = peer.#waiting;
    if (waiting !== undefined) {
      peer.#waiting = undefined;
      waiting();
    }
  }

  override _final(callback: WriteCallback): void {
    // Node calls this once every write is done: EOF follows the data, at the same pace.
    setImmediate(() => {
      this.#peer!.#endOfInput();
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.#peer!;
    this.#waiting = undefined;
    if (!this.#vanished) setImmediate(() => peer.#endOfInput());
    // A write of the peer waiting for this end to read will never be read.
    const waiting = peer.#waiting;
    if (waiting !== undefined) {
      peer.#waiting = undefined;
      waiting(errnoException('EPIPE', 'write'));
    }
    callback(error);
  }

  #endOfInput(): void {
    if (this.#eof || this.destroyed) return;
    this.#eof = true;
    this.push(null);
    // As a socket does at EOF (Node's stream_base_commons): with nothing buffered, this
    // emits 'end' at once, so a reader that only watches readiness (select_read, which
    // never reads until told it may) learns of an EOF that came with no data.
    this.read(0);
  }
}

/**
 * Two connected in-memory `Duplex` ends: what a socketpair is to POE's tests, for poe-ts's.
 * Each end reads what the other writes, with backpressure (see `highWaterMark`), EOF on
 * `end()` or `destroy()`, and simulated failures: `vanishAfter` (a peer that vanishes
 * mid-write) and `end.vanish(code)` (a peer that resets the connection).
 *
 * Node 20 has no `stream.duplexPair`; this one also behaves like a socket in timing (data
 * arrives at a later turn of the event loop) so wheels see what they would see on a network.
 */
export function duplexPair(options: DuplexPairOptions = {}): [DuplexEnd, DuplexEnd] {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected duplexPair options to be an object, got ${describe(options)}`);
  }
  rejectUnknownKeys('duplexPair', options, KNOWN);
  const hwm = options.highWaterMark ?? 16384;
  if (typeof hwm !== 'number' || !Number.isSafeInteger(hwm) || hwm < 1) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`highWaterMark\` to be a positive integer, got ${describe(options.highWaterMark)}`);
  }
  const after = options.vanishAfter ?? Infinity;
  if (typeof after !== 'number' || Number.isNaN(after) || after < 0) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`vanishAfter\` to be a number of octets >= 0, got ${describe(options.vanishAfter)}`);
  }
  const code = options.vanishCode ?? 'EPIPE';
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`vanishCode\` to be an errno code such as 'EPIPE', got ${describe(options.vanishCode)}`);
  }
  const a = new DuplexEnd(hwm);
  const b = new DuplexEnd(hwm);
  link(a, b, after, code);
  return [a, b];
}
