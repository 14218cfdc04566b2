import type { Readable, Writable } from 'node:stream';
import { PoeArgumentError, PoeError, describe } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import { channels } from '../kernel/trace.js';
import type { Session } from '../session/session.js';
import { defineAliases, sessionStopped } from './wheel.js';

/*
 * POE's raw I/O watchers (`select_read`, `select_write`, `select_pause_read`, ...; spec 1.17,
 * probe 30), on Node streams instead of file descriptors.
 *
 * Node offers no readiness API for arbitrary descriptors: libuv's poll handle is not exposed
 * (nodejs/node#9285), and Node's handles read eagerly into their own buffers. The closest
 * honest equivalent is the stream's buffer: a Readable is "readable" when `readableLength > 0`,
 * at its end, or after an error (as a descriptor at EOF or in error is, in select(2)); a
 * Writable is "writable" unless it asks for a `'drain'`. The handler does the I/O itself with
 * `stream.read(n)` / `stream.write(...)`, as a POE handler did with sysread/syswrite.
 *
 * As in POE, watchers are level-triggered (they fire again, one kernel event at a time, while
 * the condition holds), keep their session alive even while paused (G26), and
 * `pause`/`resume` return 1 when the stream is watched in that mode, else 0. They live here,
 * in the wheel layer, because the kernel knows nothing of streams.
 */

/** POE's mode numbers, ARG1 of a watcher's event. */
export const SELECT_READ = 0;
export const SELECT_WRITE = 1;

type Mode = typeof SELECT_READ | typeof SELECT_WRITE;
const MODE_NAMES = ['read', 'write'] as const;

interface Watcher {
  readonly kernel: Kernel;
  readonly session: Session;
  readonly stream: Readable | Writable;
  readonly mode: Mode;
  readonly event: string;
  readonly args: unknown[];
  /** The internal state that fires the watcher (and re-arms it on the session's timers). */
  readonly state: string;
  readonly listeners: [string, (...args: unknown[]) => void][];
  paused: boolean;
  /** The stream ended, failed or closed: it stays "ready" (as a descriptor at EOF does). */
  final: boolean;
  /** How ps() and stall reports name it (it holds its session); the session owns it. */
  readonly _holdName: string;
  readonly _holdCount: 1;
  /** Called by the kernel when the session is freed. */
  destroy(): void;
}

/** Watchers by stream, then by mode. */
const watchers = new WeakMap<object, [Watcher | undefined, Watcher | undefined]>();
let nextWatcher = 1;

function activeSession(kernel: Kernel, what: string): Session {
  if (!(kernel instanceof Kernel)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${what}\` to be given a kernel first, got ${describe(kernel)}`);
  }
  const active = kernel.getActiveSession();
  if (active instanceof Kernel) {
    throw new PoeError('ERR_POE_KERNEL_NOT_IN_SESSION', `${what} must be called from a session's handler`);
  }
  return active;
}

function checkStream(stream: unknown, mode: Mode, what: string): void {
  const method = mode === SELECT_READ ? 'read' : 'write';
  const s = stream as Record<string, unknown> | null;
  if (s === null || typeof s !== 'object' || typeof s.on !== 'function' || typeof s[method] !== 'function') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${what}\` stream to be a ${mode === SELECT_READ ? 'Readable' : 'Writable'} stream, got ${describe(stream)}`);
  }
}

function isReady(w: Watcher): boolean {
  if (w.final) return true;
  if (w.mode === SELECT_READ) {
    const s = w.stream as Readable;
    return s.readableLength > 0 || s.readableEnded || s.destroyed;
  }
  const s = w.stream as Writable;
  return s.writableNeedDrain !== true || s.destroyed;
}

function gone(w: Watcher): boolean {
  return sessionStopped(w.session);
}

/** Runs `fn` with the watcher's session active (the kernel's timer calls need it). */
function inSession(w: Watcher, command: 'arm' | 'clear'): void {
  if (gone(w)) return;
  if (w.kernel.getActiveSession() === w.session) runCommand(w, command);
  else w.kernel._ioDispatch(w.session, w.state, [command]);
}

function runCommand(w: Watcher, command: 'fire' | 'arm' | 'clear'): void {
  if (command === 'clear') {
    w.kernel.delay(w.state);
    return;
  }
  if (command === 'arm') {
    if (!w.paused && isReady(w)) w.kernel.delay(w.state, 0, 'fire');
    return;
  }
  if (w.paused || !isReady(w) || current(w) !== w) return;
  w.kernel.call(w.session, w.event, w.stream, w.mode, ...w.args);
  // Level-triggered: still ready after the handler ran, so fire again. Data a reader has not
  // taken is already here: one event later. Write readiness is news from the I/O poll, as in
  // POE, where select() runs every timeslice: at the next turn of Node's loop, after input is
  // polled. As a zero-delay event, a busy writer ran a whole batch (4096 writes) before any
  // reader in the process was served (POE's examples/selects.perl).
  if (current(w) === w && !w.paused && isReady(w)) {
    if (w.mode === SELECT_READ) w.kernel.delay(w.state, 0, 'fire');
    else w.kernel._ioSoon(() => refire(w));
  }
}

