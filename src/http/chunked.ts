/**
 * The framing of a chunked body (RFC 9112 7.1), read with llhttp's strictness: a chunk size is
 * hex digits (at most 16 significant ones), extensions are tokens or quoted strings with no
 * whitespace, and CRLF ends every size line and every chunk's data. The scanner finds where
 * chunk data lies and where the chunks end; the HTTPD filter keeps the bytes, builds the
 * records and reads the trailer section. Not exported from the package.
 */
import { TOKEN_CHARS } from './headers.js';
import { CLASS, CR, C_QDTEXT, C_VALUE, HEX, LF, SP } from './syntax.js';

/** What {@link ChunkScanner.scan} found. */
export const CHUNK_MORE = 0; // every byte up to `at` was framing, and there is no more
export const CHUNK_DATA = 1; // framing up to `at`, where the chunk's data starts; `remaining` bytes of it are due
export const CHUNK_LAST = 2; // the last chunk's size line ended at `at`: the trailer section follows
export const CHUNK_BAD = 3; // the body is malformed: `status` and `reason` say how

// Where a scan can stop and resume.
const K_SIZE_START = 0; // before a chunk size
const K_SIZE = 1; // in a chunk size
const K_EXT = 2; // after a ';'
const K_EXT_NAME = 3;
const K_EXT_VALUE = 4; // a token value, after '='
const K_EXT_QUOTED = 5; // a quoted value
const K_EXT_PAIR = 6; // after a '\' in a quoted value
const K_EXT_DONE = 7; // after a quoted value
const K_SIZE_LF = 8; // after the CR of a size line
const K_DATA = 9;
const K_DATA_CR = 10; // the CR after a chunk's data
const K_DATA_LF = 11;

/** What a state method returns in place of a position once it has set a verdict. */
const STOP = -1;

/**
 * Scans chunked framing, resuming where the last scan stopped. Like the HTTPD filter's head
 * scanner, a loop dispatches on the state to a method per element (a chunk size, an
 * extension, a CRLF), which reads as far as the bytes go and returns the position after what
 * it read, or STOP with a verdict.
 */
export class ChunkScanner {
  /** Where the last scan stopped (see the verdicts). */
  at = 0;
  /** Bytes of the current chunk's data still due. */
  remaining = 0;
  /** The error status of a malformed body (400, or 413 for extensions past the limit). */
  status = 0;
  /** Why the body is malformed. */
  reason = '';

  /** Most bytes of extensions on one chunk-size line. */
  readonly #maxExtensions: number;
  #state = K_SIZE_START;
  #verdict = CHUNK_MORE;
  #size = 0;
  #digits = 0;
  #extBytes = 0;

  constructor(maxExtensions: number) {
    this.#maxExtensions = maxExtensions;
  }

  /** For a new body. */
  reset(): void {
    this.#state = K_SIZE_START;
    this.#extBytes = 0;
  }

  /** The caller took `n` bytes of the current chunk's data. */
  took(n: number): void {
    this.remaining -= n;
    if (this.remaining === 0) this.#state = K_DATA_CR;
  }

  /**
   * Scans `buf[pos, end)`. The framing before a verdict's `at` needs no keeping; chunk data
   * (CHUNK_DATA, from `at`) is the caller's to take, then to report with {@link took}.
   */
  scan(buf: Buffer, pos: number, end: number): number {
    while (pos < end) {
      switch (this.#state) {
        case K_SIZE_START:
        case K_SIZE:
          pos = this.#readSize(buf, pos, end);
          break;
        case K_EXT:
          pos = this.#readExtensionStart(buf, pos);
          break;
        case K_EXT_NAME:
        case K_EXT_VALUE:
          pos = this.#readExtensionToken(buf, pos, end);
          break;
        case K_EXT_QUOTED:
        case K_EXT_PAIR:
          pos = this.#readExtensionQuoted(buf, pos, end);
          break;
        case K_EXT_DONE:
          pos = this.#readExtensionEnd(buf, pos);
          break;
        case K_SIZE_LF:
          pos = this.#readSizeLineEnd(buf, pos);
          break;
        case K_DATA:
          pos = this.#stop(CHUNK_DATA, pos);
          break;
        case K_DATA_CR:
        case K_DATA_LF:
          pos = this.#readDataEnd(buf, pos, end);
          break;
        default:
          pos = this.#bad(500, 'Parser state lost.');
      }
      if (pos < 0) return this.#verdict;
    }
    this.at = pos;
    return CHUNK_MORE;
  }

