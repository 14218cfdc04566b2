// Coro suite, the primitives: Channel and Semaphore of poe-ts against the same programs on bare
// promises (bench/anchors/coro-anyevent/channel.mjs) and, where `perl -MCoro` works, in Coro.
// Not a suite of its own (run.mjs skips `_` files): bench/coro.mjs runs these cases beside its
// own. It can also be run directly:
//
//   node bench/_coro-primitives.mjs [case ...]           every case (or the named ones), one JSON line each
//   node bench/_coro-primitives.mjs --worker CASE N      one poe-ts measurement in this process (used internally)
//
// Each measurement runs in a fresh child; the poe-ts, bare-promise and Coro runs alternate (the
// order flips every run) and the median of RUNS (default 3) runs per side is reported, with
// `ratio` = poe-ts / bare promises and `vsCoro` = poe-ts / Coro. Env: BENCH_N_SCALE, BENCH_RUNS.
import { fileURLToPath } from 'node:url';
import { Channel, Kernel, Semaphore, cede, task } from '../dist/index.js';
import { RUNS, N_SCALE, alternate, anchorPath, caseRecord, emit, emitCase, median, note, now, perlHas, ratio, runJsonChild, scaled, secondsSince, selectCases } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
/** The semaphore case: this many tasks share a Semaphore(1), as the anchors have it. */
const SEM_TASKS = 4;

// ------------------------------------------------------------------------------------------
// worker side: one poe-ts measurement, printed as one JSON object

/**
 * channel.mjs's `channel` program in poe-ts's idiom: a producer task puts 1..n and shuts the
 * channel down, a consumer task gets until `undefined`; the sum proves every item came once.
 */
async function workerChannel(n, maxsize) {
  const kernel = new Kernel();
  const t0 = now();
  const ch = new Channel(maxsize, { kernel });
  let sum = 0;
  task(
    async () => {
      // The non-blocking path first, as channel.mjs's put returns no promise when it need not wait.
      for (let i = 1; i <= n; i++) if (!ch.tryPut(i)) await ch.put(i);
      ch.shutdown();
    },
    { kernel, desc: 'producer' },
  );
  task(
    async () => {
      for (;;) {
        // As channel.mjs: an item already there is taken without a promise.
        let x = ch.tryGet();
        if (x === undefined) {
          x = await ch.get();
          if (x === undefined) break;
        }
        sum += x;
      }
    },
    { kernel, desc: 'consumer' },
  );
  await kernel.run();
  const sec = secondsSince(t0);
  if (sum !== (n * (n + 1)) / 2) throw new Error(`channel: bad sum ${sum}`);
  return { sec };
}

/**
 * channel.mjs's `semaphore` program: SEM_TASKS tasks share a Semaphore(1); each takes it n/4
 * times, bumps the counter and cedes while holding it (`await null` there, `cede` in Coro),
 * then gives it back.
 */
async function workerSemaphore(n) {
  const kernel = new Kernel();
  const t0 = now();
  const sem = new Semaphore(1, { kernel });
  const each = n / SEM_TASKS;
  let c = 0;
  for (let k = 0; k < SEM_TASKS; k++) {
    task(
      async () => {
        for (let i = 0; i < each; i++) {
          if (!sem.tryDown()) await sem.down();
          c++;
          await cede();
          sem.up();
        }
      },
      { kernel, desc: `worker ${k}` },
    );
  }
  await kernel.run();
  const sec = secondsSince(t0);
  if (c !== n) throw new Error(`semaphore: count ${c}, expected ${n}`);
  return { sec };
}

const CASE_LIST = [
  {
    name: 'coro.channel',
    base: 1_000_000,
    unit: 'items',
    what: 'producer/consumer tasks, unbounded Channel',
    worker: (n) => workerChannel(n, 0),
    node: (n) => ['channel', String(n), '0'],
    coro: { script: 'coro_channel.pl', args: (n) => [String(n), '0'] },
  },
  {
    name: 'coro.rendezvous',
    base: 1_000_000,
    unit: 'items',
    what: 'producer/consumer tasks, Channel(1): every put waits for its get',
    worker: (n) => workerChannel(n, 1),
    node: (n) => ['channel', String(n), '1'],
    coro: { script: 'coro_channel.pl', args: (n) => [String(n), '1'] },
  },
  {
    name: 'coro.semaphore',
    base: 1_000_000,
    unit: 'acquisitions',
    what: `${SEM_TASKS} tasks x n/${SEM_TASKS}: down, count, cede, up on a Semaphore(1)`,
    worker: workerSemaphore,
    node: (n) => ['semaphore', String(n)],
    // Its last JSON line is the Semaphore(1) + guard + cede case (the first is a cede ping-pong).
    coro: { script: 'coro_sem_cede.pl', args: (n) => [String(n)] },
  },
];

