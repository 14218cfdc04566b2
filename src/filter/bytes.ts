import * as nodeBuffer from 'node:buffer';
import { Buffer } from 'node:buffer';
import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import { FilterLimitError } from './filter.js';

/*
 * Internal helpers shared by the filters: chunk coercion, a growable byte buffer that framing
 * filters parse in place, and option validation. Not exported from the package.
 */

/** Default `maxLength` of the framing filters: 64 MiB, as POE. */
export const DEFAULT_MAX_LENGTH = 64 * 1024 * 1024;
/** Default `maxBuffer` of the framing filters: 512 MiB, as POE. */
export const DEFAULT_MAX_BUFFER = 512 * 1024 * 1024;

/** Turns one chunk or record into bytes: Buffers and Uint8Arrays as they are, strings as UTF-8. */
export function toBuffer(value: unknown, what: string, encoding: BufferEncoding = 'utf8'): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, encoding);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${what} to be a Buffer or a string, got ${describe(value)}`);
}

/**
 * `chunks` as bytes, once it is known that `queued` bytes plus all of them stay within `max`:
 * all or nothing, so a getOneStart over the limit appends none of its chunks. `filter` names
 * the filter in the `FilterLimitError`. A loop, not a map: a wheel calls this on every read.
 */
export function boundedChunks(chunks: readonly unknown[], what: string, queued: number, filter: string, max: number): Buffer[] {
  const bufs: Buffer[] = [];
  let total = queued;
  for (let i = 0; i < chunks.length; i++) {
    const b = toBuffer(chunks[i], what);
    total += b.length;
    bufs.push(b);
  }
  if (total > max) throw new FilterLimitError(filter, 'maxBuffer', total, max);
  return bufs;
}

/**
 * Appends `chunks` to `q` under the same all-or-nothing `max` as {@link boundedChunks}. A read
 * hands a filter one chunk: that one is checked and appended with no array of its own, which
 * was a fifth of what a line echo allocated per line.
 */
export function appendBounded(q: ByteQueue, chunks: readonly unknown[], what: string, filter: string, max: number): void {
  if (chunks.length !== 1) {
    for (const b of boundedChunks(chunks, what, q.length, filter, max)) q.append(b);
    return;
  }
  const b = toBuffer(chunks[0], what);
  const total = q.length + b.length;
  if (total > max) throw new FilterLimitError(filter, 'maxBuffer', total, max);
  q.append(b);
}

/** Checks that `chunks` is an array, as every filter method takes one. */
export function expectArray(value: unknown, what: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${what} to be an array, got ${describe(value)}`);
  }
}

/** `buffer.isAscii` (Node >= 18.15; SIMD-fast), or undefined where it is missing. */
const bufferIsAscii = (nodeBuffer as { isAscii?: (input: Uint8Array) => boolean }).isAscii;

/** Buffer's per-encoding decoders (present in every Node release poe-ts supports; checked anyway). */
type SliceMethods = Buffer & {
  utf8Slice?: (start: number, end: number) => string;
  latin1Slice?: (start: number, end: number) => string;
};

/** Searches of at most this many bytes run as a plain loop. */
const SHORT_SCAN = 16;

const MIN_CAPACITY = 4096;
/** An emptied buffer bigger than this is released rather than kept for reuse. */
const KEEP_CAPACITY = 64 * 1024;

const NO_BYTES = Buffer.alloc(0);

/**
 * A byte queue: append at the end, consume from the front, parse in place. Appends are
 * amortised O(1) per byte (capacity doubles; consumed space is reclaimed by compacting), so a
 * framing filter stays linear however its input is chunked. Data handed out is always copied,
 * because the storage is reused.
 *
 * A chunk appended to an empty queue is not copied: the queue reads it where it is ("borrows"
 * it) until it is consumed or more data arrives, when what is left moves to storage of the
 * queue's own. Most reads hold whole records, which are then parsed with no copy and no
 * allocation. The queue never writes into a borrowed chunk; the caller must not change a chunk
 * it handed over while it is still queued, as with a stream's `write()`.
 */
export class ByteQueue {
  #buf: Buffer = NO_BYTES;
  #start = 0;
  #end = 0;
  /** `#buf` is a caller's chunk, read in place, not storage of our own. */
  #borrowed = false;

  /** Number of buffered bytes. */
  get length(): number {
    return this.#end - this.#start;
  }