function refire(w: Watcher): void {
  if (current(w) === w && !gone(w)) w.kernel._ioDispatch(w.session, w.state, ['fire']);
}

function current(w: Watcher): Watcher | undefined {
  return watchers.get(w.stream)?.[w.mode];
}

/** A stream event: fire now if the watcher may (I/O before queued events, G7). */
function onStreamEvent(w: Watcher, final: boolean): void {
  if (current(w) !== w) return;
  if (gone(w)) {
    drop(w, false);
    return;
  }
  if (final) w.final = true;
  if (w.paused || !isReady(w)) return;
  w.kernel._ioDispatch(w.session, w.state, ['fire']);
}

function add(kernel: Kernel, session: Session, stream: Readable | Writable, mode: Mode, event: string, args: unknown[]): void {
  let slots = watchers.get(stream);
  const old = slots?.[mode];
  if (old !== undefined && gone(old)) drop(old, false);
  const existing = slots?.[mode];
  if (existing !== undefined) {
    if (existing.session !== session) {
      throw new PoeArgumentError(
        'ERR_POE_INVALID_ARGUMENT',
        `Two sessions were caught watching the same stream in the same mode (${mode}): session ${existing.session.ID} and session ${session.ID}`,
      );
    }
    // POE: watching it again from the same session resumes the watcher (event and args stay).
    existing.paused = false;
    inSession(existing, 'arm');
    return;
  }
  const n = nextWatcher++;
  const state = `POE::Kernel select ${MODE_NAMES[mode]}(${n})`;
  const w: Watcher = {
    kernel,
    session,
    stream,
    mode,
    event,
    args,
    state,
    listeners: [],
    paused: false,
    final: false,
    _holdName: `select_${MODE_NAMES[mode]} watcher ${n} (event '${event}')`,
    _holdCount: 1,
    destroy: () => drop(w, false),
  };
  (session._owned ??= new Set()).add(w);
  session._addHandler(state, (_ctx: unknown, command: unknown) => runCommand(w, command as 'fire' | 'arm' | 'clear'), undefined, 'select');
  const on = (name: string, fn: (...a: unknown[]) => void): void => {
    w.listeners.push([name, fn]);
    stream.on(name, fn);
  };
  if (mode === SELECT_READ) {
    // A 'readable' listener puts the stream in paused mode: the handler reads with read().
    on('readable', () => onStreamEvent(w, false));
    on('end', () => onStreamEvent(w, true));
  } else {
    on('drain', () => onStreamEvent(w, false));
  }
  // A failed or closed stream is ready (the next read or write reports it), and an 'error'
  // with nobody listening would crash the process.
  on('error', () => onStreamEvent(w, true));
  on('close', () => onStreamEvent(w, true));
  if (slots === undefined) {
    slots = [undefined, undefined];
    watchers.set(stream, slots);
  }
  slots[mode] = w;
  kernel._hold(session, 1);
  if (channels.watcher.hasSubscribers) channels.watcher.publish({ kernel, session, name: w._holdName, action: 'create' });
  runCommand(w, 'arm');
}

/** Removes a watcher: its listeners, its pending event, its state and its hold. */
function drop(w: Watcher, clearTimer: boolean): void {
  const slots = watchers.get(w.stream);
  if (slots?.[w.mode] !== w) return;
  slots[w.mode] = undefined;
  if (slots[0] === undefined && slots[1] === undefined) watchers.delete(w.stream);
  for (const [name, fn] of w.listeners) w.stream.removeListener(name, fn);
  w.listeners.length = 0;
  w.session._owned?.delete(w);
  if (gone(w)) return;
  if (clearTimer) inSession(w, 'clear');
  w.session._handlers.delete(w.state);
  w.kernel._hold(w.session, -1);
  if (channels.watcher.hasSubscribers) channels.watcher.publish({ kernel: w.kernel, session: w.session, name: w._holdName, action: 'destroy' });
}

function remove(session: Session, stream: Readable | Writable, mode: Mode): void {
  const w = watchers.get(stream)?.[mode];
  if (w !== undefined && (w.session === session || gone(w))) drop(w, true);
}

function watch(what: string, mode: Mode, kernel: Kernel, stream: Readable | Writable, event: string | undefined, args: unknown[]): 0 {
  const session = activeSession(kernel, what);
  checkStream(stream, mode, what);
  if (event !== undefined && typeof event !== 'string') {
    throw new PoeArgumentError('ERR_POE_KERNEL_BAD_EVENT', `Expected \`${what}\` event name to be a string, got ${describe(event)}`);
  }
  if (event === undefined || event === '') remove(session, stream, mode);
  else add(kernel, session, stream, mode, event, args);
  return 0;
}

