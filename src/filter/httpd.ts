// The module's Buffer, not the global one: `globalThis.Buffer` is a getter, a call at each use.
import { Buffer } from 'node:buffer';
import { PoeArgumentError, describe } from '../errors.js';
import { TOKEN_CHARS, trustedHeaders } from '../http/headers.js';
import type { HttpHeaders } from '../http/headers.js';
import { HttpRequest } from '../http/request.js';
import { HttpResponse } from '../http/response.js';
import { CHUNK_BAD, CHUNK_DATA, CHUNK_LAST, CHUNK_MORE, ChunkScanner } from '../http/chunked.js';
import { errorResponse, serializeResponse } from '../http/serialize.js';
import {
  CLASS, CR, C_ALPHA, C_PATH, C_QUERY, C_SERVER, C_VALUE, C_VCHAR, HT, HTTP_METHODS, LF, METHOD_NAME, METHOD_NEXT,
  METHOD_SYMBOL, RTSP_METHODS, SP, collapseSlashes, eqLower, finalChunked, latin1, parseLength, protoPrefix, protocolName,
} from '../http/syntax.js';
import { ByteQueue, DEFAULT_MAX_BUFFER, booleanOption, checkOptions, expectArray, optionalFunction, positiveInt, toBuffer } from './bytes.js';
import { FilterBase, FilterLimitError } from './filter.js';
import { LENIENT_CLOSED, LENIENT_RUNNING, LENIENT_UPGRADED, LenientParser } from './httpd-lenient.js';

/** Options of the {@link HTTPD} filter. POE: `POE::Filter::HTTPD->new(%params)`. */
export interface HTTPDOptions {
  /**
   * Largest request body in bytes. A bigger Content-Length, or a chunked body growing past it,
   * becomes a 413 error response. Ignored in streaming mode, as in POE. POE: `MaxContent`.
   * @default 1048576 (1 MiB)
   */
  maxContent?: number;
  /**
   * Largest request head in bytes: request line, header lines and the blank line (and, again,
   * the trailer section of a chunked body). A request line that does not end within it is a
   * 414 error response, a longer head a 431.
   * @default 16384 (16 KiB, Node's default)
   */
  maxHeaderSize?: number;
  /**
   * Most header field lines in a request (and trailer lines in a chunked body); more is a 431.
   * @default 100
   */
  maxHeaders?: number;
  /**
   * Most bytes buffered at once; `getOneStart` throws `FilterLimitError` beyond it. It must be
   * at least `maxContent` plus its digit count plus one, as in POE. POE: `MaxBuffer`.
   * @default 536870912 (512 MiB)
   */
  maxBuffer?: number;
  /**
   * Streaming bodies: `get` returns each request as soon as its head is parsed (with empty
   * content), then its body as Buffers as the bytes arrive; a chunked body ends with an empty
   * Buffer, after which `request.trailers` is set. POE: `Streaming`.
   * @default false
   */
  streaming?: boolean;
  /**
   * Reject an HTTP/1.1 request without a Host header (400), as Node's `requireHostHeader`.
   * @default true (false when `strict` is false: POE never checks Host)
   */
  requireHost?: boolean;
  /**
   * When a request with `Expect: 100-continue` has a body still to come, `get` first returns an
   * interim `HttpResponse` 100 Continue (whose `request` is the waiting request) for the session
   * to `put` back, or to replace by a final status. Off, as in POE: the client sends its body
   * after its own timeout. In streaming mode the request itself arrives before its body, with
   * `expectContinue` set.
   * @default false
   */
  expectContinue?: boolean;
  /**
   * The clock `put` reads for the Date header, in milliseconds since the epoch.
   * @default Date.now
   */
  now?: () => number;
  /**
   * `false` parses requests as leniently as POE::Filter::HTTPD does (bare-LF line ends, folded
   * header lines, whitespace before a colon, any token method, any `HTTP/x.y`, text after the
   * version, no Host check, unknown expectations ignored), on http-parser-js, for old clients
   * that rely on it. It still refuses what would frame a message two ways (Content-Length with
   * Transfer-Encoding, differing Content-Lengths, whitespace before the colon of either or a
   * fold in either, bad chunk sizes), bare CR, NUL and control bytes in the request line, and
   * keeps every limit. The records are the same either way. Do not use it behind a proxy.
   * @default true
   */
  strict?: boolean;
}

/** What the HTTPD filter's `get` returns: requests, error (or interim) responses, body pieces. */
export type HTTPDRecord = HttpRequest | HttpResponse | Buffer;

const KNOWN = ['maxContent', 'maxHeaderSize', 'maxHeaders', 'maxBuffer', 'streaming', 'requireHost', 'expectContinue', 'now', 'strict'] as const;

