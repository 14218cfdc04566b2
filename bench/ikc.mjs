// Inter-kernel communication (IKC, issue 14).
//
//   ikc.thread_post   posts/s from a session in kernel `a` (main thread) to a published
//                     session in kernel `b` (a worker thread), through IKC over a
//                     ThreadTransport: ordered, acknowledged, encoded with node:v8. Against a
//                     bare MessagePort in the same run: `postMessage(i)` per value to a worker
//                     that counts them. Both wait for the worker's "all n arrived".
//
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
import { RUNS, alternate, caseRecord, emit, emitCase, median, note, now, runJsonChild, scaled, secondsSince, selectCases } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const WORKER = new URL('./_ikc_worker.mjs', import.meta.url);
const CASES = [{ name: 'ikc.thread_post', base: 100_000, unit: 'posts/s' }];
// ikc.nats_post, ikc.nats_call: see _ikc_nats.mjs.
CASES.push(...NATS_CASES);
/** Posts per handler run: the source yields between chunks, as a POE producer would. */
const CHUNK = Number(process.env.IKC_CHUNK ?? 1000);

async function poeSide(n) {
  const { Kernel, Responder, Session, ThreadTransport } = await import('../dist/index.js');
  const kernel = new Kernel({ name: 'a' });
  const ikc = Responder.spawn({ kernel });
  const worker = new Worker(WORKER, { workerData: { side: 'poe', n } });
  let t0;
  let sec;
  let result;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('source');
        ikc.publish('source');
        ikc.monitor('b', { register: 'go' });
      },
      go(ctx) {
        t0 = now();
        ctx.kernel.yield('more', 0);
      },
      more(ctx, from) {
        const to = Math.min(n, from + CHUNK);
        for (let i = from; i < to; i++) ctx.kernel.post('poe://b/sink', 'take', i);
        if (to < n) ctx.kernel.yield('more', to);
      },
      done(ctx, got, sum) {
        sec = secondsSince(t0);
        result = { got, sum };
        ctx.kernel.aliasRemove('source');
        ikc.shutdown();
      },
    },
  });
  ikc.connect(new ThreadTransport(worker));
  await kernel.run();
  await new Promise((resolve) => worker.once('exit', resolve));
  check(n, result);
  emit({ n, sec, perSecond: Math.round(n / sec) });
}

async function baseSide(n) {
  const worker = new Worker(WORKER, { workerData: { side: 'base', n } });
  await new Promise((resolve) => worker.once('online', resolve));
  const t0 = now();
  const answered = new Promise((resolve) => worker.once('message', resolve));
  for (let i = 0; i < n; i++) worker.postMessage(i);
  const result = await answered;
  const sec = secondsSince(t0);
  await worker.terminate();
  check(n, { got: result.done, sum: result.sum });
  emit({ n, sec, perSecond: Math.round(n / sec) });
}

function check(n, r) {
  if (r === undefined || r.got !== n || r.sum !== (n * (n - 1)) / 2) throw new Error(`wrong result ${JSON.stringify(r)}`);
}

async function measure(c) {
  if (NATS_CASES.includes(c)) return measureNats(c);
  const n = scaled(c.base);
  const errors = [];
  const runs = { poe: [], base: [] };
  const one = async (side) => {
    const r = await runJsonChild(SELF, ['--side', side, String(n)]);
    if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
    else runs[side].push(r.perSecond);
  };
  await alternate([() => one('poe'), () => one('base')]);
  const record = caseRecord(c, n, median(runs.poe), median(runs.base), {
    runs: runs.poe,
    baselineRuns: runs.base,
    baseline: 'a bare MessagePort: postMessage(i) per value to a worker that counts them',
  });
  return emitCase(record, errors);
}

const argv = process.argv.slice(2);
if (argv[0] === '--side') {
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
