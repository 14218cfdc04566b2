/**
 * The HTTPD filter's lenient mode (`strict: false`): requests read the way POE::Filter::HTTPD
 * reads them (bare-LF line ends, folded lines, whitespace before a colon, any token method,
 * any `HTTP/x.y`, junk after the version, no Host check), on http-parser-js's HTTPParser, and
 * still refusing what would let a request be framed two ways (request smuggling). The filter
 * builds this parser at construction when `strict` is false; the strict path never sees it.
 * Not exported from the package.
 *
 * http-parser-js gives the line splitting, the header-block and body state machine and the
 * chunk reader. Five of its methods are replaced, because as shipped (0.5.10) it decodes
 * with a process-wide encoding (`HTTPParser.encoding`, 'ascii', which drops the high bit of
 * obs-text), takes only `METHOD SP target SP HTTP/d.d`, drops lines it cannot read, reads
 * chunk sizes with parseInt (`-3`, `0x3` and `zz` are sizes to it) and parses on past the end
 * of a message. Its other process-wide state is not relied on: `HTTPParser.maxHeaderSize`
 * (copied into each parser and again at each message; its check only counts the bytes of one
 * `execute`), the callback argument form (positional once anything reads
 * `HTTPParser.kOnExecute`) and the CONNECT test (broken once anything sets an `on*` handler).
 * This parser reads its own fields instead and checks its own limits.
 */
import { HTTPParser } from 'http-parser-js';
import { TOKEN_CHARS, trustedHeaders } from '../http/headers.js';
import type { HttpHeaders } from '../http/headers.js';
import { HttpRequest } from '../http/request.js';
import { HttpResponse } from '../http/response.js';
import { errorResponse } from '../http/serialize.js';
import { collapseSlashes, finalChunked, latin1 } from '../http/syntax.js';
import type { ByteQueue } from './bytes.js';

/** What the lenient parser's `ended` says once it stops: the filter's next mode. */
export const LENIENT_RUNNING = 0;
export const LENIENT_CLOSED = 1; // after a request that does not keep the connection alive
export const LENIENT_UPGRADED = 2; // after an upgrade or CONNECT request
export const LENIENT_DEAD = 3; // after an error response

/** The HTTPD options the lenient parser applies, as the filter checked them. */
export interface LenientLimits {
  maxContent: number;
  maxHeaderSize: number;
  maxHeaders: number;
  streaming: boolean;
  requireHost: boolean;
  expectContinue: boolean;
}

/** The parts of http-parser-js's HTTPParser (0.5.10) this module reads, sets or calls. */
interface ParserCore {
  state: string;
  offset: number;
  end: number;
  chunk: Buffer | null;
  line: string;
  info: { headers: string[] };
  trailers: string[];
  body_bytes: number | null;
  isChunked: boolean;
  maxHeaderSize: number;
  execute(chunk: Buffer, start: number, length: number): number | Error;
  nextRequest(): void;
}

const Parser = HTTPParser as unknown as new (type: 'REQUEST') => ParserCore;
const K_ON_HEADERS_COMPLETE = HTTPParser.kOnHeadersComplete;
const K_ON_BODY = HTTPParser.kOnBody;
const K_ON_MESSAGE_COMPLETE = HTTPParser.kOnMessageComplete;

/** A request refused: the status, a fixed reason (never the input), the request if known. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly request?: HttpRequest,
  ) {
    super(reason);
  }
}

/**
 * POE's request line, with a token method (POE: `\w+`, which refuses M-SEARCH) and RTSP and
 * ICE versions (as strict mode): method, spaces or tabs, a target, and an optional version;
 * whatever follows is ignored, as POE does (so `GET /a b HTTP/1.0` is an HTTP/0.9 request).
 */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]+([^ \t]+)(?:[ \t]+((?:HTTP|RTSP|ICE)\/(\d+)\.(\d+)))?/;
/** A chunk size: hex digits, then optional whitespace, then optional extensions. */
const CHUNK_SIZE = /^([0-9A-Fa-f]+)[ \t]*(?:;[^\r\0]*)?$/;
const SPACES = /^[ \t]+|[ \t]+$/g;
const EMPTY = Buffer.alloc(0);

/** The lenient request parser: http-parser-js, its line readers replaced, its callbacks ours. */
export class LenientParser extends Parser {
  /** LENIENT_RUNNING until the parser stops; then what the filter does next. */
  ended = LENIENT_RUNNING;

