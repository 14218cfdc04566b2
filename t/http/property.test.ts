/**
 * Property tests (fast-check) of the HTTPD filter:
 * - generated pipelined requests, cut at random places and fed one chunk per `get`, come out as
 *   the requests that were generated (every framing: none, Content-Length, chunked with
 *   extensions and trailers);
 * - any input, well-formed or not, gives the same records however it is cut, and `get` never
 *   throws;
 * - generated requests, with or without random damage, get the same verdict from the filter
 *   as from Node's own parser;
 * - `put` writes a well-formed response whose Content-Length frames its content.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { HTTPD, HttpRequest, HttpResponse } from '../../src/index.js';
import type { HTTPDRecord } from '../../src/index.js';
import { STRICTER } from './corpus.js';
import { filterVerdict, mutate, nodeVerdict, prng } from './llhttp.js';

const chars = (s: string) => [...s];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
const ALNUM = chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
const TOKEN = [...ALNUM, ...chars("!#$%&'*+-.^_`|~")];
const PATH = [...ALNUM, ...chars("/-._~!$&'()*+,;=:@%")];
/** Field-value characters: HTAB, SP, VCHAR, obs-text. */
const VALUE = ['\t', ...range(0x20, 0x7e), ...range(0x80, 0xff)];
/** Names the filter interprets; generated headers avoid them (framing is generated apart). */
const SPECIAL = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'proxy-connection', 'upgrade', 'expect']);

const token = fc.string({ unit: fc.constantFrom(...TOKEN), minLength: 1, maxLength: 12 }).filter((n) => !SPECIAL.has(n.toLowerCase()));
/** A value as the filter returns it: no leading or trailing whitespace. */
const value = fc.string({ unit: fc.constantFrom(...VALUE), maxLength: 24 }).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
const header = fc.tuple(token, value);

interface Model {
  method: string;
  target: string;
  headers: [string, string][];
  body: Buffer;
  framing: 'none' | 'length' | 'chunked';
  /** Chunk sizes, for chunked framing (they add up to the body length). */
  chunks: number[];
  extensions: string[];
  trailers: [string, string][];
}

const model: fc.Arbitrary<Model> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'QUERY', 'PROPFIND'),
    target: fc.string({ unit: fc.constantFrom(...PATH), maxLength: 30 }).map((p) => `/${p}`),
    headers: fc.array(header, { maxLength: 6 }),
    body: fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)),
    framing: fc.constantFrom<Model['framing']>('none', 'length', 'chunked'),
    cuts: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }),
    extensions: fc.array(fc.constantFrom('', ';a', ';a=b', ';q="x y"', ';a=1;b'), { maxLength: 8 }),
    trailers: fc.array(header, { maxLength: 3 }),
  })
  .map(({ cuts, framing, body, ...rest }) => {
    const f: Model['framing'] = framing === 'none' && body.length > 0 ? 'length' : framing;
    const chunks: number[] = [];
    let left = body.length;
    for (const c of cuts) {
      if (left === 0) break;
      const n = Math.min(c, left);
      chunks.push(n);
      left -= n;
    }
    if (left > 0) chunks.push(left);
    return { ...rest, framing: f, body, chunks, trailers: f === 'chunked' ? rest.trailers : [] };
  });