  append(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.#end === this.#start) {
      if (!this.#borrowed && this.#buf.length >= n && this.#buf.length <= KEEP_CAPACITY) {
        // Empty own storage that fits: reuse it (a copy into warm memory beats a reference
        // that keeps the caller's chunk alive while a partial record waits).
        chunk.copy(this.#buf, 0);
        this.#start = 0;
        this.#end = n;
        return;
      }
      this.#buf = chunk;
      this.#start = 0;
      this.#end = n;
      this.#borrowed = true;
      return;
    }
    if (this.#borrowed || this.#end + n > this.#buf.length) this.#grow(n);
    chunk.copy(this.#buf, this.#end);
    this.#end += n;
  }

  /** The buffered bytes as a view (valid until the next append or consume). */
  view(): Buffer {
    return this.#buf.subarray(this.#start, this.#end);
  }

  /** Offset (from the front) of the first `byte` at or after offset `from`, or -1. */
  indexOf(byte: number, from: number): number {
    const start = this.#start + from;
    const end = this.#end;
    if (start >= end) return -1;
    const buf = this.#buf;
    if (end - start <= SHORT_SCAN) {
      // A few new bytes (data arriving in small pieces): a loop beats a native call.
      for (let i = start; i < end; i++) if (buf[i] === byte) return i - this.#start;
      return -1;
    }
    // Searches the storage in place (a bounded view per call costs more than a short search).
    // The byte just past the data is free space, so it is set to `byte` as a sentinel: a search
    // that finds nothing in the data stops there instead of scanning stale bytes to the end of
    // the storage, which would be quadratic when data arrives a byte at a time. A borrowed
    // chunk ends where the data ends.
    if (end < buf.length && !this.#borrowed) buf[end] = byte;
    const i = buf.indexOf(byte, start);
    return i < 0 || i >= end ? -1 : i - this.#start;
  }

  /** Bytes [from, to) relative to the front, decoded with `encoding`. */
  toString(encoding: BufferEncoding, from: number, to: number): string {
    const buf = this.#buf as SliceMethods;
    const start = this.#start;
    // Buffer's own per-encoding decoders skip toString's argument checks and encoding lookup,
    // a measurable share of the time when a line filter decodes one short record per call.
    if (encoding === 'utf8' && buf.utf8Slice !== undefined) return buf.utf8Slice(start + from, start + to);
    if (encoding === 'latin1' && buf.latin1Slice !== undefined) return buf.latin1Slice(start + from, start + to);
    return buf.toString(encoding, start + from, start + to);
  }

  /** True when bytes [from, to) relative to the front are all ASCII (below 0x80). */
  isAscii(from: number, to: number): boolean {
    const view = this.#buf.subarray(this.#start + from, this.#start + to);
    if (bufferIsAscii !== undefined) return bufferIsAscii(view);
    for (const byte of view) if (byte >= 0x80) return false;
    return true;
  }

  /** Byte at offset `i` from the front, or -1 past the bytes held (never a stale byte). */
  at(i: number): number {
    const j = this.#start + i;
    return i >= 0 && j < this.#end ? this.#buf[j]! : -1;
  }

  /** A copy of bytes [from, to) relative to the front. */
  copy(from: number, to: number): Buffer {
    return Buffer.from(this.#buf.subarray(this.#start + from, this.#start + to));
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    this.#start += n;
    if (this.#start >= this.#end) this.clear();
  }

  clear(): void {
    this.#start = 0;
    this.#end = 0;
    // A borrowed chunk is let go at once; big storage too.
    if (this.#borrowed || this.#buf.length > KEEP_CAPACITY) {
      this.#buf = NO_BYTES;
      this.#borrowed = false;
    }
  }

  #grow(extra: number): void {
    const live = this.#end - this.#start;
    const needed = live + extra;
    // Compact in place when at least half the storage is consumed space; else reallocate.
    if (!this.#borrowed && needed <= this.#buf.length && this.#start >= this.#buf.length / 2) {
      this.#buf.copy(this.#buf, 0, this.#start, this.#end);
    } else {
      const next = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, needed, this.#borrowed ? 0 : this.#buf.length * 2));
      this.#buf.copy(next, 0, this.#start, this.#end);
      this.#buf = next;
      this.#borrowed = false;
    }
    this.#start = 0;
    this.#end = live;
  }
}

/** Validates an options argument: undefined or a plain object with only `known` keys. */
export function checkOptions<T extends object>(what: string, options: unknown, known: readonly string[]): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${what} options to be an object, got ${describe(options)}`);
  }
  rejectUnknownKeys(what, options, known);
  return options;
}

/** A positive safe integer option, or its default when undefined. */
export function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${name}\` to be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** A boolean option, or `fallback` when it is undefined. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** A function option, or undefined. */
export function optionalFunction<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${name}\` to be a function, got ${describe(value)}`);
  }
  return value as F;
}

/** Throws the conflicting-options error. */
export function conflict(what: string, message: string): never {
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what}: ${message}`);
}