/** n for a case: scaled, and for the semaphore a multiple of the task count. */
function caseN(c) {
  const n = scaled(c.base);
  return c.name === 'coro.semaphore' ? Math.max(SEM_TASKS, n - (n % SEM_TASKS)) : n;
}

async function worker(name, n) {
  const c = CASE_LIST.find((x) => x.name === name);
  if (c === undefined) throw new Error(`unknown case ${name}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad N ${n}`);
  const r = await c.worker(n);
  if (!(r.sec > 0)) throw new Error(`${name}: the run never finished its measurement`);
  emit({ case: name, n, ...r, perSecond: Math.round(n / r.sec) });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

let perlCoro;
/** Whether `perl -MCoro` works here (asked once). */
function hasPerlCoro() {
  perlCoro ??= perlHas(['Coro', 'Coro::Channel', 'Coro::Semaphore']);
  return perlCoro;
}

/**
 * Measures case `c`: poe-ts, bare promises and (with Perl's Coro) Coro, alternating, and emits
 * its JSON line. Resolves false if a side failed.
 */
async function measure(c) {
  const n = caseN(c);
  const channelMjs = anchorPath('coro-anyevent/channel.mjs');
  const coroScript = anchorPath(`coro-anyevent/${c.coro.script}`);
  const withCoro = coroScript !== null && hasPerlCoro();
  const poeRuns = [];
  const nodeRuns = [];
  const coroRuns = [];
  const errors = [];
  const poe = async () => {
    const r = await runJsonChild(SELF, ['--worker', c.name, String(n)]);
    if (r.error !== undefined) errors.push(`poe-ts: ${r.error}`);
    else poeRuns.push(r.perSecond);
  };
  const bare = async () => {
    const r = await runJsonChild(channelMjs, c.node(n));
    if (r.error !== undefined) errors.push(`channel.mjs: ${r.error}`);
    else if (typeof r.per_sec !== 'number') errors.push(`channel.mjs: no per_sec in ${JSON.stringify(r)}`);
    else nodeRuns.push(r.per_sec);
  };
  const coro = async () => {
    const r = await runJsonChild(coroScript, c.coro.args(n), { interpreter: 'perl' });
    if (r.error !== undefined) errors.push(`coro: ${r.error}`);
    else if (typeof r.per_sec !== 'number') errors.push(`coro: no per_sec in ${JSON.stringify(r)}`);
    else coroRuns.push(r.per_sec);
  };
  const sides = [poe];
  if (channelMjs !== null) sides.push(bare);
  if (withCoro) sides.push(coro);
  await alternate(sides);
  const perSecond = median(poeRuns);
  const baselinePerSecond = channelMjs !== null ? median(nodeRuns) : null;
  const coroPerSecond = withCoro ? median(coroRuns) : null;
  const record = caseRecord(c, n, perSecond, baselinePerSecond, {
    coroPerSecond,
    vsCoro: ratio(perSecond, coroPerSecond),
    what: c.what,
    runs: poeRuns,
    baseline: channelMjs !== null ? `coro-anyevent/channel.mjs ${c.node(n).join(' ')}` : 'missing: bench/anchors/coro-anyevent/channel.mjs',
    baselineRuns: nodeRuns,
    coro: withCoro ? `perl coro-anyevent/${c.coro.script} ${c.coro.args(n).join(' ')}` : coroScript === null ? `missing: bench/anchors/coro-anyevent/${c.coro.script}` : 'missing: perl with Coro',
    coroRuns,
  });
  return emitCase(record, errors);
}

/** The cases, for bench/coro.mjs: each has `name`, `base`, `unit` and `measure()` (emits its JSON line, resolves false on a failure). */
export const CASES = CASE_LIST.map((c) => ({ name: c.name, base: c.base, unit: c.unit, measure: () => measure(c) }));

/** Runs the named cases (every one when none is named), as a suite's main does. */
export async function main(selected, suite = 'coro') {
  const cases = selectCases(suite, CASES, selected);
  if (cases === null) return;
  let ok = true;
  for (const c of cases) {
    note(`${suite}: ${c.name} (n=${caseN(CASE_LIST.find((x) => x.name === c.name))}, ${RUNS} run(s) per side${N_SCALE !== 1 ? `, scale ${N_SCALE}` : ''})`);
    if (!(await c.measure())) ok = false;
  }
  if (!ok) process.exitCode = 1;
}

if (process.argv[1] === SELF) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') await worker(argv[1], Number(argv[2]));
  else await main(argv);
}
