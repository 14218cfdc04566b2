/**
 * The HTTP/1.1 request grammar (RFC 9110, 9112) as llhttp applies it, for the HTTPD filter's
 * parser: character classes, the methods llhttp knows, and readers of the field values that
 * frame a message. Not exported from the package.
 */
export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;

// Character classes, one bit each (RFC 9110/9112, as llhttp applies them); tokens are
// headers.ts's TOKEN_CHARS.
export const C_PATH = 1; // request-target path: visible ASCII but '?' and '#'
export const C_QUERY = 2; // query: visible ASCII but '#'
export const C_VCHAR = 4; // fragment: any visible ASCII
export const C_SERVER = 8; // authority: userinfo, host, port
export const C_VALUE = 16; // field values: HTAB, SP, VCHAR, obs-text
export const C_ALPHA = 32; // URL scheme
export const C_QDTEXT = 64; // quoted-string text
export const CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x21; c <= 0x7e; c++) {
    t[c]! |= C_VCHAR | C_VALUE;
    if (c !== 0x23) t[c]! |= C_QUERY;
    if (c !== 0x23 && c !== 0x3f) t[c]! |= C_PATH;
    if (c !== 0x22 && c !== 0x5c) t[c]! |= C_QDTEXT;
  }
  for (let c = 0x80; c <= 0xff; c++) t[c]! |= C_VALUE | C_QDTEXT;
  t[HT]! |= C_VALUE | C_QDTEXT;
  t[SP]! |= C_VALUE | C_QDTEXT;
  const server = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.!~*'()%;:&=+$,[]";
  for (const ch of server) t[ch.charCodeAt(0)]! |= C_SERVER;
  for (let c = 0x41; c <= 0x5a; c++) t[c]! |= C_ALPHA;
  for (let c = 0x61; c <= 0x7a; c++) t[c]! |= C_ALPHA;
  return t;
})();
export const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

/**
 * Methods llhttp (Node 20) accepts on an `HTTP/x.y` request line; PRI is the HTTP/2 preface
 * and is refused with 505.
 */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE',
  'PROPFIND', 'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY',
  'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR',
  'LINK', 'UNLINK', 'SOURCE', 'QUERY', 'PRI',
]);
/** Methods llhttp accepts on an `RTSP/x.y` request line. */
export const RTSP_METHODS: ReadonlySet<string> = new Set([
  'OPTIONS', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER',
  'REDIRECT', 'RECORD', 'FLUSH', 'GET', 'POST',
]);

/**
 * A trie of every known method, over the bytes methods are made of (A-Z, '-', '_'), so that a
 * request fails at the first byte no method can continue, as llhttp does. `METHOD_NEXT[node *
 * 28 + symbol]` is the next node (0: none); `METHOD_NAME[node]` the method ending there.
 */
export const METHOD_SYMBOL: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0x41; c <= 0x5a; c++) t[c] = c - 0x41;
  t[0x2d] = 26;
  t[0x5f] = 27;
  return t;
})();
export const METHOD_NAME: string[] = [''];
export const METHOD_NEXT: Int16Array = (() => {
  const next: number[] = new Array<number>(28).fill(0);
  for (const m of new Set([...HTTP_METHODS, ...RTSP_METHODS])) {
    let node = 0;
    for (let i = 0; i < m.length; i++) {
      const k = node * 28 + METHOD_SYMBOL[m.charCodeAt(i)]!;
      if (next[k] === 0) {
        next[k] = METHOD_NAME.length;
        METHOD_NAME.push('');
        for (let j = 0; j < 28; j++) next.push(0);
      }
      node = next[k]!;
    }
    METHOD_NAME[node] = m;
  }
  return Int16Array.from(next);
})();

/**
 * Bytes [start, end) of `buf` as a latin1 string. Node's `latin1Slice` skips the encoding
 * dispatch of `toString`, a tenth of the parser's time on small requests.
 */
export const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (buf, start, end) => (buf as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/** `HTTP/1.1` and friends, without building the common ones anew for each request. */
export function protocolName(proto: string, major: number, minor: number): string {
  if (proto === 'HTTP' && major === 1) return minor === 1 ? 'HTTP/1.1' : minor === 0 ? 'HTTP/1.0' : `HTTP/1.${minor}`;
  return `${proto}/${major}.${minor}`;
}

/** Whether byte `c` at index `n` continues one of HTTP, RTSP, ICE. */
export function protoPrefix(c: number, n: number): boolean {
  return c === 'HTTP'.charCodeAt(n) || c === 'RTSP'.charCodeAt(n) || (n < 3 && c === 'ICE'.charCodeAt(n));
}

/** Case-insensitive comparison of `buf[start..]` with a lower-case ASCII literal. */
export function eqLower(buf: Buffer, start: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) if ((buf[start + i]! | 0x20) !== lit.charCodeAt(i)) return false;
  return true;
}

const U64_MAX = 0xffffffffffffffffn;

/**
 * A Content-Length value: digits, then only spaces (llhttp); -1 when it is anything else or
 * does not fit 64 bits (llhttp's overflow). Past 2^53 the number is approximate: it is beyond
 * any `maxContent`, and streaming it would never end anyway.
 */
export function parseLength(buf: Buffer, start: number, end: number): number {
  let i = start;
  let n = 0;
  while (i < end) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    i++;
  }
  if (i === start) return -1;
  if (n > Number.MAX_SAFE_INTEGER && BigInt(latin1(buf, start, i)) > U64_MAX) return -1;
  while (i < end && buf[i] === SP) i++;
  return i === end ? n : -1;
}

/**
 * llhttp's reading of a Transfer-Encoding value in a request: 1 when its last coding is
 * `chunked`, 0 when it does not end in chunked, -1 when chunked is followed by another coding.
 */
export function finalChunked(buf: Buffer, start: number, end: number): number {
  let i = start;
  for (;;) {
    // at the start of a coding
    if (end - i >= 7 && eqLower(buf, i, 'chunked')) {
      let j = i + 7;
      while (j < end && buf[j] === SP) j++;
      if (j === end) return 1;
      if (buf[j] === 0x2c) return -1;
    }
    while (i < end && buf[i] !== 0x2c) i++;
    if (i === end) return 0;
    i++;
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++;
  }
}

/** POE collapses a leading `//+` in the request-target to `/`. */
export function collapseSlashes(target: string): string {
  if (target.charCodeAt(0) !== 0x2f || target.charCodeAt(1) !== 0x2f) return target;
  let i = 2;
  while (target.charCodeAt(i) === 0x2f) i++;
  return `/${target.slice(i)}`;
}
