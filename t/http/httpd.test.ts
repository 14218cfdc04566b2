/**
 * The HTTPD filter: the shared filter conformance harness (chunk sweep, clone, getPending),
 * then its options, limits, request records, connection handling and `put`.
 */
import { describe, expect, test } from 'vitest';
import { FilterLimitError, HTTPD, HttpRequest, HttpResponse, PoeArgumentError } from '../../src/index.js';
import type { HTTPDOptions, HTTPDRecord } from '../../src/index.js';
import { filterConformance } from '../filter/harness.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** A record as a plain value: requests by line, headers, body and flags; responses by status. */
function plainRecord(r: unknown): unknown {
  if (Buffer.isBuffer(r)) return r.length === 0 ? '<end of body>' : r.toString('latin1');
  if (r instanceof HttpRequest) {
    return {
      request: `${r.method} ${r.target} ${r.protocol}`,
      headers: r.headers.raw(),
      content: r.content.toString('latin1'),
      ...(r.trailers ? { trailers: r.trailers.raw() } : {}),
      keepAlive: r.keepAlive,
      ...(r.upgrade ? { upgrade: true } : {}),
      ...(r.expectContinue ? { expectContinue: true } : {}),
    };
  }
  if (r instanceof HttpResponse) return { response: r.code, ...(r.request ? { for: `${r.request.method} ${r.request.target}` } : {}) };
  return r;
}

