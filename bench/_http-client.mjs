// The `http.client` case of the HTTP suite (run.mjs skips this file: it is a helper).
//
// GETs per second over 8 keep-alive connections to one local node:http server (a child
// process, started once for the case and shared by every run), N requests after a warm-up,
// IN_FLIGHT at a time:
// - poe-ts: ClientHTTP in its POE form, what a POE user writes: a session posts `request`
//   events to the component's alias with a fresh HttpRequest each, and its response handler
//   counts the response and posts the next request (maxPerHost 8);
// - baseline: undici's own `request` with an Agent of 8 connections per origin, reading each
//   body whole, the same number in flight;
// - when `perl -MPOE::Component::Client::HTTP` works: POE::Component::Client::HTTP over a
//   Client::Keepalive of max_per_host 8 (bench/anchors/poe-client-http-bench.pl), the same way.
// Each run is a fresh client process; sides alternate (ABBA...), medians are reported.
//
//   node bench/_http-client.mjs --server                      the server (prints its port)
//   node bench/_http-client.mjs --client SIDE PORT N          one measurement (prints JSON)
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import { N_SCALE, alternate, anchorPath, emit, emitCase, median, note, now, ratio, runJsonChild, scaled, secondsSince } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const CONNECTIONS = 8;
const IN_FLIGHT = 8;
const BASE = 10_000;
const BODY = 'hello, world\n';

// ------------------------------------------------------------------------------------------
// the server (child side)

function server() {
  const s = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
      res.end(BODY);
    });
  });
  s.listen(0, HOST, () => process.stdout.write(`${s.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}

// ------------------------------------------------------------------------------------------
// the clients (child side)

async function undiciSide(port, n) {
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ connections: CONNECTIONS });
  const url = `http://${HOST}:${port}/`;
  const batch = async (count) => {
    let sent = 0;
    let bad = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (sent < count) {
          sent++;
          const res = await request(url, { dispatcher });
          const text = await res.body.text();
          if (res.statusCode !== 200 || text !== BODY) bad++;
        }
      }),
    );
    if (bad > 0) throw new Error(`undici: ${bad} bad responses`);
  };
  await batch(Math.min(1000, n));
  const t0 = now();
  await batch(n);
  const sec = secondsSince(t0);
  await dispatcher.close();
  return { sec, connections: CONNECTIONS };
}

async function poeTsSide(port, n) {
  const { ClientHTTP, HttpRequest, Kernel, Session } = await import('../dist/index.js');
  const kernel = new Kernel();
  const url = `http://${HOST}:${port}/`;
  const client = ClientHTTP.spawn({ kernel, alias: 'ua', maxPerHost: CONNECTIONS, proxy: false });
  let t0 = 0n;
  let sec = 0;
  let bad = 0;
  const run = (count, done) => {
    let sent = 0;
    let got = 0;
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          for (let i = 0; i < IN_FLIGHT && sent < count; i++, sent++) ctx.kernel.post('ua', 'request', 'response', new HttpRequest('GET', url));
        },
        response: (ctx, _req, [res]) => {
          if (res.code !== 200 || res.contentText !== BODY) bad++;
          if (++got === count) return done();
          if (sent < count) {
            sent++;
            ctx.kernel.post('ua', 'request', 'response', new HttpRequest('GET', url));
          }
        },
      },
    });
  };
  run(Math.min(1000, n), () => {
    t0 = now();
    run(n, () => {
      sec = secondsSince(t0);
      client.shutdown();
    });
  });
  await kernel.run();
  if (bad > 0) throw new Error(`poe-ts: ${bad} bad responses`);
  return { sec, connections: CONNECTIONS };
}

async function client(side, port, n) {
  const r = side === 'undici' ? await undiciSide(port, n) : await poeTsSide(port, n);
  emit({ side, n, sec: r.sec, perSecond: Math.round(n / r.sec) });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

function hasPoeClient() {
  const r = spawnSync('perl', ['-MPOE', '-MPOE::Component::Client::HTTP', '-MPOE::Component::Client::Keepalive', '-e1'], { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && r.status === 0;
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, '--server'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.once('error', reject);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve({ port: Number(m[1]), stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

/** Measures the case and prints its JSON line; resolves true when every run succeeded. */
export async function measureHttpClient(name) {
  const n = scaled(BASE);
  const poeAnchor = anchorPath('poe-client-http-bench.pl');
  const withPoe = poeAnchor !== null && hasPoeClient();
  const sides = ['poe-ts', 'undici', ...(withPoe ? ['poe'] : [])];
  note(`http: ${name} (n=${n} GETs, ${CONNECTIONS} keep-alive connections, ${IN_FLIGHT} in flight; sides: ${sides.join(', ')})`);
  const server = await startServer();
  const runs = Object.fromEntries(sides.map((s) => [s, []]));
  const errors = [];
  try {
    await alternate(
      sides.map((side) => async () => {
        const r =
          side === 'poe'
            ? await runJsonChild(poeAnchor, [String(server.port), String(n), String(CONNECTIONS), String(IN_FLIGHT)], { interpreter: 'perl' })
            : await runJsonChild(SELF, ['--client', side, String(server.port), String(n)]);
        if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
        else runs[side].push(side === 'poe' ? r.per_sec : r.perSecond);
      }),
    );
  } finally {
    server.stop();
  }
  const perSecond = median(runs['poe-ts']);
  const baselinePerSecond = median(runs.undici);
  const record = {
    case: name,
    perSecond,
    baselinePerSecond,
    ratio: ratio(perSecond, baselinePerSecond),
    unit: 'requests',
    n,
    runs: runs['poe-ts'],
    form: `POE form: a session posts 'request' to the alias, a new request per response, ${IN_FLIGHT} in flight`,
    baseline: `undici ${undiciVersion()} request() with an Agent of ${CONNECTIONS} connections, ${IN_FLIGHT} in flight`,
    baselineRuns: runs.undici,
  };
  if (withPoe) {
    record.poePerSecond = median(runs.poe);
    record.poeRatio = ratio(perSecond, record.poePerSecond);
    record.poe = `POE::Component::Client::HTTP over Client::Keepalive (max_per_host ${CONNECTIONS}), anchors/poe-client-http-bench.pl`;
    record.poeRuns = runs.poe;
  }
  if (N_SCALE !== 1) record.scale = N_SCALE;
  return emitCase(record, errors);
}

function undiciVersion() {
  const r = spawnSync(process.execPath, ['-p', "require('undici/package.json').version"], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  return r.status === 0 ? r.stdout.trim() : '?';
}

const argv = process.argv.slice(2);
if (argv[0] === '--server') server();
else if (argv[0] === '--client') await client(argv[1], Number(argv[2]), Number(argv[3]));
