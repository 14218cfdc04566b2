/**
 * The HTTPD filter's lenient mode (`strict: false`, issue 13): POE::Filter::HTTPD's reading of
 * requests for old clients, on http-parser-js.
 *
 * - The corpus (t/fixtures/httpd-lenient/corpus.json): what strict mode and lenient mode give
 *   for every input, as a table (docs/api.md shows the same table).
 * - Lenient mode against POE 1.37: record.pl fed the corpus to POE::Filter::HTTPD and wrote
 *   recording.json; lenient mode gives the same records but for the rows listed in
 *   POE_DIFFERS, each with its reason (docs/differences.md 17.22).
 * - The shared filter conformance harness and the chunk sweep (every corpus input, both modes,
 *   split at every size), a property test, the limits, the options, error records.
 * - Lenient mode gives strict mode's records for every request strict mode accepts (the oracle
 *   corpus): keep-alive, pipelining, chunked bodies, upgrades, Expect alike.
 * - http-parser-js's process-wide state does not change what lenient mode reads.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { HTTPParser } from 'http-parser-js';
import { describe, expect, test } from 'vitest';
import { FilterLimitError, HTTPD, HttpRequest, HttpResponse } from '../../src/index.js';
import type { HTTPDOptions, HTTPDRecord } from '../../src/index.js';
import { filterConformance } from '../filter/harness.js';
import { GOOD_CASES } from './corpus.js';

const FIXTURES = new URL('../fixtures/httpd-lenient/', import.meta.url);
const CORPUS = JSON.parse(readFileSync(new URL('corpus.json', FIXTURES), 'utf8')) as { name: string; input: string }[];
interface PoeRequest {
  method: string;
  uri: string;
  protocol: string;
  headers: [string, string[]][];
  content: string;
}
type PoeRecord = PoeRequest | { status: number };
const RECORDING = JSON.parse(readFileSync(new URL('recording.json', FIXTURES), 'utf8')) as {
  filter: string;
  rows: { name: string; records: PoeRecord[]; pending: string | null }[];
};

const bytes = (s: string) => Buffer.from(s, 'latin1');
const LENIENT: HTTPDOptions = { strict: false };

/** One `get` per chunk, as a wheel feeds a filter; then the bytes left pending. */
function feed(chunks: readonly Buffer[], options?: HTTPDOptions): { records: HTTPDRecord[]; pending: string | null } {
  const f = new HTTPD(options);
  const records: HTTPDRecord[] = [];
  for (const c of chunks) records.push(...f.get([c]));
  const p = f.getPending();
  return { records, pending: p ? p[0]!.toString('latin1') : null };
}

/** A record in a table cell: `METHOD target protocol "content"`, or the error status. */
function cell(records: readonly HTTPDRecord[]): string {
  return records
    .map((r) => {
      if (r instanceof HttpResponse) return String(r.code);
      if (r instanceof HttpRequest) return `${r.method} ${r.target} ${r.protocol}${r.content.length > 0 ? ` "${r.content.toString('latin1')}"` : ''}`;
      return `<${r.toString('latin1')}>`;
    })
    .join(' | ');
}

/** A record as a plain value: every field a request record has, the status and text of a response. */
function plainRecord(r: unknown): unknown {
  if (Buffer.isBuffer(r)) return r.length === 0 ? '<end of body>' : r.toString('latin1');
  if (r instanceof HttpRequest) {
    return {
      request: `${r.method} ${r.target} ${r.protocol}`,
      uri: r.uri,
      headers: r.headers.raw(),
      content: r.content.toString('latin1'),
      ...(r.trailers ? { trailers: r.trailers.raw() } : {}),
      keepAlive: r.keepAlive,
      ...(r.chunked ? { chunked: true } : {}),
      ...(r.upgrade ? { upgrade: true } : {}),
      ...(r.expectContinue ? { expectContinue: true } : {}),
    };
  }
  if (r instanceof HttpResponse) return { response: r.code, details: r.contentText, ...(r.request ? { for: `${r.request.method} ${r.request.target}` } : {}) };
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

/** A record as record.pl writes POE's: header names lower-cased and sorted, values in order. */
function poeShape(r: HTTPDRecord): PoeRecord {
  if (r instanceof HttpResponse) return { status: r.code };
  if (!(r instanceof HttpRequest)) throw new Error('no body pieces outside streaming mode');
  const raw = r.headers.raw();
  const byName = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const values = byName.get(name) ?? [];
    values.push(raw[i + 1]!);
    byName.set(name, values);
  }
  const headers = [...byName].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { content: r.content.toString('latin1'), headers, method: r.method, protocol: r.protocol, uri: r.uri };
}

