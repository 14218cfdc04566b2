// The module's Buffer, not the global one: `globalThis.Buffer` is a getter, a call at each use.
import { Buffer } from 'node:buffer';
import { PoeArgumentError, describe } from '../errors.js';
import { HttpHeaders } from './headers.js';
import type { HeaderValue, HeadersInit } from './headers.js';

/** Content as the setters take it: bytes, or a string stored as UTF-8. */
export type ContentInit = string | Buffer | Uint8Array;

const EMPTY = Buffer.alloc(0);

/** Bytes of a content value; strings become UTF-8. */
function contentBytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return value.length === 0 ? EMPTY : Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value === undefined || value === null) return EMPTY;
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${what} to be a string, a Buffer or a Uint8Array, got ${describe(value)}`);
}

/** The media type of a Content-Type value, lower-cased, parameters removed (HTTP::Headers's rule). */
function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/**
 * What {@link HttpRequest} and {@link HttpResponse} share: the protocol, the header field
 * lines, the content bytes, and the accessors over them. `instanceof HttpMessage` holds for
 * both, and a function that only reads or sets headers and content can take either.
 *
 * POE: `HTTP::Message`, the base class of `HTTP::Request` and `HTTP::Response`. The mapping:
 * - `$m->protocol`, `$m->headers` -> `m.protocol`, `m.headers`;
 * - `$m->header($name)` -> `m.header(name)` (case-insensitive, repeated lines joined by ", ");
 *   `$m->header_field_names` -> `m.headerFieldNames()`;
 * - `$m->content` -> `m.content` (a Buffer: HTTP::Message content is bytes) or `m.contentText`
 *   (UTF-8 decoded); `$m->content($bytes)` -> `m.content = bytes`;
 * - `$m->content_type`, `$m->content_length` -> `m.contentType`, `m.contentLength`.
 */
let contentOf: (message: HttpMessage) => Buffer | string;

/**
 * The content as it is held: bytes, or a non-empty string assigned and not yet read as bytes
 * (its bytes are its UTF-8). For the serializer; not exported from the package.
 */
export function messageContent(message: HttpMessage): Buffer | string {
  return contentOf(message);
}

export abstract class HttpMessage {
  /** The protocol of the start line, e.g. `HTTP/1.1`. POE: `$m->protocol`. */
  protocol: string | undefined = undefined;
  /** The header field lines. POE: `$m->headers`. */
  headers: HttpHeaders;
  /**
   * A string assigned is kept as it is until something reads the bytes: the serializer
   * writes it into the response's buffer, and no Buffer of its own is made for it.
   */
  #content: Buffer | string;

  /** Arguments are checked in the order the subclasses take them: headers, then content. */
  protected constructor(headers: HttpHeaders | HeadersInit | undefined, content: ContentInit | undefined) {
    this.headers = headers instanceof HttpHeaders ? headers : new HttpHeaders(headers);
    this.#content = contentBytes(content, '`content`');
  }

  static {
    contentOf = (m) => m.#content;
  }

  /** The body bytes. POE: `$m->content`; assign a string (stored as UTF-8) or bytes to set it. */
  get content(): Buffer {
    const c = this.#content;
    return typeof c === 'string' ? (this.#content = Buffer.from(c, 'utf8')) : c;
  }
  set content(value: ContentInit) {
    this.#content = typeof value === 'string' && value.length > 0 ? value : contentBytes(value, '`content`');
  }

  /** The body decoded as UTF-8. POE: `$m->decoded_content` for a UTF-8 body. */
  get contentText(): string {
    return this.content.toString('utf8');
  }

  /**
   * The media type of Content-Type, lower-cased, without parameters; assigning sets the whole
   * header value. POE: `$m->content_type`.
   */
  get contentType(): string | undefined {
    return mediaType(this.headers.header('content-type'));
  }
  set contentType(value: string) {
    this.headers.header('Content-Type', value);
  }

  /** Content-Length as a number, when present and a number. POE: `$m->content_length`. */
  get contentLength(): number | undefined {
    const v = this.headers.header('content-length');
    if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
    return Number(v);
  }

  /** Header value (any case; repeats joined by ", "), or set it. POE: `$m->header(...)`. */
  header(name: string, value?: HeaderValue): string | undefined {
    return this.headers.header(name, value);
  }
  /** POE: `$m->push_header($name => $value)`. */
  pushHeader(name: string, value: HeaderValue): void {
    this.headers.pushHeader(name, value);
  }
  /** POE: `$m->remove_header($name)`. */
  removeHeader(name: string): string[] {
    return this.headers.removeHeader(name);
  }
  /** Each distinct header name once, in order of first appearance. POE: `$m->header_field_names`. */
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
