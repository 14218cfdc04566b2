import { Buffer } from 'node:buffer';
import { PoeArgumentError, describe } from '../errors.js';
import { FilterBase, FilterLimitError } from './filter.js';
import {
  ByteQueue,
  DEFAULT_MAX_BUFFER,
  DEFAULT_MAX_LENGTH,
  checkOptions,
  conflict,
  expectArray,
  appendBounded,
  positiveInt,
  toBuffer,
} from './bytes.js';

/** Text encodings Line can decode records with: each keeps CR and LF as single bytes. */
export type LineEncoding = 'utf8' | 'utf-8' | 'latin1' | 'binary' | 'ascii';
const ENCODINGS: readonly string[] = ['utf8', 'utf-8', 'latin1', 'binary', 'ascii'];

/** Options of the {@link Line} filter. POE: `POE::Filter::Line->new(%params)`. */
export interface LineOptions {
  /**
   * Input and output terminator at once. Conflicts with every other terminator option.
   * POE: `Literal`.
   */
  literal?: string;
  /**
   * Literal input terminator. `''` or `null` turns on autodetection: the first line's CR, LF,
   * CRLF or LFCR becomes the only terminator accepted afterwards. POE: `InputLiteral`.
   */
  inputLiteral?: string | null;
  /**
   * Input terminator as a regular expression (or its source). It is matched against the raw
   * bytes, one character per byte (latin1), so write non-ASCII terminators as byte escapes.
   * It must not match the empty string. POE: `InputRegexp`.
   */
  inputRegexp?: RegExp | string;
  /**
   * Output terminator appended by `put`.
   * @default '\r\n'
   */
  outputLiteral?: string;
  /**
   * Longest line in bytes, terminator excluded. A longer line throws `FilterLimitError`, as
   * soon as the unterminated buffer passes the limit. POE: `MaxLength`.
   * @default 67108864 (64 MiB)
   */
  maxLength?: number;
  /**
   * Most bytes buffered at once; `getOneStart` throws `FilterLimitError` beyond it.
   * POE: `MaxBuffer`.
   * @default 536870912 (512 MiB)
   */
  maxBuffer?: number;
  /**
   * Encoding of records: `get` decodes lines with it and `put` encodes string records with it.
   * `null` makes records Buffers.
   * @default 'utf8'
   */
  encoding?: LineEncoding | null;
}

const KNOWN = ['literal', 'inputLiteral', 'inputRegexp', 'outputLiteral', 'maxLength', 'maxBuffer', 'encoding'] as const;

/**
 * Terminators encoded once per encoding and shared: a Line is made for every connection, and
 * a filter only reads its terminator Buffers (it replaces them, never writes into them).
 * Bounded: a program that makes terminators on the fly gets fresh Buffers past the limit.
 */
const terminators = new Map<string, Map<string, Buffer>>();
const TERMINATORS_MAX = 64;
let terminatorCount = 0;
function terminatorBytes(text: string, encoding: LineEncoding | null): Buffer {
  const enc = encoding ?? 'utf8';
  let byText = terminators.get(enc);
  if (byText === undefined) terminators.set(enc, (byText = new Map<string, Buffer>()));
  let bytes = byText.get(text);
  if (bytes === undefined) {
    bytes = Buffer.from(text, enc);
    if (terminatorCount < TERMINATORS_MAX && text.length <= 16) {
      byText.set(text, bytes);
      terminatorCount++;
    }
  }
  return bytes;
}

/**
 * How far back a regexp search restarts when more bytes arrive: a terminator match must fit in
 * this many bytes (it lets the search skip bytes already scanned, keeping Line linear).
 */
const REGEXP_WINDOW = 256;

/** Decode a window of buffered bytes at once only when at least this many are buffered. */
const WINDOW_MIN = 512;
/** The most bytes decoded as one window (unless a single line is longer). */
const WINDOW = 65536;

const CR = 0x0d;
const LF = 0x0a;

type Mode = 'default' | 'literal' | 'regexp' | 'auto';

/** The next occurrence of one byte, cached so each byte is searched once (offsets are relative to the queue front). */
class ByteSeek {
  pos = -1;
  /** No occurrence in [0, to) except at `pos`. */
  to = 0;
  constructor(readonly byte: number) {}
  find(q: ByteQueue): number {
    if (this.pos >= 0) return this.pos;
    const len = q.length;
    if (this.to >= len) return -1;
    const i = q.indexOf(this.byte, this.to);
    if (i < 0) {
      this.to = len;
      return -1;
    }
    this.pos = i;
    this.to = i + 1;
    return i;
  }
  consumed(n: number): void {
    this.pos = this.pos >= n ? this.pos - n : -1;
    this.to = Math.max(0, this.to - n);
  }
  reset(): void {
    this.pos = -1;
    this.to = 0;
  }
}