/** Every corpus input: what strict mode gives, what lenient mode gives. */
const TABLE: readonly [name: string, strict: string, lenient: string][] = [
  ['CRLF request (control)', 'GET /a?b=1 HTTP/1.1', 'GET /a?b=1 HTTP/1.1'],
  ['bare LF throughout', '400', 'GET /lf HTTP/1.0'],
  ['bare LF after the request line', '400', 'GET / HTTP/1.1'],
  ['bare LF ending the head', '400', 'GET / HTTP/1.1'],
  ['bare LF, POST with a body', '400', 'POST /p HTTP/1.0 "abc"'],
  ['bare CR line ends', '400', '400'],
  ['CR CR LF ending the head', '400', '400'],
  ['bare CR inside a header line', '400', '400'],
  ['obs-fold with spaces', '400', 'GET /h HTTP/1.0'],
  ['obs-fold with a tab', '400', 'GET /h HTTP/1.0'],
  ['obs-fold with bare LF', '400', 'GET /h HTTP/1.0'],
  ['obs-fold on the first header line', '400', 'GET /h HTTP/1.0'],
  ['obs-fold of Content-Length', '400', '400'],
  ['obs-fold of Transfer-Encoding', '400', '400'],
  ['space before a colon', '400', 'GET / HTTP/1.0'],
  ['tab before a colon', '400', 'GET / HTTP/1.0'],
  ['space before the colon of Content-Length', '400', '400'],
  ['space before the colon of Transfer-Encoding', '400', '400'],
  ['no space after a colon', 'GET / HTTP/1.0', 'GET / HTTP/1.0'],
  ['a name with a dot', 'GET / HTTP/1.0', 'GET / HTTP/1.0'],
  ['an empty name', '400', '400'],
  ['a line that is not a header', '400', '400'],
  ['a junk line hiding Content-Length', '400', '400'],
  ['trailing whitespace in a value', 'GET / HTTP/1.0', 'GET / HTTP/1.0'],
  ['a control character in a value', '400', 'GET / HTTP/1.0'],
  ['NUL in a value', '400', '400'],
  ['obs-text in a value', 'GET / HTTP/1.0', 'GET / HTTP/1.0'],
  ['lowercase method', '501', 'get /x HTTP/1.0'],
  ['unknown method', '501', 'BREW /pot HTTP/1.0'],
  ['method with a hyphen', 'M-SEARCH * HTTP/1.1', 'M-SEARCH * HTTP/1.1'],
  ['HTTP/0.9 request line', 'GET /old HTTP/0.9', 'GET /old HTTP/0.9'],
  ['HTTP/0.9 with headers', 'GET /old HTTP/0.9', 'GET /old HTTP/0.9'],
  ['a version without HTTP/', '400', 'GET / HTTP/0.9'],
  ['lowercase http/1.0', '400', 'GET / HTTP/0.9'],
  ['junk after the version', '400', 'GET / HTTP/1.0'],
  ['a space in the target', '400', 'GET /a HTTP/0.9'],
  ['tabs and repeated spaces in the request line', '400', 'GET /x HTTP/1.0'],
  ['HTTP/1.2', '505', 'GET / HTTP/1.2'],
  ['HTTP/3.0', '505', 'GET / HTTP/3.0'],
  ['NUL in the target', '400', '400'],
  ['a control character in the target', '400', '400'],
  ['leading blank lines and spaces', '400', 'GET / HTTP/1.0'],
  ['space before the method', '400', 'GET / HTTP/1.0'],
  ['double leading slash', 'GET //dbl/path HTTP/1.0', 'GET //dbl/path HTTP/1.0'],
  ['absolute-form URI', 'GET http://example.com:8080/x?y HTTP/1.1', 'GET http://example.com:8080/x?y HTTP/1.1'],
  ['absolute-form URI without Host', 'GET http://example.com/x HTTP/1.0', 'GET http://example.com/x HTTP/1.0'],
  ['HTTP/2 preface', '505', 'PRI * HTTP/2.0 | 400'],
  ['CONNECT', 'CONNECT example.com:443 HTTP/1.1', 'CONNECT example.com:443 HTTP/1.1'],
  ['HTTP/1.1 without Host', '400', 'GET / HTTP/1.1'],
  ['HTTP/1.0 without Host', 'GET / HTTP/1.0', 'GET / HTTP/1.0'],
  ['an unknown expectation', '417', 'GET / HTTP/1.1'],
  ['Content-Length with whitespace', 'POST /p HTTP/1.0 "abc"', 'POST /p HTTP/1.0 "abc"'],
  ['Content-Length with leading zeros', 'POST /p HTTP/1.0 "abc"', 'POST /p HTTP/1.0 "abc"'],
  ['duplicate Content-Length, same value', '400', 'POST /p HTTP/1.0 "abc"'],
  ['duplicate Content-Length, different values', '400', '400'],
  ['Content-Length as a list', '400', '400'],
  ['hexadecimal Content-Length', '400', '400'],
  ['plus-signed Content-Length', '400', '400'],
  ['negative Content-Length', '400', '400'],
  ['empty Content-Length', '400', '400'],
  ['Content-Length not a number', '400', '400'],
  ['Content-Length past maxContent', '400', '413'],
  ['Content-Encoding without Content-Length', 'POST /p HTTP/1.1', 'POST /p HTTP/1.1'],
  ['chunked body', 'POST /c HTTP/1.1 "abc"', 'POST /c HTTP/1.1 "abc"'],
  ['chunked body with bare LF framing', '400', 'POST /c HTTP/1.1 "abc"'],
  ['Transfer-Encoding with Content-Length (CL.TE)', '400', '400'],
  ['Transfer-Encoding then Content-Length (TE.CL)', '400', '400'],
  ['Transfer-Encoding not ending in chunked', '400', '400'],
  ['Transfer-Encoding: chunked twice', '400', '400'],
  ['chunk size with 0x', '400', '400'],
  ['negative chunk size', '400', '400'],
  ['chunk size not hex', '400', '400'],
  ['chunk size missing', '400', '400'],
  ['chunk size with trailing whitespace', '400', 'POST /c HTTP/1.1 "abc"'],
  ['chunk size overflow', '400', '400'],
  ['chunk data longer than its size', '400', '400'],
  ['two pipelined HTTP/1.1 requests', 'GET /1 HTTP/1.1 | GET /2 HTTP/1.1', 'GET /1 HTTP/1.1 | GET /2 HTTP/1.1'],
  ['Content-Length: 0, then a pipelined GET', 'POST /z HTTP/1.1 | GET /2 HTTP/1.1', 'POST /z HTTP/1.1 | GET /2 HTTP/1.1'],
  ['HTTP/1.0 requests without keep-alive', 'GET /1 HTTP/1.0 | 400', 'GET /1 HTTP/1.0 | 400'],
  ['a body, extra CRLFs, then a request', 'POST /p HTTP/1.0 "ab" | GET /2 HTTP/1.0', 'POST /p HTTP/1.0 "ab" | GET /2 HTTP/1.0'],
];