/** Records as plain values; in streaming mode adjacent body pieces are joined (they follow the reads). */
function normalize(records: readonly unknown[]): unknown {
  const out: unknown[] = [];
  for (const r of records) {
    const p = plainRecord(r);
    const last = out.length - 1;
    if (typeof p === 'string' && p !== '<end of body>' && typeof out[last] === 'string' && out[last] !== '<end of body>') out[last] = `${out[last]}${p}`;
    else out.push(p);
  }
  return out;
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;
const req = (line: string, headers: string[], content = '', more: Record<string, unknown> = {}) => ({
  request: line,
  headers,
  content,
  keepAlive: true,
  ...more,
});

filterConformance('HTTPD', [
  {
    name: 'pipelined requests of every framing',
    make: () => new HTTPD(),
    input:
      get('/a?b=1') +
      'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Sum: 13\r\n\r\n' +
      '\r\n' +
      'GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' +
      'PUT /z HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n',
    expected: [
      req('GET /a?b=1 HTTP/1.1', ['Host', 'h']),
      req('POST /p HTTP/1.1', ['Host', 'h', 'Content-Length', '5'], 'hello'),
      req('POST /c HTTP/1.1', ['Host', 'h', 'Transfer-Encoding', 'chunked'], 'abc0123456789', { trailers: ['X-Sum', '13'] }),
      req('GET /old HTTP/1.0', ['Connection', 'keep-alive']),
      req('PUT /z HTTP/1.1', ['Host', 'h', 'Content-Length', '0']),
    ],
    roundTrip: [],
    partial: {
      input: 'GET /a HTTP/1.1\r\nHo',
      pending: ['GET /a HTTP/1.1\r\nHo'],
      rest: 'st: x\r\n\r\n',
      records: [req('GET /a HTTP/1.1', ['Host', 'x'])],
    },
    normalize,
  },
  {
    name: 'an error response ends the input',
    make: () => new HTTPD(),
    input: `${get('/1')}GET /2 HTTP/1.1\r\nHost : h\r\n\r\n${get('/3')}`,
    expected: [req('GET /1 HTTP/1.1', ['Host', 'h']), { response: 400 }],
    roundTrip: [],
    normalize,
  },
  {
    name: 'a request that closes the connection, then blank lines',
    make: () => new HTTPD(),
    input: `${get('/1', 'Connection: close\r\n')}\r\n\r\n`,
    expected: [req('GET /1 HTTP/1.1', ['Host', 'h', 'Connection', 'close'], '', { keepAlive: false })],
    roundTrip: [],
    normalize,
  },
  {
    name: 'an upgrade leaves the next protocol pending',
    make: () => new HTTPD(),
    input: `${get('/ws', 'Connection: Upgrade\r\nUpgrade: websocket\r\n')}\x81\x05hello`,
    expected: [req('GET /ws HTTP/1.1', ['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket'], '', { upgrade: true })],
    pendingAfterInput: ['\x81\x05hello'],
    roundTrip: [],
    normalize,
  },
  {
    name: 'streaming bodies',
    make: () => new HTTPD({ streaming: true, maxContent: 4 }),
    input:
      'POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabcdef' +
      'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n3\r\nzzz\r\n0\r\nT: 1\r\n\r\n' +
      get('/after'),
    expected: [
      req('POST /s HTTP/1.1', ['Host', 'h', 'Content-Length', '6']),
      'abcdef',
      // The request object is shared with the application, which sees its trailers once the
      // empty end-of-body Buffer arrives.
      req('POST /c HTTP/1.1', ['Host', 'h', 'Transfer-Encoding', 'chunked'], '', { trailers: ['T', '1'] }),
      'xyzzz',
      '<end of body>',
      req('GET /after HTTP/1.1', ['Host', 'h']),
    ],
    roundTrip: [],
    normalize,
  },
  {
    name: 'Expect: 100-continue with expectContinue',
    make: () => new HTTPD({ expectContinue: true }),
    input: 'POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok',
    expected: [
      { response: 100, for: 'POST /e' },
      req('POST /e HTTP/1.1', ['Host', 'h', 'Expect', '100-continue', 'Content-Length', '2'], 'ok', { expectContinue: true }),
    ],
    roundTrip: [],
    normalize,
  },
]);

/** Every record `get` returns for `input` fed whole. */
function records(input: string, options?: HTTPDOptions): HTTPDRecord[] {
  return new HTTPD(options).get([bytes(input)]);
}
function only<T>(xs: readonly unknown[], cls: new (...a: never[]) => T): T {
  expect(xs).toHaveLength(1);
  expect(xs[0]).toBeInstanceOf(cls);
  return xs[0] as T;
}
/** The error response for `input`, checking it is the only record. */
function errorFor(input: string, options?: HTTPDOptions): HttpResponse {
  const r = only(records(input, options), HttpResponse);
  expect(r.closeConnection).toBe(true);
  return r;
}

describe('options', () => {
  test('defaults', () => {
    const f = new HTTPD();
    expect({ ...f, stopped: f.stopped }).toEqual({
      maxContent: 1024 * 1024,
      maxHeaderSize: 16 * 1024,
      maxHeaders: 100,
      maxBuffer: 512 * 1024 * 1024,
      streaming: false,
      requireHost: true,
      expectContinue: false,
      strict: true,
      stopped: false,
    });
  });

  test('unknown keys and POE spellings are refused', () => {
    expect(() => new HTTPD({ MaxContent: 10 } as HTTPDOptions)).toThrow(expect.objectContaining({ code: 'ERR_POE_UNKNOWN_OPTION', message: expect.stringContaining('did you mean `maxContent`') }));
    expect(() => new HTTPD({ bogus: 1 } as HTTPDOptions)).toThrow(PoeArgumentError);
  });

  test.each([
    ['maxContent', 0],
    ['maxContent', 1.5],
    ['maxHeaderSize', -1],
    ['maxHeaders', '10'],
    ['maxBuffer', Number.NaN],
    ['streaming', 1],
    ['requireHost', 'no'],
    ['expectContinue', null],
    ['now', 5],
    ['strict', 'no'],
  ])('%s: %j is refused', (key, value) => {
    expect(() => new HTTPD({ [key]: value })).toThrow(expect.objectContaining({ code: 'ERR_POE_INVALID_ARGUMENT', message: expect.stringContaining(`\`${key}\``) }));
  });

  test('maxBuffer must hold maxContent, as POE croaks', () => {
    expect(() => new HTTPD({ maxContent: 100, maxBuffer: 103 })).toThrow(/maxBuffer/);
    expect(() => new HTTPD({ maxContent: 100, maxBuffer: 104 })).not.toThrow();
  });

  test('clone keeps the configuration, not the buffer', () => {
    const f = new HTTPD({ maxContent: 3 });
    f.getOneStart([bytes('POST / HTTP/1.1\r\n')]);
    const c = f.clone();
    expect(c.maxContent).toBe(3);
    expect(c.getPending()).toBeUndefined();
    expect(errorFor('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n', { maxContent: 3 }).code).toBe(413);
  });

  test('snake_case names are the same functions', () => {
    const f = new HTTPD();
    f.get_one_start([bytes(get('/x'))]);
    expect(f.get_pending()).toEqual([bytes(get('/x'))]);
    expect(only(f.get_one(), HttpRequest).target).toBe('/x');
  });
});

describe('request records', () => {
  test('method, target, POE uri, protocol, headers in order with their case, content', () => {
    const r = only(records('POST //a//b?c HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nContent-Type: Text/Plain; charset=utf-8\r\nContent-Length: 4\r\n\r\ncaf\xc3\xa9'.replace('4', '5')), HttpRequest);
    expect(r.method).toBe('POST');
    expect(r.target).toBe('//a//b?c');
    expect(r.uri).toBe('/a//b?c');
    expect(r.protocol).toBe('HTTP/1.1');
    expect([r.versionMajor, r.versionMinor]).toEqual([1, 1]);
    expect(r.headers.raw()).toEqual(['Host', 'h', 'X-A', '1', 'x-a', '2', 'Content-Type', 'Text/Plain; charset=utf-8', 'Content-Length', '5']);
    expect(r.header('x-A')).toBe('1, 2');
    expect(r.headerFieldNames()).toEqual(['Host', 'X-A', 'Content-Type', 'Content-Length']);
    expect(r.contentType).toBe('text/plain');
    expect(r.contentLength).toBe(5);
    expect(r.content).toEqual(Buffer.from('café'));
    expect(r.contentText).toBe('café');
    expect([r.keepAlive, r.chunked, r.upgrade, r.expectContinue, r.trailers]).toEqual([true, false, false, false, undefined]);
  });

  test('header values: OWS trimmed, obs-text kept as latin1, empty values kept', () => {
    const r = only(records(`GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a b \t\r\nX-B:\r\nX-C: caf\xe9\r\n\r\n`), HttpRequest);
    expect(r.headers.raw()).toEqual(['Host', 'h', 'X-A', 'a b', 'X-B', '', 'X-C', 'café']);
  });

  test.each([
    ['HTTP/1.1', '', true],
    ['HTTP/1.1', 'Connection: close\r\n', false],
    ['HTTP/1.1', 'Connection: keep-alive, Close\r\n', false],
    ['HTTP/1.1', 'Connection: closed\r\n', true],
    ['HTTP/1.0', '', false],
    ['HTTP/1.0', 'Connection: Keep-Alive\r\n', true],
  ])('%s with %j: keepAlive %s', (proto, extra, keepAlive) => {
    expect(only(records(`GET / ${proto}\r\nHost: h\r\n${extra}\r\n`), HttpRequest).keepAlive).toBe(keepAlive);
  });

  test('HTTP/0.9: a request line without a version', () => {
    const r = only(records('GET /old\r\n\r\n'), HttpRequest);
    expect([r.protocol, r.keepAlive]).toEqual(['HTTP/0.9', false]);
  });

  // POE's request-line pattern makes `HTTP/x.y` optional and ignores what follows the target,
  // so it takes these as HTTP/0.9 requests (differences 17.15); Node's parser and this filter
  // refuse them.
  test.each([
    ['GET / 1.0\r\n\r\n'],
    ['GET / 1.0\r\nHost: h\r\n\r\n'],
    ['GET / 1.1\r\nHost: h\r\n\r\n'],
  ])('a version without `HTTP/` (%j) is a 400, Bad protocol', (input) => {
    const r = errorFor(input);
    expect(r.code).toBe(400);
    expect(r.contentText).toContain('<p>Bad protocol.</p>');
  });

  // Each byte of these continues one of HTTP, RTSP and ICE: only the whole name tells them apart.
  test.each([['HTSP/1.1'], ['HCTP/1.1'], ['HTEP/1.1'], ['RTTP/1.1'], ['ITSP/1.1'], ['HTT/1.1']])('a protocol mixing the known names (%s) is a 400, Bad protocol', (proto) => {
    const r = errorFor(`GET / ${proto}\r\nHost: h\r\n\r\n`);
    expect([r.code, r.contentText.includes('<p>Bad protocol.</p>')]).toEqual([400, true]);
  });

  test('chunked: flag, body, trailers', () => {
    const r = only(records('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1;a="b;c"\r\nx\r\n0\r\nT: 1\r\nT: 2\r\n\r\n'), HttpRequest);
    expect([r.chunked, r.contentText, r.trailers?.header('t')]).toEqual([true, 'x', '1, 2']);
    expect(only(records('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), HttpRequest).trailers?.size).toBe(0);
  });

  test('requests are returned one getOne at a time (filter switching)', () => {
    const f = new HTTPD();
    f.getOneStart([bytes(get('/1') + get('/2'))]);
    expect(only(f.getOne(), HttpRequest).target).toBe('/1');
    expect(f.getPending()).toEqual([bytes(get('/2'))]);
    expect(only(f.getOne(), HttpRequest).target).toBe('/2');
    expect(f.getOne()).toEqual([]);
    expect(f.getPending()).toBeUndefined();
  });
});

describe('connection handling', () => {
  test('after a request that closes the connection, data is a 400 and the filter stops', () => {
    const f = new HTTPD();
    const out = f.get([bytes(`${get('/1', 'Connection: close\r\n')}\r\n`)]);
    expect(out).toHaveLength(1);
    expect(f.stopped).toBe(true);
    const [err] = f.get([bytes(get('/2'))]) as [HttpResponse];
    expect(err.code).toBe(400);
    expect(err.contentText).toContain('closes the connection');
  });

  test('after an error: input is dropped, nothing is pending, the filter stays stopped', () => {
    const f = new HTTPD();
    expect(f.get([bytes('BAD\x00\r\n\r\n')])).toHaveLength(1);
    expect(f.stopped).toBe(true);
    expect(f.get([bytes(get('/x'))])).toEqual([]);
    expect(f.getPending()).toBeUndefined();
  });

  test('CONNECT and upgrades: the request, then the rest stays pending for the next filter', () => {
    const f = new HTTPD();
    const out = f.get([bytes('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01')]);
    expect(only(out, HttpRequest).upgrade).toBe(true);
    expect(f.stopped).toBe(true);
    f.getOneStart([bytes('more')]);
    expect(f.getOne()).toEqual([]);
    expect(f.getPending()).toEqual([bytes('\x16\x03\x01more')]);
  });

  test('an upgrade request with a body gets its body first', () => {
    const f = new HTTPD();
    const r = only(f.get([bytes(`POST / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: x\r\nContent-Length: 3\r\n\r\nabcNEXT`)]), HttpRequest);
    expect([r.upgrade, r.contentText]).toEqual([true, 'abc']);
    expect(f.getPending()).toEqual([bytes('NEXT')]);
  });

  test('Expect: 100-continue is surfaced; other expectations are a 417; HTTP/1.0 ignores Expect', () => {
    expect(only(records(get('/', 'Expect: 100-continue\r\n')), HttpRequest).expectContinue).toBe(true);
    expect(errorFor(get('/', 'Expect: something\r\n')).code).toBe(417);
    expect(only(records('GET / HTTP/1.0\r\nExpect: something\r\n\r\n'), HttpRequest).expectContinue).toBe(false);
  });

  test('expectContinue: the interim response comes at once, before the body; a too-large body gets its 413 instead', () => {
    const f = new HTTPD({ expectContinue: true, maxContent: 10 });
    const interim = only(f.get([bytes('POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n')]), HttpResponse);
    expect([interim.code, interim.message, interim.protocol, interim.closeConnection, interim.request?.target]).toEqual([100, 'Continue', 'HTTP/1.1', false, '/e']);
    expect(f.put([interim])[0]!.toString()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(only(f.get([bytes('ok')]), HttpRequest).contentText).toBe('ok');
    expect(errorFor('POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n', { expectContinue: true, maxContent: 10 }).code).toBe(413);
  });

  test('requireHost: false accepts HTTP/1.1 without Host', () => {
    expect(errorFor('GET / HTTP/1.1\r\n\r\n').code).toBe(400);
    expect(only(records('GET / HTTP/1.1\r\n\r\n', { requireHost: false }), HttpRequest).target).toBe('/');
  });
});

describe('error statuses', () => {
  test.each([
    [400, 'bare LF', 'GET / HTTP/1.1\nHost: h\r\n\r\n'],
    [400, 'Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'],
    [400, 'Transfer-Encoding not ending in chunked', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n'],
    [400, 'bad chunk size', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n'],
    [417, 'expectation', get('/', 'Expect: x\r\n')],
    [501, 'unknown method', 'BREW / HTTP/1.1\r\nHost: h\r\n\r\n'],
    [505, 'HTTP/1.2', 'GET / HTTP/1.2\r\nHost: h\r\n\r\n'],
    [505, 'HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ])('%i for %s', (status, _what, input) => {
    const r = errorFor(input);
    expect([r.code, r.message]).toEqual([status, HttpResponseMessage(status)]);
    expect(r.header('Connection')).toBe('close');
  });

  test('errors after the request line carry the request so far; request-line errors carry none', () => {
    expect(errorFor('POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n').request?.headers.raw()).toEqual(['Host', 'h', 'Content-Length', 'x']);
    expect(errorFor('GET /\x00 HTTP/1.1\r\n\r\n').request).toBeUndefined();
  });

  test('the error page never echoes the request', () => {
    const r = errorFor('GET /<script>\x01 HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(r.contentText).not.toContain('<script>');
  });
});

function HttpResponseMessage(code: number): string {
  return new HttpResponse(code).message;
}

describe('limits', () => {
  test('maxContent: a larger Content-Length is a 413 at once; streaming ignores it', () => {
    const r = errorFor('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n', { maxContent: 10 });
    expect([r.code, r.message, r.request?.target]).toEqual([413, 'Payload Too Large', '/']);
    const s = records('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n0123456789A', { maxContent: 10, streaming: true });
    expect(s.map(plainRecord)).toEqual([expect.objectContaining({ request: 'POST / HTTP/1.1' }), '0123456789A']);
  });

  test('maxContent: a chunked body is a 413 as soon as it grows past it', () => {
    const f = new HTTPD({ maxContent: 4 });
    expect(f.get([bytes('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')])).toEqual([]);
    expect(f.get([bytes('2\r\nd')])).toEqual([]);
    expect(only(f.get([bytes('e')]), HttpResponse).code).toBe(413);
  });

  test('maxHeaderSize: a request line that does not end within it is a 414, fed byte by byte too', () => {
    const f = new HTTPD({ maxHeaderSize: 64 });
    const line = `GET /${'a'.repeat(100)}`;
    const out: HTTPDRecord[] = [];
    let fedWhenRefused = -1;
    for (let i = 0; i < line.length && out.length === 0; i++) {
      out.push(...f.get([bytes(line[i]!)]));
      if (out.length > 0) fedWhenRefused = i + 1;
    }
    expect((out[0] as HttpResponse).code).toBe(414);
    expect(fedWhenRefused).toBe(64);
  });

  test('maxHeaderSize: a longer head is a 431; one exactly at the limit passes', () => {
    const head = (n: number) => `GET / HTTP/1.1\r\nHost: h\r\nX: ${'v'.repeat(n)}\r\n\r\n`;
    const exact = 100 - head(0).length;
    expect(only(records(head(exact), { maxHeaderSize: 100 }), HttpRequest).header('x')).toHaveLength(exact);
    expect(errorFor(head(exact + 1), { maxHeaderSize: 100 }).code).toBe(431);
  });

  test('maxHeaders: header and trailer lines', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    expect(only(records(`GET / HTTP/1.1\r\n${lines(4)}\r\n`, { maxHeaders: 4, requireHost: false }), HttpRequest).headers.size).toBe(4);
    expect(errorFor(`GET / HTTP/1.1\r\n${lines(5)}\r\n`, { maxHeaders: 4, requireHost: false }).code).toBe(431);
    expect(errorFor(`POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${lines(3)}\r\n`, { maxHeaders: 2 }).code).toBe(431);
  });

  test('chunk extensions longer than maxHeaderSize are a 413', () => {
    const input = `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(300)}\r\nx\r\n0\r\n\r\n`;
    expect(errorFor(input, { maxHeaderSize: 256 }).code).toBe(413);
  });

  test('maxBuffer: getOneStart throws FilterLimitError, as POE dies', () => {
    const f = new HTTPD({ maxContent: 10, maxBuffer: 64 });
    expect(() => f.getOneStart([Buffer.alloc(65, 0x41)])).toThrow(FilterLimitError);
    try {
      f.getOneStart([Buffer.alloc(65, 0x41)]);
    } catch (e) {
      expect(e).toMatchObject({ code: 'ERR_POE_FILTER_LIMIT', limit: 'maxBuffer', size: 65, max: 64 });
    }
  });
});

describe('put', () => {
  const put = (r: HttpResponse, options: HTTPDOptions = {}) => new HTTPD({ now: () => Date.UTC(2024, 0, 2, 3, 4, 5), ...options }).put([r])[0]!.toString('latin1');
  const DATE = 'Date: Tue, 02 Jan 2024 03:04:05 GMT\r\n';

  test("POE's status line: the standard message in parentheses when the response's differs", () => {
    expect(put(new HttpResponse(200))).toBe(`HTTP/1.0 200 OK\r\nContent-Length: 0\r\n${DATE}\r\n`);
    expect(put(new HttpResponse(404, 'Nope')).split('\r\n')[0]).toBe('HTTP/1.0 404 (Not Found) Nope');
    expect(put(new HttpResponse(200, '')).split('\r\n')[0]).toBe('HTTP/1.0 200 (OK)');
    expect(put(new HttpResponse(599, 'Custom')).split('\r\n')[0]).toBe('HTTP/1.0 599 (Unknown Error) Custom');
    const r = new HttpResponse(201);
    r.protocol = 'HTTP/1.1';
    expect(put(r).split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
  });

  test('headers in order, then the content verbatim; Content-Length and Date only when absent', () => {
    const r = new HttpResponse(200, 'OK', [['X-B', '2'], ['x-a', '1']], Buffer.from([0, 0xff, 0x0d, 0x0a]));
    expect(put(r)).toBe(`HTTP/1.0 200 OK\r\nX-B: 2\r\nx-a: 1\r\nContent-Length: 4\r\n${DATE}\r\n\x00\xff\r\n`);
    r.header('Content-Length', 4);
    r.header('Date', 'then');
    expect(put(r)).toBe('HTTP/1.0 200 OK\r\nX-B: 2\r\nx-a: 1\r\nContent-Length: 4\r\nDate: then\r\n\r\n\x00\xff\r\n');
    const chunked = new HttpResponse(200, 'OK', { 'Transfer-Encoding': 'chunked' }, '0\r\n\r\n');
    expect(put(chunked)).toBe(`HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n${DATE}\r\n0\r\n\r\n`);
  });

  test('no body and no Content-Length for 1xx, 204 and 304; no Date for 1xx; HEAD gets the length, not the body', () => {
    expect(put(new HttpResponse(204, undefined, undefined, 'x'))).toBe(`HTTP/1.0 204 No Content\r\n${DATE}\r\n`);
    expect(put(new HttpResponse(304))).toBe(`HTTP/1.0 304 Not Modified\r\n${DATE}\r\n`);
    expect(put(new HttpResponse(103))).toBe('HTTP/1.0 103 Early Hints\r\n\r\n');
    const head = new HttpResponse(200, 'OK', undefined, 'hello');
    head.request = new HttpRequest('HEAD', '/');
    expect(put(head)).toBe(`HTTP/1.0 200 OK\r\nContent-Length: 5\r\n${DATE}\r\n`);
  });

  test('each head is that of its own response, whatever the response before it (the serializer reuses the last head)', () => {
    let ms = Date.UTC(2024, 0, 2, 3, 4, 5);
    const f = new HTTPD({ now: () => ms });
    const put = (r: HttpResponse) => f.put([r])[0]!.toString('latin1');
    const r = new HttpResponse(200, 'OK', { 'Content-Type': 'text/plain' }, 'abc');
    const same = `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n${DATE}\r\nabc`;
    expect(put(r)).toBe(same);
    expect(put(new HttpResponse(200, 'OK', { 'Content-Type': 'text/plain' }, 'xyz'))).toBe(same.replace('abc', 'xyz'));
    ms += 999; // the same second
    expect(put(r)).toBe(same);
    ms += 1; // the next one
    expect(put(r)).toBe(same.replace('05 GMT', '06 GMT'));
    ms -= 1000;
    expect(put(r)).toBe(same);
    r.header('Content-Type', 'text/html');
    expect(put(r)).toBe(same.replace('text/plain', 'text/html'));
    r.content = 'abcd';
    expect(put(r)).toBe(same.replace('text/plain', 'text/html').replace('Length: 3', 'Length: 4').replace('abc', 'abcd'));
    r.content = 'abc';
    r.header('Content-Type', 'text/plain');
    expect(put(r)).toBe(same);
    r.code = 201;
    expect(put(r)).toBe(same.replace('200 OK', '201 (Created) OK'));
    r.message = 'Created';
    expect(put(r)).toBe(same.replace('200 OK', '201 Created'));
    r.protocol = 'HTTP/1.1';
    expect(put(r)).toBe(same.replace('HTTP/1.0 200 OK', 'HTTP/1.1 201 Created'));
    r.request = new HttpRequest('HEAD', '/');
    expect(put(r)).toBe(same.replace('HTTP/1.0 200 OK', 'HTTP/1.1 201 Created').replace('abc', ''));
    r.content = '';
    r.request = undefined;
    expect(put(r)).toBe(same.replace('HTTP/1.0 200 OK', 'HTTP/1.1 201 Created').replace('Length: 3', 'Length: 0').replace('abc', ''));
    r.request = new HttpRequest('HEAD', '/');
    expect(put(r)).toBe(same.replace('HTTP/1.0 200 OK', 'HTTP/1.1 201 Created').replace('Content-Length: 3\r\n', '').replace('abc', ''));
    r.request = undefined;
    r.code = 204;
    r.message = 'No Content';
    expect(put(r)).toBe(`HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n${DATE}\r\n`);
    r.pushHeader('Date', 'then');
    expect(put(r)).toBe('HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\nDate: then\r\n\r\n');
    r.removeHeader('Date');
    expect(put(r)).toBe(`HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n${DATE}\r\n`);
    // The checks are not skipped: a value that differs from the last head's is checked.
    const bad = new HttpResponse(204, 'No Content', { 'Content-Type': 'text/plain', Date: 'a\x01b' });
    bad.protocol = 'HTTP/1.1';
    expect(() => put(bad)).toThrow(/control or non-Latin-1/);
  });

  test('string content goes out as its UTF-8, lone surrogates as U+FFFD, read back as the same bytes', () => {
    const text = 'h\u00e9llo \u2603 \ud800!';
    const bytes = Buffer.from(text, 'utf8');
    const r = new HttpResponse(200, 'OK');
    r.content = text;
    expect(put(r)).toBe(`HTTP/1.0 200 OK\r\nContent-Length: ${bytes.length}\r\n${DATE}\r\n${bytes.toString('latin1')}`);
    expect(r.content).toEqual(bytes);
    expect(r.content).toBe(r.content);
    expect(r.contentText).toBe('h\u00e9llo \u2603 \ufffd!');
    r.content = 'x';
    expect(r.contentText).toBe('x');
    r.content = '';
    expect(r.content).toHaveLength(0);
    expect(put(r)).toBe(`HTTP/1.0 200 OK\r\nContent-Length: 0\r\n${DATE}\r\n`);
  });

  test('one Buffer per response; anything but a response, or a value that would split the response, throws', () => {
    const f = new HTTPD();
    expect(f.put([new HttpResponse(200), new HttpResponse(404)])).toHaveLength(2);
    expect(() => f.put(['HTTP/1.0 200 OK\r\n\r\n' as unknown as HttpResponse])).toThrow(PoeArgumentError);
    expect(() => new HttpResponse(200).header('X', 'a\r\nSet-Cookie: x')).toThrow(PoeArgumentError);
    const ctl = new HttpResponse(200, 'OK', { X: 'a\x01b' });
    expect(() => f.put([ctl])).toThrow(/control or non-Latin-1/);
    const wide = new HttpResponse(200, 'OK', { X: '\u2603' });
    expect(() => f.put([wide])).toThrow(/control or non-Latin-1/);
  });
});
