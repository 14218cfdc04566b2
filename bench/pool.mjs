// Pool suite: poe-ts's Function (IO::Async::Function / DetachedCode) on worker threads against
// the bare worker_threads pool (bench/anchors/pools/pool.mjs, the ceiling) measured in the same
// run, with IO::Async::Function (bench/anchors/pools/iaf_primes.pl) beside it where Perl has it.
// threads.* cases come from bench/_threads.mjs when that file is there.
//
//   node bench/pool.mjs [case ...]                       every case (or the named ones), one JSON line each
//   node bench/pool.mjs --worker TASK N CHUNK WORKERS    the poe-ts side of a case (used internally)
//
// Every run is a fresh child process, killed after 60 s; sides alternate (ABBA) and the median
// of RUNS (default 3) runs per side is reported. Env: BENCH_N_SCALE, BENCH_RUNS.
import { fileURLToPath } from 'node:url';
import { RUNS, N_SCALE, alternate, anchorPath, caseRecord, emitCase, median, note, now, perlHas, ratio, runJsonChild, scaled, secondsSince, selectCases } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const BASE = 1_000_000_000;

// Targets (issue 12): ratio >= 0.67 of the bare pool; >= 5x IO::Async::Function; batch >= 1.6x sequential.
const CASES = [
  { name: 'pool.prime_small', task: 'prime', base: 10_000, chunk: 1, workers: 2, unit: 'calls/s', baseline: 'thread', iaf: true },
  { name: 'pool.echo', task: 'echo', base: 10_000, chunk: 1, workers: 2, unit: 'calls/s', baseline: 'thread', iaf: true },
  { name: 'pool.prime_batch', task: 'prime', base: 100, chunk: 500, workers: 2, unit: 'calls/s', baseline: 'seq', iaf: false },
];

/** The poe-ts side: a Function over anchors/pools/prime.mjs, N calls queued at once from the main line. */
async function worker(taskName, n, chunk, workers) {
  const { Function, Kernel } = await import('../dist/index.js');
  const kernel = new Kernel();
  const f = Function.create({ module: anchorPath('pools/prime.mjs'), export: taskName === 'prime' ? 'countPrimes' : 'echo', workers, kernel });
  // From the main line, as iaf_primes.pl calls and then runs its loop: awaiting the calls runs
  // the kernel until every one has answered.
  await f.ready(); // start-up excluded, as the anchors do
  const t0 = now();
  const calls = [];
  for (let i = 0; i < n; i++) calls.push(f.call({ args: [BASE + i * chunk, chunk] }));
  const rs = await Promise.all(calls);
  const sec = secondsSince(t0);
  let primes = 0;
  if (taskName === 'prime') for (const r of rs) primes += r;
  await f.stop();
  process.stdout.write(`${JSON.stringify({ n, chunk, workers, primes, sec, per_sec: Math.round(n / sec) })}\n`);
}

async function measure(c) {
  const n = scaled(c.base);
  const args = [`task=${c.task}`, `n=${n}`, `chunk=${c.chunk}`, `workers=${c.workers}`];
  const withIaf = c.iaf && perlHas(['IO::Async::Function', 'Future']);
  const runs = { poe: [], base: [], iaf: [] };
  const errors = [];
  const primes = new Set();
  const one = async (side) => {
    let r;
    if (side === 'poe') r = await runJsonChild(SELF, ['--worker', c.task, String(n), String(c.chunk), String(c.workers)]);
    else if (side === 'base') r = await runJsonChild(anchorPath('pools/pool.mjs'), [`kind=${c.baseline}`, ...args]);
    else r = await runJsonChild(anchorPath('pools/iaf_primes.pl'), ['model=fork', ...args], { interpreter: 'perl' });
    if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
    else {
      runs[side].push(r.per_sec);
      if (c.task === 'prime') primes.add(r.primes);
    }
  };
  await alternate([() => one('poe'), () => one('base'), ...(withIaf ? [() => one('iaf')] : [])]);
  if (primes.size > 1) errors.push(`the sides counted different primes: ${[...primes].join(' vs ')}`);
  const perSecond = median(runs.poe);
  const baselinePerSecond = median(runs.base);
  const record = caseRecord(c, n, perSecond, baselinePerSecond, {
    chunk: c.chunk,
    workers: c.workers,
    runs: runs.poe,
    baselineRuns: runs.base,
    baseline: c.baseline === 'seq' ? 'the same calls run sequentially in one process (bench/anchors/pools/pool.mjs kind=seq)' : 'bare worker_threads pool (bench/anchors/pools/pool.mjs kind=thread)',
  });
  if (c.iaf) {
    const iaf = median(runs.iaf);
    record.iafPerSecond = iaf;
    record.vsIoAsyncFunction = ratio(perSecond, iaf);
    if (!withIaf) record.iafMissing = 'perl with IO::Async::Function is missing (apt-get install libio-async-perl)';
  }
  return emitCase(record, errors);
}

// threads.* (bench/_threads.mjs, another file so that both can grow apart).
const threads = await import('./_threads.mjs').catch(() => null);
const ALL = [...CASES.map((c) => ({ ...c, measure })), ...(threads?.THREADS_CASES ?? []).map((c) => ({ ...c, measure: () => threads.measureThreads(c) }))];

async function main(selected) {
  const cases = selectCases('pool', ALL, selected);
  if (cases === null) return;
  let ok = true;
  for (const c of cases) {
    note(`pool: ${c.name} (n=${scaled(c.base)}, ${RUNS} run(s) per side${N_SCALE !== 1 ? `, scale ${N_SCALE}` : ''})`);
    if (!(await c.measure(c))) ok = false;
  }
  if (!ok) process.exitCode = 1;
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker') await worker(argv[1], Number(argv[2]), Number(argv[3]), Number(argv[4]));
else await main(argv);