  readonly #q: ByteQueue;
  readonly #out: (HttpRequest | HttpResponse | Buffer)[];
  readonly #limits: LenientLimits;
  /** Bytes at the front of the queue given to `execute` and kept: a head not yet complete. */
  #fed = 0;
  /** Bytes of the section being read: the head, a chunk-size line or the trailer section. */
  #section = 0;
  #method = '';
  #target = '';
  #protocol = 'HTTP/0.9';
  #major = 0;
  #minor = 9;
  #request: HttpRequest | undefined;
  /** The request went out already (streaming, at its head). */
  #delivered = false;
  #parts: Buffer[] = [];
  #bodySize = 0;
  /** Connection tokens of the head, to which trailers may add (llhttp). */
  #tokens: Tokens = { close: false, keepAlive: false, upgrade: false };

  constructor(q: ByteQueue, out: (HttpRequest | HttpResponse | Buffer)[], limits: LenientLimits) {
    super('REQUEST');
    this.maxHeaderSize = Infinity;
    this.#q = q;
    this.#out = out;
    this.#limits = limits;
  }

  /**
   * Parses up to the end of one message; false when the bytes buffered allow no progress. The
   * head's bytes stay in the queue until the head is complete (so that `getPending` holds a
   * partial head); body bytes leave it as they are read.
   */
  step(): boolean {
    if (this.ended !== LENIENT_RUNNING) return false;
    const q = this.#q;
    if (this.state === 'PAUSED' || (this.#fed === 0 && this.state === 'REQUEST_LINE')) {
      // POE strips all whitespace before a request (and MSIE's extra CRLFs after a body).
      while (q.length > 0 && isSpace(q.at(0))) q.consume(1);
      this.state = 'REQUEST_LINE';
      // No method starts so: refuse at once (a TLS handshake on a plain port, binary junk).
      if (q.length > 0 && TOKEN_CHARS[q.at(0)] !== 1) {
        this.#refuse(new Refusal(400, 'Bad request method.'));
        return true;
      }
    }
    const buf = q.view();
    const start = this.#fed;
    if (buf.length <= start) return false;
    let used: number | Error;
    try {
      used = this.execute(buf, start, buf.length - start);
    } catch (e) {
      // Thrown by one of this parser's callbacks (http-parser-js rethrows those).
      used = e as Error;
    }
    if (used instanceof Error) {
      this.#refuse(used);
      return true;
    }
    if (this.state === 'REQUEST_LINE' || this.state === 'HEADER') this.#fed = start + used;
    else {
      q.consume(start + used);
      this.#fed = 0;
    }
    return true;
  }

  #refuse(e: Error): void {
    let status = 400;
    let reason: string;
    let request = this.#request;
    if (e instanceof Refusal) {
      status = e.status;
      reason = e.reason;
      request = e.request ?? request;
    } else {
      // http-parser-js's own errors. It checks differing Content-Lengths before the head is
      // handed over; the error carries the request so far, as strict mode's does.
      const code = (e as Error & { code?: string }).code;
      if (code === 'HPE_UNEXPECTED_CONTENT_LENGTH') {
        reason = 'More than one Content-Length.';
        request = this.#newRequest(this.info.headers);
      } else reason = 'Bad request.';
    }
    this.#out.push(errorResponse(status, reason, request));
    this.#q.clear();
    this.#fed = 0;
    this.#request = undefined;
    this.#parts = [];
    this.ended = LENIENT_DEAD;
  }

  // ------------------------------------------------------------------------------------------
  // http-parser-js's methods, replaced