/** Why lenient mode gives other records than POE 1.37 for a row (docs/differences.md 17.22). */
const WHY = {
  bareCR: 'a CR ends a line only before LF; POE keeps a lone CR inside a header value, which HttpHeaders never holds',
  framingFold: 'whitespace before the colon of, or a fold in, Content-Length or Transfer-Encoding frames the message one way here and another way in a proxy',
  tokenName: 'a header name is any token (RFC 9110), as in strict mode; POE stops reading headers at a name with another character',
  badLine: 'POE silently drops a line that is not a header and every line after it, which can hide a Content-Length',
  ows: 'whitespace around a value is not part of it (RFC 9110 5.5), as in strict mode; POE keeps the trailing part',
  nul: 'HttpHeaders never holds a NUL (a truncation risk downstream)',
  tokenMethod: 'a method is any token, as in strict mode (M-SEARCH); POE takes only \\w+',
  targetControl: 'POE escapes control bytes into its URI object; the target is handed on as sent, so a control byte is refused',
  differingLengths: 'POE takes the first of two differing Content-Lengths: request smuggling',
  no411: 'a request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3), as in strict mode (17.16)',
  chunked: 'chunked bodies are decoded, as in strict mode (17.16), with strict chunk sizes; POE parses the chunks as a new request',
  teWithCl: 'POE reads a Content-Length body and ignores Transfer-Encoding: request smuggling (CL.TE, TE.CL)',
  teNotChunked: 'a body whose length nothing gives cannot be framed (RFC 9112 6.3); POE parses it as the next request',
  g29: 'nothing is lost after Content-Length: 0 (G29), as in strict mode',
  keepAlive: "the filter stops after a request that does not keep the connection (Node's rule), as in strict mode (17.16)",
} as const;

