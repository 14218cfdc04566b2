// Kernel suite: event dispatch, timers and per-session memory of poe-ts, each beside the
// yardstick kernel (bench/anchors/yardstick-kernel.mjs) measured in the same run.
//
//   node bench/kernel.mjs [case ...]            every case (or the named ones), one JSON line each
//   node bench/kernel.mjs --worker CASE N       one measurement in this process (used internally)
//
// Each measurement runs in a fresh child; poe-ts and yardstick runs alternate (ABBA order) and
// the median of RUNS (default 3) runs per side is reported. Env: BENCH_N_SCALE, BENCH_RUNS.
import { fileURLToPath } from 'node:url';
import { Kernel, Session } from '../dist/index.js';
import { RUNS, N_SCALE, alternate, anchorPath, caseRecord, emit, emitCase, median, note, now, round4, runJsonChild, scaled, secondsSince, selectCases } from './_lib.mjs';

const SELF = fileURLToPath(import.meta.url);
/** delay_burst spreads its alarms over this many seconds, as the yardstick does (SPREAD). */
const SPREAD_S = 0.01;

const CASES = [
  { name: 'kernel.yield', base: 1_000_000, unit: 'events', yardstick: 'yield' },
  { name: 'kernel.post', base: 1_000_000, unit: 'events', yardstick: 'post' },
  { name: 'kernel.delay_burst', base: 100_000, unit: 'alarms', yardstick: 'delay_add' },
  { name: 'kernel.delay_chain', base: 100_000, unit: 'alarms', yardstick: 'delay_chain' },
  { name: 'kernel.idle_session_heap', base: 100_000, unit: 'sessions created', nodeArgs: ['--expose-gc'] },
];

// ------------------------------------------------------------------------------------------
// worker side: one measurement, printed as one JSON object

function expectCount(what, count, n) {
  if (count !== n) throw new Error(`${what}: ${count} events handled, expected ${n}`);
}

async function workerYield(n) {
  const kernel = new Kernel();
  let t0 = 0n;
  let sec = NaN;
  let count = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        t0 = now();
        ctx.kernel.yield('tick', 1);
      },
      tick: (ctx, i) => {
        count++;
        if (i < n) ctx.kernel.yield('tick', i + 1);
        else sec = secondsSince(t0);
      },
    },
  });
  await kernel.run();
  expectCount('yield', count, n);
  return { sec };
}

async function workerPost(n) {
  const kernel = new Kernel();
  let t0 = 0n;
  let sec = NaN;
  let count = 0;
  const hitThen = (other) => (ctx, i) => {
    count++;
    if (i < n) ctx.kernel.post(other, 'hit', i + 1);
    else sec = secondsSince(t0);
  };
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        ctx.kernel.aliasSet('pong');
      },
      hit: hitThen('ping'),
    },
  });
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        ctx.kernel.aliasSet('ping');
        t0 = now();
        ctx.kernel.post('pong', 'hit', 1);
      },
      hit: hitThen('pong'),
    },
  });
  // When the ping-pong ends only aliases hold the sessions: the kernel goes idle and reaps them.
  await kernel.run();
  expectCount('post', count, n);
  return { sec };
}

async function workerDelayBurst(n) {
  const kernel = new Kernel();
  let seed = 42; // the yardstick's LCG, so both sides arm the same delays
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  let t0 = 0n;
  let sec = NaN;
  let armSec = NaN;
  let count = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        t0 = now();
        for (let i = 1; i <= n; i++) ctx.kernel.delayAdd('ring', rnd() * SPREAD_S, i);
        armSec = secondsSince(t0);
      },
      ring: () => {
        if (++count === n) sec = secondsSince(t0);
      },
    },
  });
  await kernel.run();
  expectCount('delay_burst', count, n);
  return { sec, armSec };
}

async function workerDelayChain(n) {
  const kernel = new Kernel();
  let t0 = 0n;
  let sec = NaN;
  let count = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        t0 = now();
        ctx.kernel.delay('tick', 0);
      },
      tick: (ctx) => {
        if (++count < n) ctx.kernel.delay('tick', 0);
        else sec = secondsSince(t0);
      },
    },
  });
  await kernel.run();
  expectCount('delay_chain', count, n);
  return { sec };
}

