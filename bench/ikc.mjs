// Inter-kernel communication (IKC, issue 14).
//
//   ikc.thread_post   posts/s from a session in kernel `a` (main thread) to a published
//                     session in kernel `b` (a worker thread), through IKC over a
//                     ThreadTransport: ordered, acknowledged, encoded with node:v8. Against a
//                     bare MessagePort in the same run: `postMessage(i)` per value to a worker
//                     that counts them. Both wait for the worker's "all n arrived".
//                     Each side first sends a round of n the same way, not timed: both are
//                     measured in their steady state (optimised code, sized heap), as the io
//                     and http suites warm up first; without it the 0.2 s run mostly measured
//                     the JIT compiling the kernel and the link, not posting.
//
//   ikc.tcp_post      posts/s from kernel `a` (this process) to kernel `b` in another process
//                     over IKC TCP (TcpTransport to listenTcp). Against a bare socket with the
//                     same framing in the same run: each value v8-serialized and framed as
//                     frameBytes does, written in corked chunks of IKC_CHUNK, to a net server
//                     that reads the frames and counts the values. Both wait for "all n arrived".
//   ikc.nats_post, ikc.nats_call: kernels in two processes through a nats-server, against the
//                     bare NATS client (bench/_ikc_nats.mjs; skipped without nats-server).
//
//   node bench/ikc.mjs [case...]          measure (one JSON line per case)
//   node bench/ikc.mjs --side poe|base N  one side alone (prints one JSON line)
//
// Every run is a fresh child; sides alternate (ABBA...); medians are reported. Env:
// BENCH_N_SCALE, BENCH_RUNS.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NATS_CASES, measureNats } from './_ikc_nats.mjs';
import { CHUNK, checkSum, ikcSource, report } from './_ikc_sink.mjs';
import { RUNS, alternate, caseRecord, emit, emitCase, median, note, now, runJsonChild, scaled, secondsSince, selectCases } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const WORKER = new URL('./_ikc_worker.mjs', import.meta.url);
const CASES = [{ name: 'ikc.thread_post', base: 100_000, unit: 'posts/s' }];
CASES.push({ name: 'ikc.tcp_post', base: 100_000, unit: 'posts/s' });
const TCP_PEER = fileURLToPath(new URL('./_ikc_tcp_peer.mjs', import.meta.url));
// ikc.nats_post, ikc.nats_call: see _ikc_nats.mjs.
CASES.push(...NATS_CASES);

async function poeSide(n) {
  const lib = await import('../dist/index.js');
  const { kernel, ikc, result } = ikcSource(lib, n, { paced: true, warm: true });
  const worker = new Worker(WORKER, { workerData: { side: 'poe', n } });
  // Listened for at once: the worker may be gone before the kernel's run ends.
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  ikc.connect(new lib.ThreadTransport(worker));
  await kernel.run();
  await exited;
  report(n, result());
}

async function baseSide(n) {
  const worker = new Worker(WORKER, { workerData: { side: 'base', n } });
  await new Promise((resolve) => worker.once('online', resolve));
  const round = () => {
    const answered = new Promise((resolve) => worker.once('message', resolve));
    for (let i = 0; i < n; i++) worker.postMessage(i);
    return answered;
  };
  await round();
  const t0 = now();
  const result = await round();
  const sec = secondsSince(t0);
  await worker.terminate();
  checkSum(n, { got: result.done, sum: result.sum });
  emit({ n, sec, perSecond: Math.round(n / sec) });
}


/** The thread and TCP cases: the `--side` prefix of their children and what the baseline is. */
const SIDES = {
  'ikc.thread_post': { prefix: '', baseline: 'a bare MessagePort: postMessage(i) per value to a worker that counts them' },
  'ikc.tcp_post': { prefix: 'tcp-', baseline: 'a bare socket to another process: each value v8-serialized and framed as frameBytes does, corked per chunk' },
};

async function measure(c) {
  if (NATS_CASES.includes(c)) return measureNats(c);
  const { prefix, baseline } = SIDES[c.name];
  const n = scaled(c.base);
  const errors = [];
  const runs = { poe: [], base: [] };
  const one = async (side) => {
    const r = await runJsonChild(SELF, ['--side', `${prefix}${side}`, String(n)]);
    if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
    else runs[side].push(r.perSecond);
  };
  await alternate([() => one('poe'), () => one('base')]);
  const record = caseRecord(c, n, median(runs.poe), median(runs.base), { runs: runs.poe, baselineRuns: runs.base, baseline });
  return emitCase(record, errors);
}

/** Starts the TCP peer process (`poe` or `base`); resolves with it and the port it listens on. */
async function tcpPeer(side, n) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [TCP_PEER, side, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`the TCP peer exited: ${out}`)));
  });
  return { port, exited };
}

async function tcpPoeSide(n) {
  const lib = await import('../dist/index.js');
  const peer = await tcpPeer('poe', n);
  const { kernel, ikc, result } = ikcSource(lib, n);
  ikc.connect(new lib.TcpTransport({ port: peer.port, kernel }));
  await kernel.run();
  await peer.exited;
  report(n, result());
}

async function tcpBaseSide(n) {
  const net = await import('node:net');
  const { serialize } = await import('node:v8');
  const { frameBytes } = await import('../dist/index.js');
  const peer = await tcpPeer('base', n);
  const socket = net.connect(peer.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.setEncoding('utf8').on('data', (d) => (answer += d));
  const ended = new Promise((resolve) => socket.once('end', resolve));
  const t0 = now();
  for (let from = 0; from < n; from += CHUNK) {
    socket.cork();
    for (let i = from; i < Math.min(n, from + CHUNK); i++) socket.write(frameBytes(serialize(i)));
    socket.uncork();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await ended;
  const sec = secondsSince(t0);
  socket.destroy();
  await peer.exited;
  const r = JSON.parse(answer);
  checkSum(n, { got: r.done, sum: r.sum });
  emit({ n, sec, perSecond: Math.round(n / sec) });
}

const argv = process.argv.slice(2);
if (argv[0] === '--side' && argv[1]?.startsWith('tcp-')) {
  await (argv[1] === 'tcp-poe' ? tcpPoeSide : tcpBaseSide)(Number(argv[2]));
} else if (argv[0] === '--side') {
  await (argv[1] === 'poe' ? poeSide : baseSide)(Number(argv[2]));
} else {
  const cases = selectCases('ikc', CASES, argv);
  if (cases !== null) {
    let ok = true;
    for (const c of cases) {
      note(`ikc: ${c.name} (n=${scaled(c.base)}, ${RUNS} run(s) per side)`);
      ok = (await measure(c)) && ok;
    }
    if (!ok) process.exitCode = 1;
  }
}
