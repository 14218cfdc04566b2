/**
 * The worker side of a `Function` pool: one file for both backends, run as a worker thread or
 * as a forked process (`dist/pool-worker.js`). It imports nothing of poe-ts: the pool sends it
 * the user's module and export, it loads them (and runs `init` once), says `ready`, then runs
 * one call at a time and answers each with its id.
 *
 * Messages from the pool: `{ t: 'load', module, export, init, gate? }`, `{ t: 'exit' }`, and
 * calls `{ id, args, g? }`. To the pool: `{ t: 'ready' }`, `{ t: 'bad', message }`, and answers
 * `{ id, ok: true, value }`, `{ id, ok: false, error, clone? }` or `{ id, skipped: true }`.
 *
 * Calls run one at a time, in the order they came, a promise result's call included: a thread
 * worker may be sent its next call while it runs one (the pool's prefetch), so that it starts
 * on it without waiting for a round trip. Such a call may be withdrawn until it starts: the
 * `gate` (an Int32Array on shared memory) holds `g` of the last call started, or `-g` of one
 * the pool withdrew; which of the two happens is decided by one compare-and-exchange on each
 * side, so a call either runs or is answered `skipped`, never both.
 */
import { parentPort } from 'node:worker_threads';

interface Load {
  t: 'load';
  module: string;
  export: string;
  init: { export: string; args: unknown[] } | undefined;
  gate?: SharedArrayBuffer;
}
interface Call {
  t?: undefined;
  id: number;
  args: unknown[];
  /** The call's number on the gate, when it may be withdrawn. */
  g?: number;
}
type Message = Load | { t: 'exit' } | Call;

type Send = (m: unknown) => void;
const port = parentPort;
const send: Send = port !== null ? (m) => port.postMessage(m) : (m) => void process.send!(m);

let fn: ((...args: unknown[]) => unknown) | undefined;
let gate: Int32Array | undefined;
/** Calls that came while one ran. */
const waiting: Call[] = [];
let running = false;

/** What crosses back for a thrown value: an Error's parts (a clone would lose its class), or the value. */
function thrown(err: unknown): unknown {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown };
    return { error: true, name: e.name, message: e.message, stack: e.stack, code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : undefined };
  }
  return { error: false, value: err };
}

function answer(id: number, ok: boolean, value: unknown): void {
  try {
    send(ok ? { id, ok, value } : { id, ok, error: thrown(value) });
  } catch (err) {
    // The value (or the thrown thing) cannot be cloned: the call fails, the worker goes on.
    send({ id, ok: false, clone: true, error: thrown(err) });
  }
}

function lookup(mod: Record<string, unknown>, name: string): unknown {
  if (name in mod) return mod[name];
  // A CommonJS module seen through import(): its exports object is `default`.
  const d = mod.default as Record<string, unknown> | undefined;
  return d !== null && (typeof d === 'object' || typeof d === 'function') && name in d ? d[name] : undefined;
}

async function load(m: Load): Promise<void> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(m.module)) as Record<string, unknown>;
  } catch (err) {
    send({ t: 'bad', message: `cannot load ${m.module}: ${err instanceof Error ? err.message : String(err)}` });
    return;
  }
  const f = lookup(mod, m.export);
  if (typeof f !== 'function') {
    send({ t: 'bad', message: `${m.module} has no function export \`${m.export}\` (${f === undefined ? 'not exported' : `it is a ${typeof f}`})` });
    return;
  }
  if (m.init !== undefined) {
    const init = lookup(mod, m.init.export);
    if (typeof init !== 'function') {
      send({ t: 'bad', message: `${m.module} has no function export \`${m.init.export}\` for \`init\`` });
      return;
    }
    try {
      await (init as (...a: unknown[]) => unknown)(...m.init.args);
    } catch (err) {
      send({ t: 'bad', message: `\`init\` (${m.init.export}) threw: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
  }
  fn = f as (...args: unknown[]) => unknown;
  if (m.gate !== undefined) gate = new Int32Array(m.gate);
  send({ t: 'ready' });
}

/** Claims call `g` on the gate: false when the pool withdrew it first. */
function claim(g: number): boolean {
  for (;;) {
    const v = Atomics.load(gate!, 0);
    if (v === -g) return false;
    if (Atomics.compareExchange(gate!, 0, v, g) === v) return true;
  }
}

/** Runs the waiting calls in order until one returns a promise (it runs the rest when settled). */
function pump(): void {
  let m: Call | undefined;
  while (!running && (m = waiting.shift()) !== undefined) {
    if (m.g !== undefined && gate !== undefined && !claim(m.g)) {
      send({ id: m.id, skipped: true });
      continue;
    }
    run(m);
  }
}

function run(m: Call): void {
  let r: unknown;
  try {
    r = fn!(...m.args);
  } catch (err) {
    answer(m.id, false, err);
    return;
  }
  // Plain values go back at once; only a thenable costs a promise turn.
  if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
    running = true;
    const settled = (ok: boolean, v: unknown): void => {
      running = false;
      answer(m.id, ok, v);
      pump();
    };
    (r as Promise<unknown>).then(
      (v) => settled(true, v),
      (err: unknown) => settled(false, err),
    );
  } else answer(m.id, true, r);
}

function onMessage(m: Message): void {
  if (m.t === undefined) {
    waiting.push(m);
    pump();
  }
  else if (m.t === 'load') void load(m);
  else process.exit(0);
}

if (port !== null) port.on('message', onMessage);
else {
  process.on('message', onMessage);
  // The pool went away (it died, or closed the channel): nobody is left to answer.
  process.on('disconnect', () => process.exit(0));
}
