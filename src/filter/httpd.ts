import { PoeArgumentError, describe } from '../errors.js';
import { HttpHeaders, TOKEN_CHARS, trustedHeaders } from '../http/headers.js';
import { HttpRequest } from '../http/request.js';
import { HttpResponse } from '../http/response.js';
import { errorResponse, serializeResponse } from '../http/serialize.js';
import {
  CLASS, CR, C_ALPHA, C_PATH, C_QDTEXT, C_QUERY, C_SERVER, C_VALUE, C_VCHAR, HEX, HT, HTTP_METHODS, LF, METHOD_NAME,
  METHOD_NEXT, METHOD_SYMBOL, RTSP_METHODS, SP, eqLower, finalChunked, latin1, parseLength, protoPrefix, protocolName,
} from '../http/syntax.js';
import { ByteQueue, DEFAULT_MAX_BUFFER, checkOptions, expectArray, positiveInt, toBuffer } from './bytes.js';
import { FilterBase, FilterLimitError } from './filter.js';

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
   * @default true
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
}

/** What the HTTPD filter's `get` returns: requests, error (or interim) responses, body pieces. */
export type HTTPDRecord = HttpRequest | HttpResponse | Buffer;

const KNOWN = ['maxContent', 'maxHeaderSize', 'maxHeaders', 'maxBuffer', 'streaming', 'requireHost', 'expectContinue', 'now'] as const;

// Head (and trailer section) scanner states.
const H_START = 0;
const H_METHOD = 1;
const H_SP_URL = 2;
const H_URL_START = 3;
const H_SCHEMA = 4;
const H_SLASH1 = 5;
const H_SLASH2 = 6;
const H_SERVER = 7;
const H_SERVER_AT = 8;
const H_PATH = 9;
const H_QUERY = 10;
const H_FRAGMENT = 11;
const H_URL_LF = 12;
const H_SP_PROTO = 13;
const H_PROTO = 14;
const H_MAJOR = 15;
const H_DOT = 16;
const H_MINOR = 17;
const H_LINE_CR = 18;
const H_LINE_LF = 19;
const H_FIELD_START = 20;
const H_FIELD = 21;
const H_VALUE_WS = 22;
const H_VALUE = 23;
const H_VALUE_LF = 24;
const H_END_LF = 25;

// Chunked body states.
const K_SIZE_START = 0;
const K_SIZE = 1;
const K_EXT = 2;
const K_EXT_NAME = 3;
const K_EXT_VALUE = 4;
const K_EXT_QUOTED = 5;
const K_EXT_PAIR = 6;
const K_EXT_DONE = 7;
const K_SIZE_LF = 8;
const K_DATA = 9;
const K_DATA_CR = 10;
const K_DATA_LF = 11;

// What the filter is doing.
const M_HEAD = 0; // reading a request head
const M_BODY = 1; // reading a Content-Length body
const M_CHUNKED = 2; // reading a chunked body
const M_TRAILERS = 3; // reading the trailer section of a chunked body
const M_CLOSED = 4; // after a request that does not keep the connection alive
const M_UPGRADED = 5; // after an upgrade: the rest belongs to another protocol
const M_DEAD = 6; // after an error response: everything is discarded

