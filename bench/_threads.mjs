// The threads case of the pool suite (run.mjs skips this file: it is a helper). bench/pool.mjs
// lists it with its own cases and hands it here; it also runs alone.
//
//   threads.spawn_join   create a thread running `x * 2` and join it, N times one after the
//                        other (Perl's `threads->create(...)->join` loop): poe-ts's threads
//                        (a Session joining with the event form) against a bare Worker
//                        created and awaited the same way (bench/anchors/pools/worker_spawn.mjs).
//                        Where Perl has threads (and POE), its ithreads figure is reported
//                        beside them (bench/anchors/pools/threads_spawn.pl), not checked.
//
//   node bench/_threads.mjs                  measure the case (one JSON line)
//   node bench/_threads.mjs --worker N       the poe-ts side alone (prints one JSON line)
//
// Every run is a fresh child; sides alternate (ABBA...); medians are reported. Env:
// BENCH_N_SCALE, BENCH_RUNS.
import { fileURLToPath } from 'node:url';
import { RUNS, alternate, anchorPath, caseRecord, emit, emitCase, median, note, now, perlHas, runJsonChild, scaled, secondsSince } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);

export const THREADS_CASES = [{ name: 'threads.spawn_join', base: 200, unit: 'threads/s' }];

// ------------------------------------------------------------------------------------------
// the poe-ts side (child)

/** POE's way: one session creates a thread, joins it with the event form, and creates the next from the join's event. */
export async function threadsWorker(n) {
  const { Kernel, Session, threads } = await import('../dist/index.js');
  const kernel = new Kernel();
  const module = new URL('./_threads_double.mjs', import.meta.url);
  let i = 0;
  let t0;
  let sec;
  let bad = 0;
  const next = (ctx) => {
    i++;
    threads.create({ module, export: 'double', kernel }, i).join(ctx.session, 'joined', i);
  };
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        t0 = now();
        next(ctx);
      },
      joined: (ctx, value, error, k) => {
        if (error !== undefined || value !== 2 * k) bad++;
        if (i < n) next(ctx);
        else sec = secondsSince(t0);
      },
    },
  });
  await kernel.run();
  if (bad > 0) throw new Error(`${bad} wrong results`);
  emit({ n, sec, perSecond: Math.round(n / sec) });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

export async function measureThreads(c) {
  const n = scaled(c.base);
  const errors = [];
  const runs = { poe: [], base: [], perl: [] };
  const withPerl = perlHas(['threads', 'POE']);
  const one = async (side) => {
    let r;
    if (side === 'poe') r = await runJsonChild(SELF, ['--worker', String(n)]);
    else if (side === 'base') {
      r = await runJsonChild(anchorPath('pools/worker_spawn.mjs'), [String(n)]);
      if (r.error === undefined) r = { perSecond: r.per_sec };
    } else {
      r = await runJsonChild(anchorPath('pools/threads_spawn.pl'), [String(n)], { interpreter: 'perl' });
      if (r.error === undefined) r = { perSecond: r.per_sec };
    }
    if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
    else runs[side].push(r.perSecond);
  };
  await alternate([() => one('poe'), () => one('base'), ...(withPerl ? [() => one('perl')] : [])]);
  const perSecond = median(runs.poe);
  const baselinePerSecond = median(runs.base);
  const record = caseRecord(c, n, perSecond, baselinePerSecond, {
    runs: runs.poe,
    baselineRuns: runs.base,
    baseline: 'a bare Worker created and awaited per value (bench/anchors/pools/worker_spawn.mjs)',
    perlThreadsPerSecond: withPerl ? median(runs.perl) : null,
  });
  if (!withPerl) record.perlMissing = 'perl with threads and POE is missing';
  return emitCase(record, errors);
}

const argv = process.argv.slice(2);
if (process.argv[1] === SELF) {
  if (argv[0] === '--worker') await threadsWorker(Number(argv[1]));
  else {
    note(`threads: threads.spawn_join (n=${scaled(THREADS_CASES[0].base)}, ${RUNS} run(s) per side)`);
    if (!(await measureThreads(THREADS_CASES[0]))) process.exitCode = 1;
  }
}
