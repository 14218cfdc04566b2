import { STATUS_CODES } from 'node:http';
import { PoeArgumentError, describe } from '../errors.js';
import type { HttpHeaders, HeadersInit } from './headers.js';
import { HttpMessage } from './message.js';
import type { ContentInit } from './message.js';
import type { HttpRequest } from './request.js';

/**
 * The standard reason phrase of a status code (`OK` for 200), or `undefined` for a code
 * without one. POE: `HTTP::Status::status_message($code)`.
 */
export function statusMessage(code: number): string | undefined {
  return STATUS_CODES[code];
}

/**
 * An HTTP response: what a session hands to the HTTPD filter's `put`, and what the filter's
 * `get` returns in place of a request that could not be accepted (an error response, with
 * `closeConnection` set).
 *
 * POE: `HTTP::Response`. Headers, content and their accessors are {@link HttpMessage}'s; beyond
 * them:
 * - `HTTP::Response->new($code, $message, $headers, $content)` -> `new HttpResponse(code,
 *   message, headers, content)`; `message` defaults to the standard reason phrase (POE leaves
 *   it undef, and Filter::HTTPD then writes `HTTP/1.0 200 (OK)`);
 * - `$r->code`, `$r->message` -> `r.code`, `r.message`;
 * - `$r->header('Content-Type' => 'text/plain')` -> `r.header('Content-Type', 'text/plain')`
 *   or `r.contentType = 'text/plain'`;
 * - `$r->content('body')` -> `r.content = 'body'` (strings are stored as UTF-8);
 * - `$r->request` -> `r.request`; `$r->previous` -> `r.previous`; `$r->is_success`, `$r->is_error`, `$r->status_line` ->
 *   `r.isSuccess`, `r.isError`, `r.statusLine`.
 */
export class HttpResponse extends HttpMessage {
  /** The status code. POE: `$r->code`. */
  code: number;
  /** The reason phrase. POE: `$r->message`. */
  message: string;
  /**
   * The protocol of the status line; the filter writes `HTTP/1.0` when it is unset, as POE.
   * POE: `$r->protocol`.
   */
  declare protocol: string | undefined;
  /** The request this response answers, when known. POE: `$r->request`. */
  request: HttpRequest | undefined = undefined;
  /**
   * The connection must close once this response is written. The HTTPD filter sets it (and
   * a `Connection: close` header) on the error responses it returns; a session may set it too.
   */
  closeConnection = false;
  /**
   * The response this one follows when a client followed a redirect (the 3xx before it), as
   * `ClientHTTP` builds the chain. POE: `$r->previous`.
   */
  previous: HttpResponse | undefined = undefined;

  constructor(code = 200, message?: string, headers?: HttpHeaders | HeadersInit, content?: ContentInit) {
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 999) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`code\` to be an integer from 100 to 999, got ${describe(code)}`);
    }
    if (message !== undefined && (typeof message !== 'string' || /[\r\n\0]/.test(message))) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`message\` to be a string without CR, LF or NUL, got ${describe(message)}`);
    }
    super(headers, content);
    this.code = code;
    this.message = message ?? statusMessage(code) ?? '';
  }

  /** `"<code> <message>"`. POE: `$r->status_line`. */
  get statusLine(): string {
    return `${this.code} ${this.message}`;
  }
  /** 1xx. POE: `$r->is_info`. */
  get isInfo(): boolean {
    return this.code < 200;
  }
  /** 2xx. POE: `$r->is_success`. */
  get isSuccess(): boolean {
    return this.code >= 200 && this.code < 300;
  }
  /** 3xx. POE: `$r->is_redirect`. */
  get isRedirect(): boolean {
    return this.code >= 300 && this.code < 400;
  }
  /** 4xx or 5xx. POE: `$r->is_error`. */
  get isError(): boolean {
    return this.code >= 400 && this.code < 600;
  }
}