  /**
   * A line up to its LF (a CR before it dropped), decoded as latin1 whatever
   * `HTTPParser.encoding` says; undefined while the line is incomplete. It reads no further
   * than the limit of the section being read (the head, a chunk-size line, the CRLF after chunk
   * data, the trailer section), so that every verdict falls at the same byte however the input
   * is chunked.
   */
  consumeLine(): string | undefined {
    const chunk = this.chunk!;
    const start = this.offset;
    const budget = (this.state === 'BODY_CHUNKEMPTYLINE' ? 2 : this.#limits.maxHeaderSize) - this.#section;
    const end = Math.min(this.end, start + budget);
    let lf = chunk.indexOf(0x0a, start);
    if (lf >= end) lf = -1;
    const piece = latin1(chunk, start, lf < 0 ? end : lf);
    // A CR is a line end only before LF (POE takes "\r\r" as one, then fails or keeps the CR).
    const cr = piece.indexOf('\r');
    if ((cr >= 0 && cr < piece.length - 1) || (piece !== '' && this.line.endsWith('\r'))) throw new Refusal(400, 'Bare CR.');
    let line: string | undefined;
    if (lf >= 0) {
      line = this.line + piece;
      if (line.charCodeAt(line.length - 1) === 0x0d) line = line.slice(0, -1);
      this.line = '';
      this.offset = lf + 1;
    } else {
      this.line += piece;
      this.offset = end;
    }
    this.#section += this.offset - start;
    this.#checkSection(line);
    return line;
  }

  /** Whether the section being read passed its limit with `line` (undefined: not complete). */
  #checkSection(line: string | undefined): void {
    const state = this.state;
    const n = this.#section;
    if (state === 'BODY_CHUNKEMPTYLINE') {
      // Only CRLF (or LF) may follow chunk data.
      if (line === undefined ? n >= 2 : line !== '') throw new Refusal(400, 'Chunk data longer than its size.');
      if (line !== undefined) this.#section = 0;
      return;
    }
    const limit = this.#limits.maxHeaderSize;
    if (state === 'BODY_CHUNKHEAD') {
      if (line === undefined && n >= limit) throw new Refusal(413, 'Chunk extensions too long.');
      if (line !== undefined) this.#section = 0;
      return;
    }
    // The head and the trailer section end with a blank line; it may be the limit's last byte.
    if (n < limit || (n === limit && line === '')) return;
    if (state === 'REQUEST_LINE' && line === undefined) throw new Refusal(414, `Request line longer than ${limit} bytes.`);
    throw new Refusal(431, `Request header block longer than ${limit} bytes.`);
  }

  /** POE's request line (see REQUEST_LINE). */
  REQUEST_LINE(): void {
    const line = this.consumeLine();
    if (line === undefined) return;
    const m = REQUEST_LINE.exec(line);
    if (m === null) throw new Refusal(400, 'Bad request line.');
    if (hasControl(line)) throw new Refusal(400, 'Control character in the request line.');
    this.#method = m[1]!;
    this.#target = m[2]!;
    if (m[3] === undefined) {
      this.#protocol = 'HTTP/0.9';
      this.#major = 0;
      this.#minor = 9;
    } else {
      this.#protocol = m[3];
      this.#major = Number(m[4]);
      this.#minor = Number(m[5]);
    }
    this.body_bytes = 0;
    this.state = 'HEADER';
  }

  /**
   * A header (or trailer) line, POE's way: a name, optional whitespace, a colon, the value; a
   * line starting with whitespace continues the value before it (obs-fold, joined with a
   * space), or is ignored when nothing precedes it. Refused: a line that is neither (POE drops
   * it and every line after it, which can hide a Content-Length), a NUL, and whitespace
   * before the colon of, or a fold in, Content-Length or Transfer-Encoding (read one way here
   * and another by a proxy, they frame the message twice).
   */
  parseHeader(line: string, headers: string[]): void {
    if (line.includes('\0')) throw new Refusal(400, 'NUL in a header line.');
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      const n = headers.length;
      if (n === 0) return;
      if (isFraming(headers[n - 2]!)) throw new Refusal(400, 'Folded Content-Length or Transfer-Encoding.');
      const more = line.replace(SPACES, '');
      if (more !== '') headers[n - 1] = headers[n - 1] === '' ? more : `${headers[n - 1]} ${more}`;
      return;
    }
    const colon = line.indexOf(':');
    let nameEnd = colon;
    while (nameEnd > 0 && (line.charCodeAt(nameEnd - 1) === 0x20 || line.charCodeAt(nameEnd - 1) === 0x09)) nameEnd--;
    if (nameEnd <= 0 || !isToken(line, nameEnd)) throw new Refusal(400, 'Bad header line.');
    const name = line.slice(0, nameEnd);
    if (nameEnd !== colon && isFraming(name)) throw new Refusal(400, 'Whitespace before the colon of Content-Length or Transfer-Encoding.');
    if (headers.length >= this.#limits.maxHeaders * 2) throw new Refusal(431, `More than ${this.#limits.maxHeaders} header lines.`);
    headers.push(name, line.slice(colon + 1).replace(SPACES, ''));
  }

