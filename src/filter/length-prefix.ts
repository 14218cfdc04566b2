import { PoeError, describe } from '../errors.js';
import { FilterLimitError } from './filter.js';
import { ByteQueue, boundedChunks } from './bytes.js';

/*
 * Length-prefixed framing shared by Block (its default mode) and Reference: each frame is a
 * header giving the body length, then the body. Internal; Block exports the codec types.
 */

/** What a length decoder found at the start of the buffer. */
export type LengthHeader =
  /** A complete header: the body is `length` bytes after `headerLength` header bytes. */
  | { length: number; headerLength: number }
  /** `skip` bytes of junk to drop before trying again. */
  | { skip: number };

/**
 * Custom length framing for Block. POE: `LengthCodec => [encoder, decoder]`; here `encode`
 * returns the framed bytes instead of editing a string in place, and `decode` reports the header
 * size instead of removing it.
 */
export interface LengthCodec {
  /** Frames one record: returns its header followed by `data`. */
  encode(data: Buffer): Buffer | string;
  /**
   * Reads the header at the start of `buffer`: returns the body length and header size, or
   * `{ skip }` to drop junk, or `undefined` while the header is incomplete. It is called again,
   * from the start of the buffer, only after more bytes arrive.
   */
  decode(buffer: Buffer): LengthHeader | undefined;
}

const NUL = 0;
const ZERO = 0x30;
const NINE = 0x39;

/** POE's default framing: `"<decimal length>\0<data>"`. */
export function encodeDefault(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length}\0`, 'latin1'), data]);
}

/**
 * POE's default decoder, `/^(\d+)\0/`, with bounded look-ahead: a digit run longer than
 * `maxDigits` is reported at once (its length exceeds the limit), so header parsing stays O(1).
 * Leading non-digits, and digits followed by anything but a digit or NUL, are junk.
 */
export function decodeDefault(buffer: Buffer, maxDigits: number): LengthHeader | undefined {
  let i = 0;
  while (i < buffer.length && (buffer[i] as number) >= ZERO && (buffer[i] as number) <= NINE) {
    if (i > maxDigits) return { length: Number(buffer.toString('latin1', 0, i)), headerLength: i };
    i++;
  }
  if (i === buffer.length) return undefined;
  if (i === 0) {
    let j = 1;
    while (j < buffer.length && ((buffer[j] as number) < ZERO || (buffer[j] as number) > NINE)) j++;
    return { skip: j };
  }
  if (buffer[i] !== NUL) return { skip: i };
  return { length: Number(buffer.toString('latin1', 0, i)), headerLength: i + 1 };
}

export interface FrameReaderConfig {
  filter: string;
  maxLength: number;
  maxBuffer: number;
  decode: (buffer: Buffer) => LengthHeader | undefined;
  /** Called with the number of junk bytes dropped. */
  onJunk: (bytes: number) => void;
}

/**
 * Reads length-prefixed frames from a byte queue. Each header is decoded once the bytes for it
 * have arrived; a body is waited for by length alone, so every byte is looked at O(1) times.
 * After a maxLength error the oversized body is skipped as it arrives, keeping the stream in
 * sync and the memory bounded.
 */
export class FrameReader {
  readonly #c: FrameReaderConfig;
  readonly #q = new ByteQueue();
  #expected = -1;
  #headerLength = 0;
  #discard = 0;
  /** Set when the buffer has not grown since the header decoder last said "incomplete". */
  #stalled = false;

  constructor(config: FrameReaderConfig) {
    this.#c = config;
  }

  get length(): number {
    return this.#q.length;
  }

  /** Appends chunks, or throws FilterLimitError (appending nothing) past maxBuffer. */
  append(chunks: readonly unknown[], what: string): void {
    for (let b of boundedChunks(chunks, what, this.#q.length, this.#c.filter, this.#c.maxBuffer)) {
      if (this.#discard > 0) {
        const drop = Math.min(this.#discard, b.length);
        this.#discard -= drop;
        b = b.subarray(drop);
      }
      this.#q.append(b);
    }
    this.#stalled = false;
  }

  /** The next frame's body, or undefined when none is complete. Throws FilterLimitError. */
  next(): Buffer | undefined {
    const q = this.#q;
    while (this.#expected < 0) {
      if (this.#stalled || q.length === 0) return undefined;
      const header = this.#c.decode(q.view());
      if (header === undefined) {
        this.#stalled = true;
        return undefined;
      }
      if ('skip' in header) {
        if (!Number.isSafeInteger(header.skip) || header.skip < 1 || header.skip > q.length) {
          throw new PoeError('ERR_POE_FILTER_BAD_DATA', `${this.#c.filter}: length decoder returned a bad skip ${describe(header.skip)}`);
        }
        q.consume(header.skip);
        this.#c.onJunk(header.skip);
        continue;
      }
      const { length, headerLength } = header;
      if (!Number.isSafeInteger(headerLength) || headerLength < 1 || headerLength > q.length) {
        throw new PoeError('ERR_POE_FILTER_BAD_DATA', `${this.#c.filter}: length decoder returned a bad headerLength ${describe(headerLength)}`);
      }
      if (typeof length !== 'number' || !(length >= 0) || !Number.isInteger(length)) {
        throw new PoeError('ERR_POE_FILTER_BAD_DATA', `${this.#c.filter}: length decoder returned a bad length ${describe(length)}`);
      }
      if (length > this.#c.maxLength) {
        q.consume(headerLength);
        const drop = Math.min(length, q.length);
        q.consume(drop);
        this.#discard = Number.isSafeInteger(length) ? length - drop : Infinity;
        throw new FilterLimitError(this.#c.filter, 'maxLength', length, this.#c.maxLength);
      }
      this.#expected = length;
      this.#headerLength = headerLength;
    }
    // The header stays buffered until its body is complete, so pending() is the raw bytes.
    const end = this.#headerLength + this.#expected;
    if (q.length < end) return undefined;
    const body = q.copy(this.#headerLength, end);
    q.consume(end);
    this.#expected = -1;
    return body;
  }

  /** Unparsed bytes, headers included, or undefined. */
  pending(): Buffer | undefined {
    return this.#q.length > 0 ? this.#q.copy(0, this.#q.length) : undefined;
  }

  /** Drops everything buffered (Reference's noFatals recovery after an overflow). */
  reset(): void {
    this.#q.clear();
    this.#expected = -1;
    this.#discard = 0;
    this.#stalled = false;
  }
}