/** Scanner results. */
const NEED_MORE = 0;
const COMPLETE = 1;
const FAILED = 2;

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
 * The request head is scanned byte by byte in one pass, resuming where the last read stopped
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

  readonly #options: HTTPDOptions;
  readonly #now: () => number;
  readonly #q = new ByteQueue();
  readonly #out: HTTPDRecord[] = [];
  #mode = M_HEAD;

  // head scanner
  #state = H_START;
  #pos = 0;
  #trailing = false;
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
  #remaining = 0;
  #parts: Buffer[] = [];
  #bodySize = 0;
  #kstate = K_SIZE_START;
  #chunkSize = 0;
  #sizeDigits = 0;
  #extBytes = 0;

  constructor(options?: HTTPDOptions) {
    super();
    const o = checkOptions<HTTPDOptions>('HTTPD', options, KNOWN);
    this.#options = { ...o };
    this.maxContent = positiveInt('maxContent', o.maxContent, 1024 * 1024);
    this.maxHeaderSize = positiveInt('maxHeaderSize', o.maxHeaderSize, 16 * 1024);
    this.maxHeaders = positiveInt('maxHeaders', o.maxHeaders, 100);
    this.maxBuffer = positiveInt('maxBuffer', o.maxBuffer, DEFAULT_MAX_BUFFER);
    this.streaming = boolOption('streaming', o.streaming, false);
    this.requireHost = boolOption('requireHost', o.requireHost, true);
    this.expectContinue = boolOption('expectContinue', o.expectContinue, false);
    if (o.now !== undefined && typeof o.now !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`now\` to be a function, got ${describe(o.now)}`);
    }
    this.#now = o.now ?? Date.now;
    if (this.maxBuffer < this.maxContent + String(this.maxContent).length + 1) {
      throw new PoeArgumentError(
        'ERR_POE_INVALID_ARGUMENT',
        `HTTPD: \`maxBuffer\` (${this.maxBuffer}) is not large enough for \`maxContent\` (${this.maxContent})`,
      );
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
        if (r === COMPLETE) this.#headComplete();
        return r !== NEED_MORE;
      }
      case M_BODY:
        return this.#body();
      case M_CHUNKED:
        return this.#chunkedBody();
      case M_TRAILERS: {
        const r = this.#scanHead();
        if (r === COMPLETE) this.#trailersComplete();
        return r !== NEED_MORE;
      }
      case M_CLOSED:
        return this.#afterClose();
      default:
        return false;
    }
  }

  /**
   * Scans the head (or a trailer section) from where the last call stopped. Offsets are
   * relative to the front of the queue, where the head starts.
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
    let pos = this.#pos;
    let state = this.#state;
    const end = len < limit ? len : limit;

    while (pos < end) {
      let c = buf[pos]!;
      switch (state) {
        case H_START:
          this.#methodNode = 0;
          state = H_METHOD;
          break;

        case H_METHOD: {
          let node = this.#methodNode;
          while (pos < end) {
            c = buf[pos]!;
            const sym = METHOD_SYMBOL[c]!;
            const next = sym < 0 ? 0 : METHOD_NEXT[node * 28 + sym]!;
            if (next === 0) break;
            node = next;
            pos++;
          }
          this.#methodNode = node;
          if (pos === end) break;
          // A token no known method starts with is a method not implemented; other bytes are junk.
          if (c !== SP || METHOD_NAME[node] === '') return this.#fail(TOKEN_CHARS[c] === 1 || (c === SP && pos > 0) ? 501 : 400, 'Bad request method.');
          this.#method = METHOD_NAME[node]!;
          state = H_SP_URL;
          pos++;
          break;
        }

        case H_SP_URL:
          if (c === SP) {
            pos++;
            break;
          }
          this.#targetStart = pos;
          // CONNECT's target is an authority (host:port).
          state = this.#method === 'CONNECT' ? H_SERVER : H_URL_START;
          break;

        case H_URL_START:
          if (c === 0x2f || c === 0x2a) state = H_PATH; // '/' or '*'
          else if (CLASS[c]! & C_ALPHA) state = H_SCHEMA;
          else return this.#fail(400, 'Bad request target.');
          pos++;
          break;

        case H_SCHEMA:
          if (CLASS[c]! & C_ALPHA) pos++;
          else if (c === 0x3a) {
            state = H_SLASH1;
            pos++;
          } else return this.#fail(400, 'Bad request target.');
          break;

        case H_SLASH1:
        case H_SLASH2:
          if (c !== 0x2f) return this.#fail(400, 'Bad request target.');
          state = state === H_SLASH1 ? H_SLASH2 : H_SERVER;
          pos++;
          break;

        case H_SERVER:
        case H_SERVER_AT:
          // llhttp's authority: userinfo/host characters; one '@' at a time ("a@@b" fails).
          if (CLASS[c]! & C_SERVER) state = H_SERVER;
          else if (c === 0x40) {
            if (state === H_SERVER_AT) return this.#fail(400, 'Bad request target.');
            state = H_SERVER_AT;
          } else if (c === 0x2f) state = H_PATH;
          else if (c === 0x3f) state = H_QUERY;
          else {
            const next = this.#urlEnd(c, pos);
            if (next < 0) return this.#fail(400, c === LF ? 'Bare LF after the request target.' : 'Bad request target.');
            state = next;
          }
          pos++;
          break;

        case H_PATH:
        case H_QUERY:
        case H_FRAGMENT: {
          const cls = state === H_PATH ? C_PATH : state === H_QUERY ? C_QUERY : C_VCHAR;
          while (pos < end && CLASS[(c = buf[pos]!)]! & cls) pos++;
          if (pos === end) break;
          if (c === 0x3f && state === H_PATH) state = H_QUERY;
          else if (c === 0x23) state = H_FRAGMENT;
          else {
            const next = this.#urlEnd(c, pos);
            if (next < 0) return this.#fail(400, c === LF ? 'Bare LF after the request target.' : 'Bad request target.');
            state = next;
          }
          pos++;
          break;
        }

        case H_URL_LF:
          // A request line without a version (HTTP/0.9, as POE and llhttp accept).
          if (c !== LF) return this.#fail(400, 'Bad request line.');
          this.#proto = 'HTTP';
          this.#major = 0;
          this.#minor = 9;
          state = H_FIELD_START;
          pos++;
          this.#lineStart = pos;
          break;

        case H_SP_PROTO:
          if (c === SP) {
            pos++;
            break;
          }
          this.#protoStart = pos;
          state = H_PROTO;
          break;

        case H_PROTO: {
          const n = pos - this.#protoStart;
          if (c === 0x2f) {
            const proto = latin1(buf, this.#protoStart, pos);
            if (proto !== 'HTTP' && proto !== 'RTSP' && proto !== 'ICE') return this.#fail(400, 'Bad protocol.');
            const ok =
              proto === 'HTTP' ? HTTP_METHODS.has(this.#method) : proto === 'RTSP' ? RTSP_METHODS.has(this.#method) : this.#method === 'SOURCE';
            if (!ok) return this.#fail(400, `Method not allowed with ${proto}.`);
            this.#proto = proto;
            state = H_MAJOR;
          } else if (n >= 4 || !protoPrefix(c, n)) return this.#fail(400, 'Bad protocol.');
          pos++;
          break;
        }

        case H_MAJOR:
        case H_MINOR: {
          if (c < 0x30 || c > 0x39) return this.#fail(400, 'Bad protocol version.');
          if (state === H_MAJOR) {
            this.#major = c - 0x30;
            state = H_DOT;
          } else {
            this.#minor = c - 0x30;
            const v = this.#major * 10 + this.#minor;
            if (v !== 9 && v !== 10 && v !== 11 && v !== 20) return this.#fail(505, 'Protocol version not supported.');
            if (this.#method === 'PRI') return this.#fail(505, 'HTTP/2 is not supported.');
            state = H_LINE_CR;
          }
          pos++;
          break;
        }

        case H_DOT:
          if (c !== 0x2e) return this.#fail(400, 'Bad protocol version.');
          state = H_MINOR;
          pos++;
          break;

        case H_LINE_CR:
          if (c !== CR) return this.#fail(400, 'Bad request line.');
          state = H_LINE_LF;
          pos++;
          break;

        case H_LINE_LF:
          if (c !== LF) return this.#fail(400, 'Bad request line.');
          state = H_FIELD_START;
          pos++;
          this.#lineStart = pos;
          break;

        case H_FIELD_START:
          if (c === CR) state = H_END_LF;
          else if (TOKEN_CHARS[c] === 1) state = H_FIELD;
          else return this.#fail(400, c === SP || c === HT ? 'Whitespace at the start of a header line.' : 'Bad header name.');
          pos++;
          break;

        case H_FIELD:
          while (pos < end && TOKEN_CHARS[(c = buf[pos]!)] === 1) pos++;
          if (pos === end) break;
          // No whitespace between a field name and its colon (RFC 9112 5.1): request smuggling.
          if (c !== 0x3a) return this.#fail(400, 'Bad header name.');
          this.#nameEnd = pos;
          state = H_VALUE_WS;
          pos++;
          break;

        case H_VALUE_WS:
          if (c === SP || c === HT) {
            pos++;
            break;
          }
          this.#valueStart = pos;
          if (c === CR) {
            this.#valueEnd = pos;
            state = H_VALUE_LF;
            pos++;
            break;
          }
          state = H_VALUE;
          break;

        case H_VALUE:
          while (pos < end && CLASS[(c = buf[pos]!)]! & C_VALUE) pos++;
          if (pos === end) break;
          if (c !== CR) return this.#fail(400, c === LF ? 'Bare LF in a header line.' : 'Bad character in a header value.');
          this.#valueEnd = pos;
          state = H_VALUE_LF;
          pos++;
          break;

        case H_VALUE_LF: {
          if (c !== LF) return this.#fail(400, 'Bare CR in a header line.');
          pos++;
          // A line that starts with SP or HTAB after this one (obs-fold) fails in H_FIELD_START.
          const err = this.#field(buf, this.#lineStart, this.#nameEnd, this.#valueStart, this.#valueEnd);
          // A well-formed line that breaks the framing rules: the error carries the request so
          // far, as POE's does for a bad Content-Length.
          if (err !== undefined) return this.#fail(err[0], err[1], this.#trailing ? undefined : this.#requestSoFar(buf));
          state = H_FIELD_START;
          this.#lineStart = pos;
          break;
        }

        case H_END_LF:
          if (c !== LF) return this.#fail(400, 'Bare CR at the end of the header block.');
          this.#pos = pos + 1;
          this.#state = H_START;
          return COMPLETE;

        default:
          return this.#fail(500, 'Parser state lost.');
      }
    }
    if (pos >= limit) {
      // The head would pass maxHeaderSize: 414 while still on the request line, else 431.
      const onLine = state < H_FIELD_START && !this.#trailing;
      return this.#fail(onLine ? 414 : 431, `Request ${onLine ? 'line' : 'header block'} longer than ${limit} bytes.`);
    }
    return this.#pause(pos, state);
  }

  #pause(pos: number, state: number): number {
    this.#pos = pos;
    this.#state = state;
    return NEED_MORE;
  }

  /**
   * Where a request-target ends: SP before the version, or CR for HTTP/0.9; -1 for a bad byte.
   * A bare LF after the target fails too (llhttp 9.3, in Node 20, takes it as HTTP/0.9; later
   * llhttp versions refuse it, as every other bare LF).
   */
  #urlEnd(c: number, pos: number): number {
    this.#targetEnd = pos;
    if (c === SP) return H_SP_PROTO;
    if (c === CR) return H_URL_LF;
    return -1;
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
        if (this.#trailing) return [400, 'Content-Length in the trailer section.'];
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
        if (this.#trailing) return [400, 'Transfer-Encoding in the trailer section.'];
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
    const upgradeHeader = this.#upgradeHeader;
    this.#resetHead();

    // RFC 9112 6.1: a request whose Transfer-Encoding does not end in chunked has no length.
    if (te && !chunked) return void this.#fail(400, 'Transfer-Encoding does not end in chunked.', request);
    const v11 = major === 1 && minor === 1;
    if (this.requireHost && v11 && hosts === 0) {
      // RFC 9110 7.2 requires Host on every HTTP/1.1 request (Node skips its check for CONNECT
      // and upgrades).
      const what = (upgradeHeader && this.#upgradeToken) || request.method === 'CONNECT' ? 'upgrade request' : 'request';
      return void this.#fail(400, `HTTP/1.1 ${what} without a Host header.`, request);
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
    request.upgrade = (upgradeHeader && this.#upgradeToken) || request.method === 'CONNECT';
    const hasBody = chunked || contentLength > 0;

    if (!hasBody || (request.upgrade && request.method === 'CONNECT')) {
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
      this.#kstate = K_SIZE_START;
      this.#parts = [];
      this.#bodySize = 0;
      this.#extBytes = 0;
      this.#pos = 0;
    } else {
      this.#mode = M_BODY;
      this.#remaining = contentLength;
    }
  }

  /** A request from the request line and the field lines scanned so far. */
  #requestSoFar(buf: Buffer): HttpRequest {
    const f = this.#fields;
    const names: string[] = new Array<string>(f.length >> 2);
    const values: string[] = new Array<string>(f.length >> 2);
    for (let i = 0, k = 0; i < f.length; i += 4, k++) {
      names[k] = latin1(buf, f[i]!, f[i + 1]!);
      values[k] = latin1(buf, f[i + 2]!, f[i + 3]!);
    }
    const target = latin1(buf, this.#targetStart, this.#targetEnd);
    const request = new HttpRequest(this.#method, collapseSlashes(target), trustedHeaders(names, values));
    request.target = target;
    request.protocol = protocolName(this.#proto, this.#major, this.#minor);
    return request;
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

  /** After a complete request: next request, closed connection, or another protocol. */
  #messageDone(request: HttpRequest): void {
    this.#request = undefined;
    this.#parts = [];
    const close = !request.keepAlive;
    this.#close = false;
    this.#keepAliveToken = false;
    this.#upgradeToken = false;
    this.#trailing = false;
    this.#pos = 0;
    this.#state = H_START;
    if (request.upgrade) this.#mode = M_UPGRADED;
    else this.#mode = close ? M_CLOSED : M_HEAD;
  }

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

  /** A chunked body (RFC 9112 7.1), with llhttp's strictness on sizes, extensions and CRLFs. */
  #chunkedBody(): boolean {
    const q = this.#q;
    const buf = q.view();
    const len = buf.length;
    let pos = this.#pos;
    let k = this.#kstate;
    while (pos < len) {
      const c = buf[pos]!;
      switch (k) {
        case K_SIZE_START:
        case K_SIZE: {
          const d = HEX[c]!;
          if (d >= 0) {
            if (k === K_SIZE_START) this.#sizeDigits = 0;
            const size = (k === K_SIZE_START ? 0 : this.#chunkSize) * 16 + d;
            // llhttp's limit is 64 bits; past 2^53 the size is approximate, and no limit or
            // lifetime lets such a chunk complete anyway.
            if (size > 0 && ++this.#sizeDigits > 16) return this.#failed(400, 'Chunk size overflow.');
            this.#chunkSize = size;
            k = K_SIZE;
          } else if (k === K_SIZE_START) return this.#failed(400, 'Bad chunk size.');
          else if (c === CR) k = K_SIZE_LF;
          else if (c === 0x3b) k = K_EXT;
          else return this.#failed(400, 'Bad chunk size.');
          pos++;
          break;
        }
        case K_EXT:
          if (c === SP || c === CR) return this.#failed(400, 'Bad chunk extension.');
          k = K_EXT_NAME;
          break;
        case K_EXT_NAME:
        case K_EXT_VALUE:
          if (c === CR) k = K_SIZE_LF;
          else if (c === 0x3b) k = K_EXT;
          else if (k === K_EXT_NAME && c === 0x3d) k = K_EXT_VALUE;
          else if (k === K_EXT_VALUE && c === 0x22) k = K_EXT_QUOTED;
          else if (TOKEN_CHARS[c] !== 1) return this.#failed(400, 'Bad chunk extension.');
          pos++;
          if (++this.#extBytes > this.maxHeaderSize) return this.#failed(413, 'Chunk extensions too long.');
          break;
        case K_EXT_QUOTED:
          if (c === 0x22) k = K_EXT_DONE;
          else if (c === 0x5c) k = K_EXT_PAIR;
          else if (!(CLASS[c]! & C_QDTEXT)) return this.#failed(400, 'Bad chunk extension.');
          pos++;
          if (++this.#extBytes > this.maxHeaderSize) return this.#failed(413, 'Chunk extensions too long.');
          break;
        case K_EXT_PAIR:
          if (!(CLASS[c]! & C_VALUE)) return this.#failed(400, 'Bad chunk extension.');
          k = K_EXT_QUOTED;
          pos++;
          break;
        case K_EXT_DONE:
          if (c === 0x3b) k = K_EXT;
          else if (c === CR) k = K_SIZE_LF;
          else return this.#failed(400, 'Bad chunk extension.');
          pos++;
          break;
        case K_SIZE_LF:
          if (c !== LF) return this.#failed(400, 'Bare CR after a chunk size.');
          pos++;
          q.consume(pos);
          this.#pos = 0;
          if (this.#chunkSize === 0) {
            // The last chunk: a trailer section follows, parsed like the header block.
            this.#mode = M_TRAILERS;
            this.#trailing = true;
            this.#state = H_FIELD_START;
            this.#lineStart = 0;
            this.#fields.length = 0;
            this.#kstate = K_SIZE_START;
            return true;
          }
          this.#remaining = this.#chunkSize;
          this.#chunkSize = 0;
          this.#kstate = K_DATA;
          return true;
        case K_DATA: {
          const n = Math.min(len - pos, this.#remaining);
          const data = q.copy(pos, pos + n);
          this.#remaining -= n;
          q.consume(pos + n);
          this.#pos = 0;
          if (this.#remaining === 0) this.#kstate = K_DATA_CR;
          if (this.streaming) {
            this.#out.push(data);
            return true;
          }
          this.#bodySize += n;
          if (this.#bodySize > this.maxContent) return this.#failed(413, `Content of more than ${this.maxContent} octets not accepted.`);
          this.#parts.push(data);
          return true;
        }
        case K_DATA_CR:
          if (c !== CR) return this.#failed(400, 'Chunk data longer than its size.');
          k = K_DATA_LF;
          pos++;
          break;
        case K_DATA_LF:
          if (c !== LF) return this.#failed(400, 'Bare CR after chunk data.');
          k = K_SIZE_START;
          this.#chunkSize = 0;
          this.#extBytes = 0;
          pos++;
          break;
        default:
          return this.#failed(500, 'Parser state lost.');
      }
    }
    // Nothing in a chunk-size line or CRLF needs keeping: drop it as it is scanned.
    q.consume(pos);
    this.#pos = 0;
    this.#kstate = k;
    return false;
  }

  #trailersComplete(): void {
    const q = this.#q;
    const buf = q.view();
    const f = this.#fields;
    const trailers = new HttpHeaders();
    for (let i = 0; i < f.length; i += 4) {
      trailers.pushHeader(latin1(buf, f[i]!, f[i + 1]!), latin1(buf, f[i + 2]!, f[i + 3]!));
    }
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
    return FAILED;
  }

  #failed(status: number, details: string): boolean {
    this.#fail(status, details);
    return true;
  }
}

function boolOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** POE collapses a leading `//+` in the request-target to `/`. */
function collapseSlashes(target: string): string {
  if (target.charCodeAt(0) !== 0x2f || target.charCodeAt(1) !== 0x2f) return target;
  let i = 2;
  while (target.charCodeAt(i) === 0x2f) i++;
  return `/${target.slice(i)}`;
}
