import { PoeArgumentError, describe } from '../errors.js';
import type { HttpHeaders, HeadersInit } from './headers.js';
import { HttpMessage } from './message.js';
import type { ContentInit } from './message.js';

/**
 * An HTTP request: what the HTTPD filter's `get` returns for each request it parses.
 *
 * POE: `HTTP::Request`. Headers, content and their accessors are {@link HttpMessage}'s; beyond
 * them:
 * - `$r->method` -> `r.method`;
 * - `$r->uri` -> `r.uri`, the request-target as a string with a leading `//+` collapsed to
 *   `/` as POE::Filter::HTTPD does (HTTP::Request holds a URI object); `r.target` is the
 *   request-target exactly as sent.
 *
 * Beyond POE, the filter fills in what a keep-alive server needs: `keepAlive`,
 * `expectContinue`, `upgrade`, `chunked` and `trailers`.
 */
export class HttpRequest extends HttpMessage {
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
  declare protocol: string;
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
    super(headers, content);
    this.method = method;
    this.uri = uri;
    this.target = uri;
    this.protocol = 'HTTP/1.1';
  }

  /** Major version of `protocol` (1 for `HTTP/1.1`). */
  get versionMajor(): number {
    return versionOf(this.protocol)[0];
  }
  /** Minor version of `protocol` (1 for `HTTP/1.1`). */
  get versionMinor(): number {
    return versionOf(this.protocol)[1];
  }
}

function versionOf(protocol: string): [number, number] {
  const m = /\/(\d+)\.(\d+)$/.exec(protocol);
  return m ? [Number(m[1]), Number(m[2])] : [0, 9];
}
