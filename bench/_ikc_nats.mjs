// The NATS cases of bench/ikc.mjs (issue 14): kernels in two processes through a nats-server
// of the bench's own (127.0.0.1, a free port), against the bare client in the same run.
//
//   ikc.nats_post   posts/s from a session in kernel `a` to a published session in kernel `b`
//                   (another process), through IKC over NATS; against bare
//                   @nats-io/transport-node: `publish(subject, i)` per value to a process that
//                   subscribes and counts. Both wait for the other process's "all n arrived".
//   ikc.nats_call   calls/s, one at a time: `await kernel.call('poe://b/sink', 'double', i)`;
//                   against bare `await nc.request(subject, i)` answered by a subscriber.
//
// Skipped, with a note, where nats-server is not installed (`apt-get install -y nats-server`).
//
//   node bench/_ikc_nats.mjs --side poe|base CASE N URL    one side alone (one JSON line)
//   node bench/_ikc_nats.mjs --peer poe|base CASE N URL    the other process of a side
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkSum, ikcSink, ikcSource, report } from './_ikc_sink.mjs';
import { alternate, caseRecord, emit, emitCase, median, note, now, runJsonChild, scaled, secondsSince } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
export const NATS_CASES = [
  { name: 'ikc.nats_post', base: 100_000, unit: 'posts/s' },
  { name: 'ikc.nats_call', base: 5_000, unit: 'calls/s' },
];
const BASELINE = {
  'ikc.nats_post': 'bare @nats-io/transport-node: publish(subject, i) per value to a process that subscribes and counts',
  'ikc.nats_call': 'bare @nats-io/transport-node: await request(subject, i) answered by a subscriber in another process',
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('Server is ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${err}`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** Measures one NATS case; true when it ran (or was skipped) without errors. */
export async function measureNats(c) {
  if (spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    note(`ikc: ${c.name} skipped: nats-server is not installed (apt-get install -y nats-server)`);
    return true;
  }
  const n = scaled(c.base);
  const server = await startServer();
  const errors = [];
  const runs = { poe: [], base: [] };
  const one = async (side) => {
    const r = await runJsonChild(SELF, ['--side', side, c.name, String(n), server.url]);
    if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
    else runs[side].push(r.perSecond);
  };
  try {
    await alternate([() => one('poe'), () => one('base')]);
  } finally {
    await server.stop();
  }
  const record = caseRecord(c, n, median(runs.poe), median(runs.base), { runs: runs.poe, baselineRuns: runs.base, baseline: BASELINE[c.name] });
  return emitCase(record, errors);
}

function peerProcess(side, name, n, url) {
  const child = spawn(process.execPath, [SELF, '--peer', side, name, String(n), url], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`peer exited ${code}`))));
  });
}

async function poeSide(name, n, url) {
  const lib = await import('../dist/index.js');
  const peer = peerProcess('poe', name, n, url);
  // The post case posts as the other transports' cases do; the call case calls, one at a time.
  const go =
    name === 'ikc.nats_post'
      ? undefined
      : async (ctx, finish) => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += (await ctx.kernel.call('poe://b/sink', 'double', i)) / 2;
          finish(ctx, n, sum);
        };
  const { kernel, ikc, result } = ikcSource(lib, n, { go, stopSink: true });
  await lib.NatsIkc.connect(ikc, { servers: url });
  await kernel.run();
  await peer;
  report(n, result());
}

async function poePeer(name, n, url) {
  const lib = await import('../dist/index.js');
  // Stays after `done`: the call case goes on with `double`, and `stop` ends it.
  const { kernel, ikc } = ikcSink(lib, n, { stayAfterDone: true, states: { double: (_ctx, i) => i * 2 } });
  await lib.NatsIkc.connect(ikc, { servers: url });
  await kernel.run();
}

async function baseSide(name, n, url) {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: url });
  const ready = new Promise((resolve) => nc.subscribe('bench.ready', { max: 1, callback: () => resolve() }));
  await nc.flush();
  const peer = peerProcess('base', name, n, url);
  await ready;
  const t0 = now();
  let result;
  if (name === 'ikc.nats_post') {
    const done = new Promise((resolve) => nc.subscribe('bench.done', { max: 1, callback: (_e, m) => resolve(m.json()) }));
    for (let i = 0; i < n; i++) {
      // A buffer each: the client sends it later.
      const buf = new Uint8Array(4);
      new DataView(buf.buffer).setUint32(0, i);
      nc.publish('bench.take', buf);
    }
    result = await done;
  } else {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const buf = new Uint8Array(4);
      new DataView(buf.buffer).setUint32(0, i);
      const m = await nc.request('bench.double', buf, { timeout: 5000 });
      sum += new DataView(m.data.buffer, m.data.byteOffset).getUint32(0) / 2;
    }
    result = { got: n, sum };
  }
  const sec = secondsSince(t0);
  nc.publish('bench.stop');
  await nc.drain();
  await peer;
  checkSum(n, result);
  emit({ n, sec, perSecond: Math.round(n / sec) });
}

async function basePeer(name, n, url) {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: url });
  let got = 0;
  let sum = 0;
  nc.subscribe('bench.take', {
    callback: (_e, m) => {
      sum += new DataView(m.data.buffer, m.data.byteOffset).getUint32(0);
      if (++got === n) nc.publish('bench.done', JSON.stringify({ got, sum }));
    },
  });
  nc.subscribe('bench.double', {
    callback: (_e, m) => {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, new DataView(m.data.buffer, m.data.byteOffset).getUint32(0) * 2);
      m.respond(out);
    },
  });
  const stopped = new Promise((resolve) => nc.subscribe('bench.stop', { max: 1, callback: () => resolve() }));
  await nc.flush();
  nc.publish('bench.ready');
  await stopped;
  await nc.drain();
}

// Only when run as its own program: bench/ikc.mjs imports this file, and its own `--side`
// arguments are not this file's.
const argv = process.argv[1] === SELF ? process.argv.slice(2) : [];
if (argv[0] === '--side' || argv[0] === '--peer') {
  const [mode, side, name, n, url] = argv;
  const fn = mode === '--side' ? (side === 'poe' ? poeSide : baseSide) : side === 'poe' ? poePeer : basePeer;
  await fn(name, Number(n), url);
}