function toggle(what: string, mode: Mode, kernel: Kernel, stream: Readable | Writable, paused: boolean): 0 | 1 {
  activeSession(kernel, what);
  const w = watchers.get(stream)?.[mode];
  if (w === undefined || gone(w)) return 0;
  if (w.paused === paused) return 1;
  w.paused = paused;
  inSession(w, paused ? 'clear' : 'arm');
  return 1;
}

/**
 * Calls `event` in the active session while `stream` has data to read (or has ended or
 * failed), with `(stream, 0, ...args)`; without `event`, stops the watcher. Returns 0.
 * POE: `$kernel->select_read($fh, $event, @args)`.
 */
export function selectRead(kernel: Kernel, stream: Readable, event?: string, ...args: unknown[]): 0 {
  return watch('selectRead', SELECT_READ, kernel, stream, event, args);
}

/**
 * Calls `event` in the active session while `stream` accepts writes without asking for a
 * `'drain'`, with `(stream, 1, ...args)`; without `event`, stops the watcher. Returns 0.
 * POE: `$kernel->select_write($fh, $event, @args)`.
 */
export function selectWrite(kernel: Kernel, stream: Writable, event?: string, ...args: unknown[]): 0 {
  return watch('selectWrite', SELECT_WRITE, kernel, stream, event, args);
}

/**
 * Sets or clears both watchers of a duplex stream at once (an undefined event clears). There
 * is no expedite (out-of-band) watcher: Node has no API for urgent data. Returns 0.
 * POE: `$kernel->select($fh, $read, $write, $expedite, @args)`.
 */
export function select(kernel: Kernel, stream: Readable & Writable, read?: string, write?: string, expedite?: undefined, ...args: unknown[]): 0 {
  if (expedite !== undefined) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'select: expedite (out-of-band) watchers are not supported; Node has no API for urgent data');
  }
  watch('select', SELECT_READ, kernel, stream, read, args);
  watch('select', SELECT_WRITE, kernel, stream, write, args);
  return 0;
}

/** Pauses the read watcher; it still keeps its session alive. 1 if watched, else 0. POE: `select_pause_read`. */
export function selectPauseRead(kernel: Kernel, stream: Readable): 0 | 1 {
  return toggle('selectPauseRead', SELECT_READ, kernel, stream, true);
}

/** Resumes the read watcher. 1 if watched, else 0. POE: `select_resume_read`. */
export function selectResumeRead(kernel: Kernel, stream: Readable): 0 | 1 {
  return toggle('selectResumeRead', SELECT_READ, kernel, stream, false);
}

/** Pauses the write watcher; it still keeps its session alive. 1 if watched, else 0. POE: `select_pause_write`. */
export function selectPauseWrite(kernel: Kernel, stream: Writable): 0 | 1 {
  return toggle('selectPauseWrite', SELECT_WRITE, kernel, stream, true);
}

/** Resumes the write watcher. 1 if watched, else 0. POE: `select_resume_write`. */
export function selectResumeWrite(kernel: Kernel, stream: Writable): 0 | 1 {
  return toggle('selectResumeWrite', SELECT_WRITE, kernel, stream, false);
}

/** POE's spelling of {@link selectRead}. */
export const select_read = selectRead;
/** POE's spelling of {@link selectWrite}. */
export const select_write = selectWrite;
/** POE's spelling of {@link selectPauseRead}. */
export const select_pause_read = selectPauseRead;
/** POE's spelling of {@link selectResumeRead}. */
export const select_resume_read = selectResumeRead;
/** POE's spelling of {@link selectPauseWrite}. */
export const select_pause_write = selectPauseWrite;
/** POE's spelling of {@link selectResumeWrite}. */
export const select_resume_write = selectResumeWrite;

// POE's select calls are kernel methods: `$kernel->select_read($fh, 'event')` ports as
// `ctx.kernel.select_read(stream, 'event')`. The kernel knows nothing of streams, so they are
// installed on it from here, the layer that does (their types sit with the kernel's other POE
// spellings), with their snake_case spellings as the wheels' are; the functions above, with
// the kernel as their first argument, stay for code that has no handler context.
const kernelMethods: Record<string, (kernel: Kernel, ...args: never[]) => unknown> = {
  selectRead,
  selectWrite,
  select,
  selectPauseRead,
  selectResumeRead,
  selectPauseWrite,
  selectResumeWrite,
};
for (const [name, fn] of Object.entries(kernelMethods)) {
  const method = function (this: Kernel, ...args: never[]): unknown {
    return fn(this, ...args);
  };
  Object.defineProperty(method, 'name', { value: name });
  Object.defineProperty(Kernel.prototype, name, { value: method, writable: true, configurable: true });
}
defineAliases(Kernel.prototype, {
  select_read: 'selectRead',
  select_write: 'selectWrite',
  select_pause_read: 'selectPauseRead',
  select_resume_read: 'selectResumeRead',
  select_pause_write: 'selectPauseWrite',
  select_resume_write: 'selectResumeWrite',
});
