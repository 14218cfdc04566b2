// The `http.keepalive` case of the HTTP suite (run.mjs skips this file: it is a helper).
//
// Requests per second of the SimpleHTTP component (one process, keepAlive on, one route that
// answers a 13-byte text/plain body with `post(alias, 'DONE', response)`, POE's usual idiom)
// beside node:http in one process answering the same body, both
// loaded over 127.0.0.1 through 50 keep-alive connections by the same generator in one run:
// `wrk -t2 -c50 -d5s` when wrk is on PATH, else this file as a Node load generator (an
// http.Agent with keepAlive and 50 sockets, 50 requests in flight); BENCH_LOADGEN=node forces
// that. Each server is a fresh process per run (this file with --serve), warmed up, measured,
// then stopped (startServer of _preforking.mjs). Sides alternate (ABBA...); medians are
// reported; the baseline is node:http.
//
//   node bench/_http-keepalive.mjs --serve poe|node          a server; prints its port on stderr
//   node bench/_http-keepalive.mjs --load-ka PORT SECONDS N  the Node load generator
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import { N_SCALE, alternate, emit, emitCase, median, note, ratio, runJsonChild } from './_lib.mjs';
import { hasWrk, startServer } from './_preforking.mjs';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const CONCURRENCY = 50;
const BODY = 'Hello, World!';
const SECONDS = Math.max(1, Math.round(5 * N_SCALE));
/** Warm-up per run: both servers reach their steady state (JIT) within about 2 s of this load. */
const WARMUP_SECONDS = Math.max(1, Math.round(2 * N_SCALE));

// ------------------------------------------------------------------------------------------
// the servers (child side)

async function servePoe() {
  const { Kernel, Session, SimpleHTTP } = await import('../dist/index.js');
  const kernel = new Kernel();
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        ctx.kernel.aliasSet('app');
        const server = SimpleHTTP.spawn({
          kernel,
          alias: 'httpd',
          address: HOST,
          port: 0,
          keepAlive: true,
          handlers: [{ dir: '^/', session: 'app', event: 'hello' }],
        });
        process.stderr.write(`listening on port ${server.port}\n`);
        ctx.kernel.sig('INT', 'stop');
      },
      hello: (ctx, _request, response) => {
        response.content = BODY;
        // `post`, POE's usual idiom. (POE's documentation advises `call` for throughput; here
        // `post` measured faster: the answers of one turn are written together, after the
        // turn's reads, rather than one inside each read.)
        ctx.kernel.post('httpd', 'DONE', response);
      },
      stop: (ctx) => {
        ctx.kernel.sigHandled();
        ctx.kernel.post('httpd', 'SHUTDOWN');
        ctx.kernel.aliasRemove('app');
        ctx.kernel.sig('INT');
      },
    },
  });
  await kernel.run();
}

function serveNode() {
  const body = Buffer.from(BODY);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  });
  server.listen(0, HOST, () => process.stderr.write(`listening on port ${server.address().port}\n`));
  process.on('SIGINT', () => server.close(() => process.exit(0)).closeAllConnections());
}

// ------------------------------------------------------------------------------------------
// the Node load generator (child side)

async function loadgen(port, seconds, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const once = () =>
    new Promise((resolve) => {
      const req = http.request({ host: HOST, port, path: '/', agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : 'non2xx'));
        res.on('error', () => resolve('error'));
      });
      req.on('error', () => resolve('error'));
      req.end();
    });
  const counts = { ok: 0, non2xx: 0, error: 0 };
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) counts[await once()]++;
    }),
  );
  const sec = (performance.now() - t0) / 1000;
  agent.destroy();
  emit({ requests: counts.ok, sec, perSecond: Math.round(counts.ok / sec), errors: counts.error, non2xx: counts.non2xx });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

/** Loads `port` for `seconds` over keep-alive connections; resolves `{ perSecond, requests, errors }`. */
async function load(useWrk, port, seconds) {
  if (!useWrk) {
    const r = await runJsonChild(SELF, ['--load-ka', String(port), String(seconds), String(CONCURRENCY)]);
    if (r.error !== undefined) return { perSecond: null, requests: 0, errors: r.error };
    const bad = r.errors + r.non2xx;
    return { perSecond: r.perSecond, requests: r.requests, errors: bad > 0 ? `${r.errors} failed, ${r.non2xx} non-2xx of ${r.requests + bad}` : undefined };
  }
  const r = spawnSync('wrk', ['-t2', `-c${CONCURRENCY}`, `-d${seconds}s`, `http://${HOST}:${port}/`], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (r.error !== undefined || r.status !== 0) return { perSecond: null, requests: 0, errors: `wrk failed: ${r.error?.message ?? r.stderr.trim()}` };
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const total = /(\d+) requests in/.exec(r.stdout);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const problems = [];
  if (socket && socket.slice(1).some((n) => Number(n) > 0)) problems.push(socket[0]);
  if (non2xx) problems.push(non2xx[0]);
  return { perSecond: rate ? Math.round(Number(rate[1])) : null, requests: total ? Number(total[1]) : 0, errors: problems.length ? problems.join('; ') : undefined };
}

async function runSide(side, useWrk) {
  const server = await startServer(process.execPath, [SELF, '--serve', side], {}, { portFrom: /listening on port (\d+)/ });
  try {
    await load(useWrk, server.port, WARMUP_SECONDS);
    return await load(useWrk, server.port, SECONDS);
  } finally {
    await server.stop();
  }
}

/** Measures the case and prints its JSON line; resolves true when every run succeeded. */
export async function measureKeepAlive(name) {
  const useWrk = hasWrk();
  const sides = ['poe-ts', 'node'];
  note(`http: ${name} (${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, ${CONCURRENCY} keep-alive connections, ${useWrk ? 'wrk' : 'node load generator'})`);
  const runs = { 'poe-ts': [], node: [] };
  const requests = [];
  const errors = [];
  await alternate(
    sides.map((side) => async () => {
      try {
        const r = await runSide(side === 'poe-ts' ? 'poe' : 'node', useWrk);
        if (r.perSecond !== null) runs[side].push(r.perSecond);
        if (side === 'poe-ts') requests.push(r.requests);
        if (r.errors !== undefined) errors.push(`${side}: ${r.errors}`);
      } catch (e) {
        errors.push(`${side}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  const perSecond = median(runs['poe-ts']);
  const baselinePerSecond = median(runs.node);
  const record = {
    case: name,
    perSecond,
    baselinePerSecond,
    ratio: ratio(perSecond, baselinePerSecond),
    unit: 'requests',
    n: median(requests),
    runs: runs['poe-ts'],
    baseline: 'node:http in one process, the same 13-byte body, keep-alive',
    baselineRuns: runs.node,
    loadgen: useWrk ? `wrk -t2 -c${CONCURRENCY} -d${SECONDS}s (keep-alive)` : `node http.Agent keepAlive, ${CONCURRENCY} sockets, ${SECONDS} s`,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
  };
  return emitCase(record, errors);
}

const argv = process.argv.slice(2);
if (argv[0] === '--serve') {
  if (argv[1] === 'poe') await servePoe();
  else serveNode();
} else if (argv[0] === '--load-ka') await loadgen(Number(argv[1]), Number(argv[2]), Number(argv[3]));
