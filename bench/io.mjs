// I/O suite: the line-echo sample (samples/line-echo: Server::TCP, ReadWrite, Line) against a
// plain node:net echo server, and the Line filter against a plain Buffer.indexOf split.
//
//   node bench/io.mjs [case ...]                 every case (or the named ones), one JSON line each
//   node bench/io.mjs --server poe|baseline      an echo server on 127.0.0.1:0 (used internally)
//   node bench/io.mjs --load echo PORT C L       C clients x L lines, each waiting for its reply
//   node bench/io.mjs --load seq PORT N          N connections one after another, a line each
//   node bench/io.mjs --worker io.line_filter poe|baseline BYTES
//
// Every server, load generator and filter run is a fresh child process, killed after 60 s.
// poe-ts and baseline runs alternate (ABBA) and the median of RUNS (default 3) runs per side is
// reported. Loopback only. Env: BENCH_N_SCALE, BENCH_RUNS.
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { CHILD_TIMEOUT_MS, RUNS, N_SCALE, alternate, caseRecord, emit, emitCase, median, note, now, round4, runJsonChild, scaled, secondsSince, selectCases } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
/** line_echo: concurrent clients; each sends LINES lines, one at a time. */
const CLIENTS = 50;

const CASES = [
  { name: 'io.line_echo', base: 200, unit: 'lines echoed' },
  { name: 'io.line_filter', base: 64 * 1024 * 1024, unit: 'MB parsed' },
  { name: 'io.line_echo_rss', base: 1000, unit: 'connections' },
];

// ------------------------------------------------------------------------------------------
// servers (child side)

/** The baseline: node:net, a hand-rolled Buffer.indexOf line split, the same replies as line-echo. */
function baselineServer(maxLineLength) {
  const server = net.createServer({ allowHalfOpen: false }, (socket) => {
    let pending = null;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        const line = buf.toString('utf8', start, nl);
        start = nl + 1;
        if (line.startsWith('quit')) {
          socket.end();
          return;
        }
        socket.write(`${line.toUpperCase()}\n`);
      }
      if (start < buf.length) {
        if (buf.length - start > maxLineLength) {
          socket.end(`ERROR line longer than ${maxLineLength} bytes\n`);
          return;
        }
        pending = buf.subarray(start);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => resolve(server.address().port));
  });
}

async function serve(kind) {
  let port;
  if (kind === 'poe') {
    const { start } = await import('../build/samples/line-echo.js');
    ({ port } = await start({ port: 0, host: HOST }));
  } else if (kind === 'baseline') {
    port = await baselineServer(65536);
  } else throw new Error(`unknown server ${kind}`);
  const gc = globalThis.gc;
  const memory = () => {
    if (typeof gc === 'function') for (let i = 0; i < 3; i++) gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
  };
  emit({ port });
  // Commands on stdin, one per line: `mem` answers with the memory use after a full GC.
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (cmd) => {
    if (cmd === 'mem') emit(memory());
    else if (cmd === 'cpu') emit(process.cpuUsage());
    else if (cmd === 'exit') process.exit(0);
  });
  rl.on('close', () => process.exit(0));
}

// ------------------------------------------------------------------------------------------
// load generators (child side): the same for both servers

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port, noDelay: true });
    s.once('connect', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** One client: sends `lines` lines, each after the reply to the previous one; checks every reply. */
function converse(socket, id, lines) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let expected = '';
    let got = '';
    const next = () => {
      if (sent === lines) {
        socket.removeListener('data', onData);
        socket.end();
        resolve();
        return;
      }
      // Alternate CRLF and LF: the reply must keep each line's own ending.
      const line = `client ${id} says hello, line ${sent}${sent % 2 ? '\r\n' : '\n'}`;
      expected = line.toUpperCase();
      got = '';
      sent++;
      socket.write(line);
    };
    const onData = (chunk) => {
      got += chunk;
      if (got.length < expected.length) return;
      if (got !== expected) {
        reject(new Error(`client ${id}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`));
        return;
      }
      next();
    };
    socket.setEncoding('latin1');
    socket.on('data', onData);
    socket.once('error', reject);
    next();
  });
}

/**
 * Warm-up rounds, each as large as the timed one and not timed: both servers reach their
 * steady state (optimised code, sized heap) first. Without them a run this short mostly
 * measures JIT compilation, which costs the server with more code to compile (poe-ts) the
 * most. One round was not enough: poe-ts was still 10-20% short of its own steady state in the
 * round after it (measured by running the load again on the same server), where three rounds
 * bring both servers to their steady state. `BENCH_WARM_ROUNDS` (0..10) overrides it.
 */
const WARM_ROUNDS = Math.max(0, Math.min(10, Number(process.env.BENCH_WARM_ROUNDS ?? 3) || 0));

