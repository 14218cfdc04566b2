// Coro suite: tasks and what they wait on. The coro.* cases (bench/_coro-primitives.mjs:
// Channel unbounded and rendezvous, Semaphore, against bare promises and Coro) and the DNS
// cases (bench/_dns.mjs: poe-ts's Resolver against AnyEvent::DNS and
// POE::Component::Client::DNS).
//
//   node bench/coro.mjs [case ...]                   every case (or the named ones), one JSON line each
//   node bench/coro.mjs --worker dns N SERVER        the poe-ts side of a DNS case (used internally)
//
// Every run is a fresh child process, killed after 60 s; sides alternate (ABBA) and the median
// of RUNS (default 3) runs per side is reported. Env: BENCH_N_SCALE, BENCH_RUNS.
import { fileURLToPath } from 'node:url';
import { RUNS, N_SCALE, note, scaled, selectCases } from './_lib.mjs';
import { DNS_CASES, dnsWorker, measureDns } from './_dns.mjs';
import { CASES as PRIMITIVE_CASES } from './_coro-primitives.mjs';

const SELF = fileURLToPath(import.meta.url);

const CASES = [
  // ---- DNS (bench/_dns.mjs) ----
  ...DNS_CASES.map((c) => ({ ...c, measure: (x) => measureDns(x, SELF) })),
  // ---- coro.* (bench/_coro-primitives.mjs) ----
  ...PRIMITIVE_CASES,
];

async function main(selected) {
  // run.mjs hands over `coro.dns.sweep` for the case named `dns.sweep`.
  const cases = selectCases('coro', CASES, selected.map((s) => (s.startsWith('coro.dns.') ? s.slice('coro.'.length) : s)));
  if (cases === null) return;
  let ok = true;
  for (const c of cases) {
    note(`coro: ${c.name} (n=${scaled(c.base)}, ${RUNS} run(s) per side${N_SCALE !== 1 ? `, scale ${N_SCALE}` : ''})`);
    if (!(await c.measure(c))) ok = false;
  }
  if (!ok) process.exitCode = 1;
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker' && argv[1] === 'dns') await dnsWorker(Number(argv[2]), argv[3]);
else await main(argv);
