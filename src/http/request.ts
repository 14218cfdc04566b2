import { PoeArgumentError, describe } from '../errors.js';
import { HttpHeaders } from './headers.js';
import type { HeaderValue, HeadersInit } from './headers.js';

/** Content as the setters take it: bytes, or a string stored as UTF-8. */
export type ContentInit = string | Buffer | Uint8Array;

const EMPTY = Buffer.alloc(0);

/** Bytes of a content value; strings become UTF-8. */
export function contentBytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return value.length === 0 ? EMPTY : Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value === undefined || value === null) return EMPTY;
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${what} to be a string, a Buffer or a Uint8Array, got ${describe(value)}`);
}

/** The media type of a Content-Type value, lower-cased, parameters removed (HTTP::Headers's rule). */
export function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/**
 * An HTTP request: what the HTTPD filter's `get` returns for each request it parses.
 *
 * POE: `HTTP::Request`. The mapping:
 * - `$r->method`, `$r->protocol` -> `r.method`, `r.protocol`;
 * - `$r->uri` -> `r.uri`, the request-target as a string with a leading `//+` collapsed to
 *   `/` as POE::Filter::HTTPD does (HTTP::Request holds a URI object); `r.target` is the
 *   request-target exactly as sent;
 * - `$r->header($name)` -> `r.header(name)` (case-insensitive, repeated lines joined by ", ");
 *   `$r->header_field_names` -> `r.headerFieldNames()`; `$r->headers` -> `r.headers`;
 * - `$r->content` -> `r.content` (a Buffer: HTTP::Message content is bytes) or `r.contentText`
 *   (UTF-8 decoded); `$r->content($bytes)` -> `r.content = bytes`;
 * - `$r->content_type`, `$r->content_length` -> `r.contentType`, `r.contentLength`.
 *
 * Beyond POE, the filter fills in what a keep-alive server needs: `keepAlive`,
 * `expectContinue`, `upgrade`, `chunked` and `trailers`.
 */
export class HttpRequest {
  /** The method, e.g. `GET`. POE: `$r->method`. */
  method: string;
  /** The request-target, leading `//+` collapsed to `/` (POE's rule). POE: `$r->uri`. */
  uri: string;
  /** The request-target exactly as the request line carried it. */
  target: string;
  /**
   * The protocol of the request line, e.g. `HTTP/1.1`; `HTTP/0.9` when the line had none.
   * POE: `$r->protocol`.
   * @default 'HTTP/1.1' for a request built by hand
   */
  protocol: string;
  /** The header field lines. POE: `$r->headers`. */
  headers: HttpHeaders;
  /** Trailer fields of a chunked body (an empty list when it had none); `undefined` otherwise. */
  trailers: HttpHeaders | undefined = undefined;
  /**
   * Whether the connection may carry another request after this one: HTTP/1.1 unless
   * `Connection: close`, HTTP/1.0 (and 0.9) only with `Connection: keep-alive` (llhttp's rule).
   * The HTTPD filter stops parsing after a request whose `keepAlive` is false.
   */
  keepAlive = false;
  /** The request asked for `100 Continue` before sending its body (HTTP/1.1 `Expect: 100-continue`). */
  expectContinue = false;
  /**
   * The request switches protocols (`Connection: upgrade` with `Upgrade`, or CONNECT): the
   * bytes after it belong to the new protocol and stay in the filter's `getPending()`.
   */
  upgrade = false;
  /** The body came with chunked transfer coding. */
  chunked = false;
  #content: Buffer;

  /**
   * POE: `HTTP::Request->new($method, $uri, $headers, $content)`.
   */
  constructor(method: string, uri: string, headers?: HttpHeaders | HeadersInit, content?: ContentInit) {
    if (typeof method !== 'string' || method.length === 0) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`method\` to be a non-empty string, got ${describe(method)}`);
    }
    if (typeof uri !== 'string') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`uri\` to be a string, got ${describe(uri)}`);
    }
    this.method = method;
    this.uri = uri;
    this.target = uri;
    this.protocol = 'HTTP/1.1';
    this.headers = headers instanceof HttpHeaders ? headers : new HttpHeaders(headers);
    this.#content = contentBytes(content, '`content`');
  }

  /** The body bytes. POE: `$r->content`; assign a string (stored as UTF-8) or bytes to set it. */
  get content(): Buffer {
    return this.#content;
  }
  set content(value: ContentInit) {
    this.#content = contentBytes(value, '`content`');
  }

  /** The body decoded as UTF-8. POE: `$r->decoded_content` for a UTF-8 body. */
  get contentText(): string {
    return this.#content.toString('utf8');
  }

  /** The media type of Content-Type, lower-cased, without parameters. POE: `$r->content_type`. */
  get contentType(): string | undefined {
    return mediaType(this.headers.header('content-type'));
  }
  set contentType(value: string) {
    this.headers.header('Content-Type', value);
  }

  /** Content-Length as a number, when present and a number. POE: `$r->content_length`. */
  get contentLength(): number | undefined {
    const v = this.headers.header('content-length');
    if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
    return Number(v);
  }

  /** Major version of `protocol` (1 for `HTTP/1.1`). */
  get versionMajor(): number {
    return versionOf(this.protocol)[0];
  }
  /** Minor version of `protocol` (1 for `HTTP/1.1`). */
  get versionMinor(): number {
    return versionOf(this.protocol)[1];
  }

  /** Header value (any case; repeats joined by ", "), or set it. POE: `$r->header(...)`. */
  header(name: string, value?: HeaderValue): string | undefined {
    return this.headers.header(name, value);
  }
  /** POE: `$r->push_header($name => $value)`. */
  pushHeader(name: string, value: HeaderValue): void {
    this.headers.pushHeader(name, value);
  }
  /** POE: `$r->remove_header($name)`. */
  removeHeader(name: string): string[] {
    return this.headers.removeHeader(name);
  }
  /** Each distinct header name once, in order of first appearance. POE: `$r->header_field_names`. */
  headerFieldNames(): string[] {
    return this.headers.headerFieldNames();
  }
  /** POE: `header_field_names`. */
  header_field_names(): string[] {
    return this.headers.headerFieldNames();
  }
  /** POE: `push_header`. */
  push_header(name: string, value: HeaderValue): void {
    this.headers.pushHeader(name, value);
  }
  /** POE: `remove_header`. */
  remove_header(name: string): string[] {
    return this.headers.removeHeader(name);
  }
}

function versionOf(protocol: string): [number, number] {
  const m = /\/(\d+)\.(\d+)$/.exec(protocol);
  return m ? [Number(m[1]), Number(m[2])] : [0, 9];
}