const POE_DIFFERS: Readonly<Record<string, keyof typeof WHY>> = {
  'CR CR LF ending the head': 'bareCR',
  'bare CR inside a header line': 'bareCR',
  'obs-fold of Content-Length': 'framingFold',
  'obs-fold of Transfer-Encoding': 'framingFold',
  'space before the colon of Content-Length': 'framingFold',
  'space before the colon of Transfer-Encoding': 'framingFold',
  'a name with a dot': 'tokenName',
  'an empty name': 'badLine',
  'a line that is not a header': 'badLine',
  'a junk line hiding Content-Length': 'badLine',
  'trailing whitespace in a value': 'ows',
  'Content-Length with whitespace': 'ows',
  'NUL in a value': 'nul',
  'method with a hyphen': 'tokenMethod',
  'NUL in the target': 'targetControl',
  'a control character in the target': 'targetControl',
  'duplicate Content-Length, different values': 'differingLengths',
  'Content-Encoding without Content-Length': 'no411',
  'chunked body': 'chunked',
  'chunked body with bare LF framing': 'chunked',
  'Transfer-Encoding: chunked twice': 'chunked',
  'chunk size with 0x': 'chunked',
  'negative chunk size': 'chunked',
  'chunk size not hex': 'chunked',
  'chunk size missing': 'chunked',
  'chunk size with trailing whitespace': 'chunked',
  'chunk size overflow': 'chunked',
  'chunk data longer than its size': 'chunked',
  'Transfer-Encoding with Content-Length (CL.TE)': 'teWithCl',
  'Transfer-Encoding then Content-Length (TE.CL)': 'teWithCl',
  'Transfer-Encoding not ending in chunked': 'teNotChunked',
  'Content-Length: 0, then a pipelined GET': 'g29',
  'HTTP/1.0 requests without keep-alive': 'keepAlive',
};

describe('the corpus, strict and lenient', () => {
  test('the table, the corpus and the recording name the same inputs in the same order', () => {
    expect(TABLE.map((r) => r[0])).toEqual(CORPUS.map((c) => c.name));
    expect(RECORDING.rows.map((r) => r.name)).toEqual(CORPUS.map((c) => c.name));
    expect(RECORDING.filter).toBe('POE::Filter::HTTPD 1.370');
    for (const name of Object.keys(POE_DIFFERS)) expect(CORPUS.some((c) => c.name === name), name).toBe(true);
  });

  test.each(CORPUS.map((c, i) => [c.name, c.input, TABLE[i]!] as const))('%s', (_name, input, [, strict, lenient]) => {
    expect({ strict: cell(feed([bytes(input)]).records), lenient: cell(feed([bytes(input)], LENIENT).records) }).toEqual({ strict, lenient });
  });

  test('lenient mode refuses no input that strict mode accepts', () => {
    for (const [name, strict, lenient] of TABLE) {
      if (!/\b[45]\d\d\b/.test(strict)) expect(lenient, name).toBe(strict);
    }
  });
});

describe('lenient mode against POE::Filter::HTTPD 1.37 (recording.json)', () => {
  test.each(CORPUS.map((c, i) => [c.name, c.input, RECORDING.rows[i]!] as const))('%s', (name, input, poe) => {
    const { records, pending } = feed([bytes(input)], LENIENT);
    const mine = { records: records.map(poeShape), pending };
    const theirs = { records: poe.records, pending: poe.pending };
    if (name in POE_DIFFERS) expect(mine, WHY[POE_DIFFERS[name]!]).not.toEqual(theirs);
    else expect(mine).toEqual(theirs);
  });

  test('where lenient mode refuses what POE accepts, it answers one error record', () => {
    for (const [name, why] of Object.entries(POE_DIFFERS)) {
      const { records } = feed([bytes(CORPUS.find((c) => c.name === name)!.input)], LENIENT);
      const errors = records.filter((r) => r instanceof HttpResponse);
      expect(errors.length, `${name}: ${why}`).toBeLessThanOrEqual(1);
      if (errors.length === 1) expect(records.at(-1), name).toBe(errors[0]);
    }
  });
});