// Head (and trailer section) scanner states: where a scan can stop and resume. The request
// line's states come before H_FIELD_START (the 414/431 choice relies on it).
const H_START = 0; // before the method
const H_METHOD = 1; // in the method
const H_SP_URL = 2; // spaces after the method
const H_SCHEMA = 3; // absolute-form: the scheme
const H_SLASH1 = 4; // the first '/' after `scheme:`
const H_SLASH2 = 5; // the second '/'
const H_SERVER = 6; // the authority
const H_SERVER_AT = 7; // the authority, just after an '@'
const H_PATH = 8;
const H_QUERY = 9;
const H_FRAGMENT = 10;
const H_URL_LF = 11; // after a CR right after the target (HTTP/0.9)
const H_SP_PROTO = 12; // spaces after the target
const H_PROTO = 13; // the protocol name (HTTP, RTSP, ICE)
const H_MAJOR = 14;
const H_DOT = 15;
const H_MINOR = 16;
const H_LINE_CR = 17;
const H_LINE_LF = 18;
const H_FIELD_START = 19; // the start of a field line, or the blank line
const H_FIELD = 20; // in a field name
const H_VALUE_WS = 21; // whitespace before a field value
const H_VALUE = 22; // in a field value
const H_VALUE_LF = 23; // after the CR of a field line
const H_END_LF = 24; // after the CR of the blank line

// What the filter is doing.
const M_HEAD = 0; // reading a request head
const M_BODY = 1; // reading a Content-Length body
const M_CHUNKED = 2; // reading a chunked body
const M_TRAILERS = 3; // reading the trailer section of a chunked body
const M_CLOSED = 4; // after a request that does not keep the connection alive
const M_UPGRADED = 5; // after an upgrade: the rest belongs to another protocol
const M_DEAD = 6; // after an error response: everything is discarded
const M_LENIENT = -1; // `strict: false`: the lenient parser reads requests until it stops

/**
 * What a head state method returns in place of a position, and what the head scan returns:
 * the head is complete; it failed (an error response is queued). The scan returns NEED_MORE
 * when the bytes ran out first.
 */
const HEAD_DONE = -2;
const FAIL = -1;
const NEED_MORE = 0;

const EMPTY = Buffer.alloc(0);

/**
 * The HTTP server filter. `get` turns request bytes into {@link HttpRequest} records, or into
 * an {@link HttpResponse} error record when a request cannot be accepted; `put` turns
 * responses into bytes.
 *
 * Parsing is strict, as Node's own parser (llhttp) is, because a lenient server behind a proxy
 * is how request smuggling happens: Content-Length must be plain digits and appear once and
 * never beside Transfer-Encoding; Transfer-Encoding must end in `chunked`; lines end in CRLF
 * (no bare LF or CR); no whitespace before a header colon; no obs-fold; no control characters
 * in the method, target, names or values; strict chunk sizes and chunk framing; HTTP/1.1 needs
 * a Host. A bad request becomes an error response (400, 413, 414, 417, 431, 501 or 505) with
 * `closeConnection` set; the filter then stops and discards the rest of its input.
 *
 * Several requests in one read all come out, in order. A request whose `keepAlive` is false
 * (HTTP/1.0 without keep-alive, `Connection: close`) ends the connection: blank lines after it
 * are ignored, anything else is a 400. After an upgrade request (`upgrade` set) the filter
 * returns nothing more; the bytes that follow stay in `getPending()` for the next filter.
 *
 * `put` writes the status line (with POE's "(standard message)" when the response's message
 * differs from it), the headers, a blank line and the content; it adds Content-Length (when
 * absent and the status allows a body) and Date (when absent).
 *
 * The request head is scanned in one pass, resuming where the last read stopped
 * (http-parser-js, the runtime dependency, is lenient where this parser must not be: it reads
 * chunk sizes with parseInt, strips the high bit of obs-text, and cannot parse HTTP/0.9 lines,
 * repeated spaces or the QUERY method that llhttp accepts).
 *
 * POE: `POE::Filter::HTTPD`. Differences (docs/differences.md): strict parsing; chunked request
 * bodies; no request lost after `Content-Length: 0` (G29); Content-Length and Date in `put`;
 * no 411 for Content-Encoding without a length; records are poe-ts's own message classes.
 */
export class HTTPD extends FilterBase<HTTPDRecord, HttpResponse> {
  /** Largest request body in bytes (not enforced in streaming mode). */
  readonly maxContent: number;
  /** Largest request head (and trailer section) in bytes. */
  readonly maxHeaderSize: number;
  /** Most header (and trailer) field lines. */
  readonly maxHeaders: number;
  /** Most bytes buffered at once. */
  readonly maxBuffer: number;
  /** Streaming bodies. */
  readonly streaming: boolean;
  /** HTTP/1.1 requests need a Host header. */
  readonly requireHost: boolean;
  /** Yield an interim 100 Continue response for `Expect: 100-continue`. */
  readonly expectContinue: boolean;
  /** Strict parsing (false: POE's lenient reading, on http-parser-js). */
  readonly strict: boolean;

  readonly #options: HTTPDOptions;
  readonly #now: () => number;
  readonly #q = new ByteQueue();
  readonly #out: HTTPDRecord[] = [];
  #mode = M_HEAD;

  // head scanner
  #state = H_START;
  #pos = 0;
  #methodNode = 0;
  #method = '';
  #targetStart = 0;
  #targetEnd = 0;
  #protoStart = 0;
  #proto = '';
  #major = 0;
  #minor = 0;
  #lineStart = 0;
  #nameEnd = 0;
  #valueStart = 0;
  #valueEnd = 0;
  /** Offsets of each field line: name start, name end, value start, value end (trimmed). */
  #fields: number[] = [];
  // what the fields said
  #contentLength = -1;
  #te = false;
  #chunked = false;
  #close = false;
  #keepAliveToken = false;
  #upgradeToken = false;
  #upgradeHeader = false;
  #hosts = 0;
  #expect: string[] | undefined;