async function loadEcho(port, clients, lines) {
  const warm = [];
  for (let round = 0; round < WARM_ROUNDS; round++) {
    const sockets = await Promise.all(Array.from({ length: clients }, () => connect(port)));
    await Promise.all(sockets.map((s, i) => converse(s, i, lines)));
    warm.push(...sockets);
  }
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(port)));
  const t0 = now();
  await Promise.all(sockets.map((s, i) => converse(s, i, lines)));
  const sec = secondsSince(t0);
  for (const s of [...warm, ...sockets]) s.destroy();
  emit({ sec, lines: clients * lines, perSecond: Math.round((clients * lines) / sec) });
}

/** `n` connections one after another: connect, one line, its reply, close (and wait for the close). */
async function loadSeq(port, n) {
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const s = await connect(port);
    await converse(s, i, 1);
    if (!s.destroyed) await new Promise((resolve) => s.once('close', resolve).end());
  }
  const sec = secondsSince(t0);
  emit({ sec, connections: n, perSecond: Math.round(n / sec) });
}

// ------------------------------------------------------------------------------------------
// line_filter worker (child side)

/** `bytes` of short lines (8..71 printable bytes, LF-terminated), the same every run. */
function makeLines(bytes) {
  const out = Buffer.allocUnsafe(bytes);
  let seed = 42;
  let i = 0;
  while (i < bytes) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const len = 8 + (seed % 64);
    for (let j = 0; j < len && i < bytes - 1; j++) out[i++] = 0x61 + ((seed >> (j % 16)) + j) % 26;
    out[i++] = 0x0a;
  }
  return out;
}

const CHUNK = 64 * 1024;

async function workerLineFilter(kind, bytes) {
  const data = makeLines(bytes);
  const chunks = [];
  for (let off = 0; off < data.length; off += CHUNK) chunks.push(data.subarray(off, Math.min(off + CHUNK, data.length)));
  let count = 0;
  let chars = 0;
  let t0;
  if (kind === 'poe') {
    const { Line } = await import('../dist/index.js');
    const filter = new Line();
    t0 = now();
    for (const chunk of chunks) {
      filter.getOneStart([chunk]);
      for (;;) {
        const got = filter.getOne();
        if (got.length === 0) break;
        count++;
        chars += got[0].length;
      }
    }
  } else if (kind === 'baseline') {
    let pending = null;
    t0 = now();
    for (const chunk of chunks) {
      const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        const line = buf.toString('utf8', start, nl);
        start = nl + 1;
        count++;
        chars += line.length;
      }
      pending = start < buf.length ? buf.subarray(start) : null;
    }
  } else throw new Error(`unknown side ${kind}`);
  const sec = secondsSince(t0);
  const mb = data.length / (1024 * 1024);
  emit({ sec, lines: count, chars, perSecond: Number((mb / sec).toFixed(2)) });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