describe('the chunk sweep over the corpus', () => {
  test.each([
    ['strict', {}],
    ['lenient', LENIENT],
  ] as const)('%s: every input split at every size gives the same records and pending bytes', (_mode, options) => {
    for (const c of CORPUS) {
      const input = bytes(c.input);
      const whole = feed([input], options);
      const expected = { records: normalize(whole.records), pending: whole.pending };
      for (let size = 1; size < input.length; size++) {
        const pieces: Buffer[] = [];
        for (let i = 0; i < input.length; i += size) pieces.push(input.subarray(i, i + size));
        const got = feed(pieces, options);
        expect({ records: normalize(got.records), pending: got.pending }, `${c.name}, chunks of ${size}`).toEqual(expected);
      }
    }
  });
});

const req = (line: string, headers: string[], content = '', more: Record<string, unknown> = {}) => {
  const target = line.split(' ')[1]!;
  return { request: line, uri: target.replace(/^\/\/+/, '/'), headers, content, keepAlive: true, ...more };
};

filterConformance('HTTPD strict: false', [
  {
    name: 'pipelined requests: bare LF, folded lines, space before a colon, chunked with LF framing',
    make: () => new HTTPD(LENIENT),
    input:
      'GET /a HTTP/1.0\nConnection: keep-alive\nX-Long: a\n b\n\n' +
      'post /p HTTP/1.1\r\nHost : h\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /c HTTP/1.1\nTransfer-Encoding: chunked\n\n3;x\nabc\nA \n0123456789\n0\nX-Sum: 13\n\n' +
      '\r\n \t' +
      'GET /last HTTP/1.1 trailing words\r\n\r\n',
    expected: [
      req('GET /a HTTP/1.0', ['Connection', 'keep-alive', 'X-Long', 'a b']),
      req('post /p HTTP/1.1', ['Host', 'h', 'Content-Length', '5'], 'hello'),
      req('POST /c HTTP/1.1', ['Transfer-Encoding', 'chunked'], 'abc0123456789', { trailers: ['X-Sum', '13'], chunked: true }),
      req('GET /last HTTP/1.1', []),
    ],
    roundTrip: [],
    partial: {
      input: 'GET /a HTTP/1.0\nConnection: keep-alive\nHo',
      pending: ['GET /a HTTP/1.0\nConnection: keep-alive\nHo'],
      rest: 'st: x\n\n',
      records: [req('GET /a HTTP/1.0', ['Connection', 'keep-alive', 'Host', 'x'])],
    },
    normalize,
  },
  {
    name: 'an error response ends the input',
    make: () => new HTTPD(LENIENT),
    input: 'GET /1 HTTP/1.1\n\nPOST /2 HTTP/1.1\nContent-Length: 1\nTransfer-Encoding: chunked\n\n0\n\nGET /3 HTTP/1.1\n\n',
    expected: [
      req('GET /1 HTTP/1.1', []),
      {
        response: 400,
        details: '<html><head><title>Error 400: Bad Request</title></head><body><h1>Error 400: Bad Request</h1><p>Content-Length together with Transfer-Encoding.</p></body></html>',
        for: 'POST /2',
      },
    ],
    roundTrip: [],
    normalize,
  },
  {
    name: 'a request that closes the connection, then blank lines',
    make: () => new HTTPD(LENIENT),
    input: 'GET /1 HTTP/1.1\nConnection: close\n\n\r\n\n',
    expected: [req('GET /1 HTTP/1.1', ['Connection', 'close'], '', { keepAlive: false })],
    roundTrip: [],
    normalize,
  },
  {
    name: 'an upgrade leaves the next protocol pending',
    make: () => new HTTPD(LENIENT),
    input: 'GET /ws HTTP/1.1\nConnection: Upgrade\nUpgrade: websocket\n\n\x81\x05hello',
    expected: [req('GET /ws HTTP/1.1', ['Connection', 'Upgrade', 'Upgrade', 'websocket'], '', { upgrade: true })],
    pendingAfterInput: ['\x81\x05hello'],
    roundTrip: [],
    normalize,
  },
  {
    name: 'streaming bodies',
    make: () => new HTTPD({ ...LENIENT, streaming: true, maxContent: 4 }),
    input: 'POST /s HTTP/1.1\nContent-Length: 6\n\nabcdef' + 'POST /c HTTP/1.1\nTransfer-Encoding: chunked\n\n2\nxy\n3\nzzz\n0\nT: 1\n\n' + 'GET /after HTTP/1.1\n\n',
    expected: [
      req('POST /s HTTP/1.1', ['Content-Length', '6']),
      'abcdef',
      req('POST /c HTTP/1.1', ['Transfer-Encoding', 'chunked'], '', { trailers: ['T', '1'], chunked: true }),
      'xyzzz',
      '<end of body>',
      req('GET /after HTTP/1.1', []),
    ],
    roundTrip: [],
    normalize,
  },
  {
    name: 'Expect: 100-continue with expectContinue',
    make: () => new HTTPD({ ...LENIENT, expectContinue: true }),
    input: 'POST /e HTTP/1.1\nExpect: 100-continue\nContent-Length: 2\n\nok',
    expected: [
      { response: 100, details: '', for: 'POST /e' },
      req('POST /e HTTP/1.1', ['Expect', '100-continue', 'Content-Length', '2'], 'ok', { expectContinue: true }),
    ],
    roundTrip: [],
    normalize,
  },
]);