  // the request being completed
  #request: HttpRequest | undefined;
  /** Bytes of a Content-Length body still due. */
  #remaining = 0;
  readonly #chunks: ChunkScanner;
  /** The lenient parser (`strict: false`), chosen once here so the strict path never tests for it. */
  readonly #lenient: LenientParser | undefined;
  #parts: Buffer[] = [];
  #bodySize = 0;

  constructor(options?: HTTPDOptions) {
    super();
    const o = checkOptions<HTTPDOptions>('HTTPD', options, KNOWN);
    this.#options = { ...o };
    this.maxContent = positiveInt('maxContent', o.maxContent, 1024 * 1024);
    this.maxHeaderSize = positiveInt('maxHeaderSize', o.maxHeaderSize, 16 * 1024);
    this.maxHeaders = positiveInt('maxHeaders', o.maxHeaders, 100);
    this.maxBuffer = positiveInt('maxBuffer', o.maxBuffer, DEFAULT_MAX_BUFFER);
    this.streaming = booleanOption('streaming', o.streaming, false);
    this.strict = booleanOption('strict', o.strict, true);
    this.requireHost = booleanOption('requireHost', o.requireHost, this.strict);
    this.expectContinue = booleanOption('expectContinue', o.expectContinue, false);
    this.#now = optionalFunction<() => number>('now', o.now) ?? Date.now;
    this.#chunks = new ChunkScanner(this.maxHeaderSize);
    if (this.maxBuffer < this.maxContent + String(this.maxContent).length + 1) {
      throw new PoeArgumentError(
        'ERR_POE_INVALID_ARGUMENT',
        `HTTPD: \`maxBuffer\` (${this.maxBuffer}) is not large enough for \`maxContent\` (${this.maxContent})`,
      );
    }
    if (!this.strict) {
      this.#lenient = new LenientParser(this.#q, this.#out, this);
      this.#mode = M_LENIENT;
    }
  }

