/**
 * The HTTPD filter's writing side: an {@link HttpResponse} to bytes, and the error response
 * that answers a request the parser refused. Apart from the parser, which never writes, and
 * knowing nothing of filters or sockets. Not exported from the package.
 */
// The module's Buffer, not the global one: `globalThis.Buffer` is a getter, a call at each use.
import { Buffer } from 'node:buffer';
import { PoeArgumentError, describe } from '../errors.js';
import { headerLines } from './headers.js';
import { messageContent } from './message.js';
import type { HttpRequest } from './request.js';
import { HttpResponse, statusMessage } from './response.js';

/**
 * A response as bytes: the status line (with POE's "(standard message)" when the response's
 * message differs from it), the headers, a blank line and the content. Adds Content-Length
 * (when absent and the status allows a body) and Date (read from `now`, when absent).
 *
 * `headOnly`: the head of a response whose body follows in pieces (a streamed response): no
 * content, and no Content-Length added, since the length is not known yet.
 */
export function serializeResponse(r: HttpResponse, now: () => number, headOnly = false): Buffer {
  const code = r.code;
  const message = r.message;
  const protocol = r.protocol || 'HTTP/1.0';
  const [names, values] = headerLines(r.headers);
  const headRequest = r.request?.method === 'HEAD';
  const content = messageContent(r);
  const length = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.length;
  let head: Buffer | string;
  const last = lastHead;
  if (last !== undefined && last.matches(protocol, code, message, names, values, headOnly, headRequest, length)) {
    // The same head as the last response's, unless its Date is of another second. Encoded
    // once it is used again: a head that changes every time is only ever written as text.
    const same = last.second < 0 || Math.floor(now() / 1000) === last.second;
    head = same ? (last.bytes ??= Buffer.from(last.text, 'latin1')) : buildHead(protocol, code, message, names, values, headOnly, headRequest, length, now);
  } else {
    head = buildHead(protocol, code, message, names, values, headOnly, headRequest, length, now);
  }
  const noBody = code < 200 || code === 204 || code === 304;
  const body = noBody || headRequest || headOnly ? 0 : length;
  // One buffer for head and body: the head is Latin-1 text, one byte per character.
  const out = Buffer.allocUnsafe(head.length + body);
  if (typeof head === 'string') out.write(head, 0, 'latin1');
  else out.set(head, 0);
  if (body === 0) return out;
  if (typeof content === 'string') out.write(content, head.length, 'utf8');
  else out.set(content, head.length);
  return out;
}

/**
 * The head of the last response serialized and what it was made from. A server answers most
 * requests with the same status line and field lines, so the next head is usually the same
 * text, with a Date that changes once a second: it is reused, unchecked, while its sources are
 * the same strings. The field lines are copies: a response's headers can change after it.
 */
class Head {
  constructor(
    readonly protocol: string,
    readonly code: number,
    readonly message: string,
    readonly names: readonly string[],
    readonly values: readonly string[],
    readonly headOnly: boolean,
    readonly headRequest: boolean,
    readonly length: number,
    /** The second of its Date, or -1 when the serializer added none. */
    readonly second: number,
    readonly text: string,
  ) {}

  /** `text` as bytes, once the head is used a second time. */
  bytes: Buffer | undefined = undefined;

  matches(protocol: string, code: number, message: string, names: readonly string[], values: readonly string[], headOnly: boolean, headRequest: boolean, length: number): boolean {
    if (this.code !== code || this.length !== length || this.headOnly !== headOnly || this.headRequest !== headRequest || this.names.length !== names.length) return false;
    if (this.message !== message || this.protocol !== protocol) return false;
    for (let i = 0; i < names.length; i++) if (this.names[i] !== names[i] || this.values[i] !== values[i]) return false;
    return true;
  }
}
let lastHead: Head | undefined;

/** The head (status line, field lines, blank line) of a response, checked, and kept as the last one. */
function buildHead(protocol: string, code: number, message: string, names: readonly string[], values: readonly string[], headOnly: boolean, headRequest: boolean, length: number, now: () => number): string {
  const std = statusMessage(code) ?? 'Unknown Error';
  // POE's status line: the standard message in parentheses when the response's differs.
  let head = `${protocol} ${code}`;
  if (std !== message) head += ` (${std})`;
  if (message.length > 0) head += ` ${message}`;
  checkLine(head, 'status line');
  head += '\r\n';
  let hasLength = false;
  let hasCoding = false;
  let hasDate = false;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = values[i]!;
    checkLine(value, 'value of header', name);
    head += `${name}: ${value}\r\n`;
    // The three names the serializer adds or not, told apart by length before case.
    const n = name.length;
    if (n === 14) hasLength ||= name.toLowerCase() === 'content-length';
    else if (n === 17) hasCoding ||= name.toLowerCase() === 'transfer-encoding';
    else if (n === 4) hasDate ||= name.toLowerCase() === 'date';
  }
  const noBody = code < 200 || code === 204 || code === 304;
  if (!noBody && !hasLength && !hasCoding && !headOnly && !(headRequest && length === 0)) {
    head += `Content-Length: ${length}\r\n`;
  }
  let dated = -1;
  if (code >= 200 && !hasDate) {
    dated = Math.floor(now() / 1000);
    head += `Date: ${httpDate(dated)}\r\n`;
  }
  head += '\r\n';
  lastHead = new Head(protocol, code, message, names.slice(), values.slice(), headOnly, headRequest, length, dated, head);
  return head;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** POE's error page (`_build_error`): text/html with a Content-Length; here also Connection: close. */
export function errorResponse(status: number, details: string, request: HttpRequest | undefined): HttpResponse {
  const message = statusMessage(status) ?? 'Unknown Error';
  const safe = details.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
  const body =
    `<html><head><title>Error ${status}: ${message}</title></head>` +
    `<body><h1>Error ${status}: ${message}</h1><p>${safe}</p></body></html>`;
  const r = new HttpResponse(status, message);
  r.headers.pushHeader('Content-Type', 'text/html');
  r.headers.pushHeader('Content-Length', Buffer.byteLength(body));
  r.headers.pushHeader('Connection', 'close');
  r.content = body;
  r.closeConnection = true;
  r.request = request;
  return r;
}

const NOT_LINE_TEXT = /[^\t\x20-\x7e\x80-\xff]/;

/** A status line or header value must stay on its line and be bytes (Node's checkInvalidHeaderChar). */
function checkLine(text: string, what: string, name?: string): void {
  if (NOT_LINE_TEXT.test(text)) {
    const where = name === undefined ? what : `${what} \`${name}\``;
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `HTTPD: the ${where} has a control or non-Latin-1 character: ${describe(text)}`);
  }
}

let dateSecond = -1;
let dateText = '';
/** IMF-fixdate (RFC 9110 5.6.7) of second `s`, computed once per second. */
function httpDate(s: number): string {
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}