function serialize(m: Model): Buffer {
  let head = `${m.method} ${m.target} HTTP/1.1\r\nHost: h\r\n`;
  for (const [n, v] of m.headers) head += `${n}: ${v}\r\n`;
  if (m.framing === 'length') head += `Content-Length: ${m.body.length}\r\n`;
  if (m.framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  head += '\r\n';
  if (m.framing !== 'chunked') return Buffer.concat([Buffer.from(head, 'latin1'), m.body]);
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  let at = 0;
  m.chunks.forEach((n, i) => {
    parts.push(Buffer.from(`${n.toString(16)}${m.extensions[i] ?? ''}\r\n`, 'latin1'), m.body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  });
  parts.push(Buffer.from(`0\r\n${m.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** What the filter should return for a model. */
function expected(m: Model): unknown {
  const headers = ['Host', 'h', ...m.headers.flat()];
  if (m.framing === 'length') headers.push('Content-Length', String(m.body.length));
  if (m.framing === 'chunked') headers.push('Transfer-Encoding', 'chunked');
  return {
    line: `${m.method} ${m.target} HTTP/1.1`,
    headers,
    content: m.body.toString('latin1'),
    trailers: m.framing === 'chunked' ? m.trailers.flat() : undefined,
  };
}

function plain(r: HTTPDRecord): unknown {
  if (r instanceof HttpRequest) {
    return { line: `${r.method} ${r.target} ${r.protocol}`, headers: r.headers.raw(), content: r.content.toString('latin1'), trailers: r.trailers?.raw() };
  }
  if (r instanceof HttpResponse) return { status: r.code, details: r.contentText };
  return r.toString('latin1');
}

function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = sizes.length === 0 ? bytes.length : sizes[k % sizes.length]!;
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** One `get` per chunk, as a wheel feeds a filter. */
function feed(chunks: readonly Buffer[]): HTTPDRecord[] {
  const f = new HTTPD();
  const out: HTTPDRecord[] = [];
  for (const c of chunks) out.push(...f.get([c]));
  return out;
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 10 });

describe('HTTPD properties', () => {
  test('generated pipelined requests come out as generated, however they are cut', () => {
    fc.assert(
      fc.property(fc.array(model, { minLength: 1, maxLength: 5 }), chunkSizes, (models, sizes) => {
        const input = Buffer.concat(models.map(serialize));
        expect(feed(cut(input, sizes)).map(plain)).toEqual(models.map(expected));
      }),
      { numRuns: 300 },
    );
  });

  // Fragments an HTTP parser cares about, glued at random: most inputs are bad somewhere.
  const fragment = fc.oneof(
    fc.constantFrom('GET / HTTP/1.1\r\n', 'POST /p HTTP/1.1\r\n', 'Host: h\r\n', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n'),
    fc.constantFrom('\r\n', '\n', '\r', ' ', ':', '0\r\n\r\n', '3\r\nabc\r\n', 'Connection: close\r\n', 'X: y\r\n'),
    fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString('latin1')),
  );

  test('any input gives the same records whole or cut, and get never throws', () => {
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 20 }), chunkSizes, (parts, sizes) => {
        const input = Buffer.from(parts.join(''), 'latin1');
        const whole = feed([input]).map(plain);
        expect(feed(cut(input, sizes)).map(plain)).toEqual(whole);
        // At most one error, and it is the last record.
        const errors = whole.filter((r) => typeof r === 'object' && r !== null && 'status' in r);
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length === 1) expect(whole.at(-1)).toBe(errors[0]);
      }),
      { numRuns: 500 },
    );
  });

  test('generated requests, damaged or not, get the verdict Node gives them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(model, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer(), async (models, edits, seed) => {
        let input: Buffer = Buffer.concat(models.map(serialize));
        const rnd = prng(seed);
        for (let i = 0; i < edits; i++) input = mutate(input, rnd);
        const node = await nodeVerdict(input);
        const filter = filterVerdict(input);
        const documented = !node.rejected && filter.rejected && STRICTER.some((s) => s.reason.test(filter.detail));
        if (!documented) {
          expect(filter.rejected, `${JSON.stringify(input.toString('latin1'))}\n${filter.detail}\n${node.detail}`).toBe(node.rejected);
          if (node.rejected) expect(filter.requests).toBeLessThanOrEqual(node.requests);
          else expect(filter.requests).toBe(node.requests);
        }
        if (edits === 0) expect([filter.rejected, filter.requests]).toEqual([false, models.length]);
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  test('put writes a status line, header lines, and content framed by its Content-Length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }).filter((c) => c !== 204 && c !== 304), fc.array(header, { maxLength: 5 }), fc.uint8Array({ maxLength: 100 }), (code, headers, body) => {
        const r = new HttpResponse(code, undefined, headers, Buffer.from(body));
        const out = new HTTPD({ now: () => 0 }).put([r])[0]!;
        const end = out.indexOf('\r\n\r\n');
        const lines = out.subarray(0, end).toString('latin1').split('\r\n');
        expect(lines[0]).toMatch(new RegExp(`^HTTP/1\\.0 ${code} `));
        for (const line of lines.slice(1)) expect(line).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [\t\x20-\x7e\x80-\xff]*$/);
        expect(lines).toContain(`Content-Length: ${body.length}`);
        expect(out.subarray(end + 4)).toEqual(Buffer.from(body));
      }),
      { numRuns: 200 },
    );
  });
});
