// The `http.preforking` case of the HTTP suite (run.mjs skips this file: it is a helper).
//
// Requests per second of samples/preforking-httpd (MAX_PROCESSES=2, DEBUG=0, TESTING_CHURN=0,
// PORT=0, read back from its "has begun listening" line) beside what a Node user would write
// instead, bench/anchors/node-cluster-httpd.mjs (node:http in a cluster, 2 workers), and,
// when `perl -MPOE` works, the seed itself on POE (bench/anchors/poe-preforking-httpd-bench.pl,
// 2 children). Every server is loaded over 127.0.0.1 with a fresh connection per request and 50
// in flight, for a bounded time, by the same generator in one run: `wrk -t2 -c50 -d5s -H
// 'Connection: close'` when wrk is on PATH, else this file run as a Node load generator in a
// child process (http.request with agent:false, 50 in flight); BENCH_LOADGEN=node forces that.
//
//   node bench/_preforking.mjs --load PORT SECONDS CONCURRENCY    the Node load generator
//
// Each server is a fresh process group per run, warmed up for a second, measured, then stopped
// with SIGINT to its group (SIGKILL after 3 s). Sides alternate (ABBA...); medians are reported.
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { N_SCALE, alternate, anchorPath, emit, emitCase, median, note, ratio, runJsonChild } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const SAMPLE = fileURLToPath(new URL('../build/samples/preforking-httpd.js', import.meta.url));
const HOST = '127.0.0.1';
const CONCURRENCY = 50;
const PROCESSES = 2;
/** Measured seconds per run (BENCH_N_SCALE scales it, at least 1). */
const SECONDS = Math.max(1, Math.round(5 * N_SCALE));
/**
 * Warm-up per run (scaled too): each server process must reach its steady state (JIT) before
 * the clock runs. poe-ts's three processes take 3 to 5 s of this load to get there; node:http
 * about 3 s; measured from a cold start, both are lower and closer (about 1.0).
 */
const WARMUP_SECONDS = Math.max(1, Math.round(3 * N_SCALE));

// ------------------------------------------------------------------------------------------
// the Node load generator (child side)

export function requestOnce(port) {
  return new Promise((resolve) => {
    const req = http.request({ host: HOST, port, path: '/', agent: false, headers: { Connection: 'close' } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : 'non2xx'));
      res.on('error', () => resolve('error'));
    });
    req.on('error', () => resolve('error'));
    req.end();
  });
}

async function loadgen(port, seconds, concurrency) {
  const counts = { ok: 0, non2xx: 0, error: 0 };
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) counts[await requestOnce(port)]++;
    }),
  );
  const sec = (performance.now() - t0) / 1000;
  emit({ requests: counts.ok, sec, perSecond: Math.round(counts.ok / sec), errors: counts.error, non2xx: counts.non2xx });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

