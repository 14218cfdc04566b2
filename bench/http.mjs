// HTTP suite: the HTTPD filter parsing pipelined requests, beside node:http (llhttp) parsing
// the same bytes in the same kind of run.
//
//   node bench/http.mjs [case ...]                 every case (or the named ones), one JSON line each
//   node bench/http.mjs --worker CASE N SIDE       one measurement in this process (used internally)
//
// One buffer holds N pipelined requests. A measurement warms up on it, then parses it ROUNDS
// times and adds up the parsing time: the filter with `get([buffer])` on a fresh filter per
// round; node:http by emitting 'connection' with an in-memory Duplex that pushes the buffer,
// from the push to the N-th 'request' event (the server never listens and never answers). Each measurement runs in a fresh child;
// sides alternate (ABBA) and the median of RUNS (default 3) per side is reported.
// Env: BENCH_N_SCALE (scales N), BENCH_RUNS.
//
// http.preforking is different: requests/s of samples/preforking-httpd under load beside a
// node:http cluster and the seed on POE; see _preforking.mjs.
import { createServer } from 'node:http';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { HTTPD, HttpRequest } from '../dist/index.js';
import { RUNS, N_SCALE, alternate, caseRecord, emit, emitCase, median, note, now, runJsonChild, scaled, secondsSince, selectCases } from './_lib.mjs';
import { measurePreforking } from './_preforking.mjs';
import { measureHttpClient } from './_http-client.mjs';
import { measureKeepAlive } from './_http-keepalive.mjs';

const SELF = fileURLToPath(import.meta.url);
/** Timed passes over the buffer per measurement (after WARMUP untimed ones). */
const ROUNDS = 10;
const WARMUP = 3;
const BODY = 'x'.repeat(1024);

const CASES = [
  { name: 'http.parse', base: 10_000, unit: 'requests', build: buildGets },
  { name: 'http.parse_post', base: 10_000, unit: 'requests', build: buildPosts },
  { name: 'http.preforking', unit: 'requests', measure: measurePreforking },
  { name: 'http.client', unit: 'requests', measure: measureHttpClient },
  { name: 'http.keepalive', unit: 'requests', measure: measureKeepAlive },
];

function buildGets(n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    parts.push(`GET /items/${i}?page=2&sort=asc HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: poe-ts-bench/1.0\r\nAccept: */*\r\n\r\n`);
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function buildPosts(n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    parts.push(
      `POST /upload/${i} HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: poe-ts-bench/1.0\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    );
  }
  return Buffer.from(parts.join(''), 'latin1');
}

// ------------------------------------------------------------------------------------------
// worker side: one measurement, printed as one JSON object

/** One pass of the filter over the buffer; resolves with the seconds it took. */
function filterRound(buf, n, post) {
  const t0 = now();
  const records = new HTTPD().get([buf]);
  const sec = secondsSince(t0);
  let count = 0;
  for (const r of records) {
    if (!(r instanceof HttpRequest)) throw new Error(`filter: unexpected record ${r?.constructor?.name}`);
    if (post && r.content.length !== BODY.length) throw new Error('filter: wrong body length');
    count++;
  }
  if (count !== n) throw new Error(`filter: ${count} requests parsed, expected ${n}`);
  return sec;
}

const server = createServer();
server.on('clientError', (err) => {
  throw new Error(`node:http clientError ${err.code}`);
});

/**
 * One pass of node:http over the buffer, timed from the push to the last 'request' event.
 * Tearing the connection down (10,000 unanswered responses) happens after the clock stops
 * and settles before the next pass.
 */
function nodeRound(buf, n) {
  return new Promise((resolve) => {
    let count = 0;
    let t0 = 0n;
    const socket = new Duplex({
      read() {},
      write(_chunk, _enc, cb) {
        cb();
      },
    });
    const onRequest = (req) => {
      if (req.socket !== socket || ++count !== n) return;
      const sec = secondsSince(t0);
      server.off('request', onRequest);
      socket.on('close', () => setImmediate(() => resolve(sec)));
      socket.destroy();
    };
    server.on('request', onRequest);
    server.emit('connection', socket);
    t0 = now();
    socket.push(buf);
  });
}

async function worker(name, n, side) {
  const c = CASES.find((x) => x.name === name);
  if (c === undefined) throw new Error(`unknown case ${name}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad N ${n}`);
  const buf = c.build(n);
  const post = name === 'http.parse_post';
  const round = side === 'node' ? () => nodeRound(buf, n) : () => filterRound(buf, n, post);
  for (let i = 0; i < WARMUP; i++) await round();
  let sec = 0;
  for (let i = 0; i < ROUNDS; i++) sec += await round();
  emit({ case: name, side, n, rounds: ROUNDS, bytes: buf.length, sec, perSecond: Math.round((n * ROUNDS) / sec) });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

async function measure(c) {
  const n = scaled(c.base);
  const poeRuns = [];
  const nodeRuns = [];
  const errors = [];
  const run = async (side, into) => {
    const r = await runJsonChild(SELF, ['--worker', c.name, String(n), side]);
    if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
    else into.push(r.perSecond);
  };
  await alternate([() => run('poe', poeRuns), () => run('node', nodeRuns)]);
  const perSecond = median(poeRuns);
  const baselinePerSecond = median(nodeRuns);
  const record = caseRecord(c, n, perSecond, baselinePerSecond, {
    runs: poeRuns,
    baseline: 'node:http (llhttp), same bytes pushed on an in-memory Duplex, counting request events',
    baselineRuns: nodeRuns,
  });
  return emitCase(record, errors);
}

async function main(selected) {
  const cases = selectCases('http', CASES, selected);
  if (cases === null) return;
  let ok = true;
  for (const c of cases) {
    if (c.measure !== undefined) {
      if (!(await c.measure(c.name))) ok = false;
      continue;
    }
    note(`http: ${c.name} (n=${scaled(c.base)} x ${ROUNDS} rounds, ${RUNS} run(s) per side${N_SCALE !== 1 ? `, scale ${N_SCALE}` : ''})`);
    if (!(await measure(c))) ok = false;
  }
  if (!ok) process.exitCode = 1;
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker') await worker(argv[1], Number(argv[2]), argv[3]);
else await main(argv);