  /**
   * A chunk-size line: hex digits (at most 16 significant), optional whitespace, optional
   * extensions. http-parser-js's parseInt would take `-3`, `0x3` and `3x` as sizes and `zz` as
   * the last chunk.
   */
  BODY_CHUNKHEAD(): void {
    const line = this.consumeLine();
    if (line === undefined) return;
    const m = CHUNK_SIZE.exec(line);
    if (m === null) throw new Refusal(400, 'Bad chunk size.');
    const digits = m[1]!.replace(/^0+/, '');
    if (digits.length > 16) throw new Refusal(400, 'Chunk size overflow.');
    const size = digits === '' ? 0 : Number.parseInt(digits, 16);
    if (size === 0) {
      this.state = 'BODY_CHUNKTRAILERS';
      return;
    }
    if (!this.#limits.streaming && this.#bodySize + size > this.#limits.maxContent) {
      throw new Refusal(413, `Content of more than ${this.#limits.maxContent} octets not accepted.`);
    }
    this.body_bytes = size;
    this.state = 'BODY_CHUNK';
  }

  /** After each message: stop `execute` there (the filter returns one request at a time). */
  override nextRequest(): void {
    super.nextRequest();
    // Re-initialising copied the process-wide header limit back; this parser checks its own.
    this.maxHeaderSize = Infinity;
    this.state = 'PAUSED';
  }