describe('lenient mode keeps strict mode records for every request strict mode accepts', () => {
  // The oracle's well-formed requests: keep-alive, pipelining, chunked bodies and trailers,
  // upgrades, CONNECT, Expect. requireHost: true so that Host is checked alike.
  test.each(GOOD_CASES.map((c) => [c.name, c.input] as const))('%s', (_name, input) => {
    const strict = feed([bytes(input)]);
    const lenient = feed([bytes(input)], { ...LENIENT, requireHost: true });
    expect({ records: normalize(lenient.records), pending: lenient.pending }).toEqual({ records: normalize(strict.records), pending: strict.pending });
  });
});

describe('properties', () => {
  const fragment = fc.oneof(
    fc.constantFrom('GET / HTTP/1.1\n', 'post /p HTTP/1.0\r\n', 'GET /x\r\n', 'Host: h\n', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\n', 'X : y\n'),
    fc.constantFrom('\r\n', '\n', '\r', ' ', '\t', ':', ' folded\r\n', '0\n\n', '3\nabc\n', '3;e\r\nabc\r\n', 'Connection: close\n', 'Connection: keep-alive\n'),
    fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1')),
  );
  const cuts = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 });

  test('any input gives the same records whole or cut, get never throws, an error comes last', () => {
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 20 }), cuts, (parts, sizes) => {
        const input = bytes(parts.join(''));
        const pieces: Buffer[] = [];
        for (let i = 0, k = 0; i < input.length; k++) {
          const n = sizes.length === 0 ? input.length : sizes[k % sizes.length]!;
          pieces.push(input.subarray(i, i + n));
          i += n;
        }
        const whole = feed([input], LENIENT);
        const cut = feed(pieces, LENIENT);
        expect({ records: normalize(cut.records), pending: cut.pending }).toEqual({ records: normalize(whole.records), pending: whole.pending });
        const errors = whole.records.filter((r) => r instanceof HttpResponse);
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length === 1) expect(whole.records.at(-1)).toBe(errors[0]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('options', () => {
  test('strict is true by default; strict: false turns requireHost off unless it is given', () => {
    expect([new HTTPD().strict, new HTTPD().requireHost]).toEqual([true, true]);
    expect([new HTTPD(LENIENT).strict, new HTTPD(LENIENT).requireHost]).toEqual([false, false]);
    const hostless = 'GET / HTTP/1.1\r\n\r\n';
    expect(cell(feed([bytes(hostless)], { ...LENIENT, requireHost: true }).records)).toBe('400');
    expect(cell(feed([bytes(hostless)], LENIENT).records)).toBe('GET / HTTP/1.1');
  });

  test('clone keeps lenient mode, not the buffer', () => {
    const f = new HTTPD(LENIENT);
    f.getOneStart([bytes('GET / HTTP/1.0\n')]);
    const c = f.clone();
    expect([c.strict, c.getPending()]).toEqual([false, undefined]);
    expect(cell(c.get([bytes('get /x HTTP/1.0\nX : 1\n\n')]))).toBe('get /x HTTP/1.0');
  });

  test('requests come one getOne at a time, the rest pending (filter switching)', () => {
    const f = new HTTPD(LENIENT);
    f.getOneStart([bytes('GET /1 HTTP/1.1\n\nGET /2 HTTP/1.1\n\n')]);
    expect(cell(f.getOne())).toBe('GET /1 HTTP/1.1');
    expect(f.getPending()).toEqual([bytes('GET /2 HTTP/1.1\n\n')]);
    expect(cell(f.getOne())).toBe('GET /2 HTTP/1.1');
    expect([f.getOne(), f.getPending()]).toEqual([[], undefined]);
  });
});

/** The error record for `input` in lenient mode, checking it is the only record. */
function errorFor(input: string, options: HTTPDOptions = {}): HttpResponse {
  const { records } = feed([bytes(input)], { ...LENIENT, ...options });
  expect(records).toHaveLength(1);
  expect(records[0]).toBeInstanceOf(HttpResponse);
  const r = records[0] as HttpResponse;
  expect([r.closeConnection, r.header('Connection')]).toEqual([true, 'close']);
  return r;
}

describe('error records', () => {
  test('framing errors carry the request so far; request-line and field-line errors carry none', () => {
    const r = errorFor('POST /p HTTP/1.1\nContent-Length: 1\nContent-Length: 2\n\nab');
    expect([r.code, r.request?.headers.raw()]).toEqual([400, ['Content-Length', '1', 'Content-Length', '2']]);
    expect(errorFor('GET /\x01 HTTP/1.0\n\n').request).toBeUndefined();
    expect(errorFor('GET / HTTP/1.0\nContent-Length : 1\n\nx').request).toBeUndefined();
  });

  test('after an error the filter is stopped and drops its input', () => {
    const f = new HTTPD(LENIENT);
    expect(cell(f.get([bytes('\x16\x03\x01\x02\x00')]))).toBe('400');
    expect([f.stopped, f.get([bytes('GET / HTTP/1.0\n\n')]), f.getPending()]).toEqual([true, [], undefined]);
  });

  test('a request line that starts with no method is refused at its first byte (TLS on a plain port)', () => {
    const f = new HTTPD(LENIENT);
    const [r] = f.get([bytes('\x16')]) as [HttpResponse];
    expect([r.code, r.contentText.includes('<p>Bad request method.</p>')]).toEqual([400, true]);
  });
});

describe('limits apply in lenient mode', () => {
  test('maxHeaderSize: a request line that does not end within it is a 414, fed byte by byte too', () => {
    const f = new HTTPD({ ...LENIENT, maxHeaderSize: 64 });
    const line = `GET /${'a'.repeat(100)}`;
    let refusedAt = -1;
    const out: HTTPDRecord[] = [];
    for (let i = 0; i < line.length && out.length === 0; i++) {
      out.push(...f.get([bytes(line[i]!)]));
      if (out.length > 0) refusedAt = i + 1;
    }
    expect([(out[0] as HttpResponse).code, refusedAt]).toEqual([414, 64]);
  });

  test('maxHeaderSize: a longer head is a 431, one exactly at the limit passes (LF or CRLF)', () => {
    for (const eol of ['\n', '\r\n']) {
      const head = (n: number) => `GET / HTTP/1.1${eol}X: ${'v'.repeat(n)}${eol}${eol}`;
      const exact = 100 - head(0).length;
      expect(cell(feed([bytes(head(exact))], { ...LENIENT, maxHeaderSize: 100 }).records)).toBe('GET / HTTP/1.1');
      expect(errorFor(head(exact + 1), { maxHeaderSize: 100 }).code).toBe(431);
    }
  });

  test('maxHeaders: header lines and trailer lines', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\n`).join('');
    expect(cell(feed([bytes(`GET / HTTP/1.1\n${lines(4)}\n`)], { ...LENIENT, maxHeaders: 4 }).records)).toBe('GET / HTTP/1.1');
    expect(errorFor(`GET / HTTP/1.1\n${lines(5)}\n`, { maxHeaders: 4 }).code).toBe(431);
    expect(errorFor(`POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n0\n${lines(3)}\n`, { maxHeaders: 2 }).code).toBe(431);
  });

  test('maxHeaderSize: the trailer section and a chunk-size line', () => {
    const chunked = 'POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n';
    expect(errorFor(`${chunked}0\nX: ${'t'.repeat(300)}\n\n`, { maxHeaderSize: 256 }).code).toBe(431);
    expect(errorFor(`${chunked}1;${'e'.repeat(300)}\nx\n0\n\n`, { maxHeaderSize: 256 }).code).toBe(413);
  });

  test('maxContent: a larger Content-Length is a 413 at once; a chunked body past it too; streaming ignores it', () => {
    const r = errorFor('POST / HTTP/1.0\nContent-Length: 11\n\n', { maxContent: 10 });
    expect([r.code, r.request?.target]).toEqual([413, '/']);
    const f = new HTTPD({ ...LENIENT, maxContent: 4 });
    expect(f.get([bytes('POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n')])).toEqual([]);
    expect(cell(f.get([bytes('2\n')]))).toBe('413');
    const s = feed([bytes('POST / HTTP/1.0\nContent-Length: 11\n\n0123456789A')], { ...LENIENT, maxContent: 10, streaming: true });
    expect(normalize(s.records)).toEqual([req('POST / HTTP/1.0', ['Content-Length', '11'], '', { keepAlive: false }), '0123456789A']);
  });

  test('maxBuffer: getOneStart throws FilterLimitError', () => {
    const f = new HTTPD({ ...LENIENT, maxContent: 10, maxBuffer: 64 });
    expect(() => f.getOneStart([Buffer.alloc(65, 0x41)])).toThrow(FilterLimitError);
  });
});

describe("http-parser-js's process-wide state", () => {
  test('changing it, as other code in the process may, does not change what lenient mode reads', () => {
    const input = 'POST /p HTTP/1.1\nX-A: caf\xe9\nContent-Length: 3\n\nabc' + 'CONNECT example.com:443 HTTP/1.1\nX-B: b\n\n\x16\x03';
    const before = feed([bytes(input)], LENIENT);
    // obs-text is read as latin1 (http-parser-js's 'ascii' would give "cafi"); CONNECT is an upgrade.
    expect(normalize(before.records)).toEqual([
      req('POST /p HTTP/1.1', ['X-A', 'caf\xe9', 'Content-Length', '3'], 'abc'),
      req('CONNECT example.com:443 HTTP/1.1', ['X-B', 'b'], '', { upgrade: true }),
    ]);
    const saved = { encoding: HTTPParser.encoding, maxHeaderSize: HTTPParser.maxHeaderSize };
    try {
      HTTPParser.encoding = 'ascii';
      HTTPParser.maxHeaderSize = 8;
      // Reading kOnExecute switches every parser to positional callback arguments (Node's
      // http module does it when http-parser-js replaces its parser).
      void HTTPParser.kOnExecute;
      // Setting an on* handler on any parser breaks http-parser-js's own CONNECT test.
      const other = new HTTPParser(HTTPParser.REQUEST);
      other.onHeadersComplete = () => undefined;
      const expected = { records: normalize(before.records), pending: before.pending };
      const after = feed([bytes(input)], LENIENT);
      expect({ records: normalize(after.records), pending: after.pending }).toEqual(expected);
      // Its header limit is checked at the end of each execute that ends inside a head.
      const pieces = [...bytes(input)].map((b) => Buffer.from([b]));
      const slow = feed(pieces, LENIENT);
      expect({ records: normalize(slow.records), pending: slow.pending }).toEqual(expected);
    } finally {
      HTTPParser.encoding = saved.encoding;
      HTTPParser.maxHeaderSize = saved.maxHeaderSize;
    }
  });
});

test('the recording covers every row the table marks as a difference, and nothing else differs', () => {
  const differs: string[] = [];
  for (const [i, c] of CORPUS.entries()) {
    const { records, pending } = feed([bytes(c.input)], LENIENT);
    if (!isDeepStrictEqual({ records: records.map(poeShape), pending }, { records: RECORDING.rows[i]!.records, pending: RECORDING.rows[i]!.pending })) differs.push(c.name);
  }
  expect(differs).toEqual(Object.keys(POE_DIFFERS).sort((a, b) => CORPUS.findIndex((c) => c.name === a) - CORPUS.findIndex((c) => c.name === b)));
});
