// Shared helpers for the benchmark suites (not a suite: run.mjs skips files starting with `_`).
//
// Every measurement runs in a fresh child process (so JIT and heap state never leak from one
// case to the next), is killed after CHILD_TIMEOUT_MS, and reports one JSON line on stdout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

/** A child that runs longer than this is killed and its run counts as failed. */
export const CHILD_TIMEOUT_MS = 60_000;

/** Runs per side per case; the median is reported. `BENCH_RUNS` (1..15) overrides. */
export const RUNS = clampInt(process.env.BENCH_RUNS, 3, 1, 15);

/**
 * Multiplies every case's event count; `BENCH_N_SCALE=0.001` makes a run that checks shape,
 * not speed. Clamped to (0, 10].
 */
export const N_SCALE = (() => {
  const v = Number(process.env.BENCH_N_SCALE ?? 1);
  return Number.isFinite(v) && v > 0 ? Math.min(v, 10) : 1;
})();

/** `base` scaled by BENCH_N_SCALE, at least 1. */
export function scaled(base) {
  return Math.max(1, Math.round(base * N_SCALE));
}

function clampInt(raw, dflt, lo, hi) {
  const v = Number(raw ?? dflt);
  return Number.isInteger(v) ? Math.min(hi, Math.max(lo, v)) : dflt;
}

/** The median of the finite numbers in `xs`, or null when there are none. */
export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** `a / b` rounded to 4 significant digits, or null when either side is missing. */
export function ratio(a, b) {
  if (typeof a !== 'number' || typeof b !== 'number' || !(b > 0)) return null;
  return Number((a / b).toPrecision(4));
}

/** A monotonic clock reading, for {@link secondsSince}. */
export const now = () => process.hrtime.bigint();

/** Seconds since the reading `t0` of {@link now}. */
export const secondsSince = (t0) => Number(now() - t0) / 1e9;

/** `x` rounded to 4 significant digits when it is a number; anything else as it is. */
export const round4 = (x) => (typeof x === 'number' ? Number(x.toPrecision(4)) : x);

/**
 * Runs the measurements `sides` (async functions, one per side) RUNS times in ABBA order: the
 * order flips every run, so that no side always goes first.
 */
export async function alternate(sides) {
  for (let i = 0; i < RUNS; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) await side();
  }
}

/**
 * The cases of `suite` that `selected` names (every case when it names none), or null once it
 * has said which names it does not know and set exit status 2.
 */
export function selectCases(suite, cases, selected) {
  const unknown = selected.filter((s) => !cases.some((c) => c.name === s));
  if (unknown.length) {
    note(`${suite}: unknown case(s) ${unknown.join(', ')}; cases: ${cases.map((c) => c.name).join(', ')}`);
    process.exitCode = 2;
    return null;
  }
  return selected.length ? cases.filter((c) => selected.includes(c.name)) : cases;
}

/** Path of an anchor program in bench/anchors/ (see its README.md), or null if it is not there. */
export function anchorPath(name) {
  const p = fileURLToPath(new URL(`./anchors/${name}`, import.meta.url));
  return existsSync(p) ? p : null;
}

/**
 * Runs `node [...nodeArgs] script ...args` (or `interpreter script ...args`, e.g. `perl`) with a
 * time limit and resolves with the last JSON object the child printed on stdout, or `{ error }`
 * (the child's stderr tail, exit status or the timeout). Never rejects.
 */
export function runJsonChild(script, args, { nodeArgs = [], interpreter, env = process.env, timeoutMs = CHILD_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    const argv = interpreter === undefined ? [process.execPath, ...nodeArgs, script, ...args] : [interpreter, script, ...args];
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      if (out.length < 1_000_000) out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ error: `spawn failed: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ error: `killed after ${timeoutMs / 1000} s` });
      let last;
      for (const line of out.split('\n')) {
        const t = line.trim();
        if (!t.startsWith('{')) continue;
        try {
          last = JSON.parse(t);
        } catch {
          // not a JSON line: ignore it
        }
      }
      if (code !== 0 || last === undefined) {
        const why = code !== 0 ? `exit ${code ?? signal}` : 'no JSON on stdout';
        const lines = err.split('\n').map((l) => l.trim()).filter(Boolean);
        const detail = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.slice(-3).join(' | ');
        return resolve({ error: `${why}${detail ? `: ${detail}` : ''}` });
      }
      resolve(last);
    });
  });
}

/** Whether `perl` here loads every one of `modules` (a Perl anchor's side runs only then). */
export function perlHas(modules) {
  return spawnSync('perl', [...modules.map((m) => `-M${m}`), '-e', '1'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** Prints one result line on stdout (the only thing a suite writes there). */
export function emit(record) {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/**
 * A case's JSON record: the fields every suite's record starts with (name, poe-ts's and the
 * baseline's medians, their ratio, unit, n), then `extra`'s.
 */
export function caseRecord(c, n, perSecond, baselinePerSecond, extra) {
  return { case: c.name, perSecond, baselinePerSecond, ratio: ratio(perSecond, baselinePerSecond), unit: c.unit, n, ...extra };
}

/** Emits a case's record, with `errors` when there are any; true when the case passed (no error, a poe-ts figure). */
export function emitCase(record, errors) {
  if (errors.length) record.errors = errors;
  emit(record);
  return errors.length === 0 && record.perSecond !== null;
}

/** Progress on stderr, so stdout stays one JSON line per case. */
export function note(...parts) {
  process.stderr.write(`${parts.join(' ')}\n`);
}
