/**
 * Requests for the oracle test: good ones, and bad ones from every class of request smuggling
 * and desync that llhttp's CVEs and the RFC 9112 security considerations name. Each is a
 * whole input (one or more requests); strings are bytes (latin1).
 */

/** A corpus entry: a name and the raw bytes (latin1). */
export interface CorpusCase {
  name: string;
  /** The input, one character per byte. */
  input: string;
}

const H = 'Host: a\r\n';

/** Well-formed requests: both parsers accept them. */
const GOOD: [string, string][] = [
  ['simple GET', `GET / HTTP/1.1\r\n${H}\r\n`],
  ['GET with query', `GET /a/b?c=1&d=%20 HTTP/1.1\r\n${H}User-Agent: t\r\n\r\n`],
  ['HTTP/1.0 without Host', 'GET /old HTTP/1.0\r\n\r\n'],
  ['HTTP/0.9 request line', 'GET /ancient\r\n\r\n'],
  ['POST with Content-Length', `POST /p HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`],
  ['Content-Length with leading zeros', `POST /p HTTP/1.1\r\n${H}Content-Length: 005\r\n\r\nhello`],
  ['Content-Length with OWS', `POST /p HTTP/1.1\r\n${H}Content-Length:\t 5 \r\n\r\nhello`],
  ['chunked body', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`],
  ['chunked with upper-case hex and leading zeros', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n000A\r\n0123456789\r\n00\r\n\r\n`],
  ['chunked with extensions', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a=1;b;c="x y\\"z"\r\nhello\r\n0;last\r\n\r\n`],
  ['chunked with trailers', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\n`],
  ['Transfer-Encoding gzip, chunked', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['Transfer-Encoding in two lines, chunked last', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['Transfer-Encoding Chunked (case)', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['three pipelined GETs', `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\nGET /3 HTTP/1.1\r\n${H}\r\n`],
  ['Content-Length: 0 then a pipelined GET (G29)', `POST /z HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\nGET /kept HTTP/1.1\r\n${H}\r\n`],
  ['chunked then a pipelined GET', `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nGET /n HTTP/1.1\r\n${H}\r\n`],
  ['body then extra CRLF then GET', `POST /p HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nab\r\nGET /2 HTTP/1.1\r\n${H}\r\n`],
  ['leading blank lines', `\r\n\r\n\nGET / HTTP/1.1\r\n${H}\r\n`],
  ['absolute-form target', `GET http://example.com:8080/x?y HTTP/1.1\r\n${H}\r\n`],
  ['absolute-form with userinfo and IPv6', `GET http://u:p@[::1]:80/ HTTP/1.1\r\n${H}\r\n`],
  ['asterisk-form', `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  ['CONNECT authority-form', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
  ['target with llhttp-tolerated punctuation', `GET /a"<>{}|\\^\`b HTTP/1.1\r\n${H}\r\n`],
  ['target with fragment', `GET /p?q#frag#more HTTP/1.1\r\n${H}\r\n`],
  ['obs-text in a header value', `GET / HTTP/1.1\r\n${H}X-Name: caf\xe9 \xff\r\n\r\n`],
  ['empty header values', `GET / HTTP/1.1\r\n${H}X-A:\r\nX-B: \r\n\r\n`],
  ['tab inside a value', `GET / HTTP/1.1\r\n${H}X-A: a\tb\r\n\r\n`],
  ['every token character in a name', `GET / HTTP/1.1\r\n${H}X-!#$%&'*+-.^_\`|~09: v\r\n\r\n`],
  ['repeated header names', `GET / HTTP/1.1\r\n${H}Accept: a\r\naccept: b\r\nACCEPT: c\r\n\r\n`],
  ['fifty headers', `GET / HTTP/1.1\r\n${H}${Array.from({ length: 50 }, (_, i) => `X-H${i}: ${i}\r\n`).join('')}\r\n`],
  ['a 12 KiB header block', `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(12 * 1024)}\r\n\r\n`],
  ['Host with an empty value', 'GET / HTTP/1.1\r\nHost:\r\n\r\n'],
  ['Expect: 100-continue', `POST /e HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok`],
  ['HTTP/1.0 keep-alive pipelined', 'GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n'],
  ['Connection: close then blank lines', `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n\r\n\r\n`],
  ['Connection: closed is not close', `GET /1 HTTP/1.1\r\n${H}Connection: closed\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\n`],
  ['Upgrade: websocket, bytes after it', `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello`],
  ['Upgrade without Connection: upgrade is a plain request', `GET /1 HTTP/1.1\r\n${H}Upgrade: x\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\n`],
  ['QUERY method', `QUERY /q HTTP/1.1\r\n${H}Content-Length: 1\r\n\r\nq`],
  ['M-SEARCH method', `M-SEARCH * HTTP/1.1\r\n${H}\r\n`],
  ['spaces around the target', `GET   /x  HTTP/1.1\r\n${H}\r\n`],
  ['HTTP/2.0 request line (llhttp accepts it)', 'GET / HTTP/2.0\r\n\r\n'],
  ['RTSP request line (llhttp accepts it)', 'DESCRIBE rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n'],
  ['Proxy-Connection: close ends the connection', `GET / HTTP/1.1\r\n${H}Proxy-Connection: close\r\n\r\n`],
];

/** Malformed, ambiguous or smuggling requests: both parsers refuse them. */
const BAD: [string, string][] = [
  // CL.TE and TE.CL: both framings at once
  ['CL.TE: Content-Length then Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX`],
  ['TE.CL: Transfer-Encoding then Content-Length', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`],
  ['CL.TE with identity', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: identity\r\n\r\nabc`],
  // TE.TE obfuscation
  ['TE: chunked twice', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['TE: chunked then x', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`],
  ['TE: chunked, identity', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
  ['TE: xchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  ['TE: chunked with a trailing tab', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n`],
  ['TE: chunked;q=1', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n`],
  ['TE: identity only', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\nabc`],
  ['TE with a space before the colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`],
  ['TE folded onto the next line', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`],
  ['TE name with a vertical tab', `POST / HTTP/1.1\r\n${H}Transfer-Encoding\x0b: chunked\r\n\r\n0\r\n\r\n`],
  // Content-Length forms
  ['CL negative', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`],
  ['CL hexadecimal', `POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\nhello`],
  ['CL plus-signed', `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`],
  ['CL with a comma list', `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`],
  ['CL with two numbers', `POST / HTTP/1.1\r\n${H}Content-Length: 5 5\r\n\r\nhello`],
  ['CL with a trailing tab', `POST / HTTP/1.1\r\n${H}Content-Length: 5\t\r\n\r\nhello`],
  ['CL empty', `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`],
  ['CL not a number', `POST / HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\nxyz`],
  ['CL overflow', `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n`],
  ['duplicate CL, same value', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`],
  ['duplicate CL, different values', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`],
  // whitespace and line endings
  ['space before a colon', `GET / HTTP/1.1\r\nHost : a\r\n\r\n`],
  ['tab before a colon', `GET / HTTP/1.1\r\nHost\t: a\r\n\r\n`],
  ['bare LF after the request line', `GET / HTTP/1.1\n${H}\r\n`],
  ['bare LF after a header', `GET / HTTP/1.1\r\nHost: a\n\r\n`],
  ['bare LF line endings throughout', 'GET / HTTP/1.0\nX-A: 1\n\n'],
  ['bare LF ending the head', `GET / HTTP/1.1\r\n${H}\n`],
  ['bare CR after the request line', `GET / HTTP/1.1\r${H}\r\n`],
  ['bare CR inside a header', `GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n`],
  ['CR CR LF ending the head', `GET / HTTP/1.1\r\n${H}\r\r\n`],
  ['obs-fold with spaces', `GET / HTTP/1.1\r\n${H}X-Long: a\r\n  b\r\n\r\n`],
  ['obs-fold with a tab', `GET / HTTP/1.1\r\n${H}X-Long: a\r\n\tb\r\n\r\n`],
  ['space at the start of the first header line', `GET / HTTP/1.1\r\n ${H}\r\n`],
  ['space before the method', ` GET / HTTP/1.1\r\n${H}\r\n`],
  // chunked framing
  ['chunk size overflow', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nx\r\n0\r\n\r\n`],
  ['chunk size with 0x', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`],
  ['chunk size plus-signed', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n`],
  ['chunk size negative', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n`],
  ['chunk size with a trailing space', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`],
  ['chunk size with a leading space', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n`],
  ['chunk size missing', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n`],
  ['chunk size ended by a bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`],
  ['chunk data overrun', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n`],
  ['chunk data ended by a bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n`],
  ['chunk extension: empty', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n`],
  ['chunk extension: space after ;', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3; a\r\nabc\r\n0\r\n\r\n`],
  ['chunk extension: space in a value', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=b c\r\nabc\r\n0\r\n\r\n`],
  ['chunk extension: unterminated quote', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a="b\r\nabc\r\n0\r\n\r\n`],
  ['chunk extension: junk after a quote', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a="b"x\r\nabc\r\n0\r\n\r\n`],
  ['chunk extension: NUL', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a\0\r\nabc\r\n0\r\n\r\n`],
  ['chunk extension: bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a\nabc\r\n0\r\n\r\n`],
  ['Content-Length in the trailers', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 3\r\n\r\n`],
  ['Transfer-Encoding in the trailers', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n`],
  ['space before a colon in the trailers', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX : y\r\n\r\n`],
  ['bare LF ending the trailers', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\n`],
  // invalid characters and NUL bytes
  ['lower-case method', `get / HTTP/1.1\r\n${H}\r\n`],
  ['unknown method', `FOO / HTTP/1.1\r\n${H}\r\n`],
  ['method with a NUL', `G\0T / HTTP/1.1\r\n${H}\r\n`],
  ['method glued to junk', `GETX / HTTP/1.1\r\n${H}\r\n`],
  ['tab after the method', `GET\t/ HTTP/1.1\r\n${H}\r\n`],
  ['NUL in the target', `GET /a\0b HTTP/1.1\r\n${H}\r\n`],
  ['DEL in the target', `GET /a\x7fb HTTP/1.1\r\n${H}\r\n`],
  ['non-ASCII byte in the target', `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`],
  ['tab in the target', `GET /a\tb HTTP/1.1\r\n${H}\r\n`],
  ['target not starting with / or a scheme', `GET ?x HTTP/1.1\r\n${H}\r\n`],
  ['bad scheme', `GET h2c://x/ HTTP/1.1\r\n${H}\r\n`],
  ['double @ in the authority', `GET http://a@@b/ HTTP/1.1\r\n${H}\r\n`],
  ['brace in the authority', `GET http://x{}/ HTTP/1.1\r\n${H}\r\n`],
  ['NUL in a header name', `GET / HTTP/1.1\r\n${H}X\0Y: 1\r\n\r\n`],
  ['separator in a header name', `GET / HTTP/1.1\r\n${H}X(b): 1\r\n\r\n`],
  ['non-ASCII header name', `GET / HTTP/1.1\r\n${H}X\xe9: 1\r\n\r\n`],
  ['empty header name', `GET / HTTP/1.1\r\n${H}: v\r\n\r\n`],
  ['header line without a colon', `GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`],
  ['NUL in a header value', `GET / HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`],
  ['control character in a header value', `GET / HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`],
  ['DEL in a header value', `GET / HTTP/1.1\r\n${H}X: a\x7fb\r\n\r\n`],
  ['form feed in a header value', `GET / HTTP/1.1\r\n${H}X: a\x0cb\r\n\r\n`],
  ['binary garbage', '\x01\x02 garbage\r\n\r\n'],
  ['TLS ClientHello on a plain port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'],
  // versions and request lines
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n'],
  ['HTTP/1.2', `GET / HTTP/1.2\r\n${H}\r\n`],
  ['HTTP/3.0', `GET / HTTP/3.0\r\n${H}\r\n`],
  ['HTTP/1 without a minor version', `GET / HTTP/1\r\n${H}\r\n`],
  ['HTTP/01.1', `GET / HTTP/01.1\r\n${H}\r\n`],
  ['HTTP/1.10', `GET / HTTP/1.10\r\n${H}\r\n`],
  ['lower-case protocol', `GET / http/1.1\r\n${H}\r\n`],
  ['unknown protocol', `GET / FOO/1.1\r\n${H}\r\n`],
  ['space after the version', `GET / HTTP/1.1 \r\n${H}\r\n`],
  ['NUL after the version', `GET / HTTP/1.1\0\r\n${H}\r\n`],
  ['HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['RTSP method over HTTP', `DESCRIBE / HTTP/1.1\r\n${H}\r\n`],
  ['HTTP method over ICE', `GET / ICE/1.0\r\n${H}\r\n`],
  // connection handling and semantics
  ['data after Connection: close', `GET /1 HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\n`],
  ['data after keep-alive, close', `GET /1 HTTP/1.1\r\n${H}Connection: keep-alive, close\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\n`],
  ['data after an HTTP/1.0 request', 'GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n'],
  ['data after an HTTP/0.9 request', `GET /\r\n\r\nGET /y HTTP/1.1\r\n${H}\r\n`],
  ['a good request, then a bad one', `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\nHost : a\r\n\r\n`],
  ['unsupported expectation', `GET / HTTP/1.1\r\n${H}Expect: foo\r\n\r\n`],
  ['empty expectation', `GET / HTTP/1.1\r\n${H}Expect:\r\n\r\n`],
  ['a 20 KiB header block', `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`],
];

export const GOOD_CASES: readonly CorpusCase[] = GOOD.map(([name, input]) => ({ name, input }));
export const BAD_CASES: readonly CorpusCase[] = BAD.map(([name, input]) => ({ name, input }));

/**
 * Where the filter is stricter than Node 20 on purpose, each asserted separately and, in the
 * mutation test, the only disagreements allowed (always the filter refusing, with this reason).
 */
export const STRICTER: readonly (CorpusCase & { why: string; reason: RegExp })[] = [
  {
    name: 'bare LF after an HTTP/0.9 request line',
    input: 'GET /x\nHost: a\r\n\r\n',
    why: 'llhttp 9.3 takes "GET /x\\n" as an HTTP/0.9 request line; a bare LF is refused everywhere else',
    reason: /Bare LF after the request target/,
  },
  {
    name: 'HTTP/1.1 upgrade without Host',
    input: 'GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    why: 'RFC 9110 7.2 requires Host on every HTTP/1.1 request; Node checks it only for requests it emits as "request"',
    reason: /upgrade request without a Host header/,
  },
];