/**
 * Line framing. Records are lines without their terminator, decoded with `encoding`; `put`
 * appends the output terminator to each record, one chunk per record.
 *
 * By default any of CRLF, LFCR, CR or LF ends a line on input and `put` writes CRLF (G27).
 *
 * POE: `POE::Filter::Line`. Difference: with the default terminators, POE ends a line at a CR
 * that is the last byte of a read and then turns an LF at the start of the next read into an
 * extra empty line. Here a CR (or LF) that ends the buffered data still ends the line at once,
 * but a following LF (or CR) is then swallowed as the rest of that terminator, so the records
 * are the same however the input is chunked (see docs/differences.md). `MaxLength` is also
 * enforced before the terminator arrives, so memory stays bounded.
 *
 * `R` is the record type: `string` by default; with `encoding: null` records are Buffers, so
 * write `new Line<Buffer>({ encoding: null })`.
 */
export class Line<R extends string | Buffer = string> extends FilterBase<R, string | Buffer> {
  /** Longest line in bytes. */
  readonly maxLength: number;
  /** Most bytes buffered at once. */
  readonly maxBuffer: number;
  /** Record encoding, or `null` for Buffer records. */
  readonly encoding: LineEncoding | null;

  readonly #options: LineOptions;
  readonly #output: Buffer;
  /** The output terminator as text, for string records. */
  readonly #outputText: string;
  readonly #q = new ByteQueue();
  #mode: Mode;
  // literal mode: the terminator and how far the buffer has been searched for it
  #literal: Buffer | undefined;
  #scanned = 0;
  // regexp mode
  readonly #re: RegExp | undefined;
  #text = '';
  #textStart = 0;
  #textEnd = -1;
  #searchFrom = 0;
  #exhausted = false;
  // default and autodetect modes
  readonly #cr = new ByteSeek(CR);
  readonly #lf = new ByteSeek(LF);
  /** After a CR or LF that ended the buffer: the byte that would complete a two-byte terminator. */
  #complement = -1;
  /** Autodetection saw a one-byte terminator at the end of the buffer: the next byte settles it. */
  #settling = false;
  // decoding: see #decode
  /** Whether a window of buffered bytes may be decoded at once: any bytes for latin1, ASCII ones otherwise. */
  readonly #windowed: boolean;
  readonly #anyBytes: boolean;
  /** The decoded window; its character `#winOff` is the byte at the front of the buffer. */
  #win = '';
  #winOff = 0;
  /** Bytes from the front that are known not to be ASCII-only: decode them line by line. */
  #noWin = 0;