  /** Hex digits (at least one), then `;` before extensions or the CR of the size line. */
  #readSize(buf: Buffer, pos: number, end: number): number {
    let k = this.#state;
    let c = 0;
    for (; pos < end; pos++) {
      c = buf[pos]!;
      const d = HEX[c]!;
      if (d < 0) break;
      if (k === K_SIZE_START) {
        this.#digits = 0;
        this.#size = 0;
        k = K_SIZE;
      }
      const size = this.#size * 16 + d;
      // llhttp's limit is 64 bits; past 2^53 the size is approximate, and no limit or lifetime
      // lets such a chunk complete anyway.
      if (size > 0 && ++this.#digits > 16) return this.#bad(400, 'Chunk size overflow.');
      this.#size = size;
    }
    this.#state = k;
    if (pos === end) return pos;
    if (k === K_SIZE_START || (c !== CR && c !== 0x3b)) return this.#bad(400, 'Bad chunk size.');
    this.#state = c === CR ? K_SIZE_LF : K_EXT;
    return pos + 1;
  }

  /** After a `;`: a name must follow, with no whitespace. The byte is the name's first. */
  #readExtensionStart(buf: Buffer, pos: number): number {
    const c = buf[pos]!;
    if (c === SP || c === CR) return this.#bad(400, 'Bad chunk extension.');
    this.#state = K_EXT_NAME;
    return pos;
  }

  /** An extension's name, and its token value after `=`; a quoted value starts at `"`. */
  #readExtensionToken(buf: Buffer, pos: number, end: number): number {
    let k = this.#state;
    while (pos < end && (k === K_EXT_NAME || k === K_EXT_VALUE)) {
      const c = buf[pos]!;
      if (c === CR) k = K_SIZE_LF;
      else if (c === 0x3b) k = K_EXT;
      else if (k === K_EXT_NAME && c === 0x3d) k = K_EXT_VALUE;
      else if (k === K_EXT_VALUE && c === 0x22) k = K_EXT_QUOTED;
      else if (TOKEN_CHARS[c] !== 1) return this.#bad(400, 'Bad chunk extension.');
      pos++;
      if (++this.#extBytes > this.#maxExtensions) return this.#bad(413, 'Chunk extensions too long.');
    }
    this.#state = k;
    return pos;
  }

  /** A quoted extension value, up to its closing `"`; `\` quotes the byte after it. */
  #readExtensionQuoted(buf: Buffer, pos: number, end: number): number {
    let k = this.#state;
    while (pos < end && (k === K_EXT_QUOTED || k === K_EXT_PAIR)) {
      const c = buf[pos++]!;
      if (k === K_EXT_PAIR) {
        if (!(CLASS[c]! & C_VALUE)) return this.#bad(400, 'Bad chunk extension.');
        k = K_EXT_QUOTED;
        continue;
      }
      if (c === 0x22) k = K_EXT_DONE;
      else if (c === 0x5c) k = K_EXT_PAIR;
      else if (!(CLASS[c]! & C_QDTEXT)) return this.#bad(400, 'Bad chunk extension.');
      if (++this.#extBytes > this.#maxExtensions) return this.#bad(413, 'Chunk extensions too long.');
    }
    this.#state = k;
    return pos;
  }

  /** After a quoted value: another extension, or the CR of the size line. */
  #readExtensionEnd(buf: Buffer, pos: number): number {
    const c = buf[pos]!;
    if (c === 0x3b) this.#state = K_EXT;
    else if (c === CR) this.#state = K_SIZE_LF;
    else return this.#bad(400, 'Bad chunk extension.');
    return pos + 1;
  }

  /** The LF of a chunk-size line: the chunk's data follows, or after the last chunk, the trailers. */
  #readSizeLineEnd(buf: Buffer, pos: number): number {
    if (buf[pos] !== LF) return this.#bad(400, 'Bare CR after a chunk size.');
    if (this.#size === 0) {
      this.#state = K_SIZE_START;
      return this.#stop(CHUNK_LAST, pos + 1);
    }
    this.remaining = this.#size;
    this.#size = 0;
    this.#state = K_DATA;
    return pos + 1;
  }

  /** The CRLF after a chunk's data. */
  #readDataEnd(buf: Buffer, pos: number, end: number): number {
    if (this.#state === K_DATA_CR) {
      if (buf[pos] !== CR) return this.#bad(400, 'Chunk data longer than its size.');
      if (++pos === end) {
        this.#state = K_DATA_LF;
        return pos;
      }
    }
    if (buf[pos] !== LF) return this.#bad(400, 'Bare CR after chunk data.');
    this.#state = K_SIZE_START;
    this.#size = 0;
    this.#extBytes = 0;
    return pos + 1;
  }

  #stop(verdict: number, at: number): number {
    this.#verdict = verdict;
    this.at = at;
    return STOP;
  }

  #bad(status: number, reason: string): number {
    this.status = status;
    this.reason = reason;
    this.#verdict = CHUNK_BAD;
    return STOP;
  }
}