  getOneStart(chunks: readonly unknown[]): void {
    expectArray(chunks, 'HTTPD chunks');
    for (const c of chunks) {
      const b = toBuffer(c, 'an HTTPD chunk');
      if (this.#mode === M_DEAD) continue; // the connection is closing: drop what follows
      if (this.#q.length + b.length > this.maxBuffer) {
        throw new FilterLimitError('HTTPD', 'maxBuffer', this.#q.length + b.length, this.maxBuffer);
      }
      this.#q.append(b);
    }
  }

  getOne(): HTTPDRecord[] {
    for (;;) {
      if (this.#out.length > 0) return [this.#out.shift()!];
      if (!this.#step()) return [];
    }
  }

  /** Serializes responses, one Buffer each. POE: `put([$response, ...])`. */
  put(records: readonly HttpResponse[]): Buffer[] {
    expectArray(records, 'HTTPD records');
    const out: Buffer[] = [];
    for (const r of records) {
      if (!(r instanceof HttpResponse)) {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected an HTTPD record to be an HttpResponse, got ${describe(r)}`);
      }
      out.push(serializeResponse(r, this.#now));
    }
    return out;
  }

  /**
   * `[bytes]` not yet returned, or `undefined`: a partial request head (a fresh filter given
   * them parses the same request), the part of a body not yet complete (its head is already
   * parsed), or what follows an upgrade. Nothing after an error response.
   */
  getPending(): Buffer[] | undefined {
    const n = this.#q.length;
    return n === 0 ? undefined : [this.#q.copy(0, n)];
  }

  clone(): HTTPD {
    return new HTTPD(this.#options);
  }

  /**
   * True once the filter returned an error response (and discards all input), after a request
   * that does not keep the connection alive, or after an upgrade request.
   */
  get stopped(): boolean {
    return this.#mode >= M_CLOSED;
  }

  // ------------------------------------------------------------------------------------------
  // parsing

  /** Makes progress; false when nothing more can be done with the bytes buffered. */
  #step(): boolean {
    switch (this.#mode) {
      case M_HEAD: {
        const r = this.#scanHead();
        if (r === HEAD_DONE) this.#headComplete();
        return r !== NEED_MORE;
      }
      case M_BODY:
        return this.#body();
      case M_CHUNKED:
        return this.#chunkedBody();
      case M_TRAILERS: {
        const r = this.#scanHead();
        if (r === HEAD_DONE) this.#trailersComplete();
        return r !== NEED_MORE;
      }
      case M_CLOSED:
        return this.#afterClose();
      case M_LENIENT:
        return this.#lenientStep();
      default:
        return false;
    }
  }

  /** A step of the lenient parser; once it stops, the filter carries on as after a strict request. */
  #lenientStep(): boolean {
    const p = this.#lenient!;
    const progress = p.step();
    const ended = p.ended;
    if (ended !== LENIENT_RUNNING) this.#mode = ended === LENIENT_CLOSED ? M_CLOSED : ended === LENIENT_UPGRADED ? M_UPGRADED : M_DEAD;
    return progress;
  }

  /**
   * Scans the head (or a trailer section) from where the last call stopped, one element at a
   * time: the loop dispatches on the state to a small method that reads one element (the
   * method, the target's path, a field name, a field value, ...) as far as the bytes go, sets
   * the state that follows it, and returns the position after what it read, or a verdict:
   * HEAD_DONE, or FAIL once it has queued an error response; the scan returns the verdict, or
   * NEED_MORE. Offsets are relative to the front of the queue, where the head starts.
   *
   * The methods stay small so that V8 inlines the hot ones into this loop; a method per
   * element rather than per byte class keeps the dispatches per field line at three.
   */
  #scanHead(): number {
    const q = this.#q;
    if (this.#state === H_START) {
      // Blank lines before a request are skipped (RFC 9112 2.2; llhttp and POE do too).
      while (q.length > 0 && (q.at(0) === CR || q.at(0) === LF)) q.consume(1);
    }
    const buf = q.view();
    const len = buf.length;
    const limit = this.maxHeaderSize;
    const end = len < limit ? len : limit;
    let pos = this.#pos;
    while (pos < end) {
      switch (this.#state) {
        case H_FIELD_START:
        case H_FIELD:
          pos = this.#readFieldName(buf, pos, end);
          break;
        case H_VALUE_WS:
        case H_VALUE:
          pos = this.#readFieldValue(buf, pos, end);
          break;
        case H_VALUE_LF:
          pos = this.#readFieldLineEnd(buf, pos);
          break;
        case H_END_LF:
          pos = this.#readHeadEnd(buf, pos);
          break;
        case H_START:
        case H_METHOD:
          pos = this.#readMethod(buf, pos, end);
          break;
        case H_SP_URL:
          pos = this.#readTargetStart(buf, pos, end);
          break;
        case H_PATH:
          pos = this.#readPath(buf, pos, end);
          break;
        case H_QUERY:
          pos = this.#readQuery(buf, pos, end);
          break;
        case H_FRAGMENT:
          pos = this.#readFragment(buf, pos, end);
          break;
        case H_SCHEMA:
          pos = this.#readScheme(buf, pos, end);
          break;
        case H_SLASH1:
        case H_SLASH2:
          pos = this.#readSchemeSlashes(buf, pos, end);
          break;
        case H_SERVER:
        case H_SERVER_AT:
          pos = this.#readAuthority(buf, pos, end);
          break;
        case H_URL_LF:
          pos = this.#readHttp09LineEnd(buf, pos);
          break;
        case H_SP_PROTO:
        case H_PROTO:
          pos = this.#readProtocol(buf, pos, end);
          break;
        case H_MAJOR:
        case H_DOT:
        case H_MINOR:
          pos = this.#readVersion(buf, pos, end);
          break;
        case H_LINE_CR:
        case H_LINE_LF:
          pos = this.#readLineEnd(buf, pos, end);
          break;
        default:
          pos = this.#fail(500, 'Parser state lost.');
      }
      if (pos < 0) return pos;
    }
    if (pos >= limit) {
      // The head would pass maxHeaderSize: 414 while still on the request line, else 431.
      const onLine = this.#state < H_FIELD_START && this.#mode !== M_TRAILERS;
      return this.#fail(onLine ? 414 : 431, `Request ${onLine ? 'line' : 'header block'} longer than ${limit} bytes.`);
    }
    this.#pos = pos;
    return NEED_MORE;
  }

  // The request line: method SP request-target SP HTTP-version CRLF (RFC 9112 3).

  /** The method, byte by byte down the trie, so a request fails at the first byte no method continues. */
  #readMethod(buf: Buffer, pos: number, end: number): number {
    let node = this.#state === H_START ? 0 : this.#methodNode;
    let c = 0;
    while (pos < end) {
      c = buf[pos]!;
      const sym = METHOD_SYMBOL[c]!;
      const next = sym < 0 ? 0 : METHOD_NEXT[node * 28 + sym]!;
      if (next === 0) break;
      node = next;
      pos++;
    }
    if (pos === end) {
      this.#methodNode = node;
      this.#state = H_METHOD;
      return pos;
    }
    if (c !== SP || METHOD_NAME[node] === '') return this.#badMethod(c, pos);
    this.#method = METHOD_NAME[node]!;
    this.#state = H_SP_URL;
    return pos + 1;
  }

  /** A token no known method starts with is a method not implemented; other bytes are junk. */
  #badMethod(c: number, pos: number): number {
    return this.#fail(TOKEN_CHARS[c] === 1 || (c === SP && pos > 0) ? 501 : 400, 'Bad request method.');
  }

  /**
   * Spaces, then the target's first byte: origin-form (`/`), asterisk-form (`*`) or
   * absolute-form (a scheme); CONNECT's target is an authority (host:port).
   */
  #readTargetStart(buf: Buffer, pos: number, end: number): number {
    while (pos < end && buf[pos] === SP) pos++;
    if (pos === end) return pos;
    this.#targetStart = pos;
    if (this.#method === 'CONNECT') {
      this.#state = H_SERVER;
      return pos;
    }
    const c = buf[pos]!;
    if (c === 0x2f || c === 0x2a) this.#state = H_PATH;
    else if (CLASS[c]! & C_ALPHA) this.#state = H_SCHEMA;
    else return this.#fail(400, 'Bad request target.');
    return pos + 1;
  }

  #readPath(buf: Buffer, pos: number, end: number): number {
    let c = 0;
    while (pos < end && CLASS[(c = buf[pos]!)]! & C_PATH) pos++;
    if (pos === end) return pos;
    if (c === 0x3f) this.#state = H_QUERY;
    else if (c === 0x23) this.#state = H_FRAGMENT;
    else return this.#endOfTarget(c, pos);
    return pos + 1;
  }

  #readQuery(buf: Buffer, pos: number, end: number): number {
    let c = 0;
    while (pos < end && CLASS[(c = buf[pos]!)]! & C_QUERY) pos++;
    if (pos === end) return pos;
    if (c !== 0x23) return this.#endOfTarget(c, pos);
    this.#state = H_FRAGMENT;
    return pos + 1;
  }

  #readFragment(buf: Buffer, pos: number, end: number): number {
    let c = 0;
    while (pos < end && CLASS[(c = buf[pos]!)]! & C_VCHAR) pos++;
    if (pos === end) return pos;
    return this.#endOfTarget(c, pos);
  }

  #readScheme(buf: Buffer, pos: number, end: number): number {
    let c = 0;
    while (pos < end && CLASS[(c = buf[pos]!)]! & C_ALPHA) pos++;
    if (pos === end) return pos;
    if (c !== 0x3a) return this.#fail(400, 'Bad request target.');
    this.#state = H_SLASH1;
    return pos + 1;
  }

  /** The `//` after `scheme:`. */
  #readSchemeSlashes(buf: Buffer, pos: number, end: number): number {
    let state = this.#state;
    while (pos < end && state !== H_SERVER) {
      if (buf[pos] !== 0x2f) return this.#fail(400, 'Bad request target.');
      state = state === H_SLASH1 ? H_SLASH2 : H_SERVER;
      pos++;
    }
    this.#state = state;
    return pos;
  }

  /** llhttp's authority: userinfo/host characters; one '@' at a time ("a@@b" fails). */
  #readAuthority(buf: Buffer, pos: number, end: number): number {
    let state = this.#state;
    let c = 0;
    for (; pos < end; pos++) {
      c = buf[pos]!;
      if (CLASS[c]! & C_SERVER) state = H_SERVER;
      else if (c !== 0x40) break;
      else if (state === H_SERVER_AT) return this.#fail(400, 'Bad request target.');
      else state = H_SERVER_AT;
    }
    this.#state = state;
    if (pos === end) return pos;
    if (c === 0x2f) this.#state = H_PATH;
    else if (c === 0x3f) this.#state = H_QUERY;
    else return this.#endOfTarget(c, pos);
    return pos + 1;
  }

  /**
   * Where a request-target ends: SP before the version, or CR for HTTP/0.9; any other byte
   * fails. A bare LF after the target fails too (llhttp 9.3, in Node 20, takes it as HTTP/0.9;
   * later llhttp versions refuse it, as every other bare LF).
   */
  #endOfTarget(c: number, pos: number): number {
    this.#targetEnd = pos;
    if (c === SP) this.#state = H_SP_PROTO;
    else if (c === CR) this.#state = H_URL_LF;
    else return this.#fail(400, c === LF ? 'Bare LF after the request target.' : 'Bad request target.');
    return pos + 1;
  }

  /** A request line without a version (HTTP/0.9, as POE and llhttp accept). */
  #readHttp09LineEnd(buf: Buffer, pos: number): number {
    if (buf[pos] !== LF) return this.#fail(400, 'Bad request line.');
    this.#proto = 'HTTP';
    this.#major = 0;
    this.#minor = 9;
    this.#state = H_FIELD_START;
    this.#lineStart = pos + 1;
    return pos + 1;
  }

  /** Spaces, then `HTTP`, `RTSP` or `ICE` up to the `/`. */
  #readProtocol(buf: Buffer, pos: number, end: number): number {
    if (this.#state === H_SP_PROTO) {
      while (pos < end && buf[pos] === SP) pos++;
      if (pos === end) return pos;
      this.#protoStart = pos;
      this.#state = H_PROTO;
    }
    const start = this.#protoStart;
    for (; pos < end; pos++) {
      const c = buf[pos]!;
      if (c === 0x2f) return this.#protocolName(buf, start, pos);
      if (pos - start >= 4 || !protoPrefix(c, pos - start)) return this.#fail(400, 'Bad protocol.');
    }
    return pos;
  }

  /** The protocol before the `/` at `pos`, each only with the methods llhttp allows with it. */
  #protocolName(buf: Buffer, start: number, pos: number): number {
    // HTTP without a string to build and compare.
    const http = pos - start === 4 && buf[start] === 0x48 && buf[start + 1] === 0x54 && buf[start + 2] === 0x54 && buf[start + 3] === 0x50;
    const proto = http ? 'HTTP' : latin1(buf, start, pos);
    if (proto !== 'HTTP' && proto !== 'RTSP' && proto !== 'ICE') return this.#fail(400, 'Bad protocol.');
    const method = this.#method;
    const ok = proto === 'HTTP' ? HTTP_METHODS.has(method) : proto === 'RTSP' ? RTSP_METHODS.has(method) : method === 'SOURCE';
    if (!ok) return this.#fail(400, `Method not allowed with ${proto}.`);
    this.#proto = proto;
    this.#state = H_MAJOR;
    return pos + 1;
  }

  /** `d.d` after the `/`. */
  #readVersion(buf: Buffer, pos: number, end: number): number {
    let state = this.#state;
    for (; pos < end; pos++) {
      const c = buf[pos]!;
      if (state === H_DOT) {
        if (c !== 0x2e) return this.#fail(400, 'Bad protocol version.');
        state = H_MINOR;
      } else if (c < 0x30 || c > 0x39) return this.#fail(400, 'Bad protocol version.');
      else if (state === H_MINOR) return this.#versionDone(c - 0x30, pos);
      else {
        this.#major = c - 0x30;
        state = H_DOT;
      }
    }
    this.#state = state;
    return pos;
  }