async function workerIdleSessionHeap(n) {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error('run with --expose-gc');
  const settle = () => {
    for (let i = 0; i < 3; i++) gc();
  };
  const kernel = new Kernel();
  // One handler table shared by every session, so the figure is the session's own cost
  // (plus its alias), not a closure per session.
  const states = { _start: (ctx, alias) => void ctx.kernel.aliasSet(alias) };
  settle();
  const before = process.memoryUsage().heapUsed;
  const t0 = now();
  for (let i = 0; i < n; i++) Session.create({ kernel, inlineStates: states, args: [`idle-${i}`] });
  const sec = secondsSince(t0);
  settle();
  const after = process.memoryUsage().heapUsed;
  expectCount('idle sessions', kernel.sessionCount, n);
  // Nothing to do but aliases: the kernel goes idle at once and reaps them all.
  await kernel.run();
  expectCount('sessions left', kernel.sessionCount, 0);
  return { sec, bytesPerSession: Math.round((after - before) / n) };
}

const WORKERS = {
  'kernel.yield': workerYield,
  'kernel.post': workerPost,
  'kernel.delay_burst': workerDelayBurst,
  'kernel.delay_chain': workerDelayChain,
  'kernel.idle_session_heap': workerIdleSessionHeap,
};

async function worker(name, n) {
  const fn = WORKERS[name];
  if (fn === undefined) throw new Error(`unknown case ${name}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad N ${n}`);
  const r = await fn(n);
  if (!(r.sec > 0)) throw new Error(`${name}: the run never finished its measurement`);
  emit({ case: name, n, ...r, perSecond: Math.round(n / r.sec) });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

async function measure(c, yardstick) {
  const n = scaled(c.base);
  const poeRuns = [];
  const ysRuns = [];
  const errors = [];
  const poe = async () => {
    const r = await runJsonChild(SELF, ['--worker', c.name, String(n)], { nodeArgs: c.nodeArgs ?? [] });
    if (r.error !== undefined) errors.push(`poe-ts: ${r.error}`);
    else poeRuns.push(r);
  };
  const ys = async () => {
    const env = { ...process.env, SPREAD: String(SPREAD_S) };
    delete env.TIMER; // TIMER=naive would measure the yardstick's slow path
    const r = await runJsonChild(yardstick, [c.yardstick, String(n)], { env });
    if (r.error !== undefined) errors.push(`yardstick: ${r.error}`);
    else if (typeof r.per_sec !== 'number') errors.push(`yardstick: no per_sec in ${JSON.stringify(r)}`);
    else ysRuns.push(r);
  };
  const withBaseline = c.yardstick !== undefined && yardstick !== null;
  await alternate(withBaseline ? [poe, ys] : [poe]);
  const perSecond = median(poeRuns.map((r) => r.perSecond));
  const baselinePerSecond = withBaseline ? median(ysRuns.map((r) => r.per_sec)) : null;
  const record = caseRecord(c, n, perSecond, baselinePerSecond, { runs: poeRuns.map((r) => r.perSecond) });
  if (withBaseline) {
    record.baseline = `yardstick-kernel.mjs ${c.yardstick}`;
    record.baselineRuns = ysRuns.map((r) => r.per_sec);
  } else if (c.yardstick !== undefined) {
    record.baseline = 'missing: bench/anchors/yardstick-kernel.mjs';
  }
  if (c.name === 'kernel.delay_burst') {
    record.armSec = round4(median(poeRuns.map((r) => r.armSec)));
    if (withBaseline) record.baselineArmSec = round4(median(ysRuns.map((r) => r.arm_sec)));
  }
  if (c.name === 'kernel.idle_session_heap') {
    record.bytesPerSession = median(poeRuns.map((r) => r.bytesPerSession));
    record.bytesRuns = poeRuns.map((r) => r.bytesPerSession);
  }
  return emitCase(record, errors);
}

async function main(selected) {
  const cases = selectCases('kernel', CASES, selected);
  if (cases === null) return;
  const yardstick = anchorPath('yardstick-kernel.mjs');
  if (yardstick === null) note('kernel: yardstick-kernel.mjs not found; baselines will be null');
  let ok = true;
  for (const c of cases) {
    note(`kernel: ${c.name} (n=${scaled(c.base)}, ${RUNS} run(s) per side${N_SCALE !== 1 ? `, scale ${N_SCALE}` : ''})`);
    if (!(await measure(c, yardstick))) ok = false;
  }
  if (!ok) process.exitCode = 1;
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker') await worker(argv[1], Number(argv[2]));
else await main(argv);