  /** The state between two messages: `execute` stops at once. */
  PAUSED(): boolean {
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // http-parser-js's callbacks. The head-complete one reads the parser's own fields: its
  // arguments change form with process-wide state.

  /**
   * The head is complete: the request, its framing (checked as strict mode checks it), and
   * what http-parser-js reads next (returns 1 for no body).
   */
  [K_ON_HEADERS_COMPLETE](): number {
    const limits = this.#limits;
    this.#section = 0;
    // The head's bytes leave the queue once the whole message is parsed, or with the body.
    const flat = this.info.headers;
    const request = this.#newRequest(flat);
    let contentLength = -1;
    let te = false;
    let chunked = false;
    let hosts = 0;
    let expect = '';
    const tokens: Tokens = { close: false, keepAlive: false, upgrade: false };
    let upgradeHeader = false;
    for (let i = 0; i < flat.length; i += 2) {
      const value = flat[i + 1]!;
      switch (flat[i]!.toLowerCase()) {
        case 'content-length': {
          // POE's rule (digits, whitespace around them); a repeat must say the same (RFC 9110 8.6).
          if (!/^\d+$/.test(value)) throw new Refusal(400, 'Content-Length is not a number.', request);
          const n = Number(value);
          if (contentLength >= 0 && n !== contentLength) throw new Refusal(400, 'More than one Content-Length.', request);
          contentLength = n;
          break;
        }
        case 'transfer-encoding': {
          if (value === '') break;
          if (chunked) throw new Refusal(400, 'Transfer-Encoding after chunked.', request);
          const b = Buffer.from(value, 'latin1');
          const final = finalChunked(b, 0, b.length);
          if (final < 0) throw new Refusal(400, 'Transfer-Encoding after chunked.', request);
          te = true;
          chunked = final === 1;
          break;
        }
        case 'host':
          hosts++;
          break;
        case 'expect':
          expect += `${value},`;
          break;
        case 'upgrade':
          if (value !== '') upgradeHeader = true;
          break;
        case 'connection':
        case 'proxy-connection':
          connectionTokens(value, tokens);
          break;
      }
    }
    if (te && contentLength >= 0) throw new Refusal(400, 'Content-Length together with Transfer-Encoding.', request);
    if (te && !chunked) throw new Refusal(400, 'Transfer-Encoding does not end in chunked.', request);
    const v11 = this.#major === 1 && this.#minor === 1;
    if (limits.requireHost && v11 && hosts === 0) throw new Refusal(400, 'HTTP/1.1 request without a Host header.', request);
    // Any other expectation is ignored, as POE ignores Expect (RFC 9110 10.1.1 allows it).
    if (v11 && /(?:^|\W)100-continue(?:$|\W)/i.test(expect)) request.expectContinue = true;
    request.chunked = chunked;
    request.keepAlive = keepAlive(this.#major, this.#minor, tokens.close, tokens.keepAlive);
    request.upgrade = (upgradeHeader && tokens.upgrade) || request.method === 'CONNECT';
    this.#request = request;
    this.#tokens = tokens;
    this.#delivered = false;
    this.#parts = [];
    this.#bodySize = 0;
    this.isChunked = false;
    this.body_bytes = 0;
    // What follows CONNECT is the tunnel's, whatever its head said of a body.
    if ((!chunked && contentLength <= 0) || request.method === 'CONNECT') return 1;
    if (!chunked && !limits.streaming && contentLength > limits.maxContent) {
      throw new Refusal(413, `Content of ${contentLength} octets not accepted.`, request);
    }
    if (limits.streaming) {
      this.#out.push(request);
      this.#delivered = true;
    } else if (limits.expectContinue && request.expectContinue) {
      const interim = new HttpResponse(100, 'Continue');
      interim.protocol = 'HTTP/1.1';
      interim.request = request;
      this.#out.push(interim);
    }
    if (chunked) this.isChunked = true;
    else this.body_bytes = contentLength;
    return 0;
  }

  #newRequest(flat: readonly string[]): HttpRequest {
    const request = new HttpRequest(this.#method, collapseSlashes(this.#target), fieldLines(flat));
    request.target = this.#target;
    request.protocol = this.#protocol;
    return request;
  }

  /** Body bytes, a view of the queue's storage: copied. */
  [K_ON_BODY](chunk: Buffer): void {
    const data = Buffer.from(chunk);
    if (this.#limits.streaming) this.#out.push(data);
    else {
      this.#parts.push(data);
      this.#bodySize += data.length;
    }
  }

  /** The message is complete: the request (or, streaming, the end of its body) goes out. */
  [K_ON_MESSAGE_COMPLETE](): void {
    const request = this.#request!;
    if (request.chunked) {
      const flat = this.trailers;
      const tokens = this.#tokens;
      for (let i = 0; i < flat.length; i += 2) {
        const name = flat[i]!.toLowerCase();
        if (isFraming(name)) throw new Refusal(400, 'Content-Length or Transfer-Encoding in the trailer section.');
        if (name === 'connection' || name === 'proxy-connection') connectionTokens(flat[i + 1]!, tokens);
      }
      request.trailers = fieldLines(flat);
      // Trailers may add Connection tokens (llhttp).
      request.keepAlive = keepAlive(this.#major, this.#minor, tokens.close, tokens.keepAlive);
    }
    if (!this.#delivered) {
      const parts = this.#parts;
      if (parts.length > 0) request.content = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.#bodySize);
      this.#out.push(request);
    } else if (request.chunked) this.#out.push(EMPTY);
    this.#request = undefined;
    this.#parts = [];
    this.#section = 0;
    if (request.upgrade) this.ended = LENIENT_UPGRADED;
    else if (!request.keepAlive) this.ended = LENIENT_CLOSED;
  }
}

/** POE's `\s`: SP, HT, LF, VT, FF, CR. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Control bytes (HT aside), which no request line may hold (NUL, CR: truncation, splitting). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

function isToken(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) if (TOKEN_CHARS[s.charCodeAt(i)] !== 1) return false;
  return true;
}

function isFraming(name: string): boolean {
  const n = name.length;
  return (n === 14 || n === 17) && /^(?:content-length|transfer-encoding)$/i.test(name);
}

function fieldLines(flat: readonly string[]): HttpHeaders {
  const names: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    names.push(flat[i]!);
    values.push(flat[i + 1]!);
  }
  return trustedHeaders(names, values);
}

/** Connection tokens, llhttp's way: comma-separated, `close`/`keep-alive`/`upgrade` exactly. */
interface Tokens {
  close: boolean;
  keepAlive: boolean;
  upgrade: boolean;
}

function connectionTokens(value: string, tokens: Tokens): void {
  for (const t of value.split(',')) {
    const token = t.replace(SPACES, '').toLowerCase();
    if (token === 'close') tokens.close = true;
    else if (token === 'keep-alive') tokens.keepAlive = true;
    else if (token === 'upgrade') tokens.upgrade = true;
  }
}

/** llhttp's keep-alive rule, as strict mode applies it. */
function keepAlive(major: number, minor: number, close: boolean, keepAliveToken: boolean): boolean {
  return major > 0 && minor > 0 ? !close : keepAliveToken;
}
