/**
 * The HTTPD filter's writing side: an {@link HttpResponse} to bytes, and the error response
 * that answers a request the parser refused. Apart from the parser, which never writes, and
 * knowing nothing of filters or sockets. Not exported from the package.
 */
import { PoeArgumentError, describe } from '../errors.js';
import { headerLines } from './headers.js';
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
  const std = statusMessage(code) ?? 'Unknown Error';
  const message = r.message;
  // POE's status line: the standard message in parentheses when the response's differs.
  let head = `${r.protocol || 'HTTP/1.0'} ${code}`;
  if (std !== message) head += ` (${std})`;
  if (message.length > 0) head += ` ${message}`;
  checkLine(head, 'status line');
  head += '\r\n';
  const [names, values] = headerLines(r.headers);
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
  const headRequest = r.request?.method === 'HEAD';
  const content = r.content;
  if (!noBody && !hasLength && !hasCoding && !headOnly && !(headRequest && content.length === 0)) {
    head += `Content-Length: ${content.length}\r\n`;
  }
  if (code >= 200 && !hasDate) head += `Date: ${httpDate(now())}\r\n`;
  head += '\r\n';
  const body = noBody || headRequest || headOnly ? 0 : content.length;
  // One buffer for head and body: the head is Latin-1 text, one byte per character.
  const out = Buffer.allocUnsafe(head.length + body);
  out.write(head, 0, 'latin1');
  if (body > 0) content.copy(out, head.length);
  return out;
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
/** IMF-fixdate (RFC 9110 5.6.7), computed once per second. */
function httpDate(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}