export function hasWrk() {
  if (process.env.BENCH_LOADGEN === 'node') return false;
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

function hasPoe() {
  const r = spawnSync('perl', ['-MPOE', '-MPOE::Filter::HTTPD', '-MHTTP::Response', '-e1'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** A port that was free a moment ago (bind 0, read, close): for servers that need a number. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `cmd args` as its own process group. Resolves `{ port, stop }` once the server
 * answers on its port: given, or read from its stderr with `portFrom`.
 */
export async function startServer(cmd, args, env, { port, portFrom }) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-child.pid, 'SIGINT');
      } catch {
        // the group is gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 3000);
      await gone;
      clearTimeout(timer);
    }
    // Children outliving the parent (a POE child mid-request, a cluster worker): end them too.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is empty
    }
  };
  child.stderr.setEncoding('utf8').on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  const deadline = Date.now() + 15_000;
  try {
    while (port === undefined) {
      const m = portFrom?.exec(err);
      if (m) port = Number(m[1]);
      else if (exited || Date.now() > deadline) throw new Error(`no port from ${args.at(-1)}: ${err.trim().split('\n').slice(-2).join(' | ')}`);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Ready when a request is answered (the cluster workers listen a little after the primary).
    for (;;) {
      if ((await requestOnce(port)) === 'ok') break;
      if (exited || Date.now() > deadline) throw new Error(`${args.at(-1)} does not answer on port ${port}: ${err.trim().split('\n').slice(-2).join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, stop };
}

/**
 * Loads `port` for `seconds` with the run's generator; resolves `{ perSecond, requests, errors }`.
 * `eofBodies`: the server's responses have no Content-Length and end at EOF (POE's
 * Filter::HTTPD), for which wrk counts a read error per response it did complete.
 */
async function load(useWrk, port, seconds, eofBodies = false) {
  if (!useWrk) {
    const r = await runJsonChild(SELF, ['--load', String(port), String(seconds), String(CONCURRENCY)]);
    if (r.error !== undefined) return { perSecond: null, requests: 0, errors: r.error };
    const bad = r.errors + r.non2xx;
    return { perSecond: r.perSecond, requests: r.requests, errors: bad > 0 ? `${r.errors} failed, ${r.non2xx} non-2xx of ${r.requests + bad}` : undefined };
  }
  const r = spawnSync('wrk', ['-t2', `-c${CONCURRENCY}`, `-d${seconds}s`, '-H', 'Connection: close', `http://${HOST}:${port}/`], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  if (r.error !== undefined || r.status !== 0) return { perSecond: null, requests: 0, errors: `wrk failed: ${r.error?.message ?? r.stderr.trim()}` };
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const total = /(\d+) requests in/.exec(r.stdout);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const problems = [];
  if (socket && socket.slice(1).some((n, i) => Number(n) > 0 && !(eofBodies && i === 1))) problems.push(socket[0]);
  if (non2xx) problems.push(non2xx[0]);
  return { perSecond: rate ? Math.round(Number(rate[1])) : null, requests: total ? Number(total[1]) : 0, errors: problems.length ? problems.join('; ') : undefined };
}

/** One side: a fresh server, a warm-up, a measurement, stop. */
async function runSide(side, useWrk) {
  let server;
  if (side === 'poe-ts') {
    server = await startServer(process.execPath, [SAMPLE], { MAX_PROCESSES: String(PROCESSES), DEBUG: '0', TESTING_CHURN: '0', PORT: '0', BIND_ADDRESS: HOST }, {
      portFrom: /has begun listening on port (\d+)/,
    });
  } else if (side === 'node') {
    const port = await freePort();
    server = await startServer(process.execPath, [anchorPath('node-cluster-httpd.mjs')], { MAX_PROCESSES: String(PROCESSES), PORT: String(port) }, { port });
  } else {
    const port = await freePort();
    server = await startServer('perl', [anchorPath('poe-preforking-httpd-bench.pl')], { MAX_PROCESSES: String(PROCESSES), PORT: String(port), DEBUG: '0', CHURN: '0' }, { port });
  }
  const eofBodies = side === 'poe';
  try {
    await load(useWrk, server.port, WARMUP_SECONDS, eofBodies);
    return await load(useWrk, server.port, SECONDS, eofBodies);
  } finally {
    await server.stop();
  }
}

/** Measures the case and prints its JSON line; resolves true when every run succeeded. */
export async function measurePreforking(name) {
  const useWrk = hasWrk();
  const sides = ['poe-ts'];
  if (anchorPath('node-cluster-httpd.mjs') !== null) sides.push('node');
  if (anchorPath('poe-preforking-httpd-bench.pl') !== null && hasPoe()) sides.push('poe');
  note(`http: ${name} (${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, ${CONCURRENCY} in flight, ${useWrk ? 'wrk' : 'node load generator'}; sides: ${sides.join(', ')})`);
  const runs = Object.fromEntries(sides.map((s) => [s, []]));
  const requests = [];
  const errors = [];
  await alternate(
    sides.map((side) => async () => {
      try {
        const r = await runSide(side, useWrk);
        if (r.perSecond !== null) runs[side].push(r.perSecond);
        if (side === 'poe-ts') requests.push(r.requests);
        if (r.errors !== undefined) errors.push(`${side}: ${r.errors}`);
      } catch (e) {
        errors.push(`${side}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  const perSecond = median(runs['poe-ts']);
  const baselinePerSecond = median(runs.node ?? []);
  const record = {
    case: name,
    perSecond,
    baselinePerSecond,
    ratio: ratio(perSecond, baselinePerSecond),
    unit: 'requests',
    n: median(requests),
    runs: runs['poe-ts'],
    baseline: `node:http in a cluster of ${PROCESSES} workers (anchors/node-cluster-httpd.mjs), Connection: close`,
    baselineRuns: runs.node ?? [],
    loadgen: useWrk ? `wrk -t2 -c${CONCURRENCY} -d${SECONDS}s -H 'Connection: close'` : `node http.request agent:false, ${CONCURRENCY} in flight, ${SECONDS} s`,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
  };
  if (runs.poe !== undefined) {
    record.baselinePoePerSecond = median(runs.poe);
    record.ratioPoe = ratio(perSecond, record.baselinePoePerSecond);
    record.baselinePoe = `the seed on POE ${poeVersion()} (anchors/poe-preforking-httpd-bench.pl), ${PROCESSES} children`;
    record.baselinePoeRuns = runs.poe;
  }
  return emitCase(record, errors);
}

function poeVersion() {
  const r = spawnSync('perl', ['-MPOE', '-e', 'print $POE::VERSION'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

const argv = process.argv.slice(2);
if (argv[0] === '--load') await loadgen(Number(argv[1]), Number(argv[2]), Number(argv[3]));