/** Starts a server child; resolves with its port and a way to ask it things, or rejects. */
function startServer(kind, nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, SELF, '--server', kind], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    const waiting = [];
    let settled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS * 3);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    const lines = createInterface({ input: child.stdout });
    const api = {
      ask(cmd) {
        return new Promise((res, rej) => {
          const t = setTimeout(() => rej(new Error(`server ${kind} did not answer ${cmd}`)), 30_000);
          waiting.push((v) => {
            clearTimeout(t);
            res(v);
          });
          child.stdin.write(`${cmd}\n`);
        });
      },
      stop() {
        clearTimeout(timer);
        return new Promise((res) => {
          if (child.exitCode !== null || child.signalCode !== null) return res();
          child.once('close', res);
          child.stdin.end();
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        });
      },
    };
    lines.on('line', (line) => {
      let v;
      try {
        v = JSON.parse(line);
      } catch {
        return;
      }
      if (!settled) {
        settled = true;
        resolve({ port: v.port, ...api });
      } else waiting.shift()?.(v);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        reject(new Error(`server ${kind} exited (${code ?? signal}) before listening: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      }
    });
  });
}

async function echoRun(kind, lines) {
  const server = await startServer(kind);
  try {
    const before = await server.ask('cpu');
    const r = await runJsonChild(SELF, ['--load', 'echo', String(server.port), String(CLIENTS), String(lines)]);
    const after = await server.ask('cpu');
    // Server CPU per echoed line (the warm-up rounds included), in microseconds.
    if (r.error === undefined) r.serverCpuUs = Number(((after.user + after.system - before.user - before.system) / (r.lines * (WARM_ROUNDS + 1))).toFixed(2));
    return r;
  } finally {
    await server.stop();
  }
}

/**
 * Connections made before the measured ones. V8 grows its young generation (up to 2 x 16 MiB of
 * semi-space) under the allocation rate of the first few thousand connections, and RSS follows
 * as those pages are touched; that is heap sizing, not memory held by connections. The warm-up
 * takes the server to its steady heap size first, so the growth measured is what connections
 * leave behind.
 */
const RSS_WARMUP_FACTOR = 4;

async function rssRun(kind, n) {
  const server = await startServer(kind, ['--expose-gc']);
  const MB = (bytes) => Number((bytes / (1024 * 1024)).toFixed(2));
  try {
    const start = await server.ask('mem');
    const warm = await runJsonChild(SELF, ['--load', 'seq', String(server.port), String(n * RSS_WARMUP_FACTOR)], { timeoutMs: CHILD_TIMEOUT_MS * 2 });
    if (warm.error !== undefined) return warm;
    const before = await server.ask('mem');
    const r = await runJsonChild(SELF, ['--load', 'seq', String(server.port), String(n)]);
    if (r.error !== undefined) return r;
    const after = await server.ask('mem');
    return {
      ...r,
      rssGrowthMB: MB(after.rss - before.rss),
      heapGrowthMB: MB(after.heapUsed - before.heapUsed),
      warmupRssGrowthMB: MB(before.rss - start.rss),
      warmupHeapTotalGrowthMB: MB(before.heapTotal - start.heapTotal),
    };
  } catch (e) {
    return { error: e.message };
  } finally {
    await server.stop();
  }
}

async function measure(c) {
  const n = scaled(c.base);
  const poeRuns = [];
  const baseRuns = [];
  const errors = [];
  const one = async (kind, into) => {
    let r;
    try {
      if (c.name === 'io.line_echo') r = await echoRun(kind, n);
      else if (c.name === 'io.line_echo_rss') r = await rssRun(kind, n);
      else r = await runJsonChild(SELF, ['--worker', c.name, kind, String(n)]);
    } catch (e) {
      r = { error: e.message };
    }
    if (r.error !== undefined) errors.push(`${kind}: ${r.error}`);
    else into.push(r);
  };
  await alternate([() => one('poe', poeRuns), () => one('baseline', baseRuns)]);
  const perSecond = median(poeRuns.map((r) => r.perSecond));
  const baselinePerSecond = median(baseRuns.map((r) => r.perSecond));
  const record = caseRecord(c, n, perSecond, baselinePerSecond, {
    runs: poeRuns.map((r) => r.perSecond),
    baselineRuns: baseRuns.map((r) => r.perSecond),
  });
  if (c.name === 'io.line_echo') {
    record.clients = CLIENTS;
    record.serverCpuUsPerLine = round4(median(poeRuns.map((r) => r.serverCpuUs)));
    record.baselineServerCpuUsPerLine = round4(median(baseRuns.map((r) => r.serverCpuUs)));
    record.baseline = 'node:net server, Buffer.indexOf line split (bench/io.mjs)';
  } else if (c.name === 'io.line_filter') {
    record.unit = 'MB/s';
    record.bytes = n;
    record.chunk = CHUNK;
    record.baseline = 'Buffer.indexOf split loop';
    const lines = new Set([...poeRuns, ...baseRuns].map((r) => `${r.lines}/${r.chars}`));
    if (lines.size > 1) errors.push(`the two sides produced different lines: ${[...lines].join(' vs ')}`);
  } else {
    record.unit = 'connections/s';
    record.baseline = 'node:net server (bench/io.mjs)';
    record.rssGrowthMB = round4(median(poeRuns.map((r) => r.rssGrowthMB)));
    record.rssRuns = poeRuns.map((r) => r.rssGrowthMB);
    record.heapGrowthMB = round4(median(poeRuns.map((r) => r.heapGrowthMB)));
    record.baselineRssGrowthMB = round4(median(baseRuns.map((r) => r.rssGrowthMB)));
    record.warmupConnections = n * RSS_WARMUP_FACTOR;
    record.warmupRssGrowthMB = round4(median(poeRuns.map((r) => r.warmupRssGrowthMB)));
    record.warmupHeapTotalGrowthMB = round4(median(poeRuns.map((r) => r.warmupHeapTotalGrowthMB)));
    record.baselineWarmupRssGrowthMB = round4(median(baseRuns.map((r) => r.warmupRssGrowthMB)));
  }
  return emitCase(record, errors);
}

async function main(selected) {
  const cases = selectCases('io', CASES, selected);
  if (cases === null) return;
  let ok = true;
  for (const c of cases) {
    note(`io: ${c.name} (n=${scaled(c.base)}, ${RUNS} run(s) per side${N_SCALE !== 1 ? `, scale ${N_SCALE}` : ''})`);
    if (!(await measure(c))) ok = false;
  }
  if (!ok) process.exitCode = 1;
}

const argv = process.argv.slice(2);
if (argv[0] === '--server') await serve(argv[1]);
else if (argv[0] === '--load' && argv[1] === 'echo') await loadEcho(Number(argv[2]), Number(argv[3]), Number(argv[4]));
else if (argv[0] === '--load' && argv[1] === 'seq') await loadSeq(Number(argv[2]), Number(argv[3]));
else if (argv[0] === '--worker' && argv[1] === 'io.line_filter') await workerLineFilter(argv[2], Number(argv[3]));
else await main(argv);
