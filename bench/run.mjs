// Runs the benchmark suites: every bench/<suite>.mjs (except this file and `_` helpers), or the
// ones named on the command line. `npm run bench -- kernel` runs one suite; `kernel.yield`
// runs one case of it. Each suite prints one JSON line per case on stdout; progress goes to
// stderr. Exits non-zero if a suite fails. Env: BENCH_N_SCALE, BENCH_RUNS (see _lib.mjs).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { RUNS, N_SCALE, note } from './_lib.mjs';

/** A backstop only: every child a suite starts is already killed after 60 s. */
const SUITE_TIMEOUT_MS = 40 * 60_000;

/**
 * Suites that open connections by the ten thousand run last: http.preforking leaves some 80k
 * loopback sockets in TIME_WAIT, which slow every loopback case measured after it for a minute.
 */
const LAST = ['http'];

const benchDir = dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(benchDir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .map((f) => f.slice(0, -'.mjs'.length))
  .sort((a, b) => LAST.indexOf(a) - LAST.indexOf(b) || a.localeCompare(b));

// `kernel` selects a suite, `kernel.yield` one case of it.
const wanted = new Map();
for (const arg of process.argv.slice(2)) {
  const dot = arg.indexOf('.');
  const suite = dot < 0 ? arg : arg.slice(0, dot);
  if (!suites.includes(suite)) {
    note(`bench: unknown suite "${suite}"; suites: ${suites.join(', ') || '(none)'}`);
    process.exit(2);
  }
  const cases = wanted.get(suite) ?? [];
  if (dot >= 0) cases.push(arg);
  else cases.all = true;
  wanted.set(suite, cases);
}
if (wanted.size === 0) for (const s of suites) wanted.set(s, []);

if (!existsSync(join(benchDir, '..', 'dist', 'index.js')) || !existsSync(join(benchDir, '..', 'build', 'samples', 'line-echo.js'))) {
  note('bench: dist/index.js or build/samples/ is missing; run `npm run build` (or `npm run bench`, which builds)');
  process.exit(2);
}

function runSuite(suite, cases) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(benchDir, `${suite}.mjs`), ...cases], { stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      note(`bench: suite ${suite} still running after ${SUITE_TIMEOUT_MS / 60_000} min; killing it`);
      child.kill('SIGKILL');
    }, SUITE_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      note(`bench: cannot start suite ${suite}: ${e.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

note(`bench: node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} cpu(s), ${RUNS} run(s) per side${N_SCALE !== 1 ? `, BENCH_N_SCALE=${N_SCALE}` : ''}`);
let failed = 0;
for (const [suite, cases] of wanted) {
  const code = await runSuite(suite, cases.all ? [] : cases);
  if (code !== 0) {
    note(`bench: suite ${suite} exited with ${code}`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
