/**
 * The oracle: Node's own HTTP server (llhttp, strict: no insecureHTTPParser, no lenient flags),
 * fed bytes through its 'connection' event on an in-memory Duplex, never listening; and the
 * HTTPD filter fed the same bytes. Both give a verdict: how many complete requests came out and
 * whether the input was rejected.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { HTTPD, HttpRequest, HttpResponse } from '../../src/index.js';
import type { HTTPDOptions } from '../../src/index.js';

export interface Verdict {
  /** Complete requests parsed (for Node: 'request' events whose message completed, plus 'upgrade' and 'connect'). */
  requests: number;
  /** The input was refused: Node's 'clientError' or an error status it wrote; the filter's error response. */
  rejected: boolean;
  /** What happened, for failure messages. */
  detail: string;
}

/** One server for every case: each case is a new in-memory connection. */
const server = createServer();
if (server.listenerCount('clientError') !== 0) throw new Error('unexpected clientError listener');

/** Node's verdict on `bytes` sent as one read on a fresh connection. */
export async function nodeVerdict(bytes: Buffer): Promise<Verdict> {
  const seen: IncomingMessage[] = [];
  let upgrades = 0;
  let clientError: string | undefined;
  let written = '';
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written += chunk.toString('latin1');
      cb();
    },
    final(cb) {
      cb();
    },
  });
  const responses: ServerResponse[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (req.socket === socket) {
      seen.push(req);
      responses.push(res);
      req.resume();
    }
  };
  const onUpgrade = (req: IncomingMessage) => {
    if (req.socket === socket) upgrades++;
  };
  const onClientError = (err: Error & { code?: string }, s: Duplex) => {
    if (s !== socket) return;
    clientError = err.code ?? err.message;
    s.destroy();
  };
  server.on('request', onRequest);
  server.on('upgrade', onUpgrade);
  server.on('connect', onUpgrade);
  server.on('clientError', onClientError);
  try {
    server.emit('connection', socket);
    socket.push(bytes);
    // Parsing happens when the socket delivers the chunk: a few turns of the loop settle it.
    for (let i = 0; i < 5; i++) await setImmediate();
    // Answer every request: Node queues its own error response (missing Host, failed Expect)
    // behind the unanswered responses of the requests before it.
    for (const res of responses) if (!res.writableEnded) res.end();
    for (let i = 0; i < 5; i++) await setImmediate();
  } finally {
    server.off('request', onRequest);
    server.off('upgrade', onUpgrade);
    server.off('connect', onUpgrade);
    server.off('clientError', onClientError);
    socket.destroy();
  }
  // Status lines Node wrote: 200 for our answers, its own 100 Continue, 400, 417, 431...
  const statuses = [...written.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
  const errorStatus = statuses.find((s) => s >= 400);
  const refused = errorStatus !== undefined;
  const complete = seen.filter((r) => r.complete).length;
  return {
    requests: complete + upgrades,
    rejected: clientError !== undefined || refused,
    detail: `node: ${complete} request(s), ${upgrades} upgrade(s)${clientError ? `, clientError ${clientError}` : ''}${errorStatus ? `, wrote ${errorStatus}` : ''}`,
  };
}

/** The HTTPD filter's verdict on the same bytes (one `get`). */
export function filterVerdict(bytes: Buffer, options?: HTTPDOptions): Verdict & { records: unknown[] } {
  const f = new HTTPD(options);
  const records = f.get([bytes]);
  const requests = records.filter((r) => r instanceof HttpRequest).length;
  const errors = records.filter((r): r is HttpResponse => r instanceof HttpResponse && r.code >= 400);
  return {
    requests,
    rejected: errors.length > 0,
    detail: `filter: ${requests} request(s)${errors.map((e) => `, ${e.code} (${/<p>(.*)<\/p>/.exec(e.contentText)?.[1] ?? ''})`).join('')}`,
    records,
  };
}

/** A tiny seeded PRNG (mulberry32), so mutations are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes that matter to an HTTP parser, for mutations. */
const INTERESTING = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x2c, 0x2d, 0x30, 0x31, 0x3a, 0x3b, 0x3d, 0x22, 0x2f, 0x41, 0x61, 0x66, 0x7f, 0x80, 0xe9, 0xff, 0x40, 0x3f, 0x23];

/** One random edit of `input`: replace, insert or delete a byte, or repeat a line. */
export function mutate(input: Buffer, rnd: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const at = Math.floor(rnd() * input.length);
  const byte = rnd() < 0.8 ? pick(INTERESTING) : Math.floor(rnd() * 256);
  switch (Math.floor(rnd() * 4)) {
    case 0:
      return Buffer.concat([input.subarray(0, at), Buffer.from([byte]), input.subarray(at + 1)]);
    case 1:
      return Buffer.concat([input.subarray(0, at), Buffer.from([byte]), input.subarray(at)]);
    case 2:
      return Buffer.concat([input.subarray(0, at), input.subarray(at + 1)]);
    default: {
      // Repeat the line holding `at` (duplicate headers, doubled request lines).
      const start = input.lastIndexOf(0x0a, at - 1) + 1;
      const nl = input.indexOf(0x0a, at);
      const end = nl < 0 ? input.length : nl + 1;
      return Buffer.concat([input.subarray(0, end), input.subarray(start, end), input.subarray(end)]);
    }
  }
}