  constructor(options?: LineOptions) {
    super();
    const o = checkOptions<LineOptions>('Line', options, KNOWN);
    this.#options = { ...o };
    this.maxLength = positiveInt('maxLength', o.maxLength, DEFAULT_MAX_LENGTH);
    this.maxBuffer = positiveInt('maxBuffer', o.maxBuffer, DEFAULT_MAX_BUFFER);
    if (this.maxBuffer < this.maxLength) {
      conflict('Line', `\`maxBuffer\` (${this.maxBuffer}) must be at least \`maxLength\` (${this.maxLength})`);
    }
    if (o.encoding !== undefined && o.encoding !== null && !ENCODINGS.includes(o.encoding)) {
      throw new PoeArgumentError(
        'ERR_POE_INVALID_ARGUMENT',
        `Expected \`encoding\` to be one of ${ENCODINGS.map((e) => `'${e}'`).join(', ')} or null, got ${describe(o.encoding)}`,
      );
    }
    this.encoding = o.encoding === undefined ? 'utf8' : o.encoding;
    this.#windowed = this.encoding !== null;
    this.#anyBytes = this.encoding === 'latin1' || this.encoding === 'binary';
    for (const key of ['literal', 'outputLiteral'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'string') {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${key}\` to be a string, got ${describe(o[key])}`);
      }
    }
    if (o.inputLiteral !== undefined && o.inputLiteral !== null && typeof o.inputLiteral !== 'string') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`inputLiteral\` to be a string or null, got ${describe(o.inputLiteral)}`);
    }
    if (o.inputRegexp !== undefined && typeof o.inputRegexp !== 'string' && !(o.inputRegexp instanceof RegExp)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`inputRegexp\` to be a RegExp or a string, got ${describe(o.inputRegexp)}`);
    }

    let output = '\r\n';
    if (o.literal !== undefined) {
      if (o.literal === '') conflict('Line', '`literal` must not be empty');
      const others = (['inputLiteral', 'inputRegexp', 'outputLiteral'] as const).filter((k) => k in o && o[k] !== undefined);
      if (others.length > 0) {
        conflict('Line', `\`literal\` sets both terminators and cannot be combined with ${others.map((k) => `\`${k}\``).join(', ')}`);
      }
      this.#mode = 'literal';
      this.#literal = terminatorBytes(o.literal, this.encoding);
      output = o.literal;
    } else {
      if (o.inputLiteral !== undefined && o.inputRegexp !== undefined) {
        conflict('Line', '`inputLiteral` and `inputRegexp` cannot be used together');
      }
      if (o.inputLiteral !== undefined) {
        if (o.inputLiteral === null || o.inputLiteral === '') {
          this.#mode = 'auto';
        } else {
          this.#mode = 'literal';
          this.#literal = terminatorBytes(o.inputLiteral, this.encoding);
        }
      } else if (o.inputRegexp !== undefined) {
        let re: RegExp;
        try {
          const source = typeof o.inputRegexp === 'string' ? o.inputRegexp : o.inputRegexp.source;
          const flags = typeof o.inputRegexp === 'string' ? '' : o.inputRegexp.flags.replace(/[gy]/g, '');
          re = new RegExp(source, `${flags}g`);
        } catch (err) {
          throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`inputRegexp\` to be a valid regular expression, got ${describe(o.inputRegexp)}`, { cause: err });
        }
        if (new RegExp(re.source, re.flags.replace('g', '')).test('')) {
          conflict('Line', `\`inputRegexp\` must not match the empty string, got ${describe(String(o.inputRegexp))}`);
        }
        this.#mode = 'regexp';
        this.#re = re;
      } else {
        this.#mode = 'default';
      }
      if (o.outputLiteral !== undefined) output = o.outputLiteral;
    }
    this.#output = terminatorBytes(output, this.encoding);
    this.#outputText = output;
  }

  getOneStart(chunks: readonly unknown[]): void {
    expectArray(chunks, 'Line chunks');
    appendBounded(this.#q, chunks, 'a Line chunk', 'Line', this.maxBuffer);
    this.#exhausted = false;
  }

  getOne(): R[] {
    const q = this.#q;
    if (this.#complement >= 0 && q.length > 0) {
      // The CR (or LF) that ended an earlier read is completed by this byte: one terminator.
      if (q.at(0) === this.#complement) {
        if (this.#settling) this.#literal = Buffer.from([(this.#literal as Buffer)[0] as number, this.#complement]);
        this.#consume(1);
      }
      this.#complement = -1;
      this.#settling = false;
    }
    if (q.length === 0) return [];
    switch (this.#mode) {
      case 'literal':
        return this.#getLiteral();
      case 'regexp':
        return this.#getRegexp();
      default:
        return this.#getCrLf();
    }
  }

  /** Default terminators, and the first line of autodetection: CRLF, LFCR, CR or LF. */
  #getCrLf(): R[] {
    const q = this.#q;
    const cr = this.#cr.find(q);
    const lf = this.#lf.find(q);
    if (cr < 0 && lf < 0) {
      if (q.length > this.maxLength) throw new FilterLimitError('Line', 'maxLength', q.length, this.maxLength);
      return [];
    }
    const at = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
    const first = q.at(at);
    const other = first === CR ? LF : CR;
    let termLength = 1;
    if (at + 1 < q.length) {
      if (q.at(at + 1) === other) termLength = 2;
    } else {
      this.#complement = other;
    }
    if (this.#mode === 'auto') {
      // POE's autodetection: the first terminator becomes the only one accepted. A one-byte
      // terminator that ends the buffer is settled by the next byte (see getOne).
      this.#mode = 'literal';
      this.#literal = termLength === 2 ? Buffer.from([first, other]) : Buffer.from([first]);
      this.#settling = this.#complement >= 0;
    }
    return this.#emit(at, termLength);
  }

  #getLiteral(): R[] {
    const q = this.#q;
    const lit = this.#literal as Buffer;
    const from = Math.max(0, this.#scanned - (lit.length - 1));
    const at = from >= q.length ? -1 : lit.length === 1 ? q.indexOf(lit[0]!, from) : q.view().indexOf(lit, from);
    if (at < 0) {
      this.#scanned = q.length;
      const content = q.length - (lit.length - 1);
      if (content > this.maxLength) throw new FilterLimitError('Line', 'maxLength', content, this.maxLength);
      return [];
    }
    return this.#emit(at, lit.length);
  }

  #getRegexp(): R[] {
    const q = this.#q;
    const re = this.#re as RegExp;
    if (this.#exhausted) return [];
    const len = q.length;
    if (this.#textEnd !== len || this.#textStart > this.#searchFrom) {
      this.#text = q.view().toString('latin1', this.#searchFrom, len);
      this.#textStart = this.#searchFrom;
      this.#textEnd = len;
    }
    re.lastIndex = this.#searchFrom - this.#textStart;
    const m = re.exec(this.#text);
    if (m === null || m[0].length === 0) {
      this.#exhausted = true;
      this.#searchFrom = Math.max(0, len - REGEXP_WINDOW);
      if (len - REGEXP_WINDOW > this.maxLength) throw new FilterLimitError('Line', 'maxLength', len, this.maxLength);
      return [];
    }
    return this.#emit(this.#textStart + m.index, m[0].length);
  }

  /** Removes one line of `length` bytes and its terminator from the buffer and returns it. */
  #emit(length: number, termLength: number): R[] {
    const q = this.#q;
    const record: string | Buffer = this.encoding === null ? q.copy(0, length) : this.#decode(length);
    this.#consume(length + termLength);
    if (length > this.maxLength) throw new FilterLimitError('Line', 'maxLength', length, this.maxLength);
    return [record as R];
  }

  /**
   * The first `length` buffered bytes as text. With much data buffered (a read of many short
   * lines), the buffer is decoded once as a window and each line is a substring of it: decoding
   * line by line costs several times more. Only where bytes and characters correspond one to
   * one (latin1, or ASCII-only bytes in the other encodings) and at most WINDOW bytes at a time,
   * so a record kept alive keeps at most that much text alive with it.
   */
  #decode(length: number): string {
    const q = this.#q;
    const win = this.#win;
    const off = this.#winOff;
    if (off + length <= win.length) return win.slice(off, off + length);
    if (this.#windowed && this.#noWin === 0 && q.length >= WINDOW_MIN) {
      const size = Math.min(q.length, Math.max(length, WINDOW));
      if (this.#anyBytes || q.isAscii(0, size)) {
        this.#win = q.toString('latin1', 0, size);
        this.#winOff = 0;
        return this.#win.slice(0, length);
      }
      this.#noWin = size;
    }
    return q.toString(this.encoding as BufferEncoding, 0, length);
  }

  #consume(n: number): void {
    if (this.#win !== '') {
      this.#winOff += n;
      if (this.#winOff >= this.#win.length) {
        this.#win = '';
        this.#winOff = 0;
      }
    }
    if (this.#noWin > 0) this.#noWin = Math.max(0, this.#noWin - n);
    this.#q.consume(n);
    this.#scanned = 0;
    this.#cr.consumed(n);
    this.#lf.consumed(n);
    this.#textStart -= n;
    this.#textEnd -= n;
    this.#searchFrom = 0;
    this.#exhausted = false;
  }

  put(records: readonly (string | Buffer)[]): (string | Buffer)[] {
    expectArray(records, 'Line records');
    const encoding = this.encoding ?? 'utf8';
    const text = this.#outputText;
    // A text record and its terminator stay one string when the encoding is UTF-8, as POE's
    // put returns a string: drivers write strings as UTF-8, and a socket encodes it straight
    // into the write (a Buffer of our own per line cost a tenth of a line echo's time). In
    // another encoding, one Buffer in one step; a Buffer record, with the terminator's bytes.
    // A loop, not a map: no closure per call (a reply per line).
    const utf8 = encoding === 'utf8' || encoding === 'utf-8';
    const out = new Array<string | Buffer>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      out[i] = typeof r === 'string' ? (utf8 ? r + text : Buffer.from(r + text, encoding)) : Buffer.concat([toBuffer(r, 'a Line record', encoding), this.#output]);
    }
    return out;
  }

  /** `[bytes]` of the unparsed data, or `undefined` when empty. */
  getPending(): Buffer[] | undefined {
    return this.#q.length > 0 ? [this.#q.copy(0, this.#q.length)] : undefined;
  }

  clone(): Line<R> {
    return new Line<R>(this.#options);
  }
}