  /** The minor digit completes the version: only 0.9, 1.0, 1.1 and 2.0 are known (llhttp). */
  #versionDone(minor: number, pos: number): number {
    this.#minor = minor;
    const v = this.#major * 10 + minor;
    if (v !== 9 && v !== 10 && v !== 11 && v !== 20) return this.#fail(505, 'Protocol version not supported.');
    if (this.#method === 'PRI') return this.#fail(505, 'HTTP/2 is not supported.');
    this.#state = H_LINE_CR;
    return pos + 1;
  }

  /** The CRLF after the version. */
  #readLineEnd(buf: Buffer, pos: number, end: number): number {
    if (this.#state === H_LINE_CR) {
      if (buf[pos] !== CR) return this.#fail(400, 'Bad request line.');
      if (++pos === end) {
        this.#state = H_LINE_LF;
        return pos;
      }
    }
    if (buf[pos] !== LF) return this.#fail(400, 'Bad request line.');
    this.#state = H_FIELD_START;
    this.#lineStart = pos + 1;
    return pos + 1;
  }

  // Field lines: field-name ":" OWS field-value OWS CRLF (RFC 9112 5), then CRLF.

  /** A field name up to its colon; or, at the start of a line, the CR of the blank line. */
  #readFieldName(buf: Buffer, pos: number, end: number): number {
    let c = 0;
    if (this.#state === H_FIELD_START) {
      c = buf[pos]!;
      if (TOKEN_CHARS[c] !== 1) return this.#notFieldName(c, pos);
      this.#state = H_FIELD;
      pos++;
    }
    while (pos < end && TOKEN_CHARS[(c = buf[pos]!)] === 1) pos++;
    if (pos === end) return pos;
    // No whitespace between a field name and its colon (RFC 9112 5.1): request smuggling.
    if (c !== 0x3a) return this.#fail(400, 'Bad header name.');
    this.#nameEnd = pos;
    this.#state = H_VALUE_WS;
    return pos + 1;
  }

  /** A line that does not start with a name: the blank line's CR, or an error (obs-fold too). */
  #notFieldName(c: number, pos: number): number {
    if (c !== CR) return this.#fail(400, c === SP || c === HT ? 'Whitespace at the start of a header line.' : 'Bad header name.');
    this.#state = H_END_LF;
    return pos + 1;
  }

  /** Whitespace, then a field value up to its CR. */
  #readFieldValue(buf: Buffer, pos: number, end: number): number {
    let c = 0;
    if (this.#state === H_VALUE_WS) {
      while (pos < end && ((c = buf[pos]!) === SP || c === HT)) pos++;
      if (pos === end) return pos;
      this.#valueStart = pos;
      this.#state = H_VALUE;
    }
    while (pos < end && CLASS[(c = buf[pos]!)]! & C_VALUE) pos++;
    if (pos === end) return pos;
    if (c !== CR) return this.#fail(400, c === LF ? 'Bare LF in a header line.' : 'Bad character in a header value.');
    this.#valueEnd = pos;
    this.#state = H_VALUE_LF;
    return pos + 1;
  }

  /** The LF that completes a field line, which is checked now: a bad one fails at once. */
  #readFieldLineEnd(buf: Buffer, pos: number): number {
    if (buf[pos] !== LF) return this.#fail(400, 'Bare CR in a header line.');
    const err = this.#field(buf, this.#lineStart, this.#nameEnd, this.#valueStart, this.#valueEnd);
    if (err !== undefined) return this.#fieldFailed(buf, err);
    this.#state = H_FIELD_START;
    this.#lineStart = pos + 1;
    return pos + 1;
  }

  /**
   * A well-formed line that breaks the framing rules: the error carries the request so far, as
   * POE's does for a bad Content-Length.
   */
  #fieldFailed(buf: Buffer, err: [number, string]): number {
    return this.#fail(err[0], err[1], this.#mode === M_TRAILERS ? undefined : this.#requestSoFar(buf));
  }

  /** The LF of the blank line: the head (or trailer section) is complete. */
  #readHeadEnd(buf: Buffer, pos: number): number {
    if (buf[pos] !== LF) return this.#fail(400, 'Bare CR at the end of the header block.');
    this.#pos = pos + 1;
    this.#state = H_START;
    return HEAD_DONE;
  }

  /**
   * One complete field line: counts it and checks the fields that frame the message, as llhttp
   * does, so that a bad one fails as soon as its line is complete. Returns [status, reason]
   * for a bad request.
   */
  #field(buf: Buffer, nameStart: number, nameEnd: number, valueStart: number, rawEnd: number): [number, string] | undefined {
    let valueEnd = rawEnd;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) valueEnd--;
    const f = this.#fields;
    f.push(nameStart, nameEnd, valueStart, valueEnd);
    if (f.length > this.maxHeaders * 4) return [431, `More than ${this.maxHeaders} header lines.`];
    const n = nameEnd - nameStart;
    switch (n) {
      case 4:
        if (eqLower(buf, nameStart, 'host')) this.#hosts++;
        return undefined;
      case 6:
        if (eqLower(buf, nameStart, 'expect')) (this.#expect ??= []).push(latin1(buf, valueStart, valueEnd));
        return undefined;
      case 7:
        // An empty Upgrade value does not count (llhttp).
        if (eqLower(buf, nameStart, 'upgrade') && valueEnd > valueStart) this.#upgradeHeader = true;
        return undefined;
      case 10:
        if (eqLower(buf, nameStart, 'connection')) this.#connection(buf, valueStart, rawEnd);
        return undefined;
      case 14:
        if (!eqLower(buf, nameStart, 'content-length')) return undefined;
        if (this.#mode === M_TRAILERS) return [400, 'Content-Length in the trailer section.'];
        if (this.#te) return [400, 'Content-Length together with Transfer-Encoding.'];
        if (this.#contentLength >= 0) return [400, 'More than one Content-Length.'];
        this.#contentLength = parseLength(buf, valueStart, rawEnd);
        if (this.#contentLength < 0) return [400, 'Content-Length is not a number.'];
        return undefined;
      case 16:
        if (eqLower(buf, nameStart, 'proxy-connection')) this.#connection(buf, valueStart, rawEnd);
        return undefined;
      case 17:
        if (!eqLower(buf, nameStart, 'transfer-encoding')) return undefined;
        if (this.#mode === M_TRAILERS) return [400, 'Transfer-Encoding in the trailer section.'];
        if (this.#contentLength >= 0) return [400, 'Transfer-Encoding together with Content-Length.'];
        // An empty value codes nothing and is ignored, as llhttp 9.3 (Node 20) does.
        if (valueEnd === valueStart) return undefined;
        // Nothing may follow chunked, not even in another Transfer-Encoding line.
        if (this.#chunked) return [400, 'Transfer-Encoding after chunked.'];
        {
          const chunked = finalChunked(buf, valueStart, rawEnd);
          if (chunked < 0) return [400, 'Transfer-Encoding after chunked.'];
          this.#te = true;
          this.#chunked = chunked === 1;
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /** Connection tokens, llhttp's way: comma-separated, `close`/`keep-alive`/`upgrade` exactly. */
  #connection(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i <= end) {
      let j = i;
      while (j < end && buf[j] !== 0x2c) j++;
      let s = i;
      while (s < j && (buf[s] === SP || buf[s] === HT)) s++;
      let e = j;
      while (e > s && buf[e - 1] === SP) e--;
      const n = e - s;
      if (n === 5 && eqLower(buf, s, 'close')) this.#close = true;
      else if (n === 10 && eqLower(buf, s, 'keep-alive')) this.#keepAliveToken = true;
      else if (n === 7 && eqLower(buf, s, 'upgrade')) this.#upgradeToken = true;
      i = j + 1;
    }
  }

  // The head is complete: the request, an error, or a body to read.

  /** Checks what only the whole head can tell, then queues the request or reads its body. */
  #headComplete(): void {
    const q = this.#q;
    const major = this.#major;
    const minor = this.#minor;
    const request = this.#requestSoFar(q.view());
    q.consume(this.#pos);
    const contentLength = this.#contentLength;
    const chunked = this.#chunked;
    const te = this.#te;
    const hosts = this.#hosts;
    const expect = this.#expect;
    const upgrade = (this.#upgradeHeader && this.#upgradeToken) || request.method === 'CONNECT';
    this.#resetHead();

    // RFC 9112 6.1: a request whose Transfer-Encoding does not end in chunked has no length.
    if (te && !chunked) return void this.#fail(400, 'Transfer-Encoding does not end in chunked.', request);
    const v11 = major === 1 && minor === 1;
    if (this.requireHost && v11 && hosts === 0) {
      // RFC 9110 7.2 requires Host on every HTTP/1.1 request (Node skips its check for CONNECT
      // and upgrades).
      return void this.#fail(400, `HTTP/1.1 ${upgrade ? 'upgrade request' : 'request'} without a Host header.`, request);
    }
    if (v11 && expect !== undefined) {
      // Node's test: any 100-continue token; any other expectation is a 417.
      if (!/(?:^|\W)100-continue(?:$|\W)/i.test(expect.join(', '))) {
        return void this.#fail(417, 'Unsupported expectation.', request);
      }
      request.expectContinue = true;
    }
    request.chunked = chunked;
    request.keepAlive = this.#keepAlive(major, minor);
    request.upgrade = upgrade;
    const hasBody = chunked || contentLength > 0;

    // What follows CONNECT is the tunnel's, whatever its head said of a body.
    if (!hasBody || request.method === 'CONNECT') {
      this.#out.push(request);
      this.#messageDone(request);
      return;
    }
    if (!chunked && !this.streaming && contentLength > this.maxContent) {
      return void this.#fail(413, `Content of ${contentLength} octets not accepted.`, request);
    }
    this.#request = request;
    if (this.streaming) this.#out.push(request);
    else if (this.expectContinue && request.expectContinue) {
      const interim = new HttpResponse(100, 'Continue');
      interim.protocol = 'HTTP/1.1';
      interim.request = request;
      this.#out.push(interim);
    }
    if (chunked) {
      this.#mode = M_CHUNKED;
      this.#chunks.reset();
      this.#parts = [];
      this.#bodySize = 0;
    } else {
      this.#mode = M_BODY;
      this.#remaining = contentLength;
    }
  }

  /** A request from the request line and the field lines scanned so far. */
  #requestSoFar(buf: Buffer): HttpRequest {
    const target = latin1(buf, this.#targetStart, this.#targetEnd);
    const request = new HttpRequest(this.#method, collapseSlashes(target), this.#fieldLines(buf));
    request.target = target;
    request.protocol = protocolName(this.#proto, this.#major, this.#minor);
    return request;
  }

  /**
   * The field lines scanned so far (the head's, or the trailer section's), taken as they are:
   * the scanner has checked every name and value.
   */
  #fieldLines(buf: Buffer): HttpHeaders {
    const f = this.#fields;
    const names: string[] = new Array<string>(f.length >> 2);
    const values: string[] = new Array<string>(f.length >> 2);
    for (let i = 0, k = 0; i < f.length; i += 4, k++) {
      names[k] = latin1(buf, f[i]!, f[i + 1]!);
      values[k] = latin1(buf, f[i + 2]!, f[i + 3]!);
    }
    return trustedHeaders(names, values);
  }

  /** llhttp's keep-alive rule (llhttp_should_keep_alive). */
  #keepAlive(major: number, minor: number): boolean {
    return major > 0 && minor > 0 ? !this.#close : this.#keepAliveToken;
  }

  #resetHead(): void {
    this.#pos = 0;
    this.#state = H_START;
    this.#fields.length = 0;
    this.#contentLength = -1;
    this.#te = false;
    this.#chunked = false;
    this.#hosts = 0;
    this.#expect = undefined;
    this.#upgradeHeader = false;
    // Connection tokens outlive the head: trailers may add to them (llhttp).
  }

  /**
   * After a complete request: next request, closed connection, or another protocol. The head
   * scanner was reset when the head (or trailer section) was complete.
   */
  #messageDone(request: HttpRequest): void {
    this.#request = undefined;
    this.#parts = [];
    const close = !request.keepAlive;
    this.#close = false;
    this.#keepAliveToken = false;
    this.#upgradeToken = false;
    if (request.upgrade) this.#mode = M_UPGRADED;
    else this.#mode = close ? M_CLOSED : M_HEAD;
  }

  // Bodies, and what follows a request.

  /** A Content-Length body. */
  #body(): boolean {
    const q = this.#q;
    const request = this.#request!;
    if (this.streaming) {
      if (q.length === 0) return false;
      const n = Math.min(q.length, this.#remaining);
      this.#out.push(q.copy(0, n));
      q.consume(n);
      this.#remaining -= n;
      if (this.#remaining === 0) this.#messageDone(request);
      return true;
    }
    if (q.length < this.#remaining) return false;
    request.content = q.copy(0, this.#remaining);
    q.consume(this.#remaining);
    this.#out.push(request);
    this.#messageDone(request);
    return true;
  }

  /**
   * A chunked body: the scanner reads its framing (drop it), finds its data (keep it), and
   * its end, where a trailer section follows, read like the header block.
   */
  #chunkedBody(): boolean {
    const q = this.#q;
    const chunks = this.#chunks;
    const buf = q.view();
    const verdict = chunks.scan(buf, 0, buf.length);
    if (verdict === CHUNK_BAD) return this.#failed(chunks.status, chunks.reason);
    q.consume(chunks.at);
    if (verdict === CHUNK_DATA) return this.#chunkData(chunks);
    if (verdict === CHUNK_LAST) {
      this.#mode = M_TRAILERS;
      this.#state = H_FIELD_START;
      this.#pos = 0;
      this.#lineStart = 0;
      this.#fields.length = 0;
    }
    return verdict !== CHUNK_MORE;
  }

  /** As much of a chunk's data as has arrived. */
  #chunkData(chunks: ChunkScanner): boolean {
    const q = this.#q;
    const n = Math.min(q.length, chunks.remaining);
    const data = q.copy(0, n);
    chunks.took(n);
    q.consume(n);
    if (this.streaming) {
      this.#out.push(data);
      return true;
    }
    this.#bodySize += n;
    if (this.#bodySize > this.maxContent) return this.#failed(413, `Content of more than ${this.maxContent} octets not accepted.`);
    this.#parts.push(data);
    return true;
  }

  /** The trailer section is complete, and with it the request. */
  #trailersComplete(): void {
    const q = this.#q;
    const trailers = this.#fieldLines(q.view());
    q.consume(this.#pos);
    this.#resetHead();
    const request = this.#request!;
    request.trailers = trailers;
    request.keepAlive = this.#keepAlive(request.versionMajor, request.versionMinor);
    if (this.streaming) this.#out.push(EMPTY);
    else {
      request.content = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bodySize);
      this.#out.push(request);
    }
    this.#messageDone(request);
  }

  /** After a request that closes the connection: blank lines are ignored, anything else is a 400. */
  #afterClose(): boolean {
    const q = this.#q;
    while (q.length > 0) {
      const c = q.at(0);
      if (c !== CR && c !== LF) return this.#failed(400, 'Data after a request that closes the connection.');
      q.consume(1);
    }
    return false;
  }

  /** Queues an error response and stops: the connection is to close after it. */
  #fail(status: number, details: string, request?: HttpRequest): number {
    this.#out.push(errorResponse(status, details, request ?? this.#request));
    this.#mode = M_DEAD;
    this.#q.clear();
    this.#request = undefined;
    this.#parts = [];
    this.#fields = [];
    return FAIL;
  }

  #failed(status: number, details: string): boolean {
    this.#fail(status, details);
    return true;
  }
}

