import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Session } from '../session/session.js';
import { descriptorShortage } from '../descriptors.js';
import { strerror } from '../errno.js';

/**
 * The kernel's process resource (spec 1.11 "Child processes", 1.13 `has_forked`): `fork()` on
 * Node, the children the kernel tracks, `sig_child` watches, listening sockets shared with
 * forked children by file descriptor, and what a forked child does when its parent dies.
 *
 * Node cannot fork(2) a running program. `fork()` starts the same program again with the
 * kernel's own environment marker; in that child the first `fork()` returns 0. Listening
 * sockets registered with `shareFd` go to the child as extra stdio slots, and the child's
 * SocketFactory adopts them instead of binding (`inheritedFd`).
 *
 * Knows nothing of sockets beyond file descriptor numbers: SocketFactory decides what to share.
 */

/** The environment variable that marks a process started by `kernel.fork()`. */
export const FORK_CHILD_ENV = 'POE_TS_FORK_CHILD';
/** The environment variable mapping share keys to the child's file descriptor numbers (JSON). */
export const FORK_FDS_ENV = 'POE_TS_FORK_FDS';
/**
 * The environment variable naming the OS signals the parent watched when it forked, and those
 * it had received and not yet dispatched (JSON: `{ "watched": [...], "pending": [...] }`).
 */
export const FORK_SIGNALS_ENV = 'POE_TS_FORK_SIGNALS';

/**
 * A signal to the process group that reaches the parent while it is forking may miss the new
 * child: the child was started after the signal was sent, before the parent's listener ran.
 * Children younger than this get the signal passed on (see `forwardToNewborns`).
 */
const NEWBORN_MS = 100;
/** Signals a terminal sends to the whole process group. */
const GROUP_SIGNALS = new Set(['INT', 'QUIT', 'HUP', 'TERM']);
/** How long an orphaned child may finish its in-flight work before it exits anyway. */
const ORPHAN_GRACE_MS = 2000;
/** How often a `sigChild` watch on a pid the kernel did not start polls for its end. */
const FOREIGN_POLL_MS = 500;
/** Exit statuses kept for tracked children nobody watched yet (the sigChild-after-exit race). */
const MAX_UNCLAIMED = 1024;
/**
 * Descriptors the parent needs at once to start a child: the IPC socket pair, libuv's pipe that
 * reports the exec, and its signal pipe the first time (4 to 5 on Linux, measured); with fewer
 * free, the start fails with EMFILE. The probe after a failed start asks for this many.
 */
const FORK_DESCRIPTORS = 8;

const E = osConstants.errno;

/** What the kernel lends its process resource. */
export interface ProcessHost {
  /** Queues `event` for `session` with SENDER = the kernel. */
  post(session: Session, event: string, args: unknown[]): void;
  /** Queues signal `name` to the kernel (a broadcast), if any session exists to receive it. */
  broadcast(name: string, args: unknown[]): void;
  /** +1/-1 on the session's holds (the kernel's refcount for watchers). */
  hold(session: Session, delta: 1 | -1): void;
  /** True while any session has a blanket `sig('CHLD')` watcher. */
  chldWatched(): boolean;
  /** A warning through the kernel's log. */
  warn(message: string): void;
  /** The OS signals the kernel watches now, and those it received and has not dispatched yet. */
  signals(): { watched: string[]; pending: string[] };
  /** Delivers OS signal `name` as if it had just arrived; false when the kernel does not watch it. */
  deliverSignal(name: string): boolean;
}

/** Process-wide state: one per process, shared by the ESM and CJS builds and every kernel. */
interface ProcessState {
  /** Started by `kernel.fork()` (read once from the environment). */
  readonly forked: boolean;
  /** Still waiting for the first `fork()` call, which returns 0. */
  childRole: boolean;
  /** Share key -> this process's fd of a listening socket inherited from the parent. */
  readonly inherited: Map<string, number>;
  readonly orphanHooks: Set<() => void>;
  orphaned: boolean;
  /**
   * Child role: OS signals that arrived before the first `fork()` (or were pending in the
   * parent when it forked), delivered once the child reaches that point.
   */
  readonly deferred: string[];
  /** Child role: the listeners that catch the parent's watched signals from the first moment. */
  readonly catchers: Map<string, () => void>;
}

const STATE_KEY = Symbol.for('poe-ts.processes.v1');

function processState(): ProcessState {
  const g = globalThis as Record<symbol, unknown>;
  let state = g[STATE_KEY] as ProcessState | undefined;
  if (state !== undefined) return state;
  const forked = process.env[FORK_CHILD_ENV] === '1';
  const inherited = new Map<string, number>();
  if (forked) {
    try {
      const map = JSON.parse(process.env[FORK_FDS_ENV] ?? '{}') as unknown;
      if (map !== null && typeof map === 'object') {
        for (const [key, fd] of Object.entries(map)) if (Number.isInteger(fd) && (fd as number) > 2) inherited.set(key, fd as number);
      }
    } catch {
      // a malformed map shares nothing: the child binds for itself
    }
  }
  const signals = forked ? parseSignals(process.env[FORK_SIGNALS_ENV]) : { watched: [], pending: [] };
  // Read once and gone: processes this one starts by other means (Wheel::Run, child_process)
  // must not believe they are fork children, nor look for descriptors they do not have.
  delete process.env[FORK_CHILD_ENV];
  delete process.env[FORK_FDS_ENV];
  delete process.env[FORK_SIGNALS_ENV];
  state = { forked, childRole: forked, inherited, orphanHooks: new Set(), orphaned: false, deferred: [...signals.pending], catchers: new Map() };
  Object.defineProperty(g, STATE_KEY, { value: state, enumerable: false });
  if (forked) {
    catchSignals(state, [...signals.watched, ...signals.pending]);
    watchParent(state);
  }
  return state;
}

/** Signal names from the parent, keeping only ones this platform knows. */
function parseSignals(raw: string | undefined): { watched: string[]; pending: string[] } {
  const known = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string' && `SIG${n}` in osConstants.signals) : [];
  try {
    const parsed = JSON.parse(raw ?? '{}') as { watched?: unknown; pending?: unknown } | null;
    return { watched: known(parsed?.watched), pending: known(parsed?.pending) };
  } catch {
    return { watched: [], pending: [] }; // malformed: nothing inherited
  }
}

/**
 * A POE child is a copy of its parent, signal handlers included: a Ctrl-C that reaches it while
 * it is still rebuilding (before its first `fork()`) is handled, not fatal. So from the first
 * moment, the signals the parent watched are caught and kept for the fork point.
 */
function catchSignals(state: ProcessState, names: string[]): void {
  for (const name of names) {
    if (state.catchers.has(name)) continue;
    const sig = `SIG${name}` as NodeJS.Signals;
    const catcher = (): void => {
      if (state.childRole) {
        keepSignal(state, name);
        return;
      }
      // Past the fork point, the catchers not yet released: the kernel's own listener has the
      // signal; with none, it does what it would have done without the catcher.
      if (process.listenerCount(sig) === 1) {
        releaseCatchers(state);
        raiseDefault(name);
      }
    };
    try {
      process.on(sig, catcher);
    } catch {
      continue; // not one Node lets a program watch
    }
    state.catchers.set(name, catcher);
  }
}

/** Keeps `name` for the fork point. Signals do not queue: one kept is as good as several. */
function keepSignal(state: ProcessState, name: string): void {
  if (!state.deferred.includes(name)) state.deferred.push(name);
}

/** Removes the catchers: from now on the kernel's own listeners (or Node's defaults) apply. */
function releaseCatchers(state: ProcessState): void {
  for (const [name, catcher] of state.catchers) process.removeListener(`SIG${name}` as NodeJS.Signals, catcher);
  state.catchers.clear();
}

/** A signal nobody watches: what Node would have done had it arrived now (usually: exit by it). */
function raiseDefault(name: string): void {
  try {
    process.kill(process.pid, `SIG${name}` as NodeJS.Signals);
  } catch {
    // not a signal this platform can send
  }
}

/**
 * A forked child does not outlive its parent. The IPC channel exists only so the child learns
 * that the parent is gone (it closes even when the parent is SIGKILLed); it must not keep the
 * child alive by itself, so it is unref'd.
 */
function watchParent(state: ProcessState): void {
  const channel = (process as { channel?: { unref(): void } | null }).channel;
  if (channel === undefined || channel === null) {
    // The parent was gone before we started (its end of the channel closed first).
    setImmediate(() => orphan(state));
    return;
  }
  channel.unref();
  process.once('disconnect', () => orphan(state));
}

function orphan(state: ProcessState): void {
  if (state.orphaned) return;
  state.orphaned = true;
  // Stop accepting: listeners registered hooks that close them. Sessions serving requests
  // finish on their own; the process then ends as every POE program does, when run() returns.
  for (const hook of [...state.orphanHooks]) {
    try {
      hook();
    } catch (err) {
      process.stderr.write(`poe-ts: orphan hook failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  state.orphanHooks.clear();
  closeInherited(state);
  // Unref'd: a child that finishes sooner exits sooner; one that does not is ended here.
  setTimeout(() => process.exit(0), ORPHAN_GRACE_MS).unref();
}

/** Closes the inherited listeners nobody adopted: they would keep the port bound. */
function closeInherited(state: ProcessState): void {
  for (const fd of state.inherited.values()) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  state.inherited.clear();
}

/** Perl's `$?` for a process that ended with `code` or by `signal`. */
export function waitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal !== null) return (osConstants.signals[signal] ?? 0) & 0x7f;
  return ((code ?? 0) & 0xff) << 8;
}

/** Node's errno of a failed syscall (negative in `err.errno`), as POE's positive `$!`. */
function errnoOf(err: unknown): number {
  const e = err as { code?: unknown; errno?: unknown } | null;
  if (typeof e?.code === 'string' && e.code in E) return E[e.code as keyof typeof E];
  if (typeof e?.errno === 'number' && e.errno !== 0) return Math.abs(e.errno);
  return E.EAGAIN;
}

/** Inspector flags would make the child fight its parent for the debugger port. */
function childExecArgv(): string[] {
  return process.execArgv.filter((a) => !/^--(inspect|debug)(-brk|-port|-wait)?(=|$)/.test(a));
}

interface Watch {
  readonly session: Session;
  readonly event: string;
  readonly extra: unknown[];
}

interface Tracked {
  readonly child: ChildProcess;
  /** Started by `fork()`: the kernel decides whether it keeps Node's loop alive. */
  readonly forked: boolean;
  /** When it was started (performance.now()). */
  readonly started: number;
}

/** The outcome of `fork()`: the pid, 0 in the child, or a failure with POE's errno. */
export type ForkResult = { pid: number } | { errno: number; message: string };

/** One kernel's children, sig_child watches and shared listeners. */
export class Processes {
  readonly #host: ProcessHost;
  readonly #state = processState();
  /** Program path for `fork()`; undefined means `process.argv[1]`. */
  program: string | undefined;
  /** The Node binary `fork()` runs. */
  execPath: string;

  /** Children this kernel started (fork) or was given (Run), by pid, until they exit. */
  readonly #children = new Map<number, Tracked>();
  /** Exit statuses of tracked children that nobody watched when they ended. */
  readonly #unclaimed = new Map<number, number>();
  /** pid -> session -> watch. */
  readonly #watches = new Map<number, Map<Session, Watch>>();
  /** Share key -> fd of a listening socket this process passes to children it forks. */
  readonly #shared = new Map<string, number>();
  #pollTimer: NodeJS.Timeout | undefined = undefined;

  constructor(host: ProcessHost, program: string | undefined, execPath: string | undefined) {
    this.#host = host;
    this.program = program;
    this.execPath = execPath ?? process.execPath;
  }

  /** This process was started by `fork()` (whether or not its first `fork()` ran yet). */
  get forked(): boolean {
    return this.#state.forked;
  }

  // ------------------------------------------------------------------------------------------
  // fork

  fork(): ForkResult {
    const state = this.#state;
    if (state.childRole) {
      // The child's first fork() is the parent's fork() returning in the child. Whatever the
      // program made before it has been rebuilt by now, so an inherited listener nobody
      // adopted never will be; closed, it cannot keep the port bound after the real ones close.
      state.childRole = false;
      closeInherited(state);
      // Signals kept since the start arrive now, after the code that follows the fork point
      // has run (it may watch more signals), as in POE, where they were in the copied queue.
      setImmediate(() => this.#releaseDeferred());
      return { pid: 0 };
    }
    const program = this.program ?? process.argv[1];
    if (program === undefined || program === '') {
      return { errno: E.ENOENT, message: 'fork: no program to run (process.argv[1] is empty; set kernel.forkProgram)' };
    }
    try {
      const st = statSync(this.execPath);
      if (!st.isFile()) return { errno: E.EACCES, message: `fork: ${this.execPath} is not a file` };
      accessSync(this.execPath, fsConstants.X_OK);
      accessSync(program, fsConstants.R_OK);
    } catch (err) {
      return { errno: errnoOf(err), message: `fork: ${err instanceof Error ? err.message : String(err)}` };
    }
    const stdio: (string | number)[] = ['inherit', 'inherit', 'inherit', 'ipc'];
    const fds: Record<string, number> = {};
    for (const [key, fd] of this.#shared) {
      fds[key] = stdio.length;
      stdio.push(fd);
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [FORK_CHILD_ENV]: '1',
      [FORK_FDS_ENV]: JSON.stringify(fds),
      [FORK_SIGNALS_ENV]: JSON.stringify(this.#host.signals()),
    };
    let child: ChildProcess;
    try {
      // Advanced serialization: an IKC ForkTransport sends byte batches over the channel.
      child = spawn(this.execPath, [...childExecArgv(), program, ...process.argv.slice(2)], { stdio: stdio as never, env, serialization: 'advanced' });
    } catch (err) {
      return { errno: errnoOf(err), message: `fork: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (child.pid === undefined) {
      // Node reports this spawn failure, with its cause, on the next tick; POE's fork reports
      // it now. Node leaves the pid unset only for EACCES, EAGAIN, EMFILE, ENFILE and ENOENT;
      // the program and the binary were checked above, so the cause is either the process
      // limit or descriptors, and whether descriptors can be opened right now tells them apart.
      child.once('error', (err) => this.#host.warn(`poe-ts: fork failed: ${err.message}`));
      const errno = descriptorShortage(FORK_DESCRIPTORS) || E.EAGAIN;
      return { errno, message: errno === E.EAGAIN ? 'fork: the child process could not be started' : `fork: no descriptors left for the pipes to the child (${strerror(errno)})` };
    }
    // Unref'd: the channel tells the child when we are gone, and carries IKC only while a ForkTransport holds it (ref'd then).
    (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
    // Later errors (a failed kill, a broken channel) are reported, never fatal.
    child.on('error', (err) => this.#host.warn(`poe-ts: forked child ${child.pid}: ${err.message}`));
    this.adopt(child, true);
    return { pid: child.pid };
  }

  /**
   * In a forked child before its first `fork()`: keeps OS signal `name` for the fork point
   * instead of dispatching it now (true), as the catchers do. False in any other process.
   */
  deferSignal(name: string): boolean {
    const state = this.#state;
    if (!state.childRole) return false;
    // A signal with a catcher is kept by the catcher; one the program began watching during
    // its rebuild is kept here.
    if (!state.catchers.has(name)) keepSignal(state, name);
    return true;
  }

  /**
   * OS signal `name` reached this process (a parent): a group signal sent while it was forking
   * may have missed the child it was starting, and that child would then never stop. So each
   * fork child started within the last NEWBORN_MS gets the signal too. A child that got it
   * already counts it once (signals do not queue); one still inside Node's start-up ends by it
   * rather than run on unsignalled.
   */
  forwardToNewborns(name: string): void {
    if (!GROUP_SIGNALS.has(name) || this.#children.size === 0) return;
    const now = performance.now();
    for (const tracked of this.#children.values()) {
      if (!tracked.forked || now - tracked.started >= NEWBORN_MS) continue;
      try {
        tracked.child.kill(`SIG${name}` as NodeJS.Signals);
      } catch {
        // gone already
      }
    }
  }

  /** Delivers the signals kept in the child role: to the kernel if it watches them, else as Node would. */
  #releaseDeferred(): void {
    const state = this.#state;
    releaseCatchers(state);
    const deferred = state.deferred.splice(0);
    for (const name of deferred) if (!this.#host.deliverSignal(name)) raiseDefault(name);
  }

  /**
   * The kernel finished without the program reaching its first `fork()`: nothing will deliver
   * the kept signals, so they take effect now, and later ones reach the program directly.
   */
  settleChildRole(): void {
    const state = this.#state;
    if (!state.childRole || (state.catchers.size === 0 && state.deferred.length === 0)) return;
    releaseCatchers(state);
    for (const name of state.deferred.splice(0)) raiseDefault(name);
  }

  /** The ChildProcess of a live child `fork()` started (its IPC channel carries IKC, see ikc/fork.ts). */
  forkedChild(pid: number): ChildProcess | undefined {
    const tracked = this.#children.get(pid);
    return tracked !== undefined && tracked.forked ? tracked.child : undefined;
  }

  // ------------------------------------------------------------------------------------------
  // children

  /**
   * Tracks a child process: its exit drives sig_child watches and the CHLD broadcast. Its
   * 'error' events, and whether it keeps Node's loop alive, stay with whoever started it
   * (`forked`: the kernel itself).
   */
  adopt(child: ChildProcess, forked = false): void {
    const pid = child.pid;
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    if (this.#children.has(pid)) return;
    this.#unclaimed.delete(pid);
    this.#children.set(pid, { child, forked, started: performance.now() });
    child.once('exit', (code, signal) => this.#exited(pid, waitStatus(code, signal)));
    this.#refresh(pid);
  }

  #exited(pid: number, status: number): void {
    this.#children.delete(pid);
    const watches = this.#watches.get(pid);
    if (watches === undefined) {
      this.#unclaimed.set(pid, status);
      if (this.#unclaimed.size > MAX_UNCLAIMED) this.#unclaimed.delete(this.#unclaimed.keys().next().value!);
    } else this.#deliver(pid, watches, status);
    // POE queues the sig_child events first, then the CHLD signal (probe 15).
    this.#host.broadcast('CHLD', [pid, status]);
  }

  /** Queues each watch's event, then drops the watch and its hold: one-shot (spec 1.11). */
  #deliver(pid: number, watches: Map<Session, Watch>, status: number): void {
    this.#watches.delete(pid);
    for (const w of watches.values()) {
      this.#host.post(w.session, w.event, ['CHLD', pid, status, ...w.extra]);
      this.#host.hold(w.session, -1);
    }
    this.#updatePolling();
  }

  /** POE's `sig_child(pid, event, @extra)` for the active session. */
  watch(session: Session, pid: number, event: string, extra: unknown[]): void {
    let watches = this.#watches.get(pid);
    if (watches === undefined) {
      watches = new Map();
      this.#watches.set(pid, watches);
    }
    if (!watches.has(session)) this.#host.hold(session, 1);
    watches.set(session, { session, event, extra });
    const status = this.#unclaimed.get(pid);
    if (status !== undefined) {
      // It ended before anyone asked: deliver now rather than wait forever.
      this.#unclaimed.delete(pid);
      this.#deliver(pid, watches, status);
      return;
    }
    if (this.#children.has(pid)) this.#refresh(pid);
    else this.#updatePolling();
  }

  /** The pids `session` watches with sig_child, for ps() and stall reports. */
  watchedPids(session: Session): number[] {
    const pids: number[] = [];
    for (const [pid, watches] of this.#watches) if (watches.has(session)) pids.push(pid);
    return pids;
  }

  /** POE's `sig_child(pid)`: stops the session's watch; a no-op for pids it does not watch. */
  unwatch(session: Session, pid: number): void {
    const watches = this.#watches.get(pid);
    if (watches === undefined || !watches.delete(session)) return;
    if (watches.size === 0) this.#watches.delete(pid);
    this.#host.hold(session, -1);
    if (this.#children.has(pid)) this.#refresh(pid);
    else this.#updatePolling();
  }

  /**
   * A stopped session's watches go with it. Its holds are dropped by the kernel in one go, so
   * this does not release them one by one.
   */
  dropSession(session: Session): void {
    for (const [pid, watches] of this.#watches) {
      if (!watches.delete(session)) continue;
      if (watches.size === 0) this.#watches.delete(pid);
      if (this.#children.has(pid)) this.#refresh(pid);
    }
    this.#updatePolling();
  }

  /**
   * POE's `_data_sig_kernel_awaits_pids`: the kernel is not idle while a pid is watched, or
   * while children live and someone watches CHLD.
   */
  awaiting(): boolean {
    if (this.#watches.size > 0) return true;
    return this.#children.size > 0 && this.#host.chldWatched();
  }

  /** A CHLD watcher came or went: children are awaited (and keep Node's loop up) or not. */
  refreshAll(): void {
    for (const pid of this.#children.keys()) this.#refresh(pid);
  }

  /**
   * A forked child keeps Node's loop alive only while someone waits for it, as POE's kernel
   * waits only for pids it watches; otherwise a finished program exits and leaves it running
   * (to notice the parent is gone and end), as Perl's would.
   */
  #refresh(pid: number): void {
    const tracked = this.#children.get(pid);
    if (tracked === undefined || !tracked.forked) return;
    if (this.#watches.has(pid) || this.#host.chldWatched()) tracked.child.ref();
    else tracked.child.unref();
  }

  /**
   * Watches on pids the kernel did not start: Node cannot wait for them, so their end is found
   * by polling (POE's CHILD_POLLING_INTERVAL) and reported with status -1 (unknown).
   */
  #updatePolling(): void {
    let foreign = false;
    for (const pid of this.#watches.keys()) {
      if (!this.#children.has(pid)) {
        foreign = true;
        break;
      }
    }
    if (foreign && this.#pollTimer === undefined) {
      this.#pollTimer = setInterval(this.#poll, FOREIGN_POLL_MS);
    } else if (!foreign && this.#pollTimer !== undefined) {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
    }
  }

  readonly #poll = (): void => {
    for (const [pid, watches] of [...this.#watches]) {
      if (this.#children.has(pid) || pidAlive(pid)) continue;
      this.#deliver(pid, watches, -1);
      this.#host.broadcast('CHLD', [pid, -1]);
    }
    this.#updatePolling();
  };

  /** Pids of live children this kernel tracks. */
  get childPids(): number[] {
    return [...this.#children.keys()];
  }

  // ------------------------------------------------------------------------------------------
  // shared listeners

  /** Passes `fd` to every child forked from now on, under `key`; returns the undo. */
  shareFd(key: string, fd: number): () => void {
    this.#shared.set(key, fd);
    return () => {
      if (this.#shared.get(key) === fd) this.#shared.delete(key);
    };
  }

  /** Takes the fd inherited from the parent under `key` (once; later calls get undefined). */
  takeInheritedFd(key: string): number | undefined {
    const inherited = this.#state.inherited;
    const fd = inherited.get(key);
    if (fd !== undefined) inherited.delete(key);
    return fd;
  }

  /** Runs `fn` if this forked child loses its parent; returns the undo. */
  onOrphan(fn: () => void): () => void {
    const hooks = this.#state.orphanHooks;
    if (this.#state.orphaned) {
      queueMicrotask(fn);
      return () => undefined;
    }
    hooks.add(fn);
    return () => void hooks.delete(fn);
  }

  /** What is left once every session is gone. */
  leaks(): string[] {
    return this.#watches.size > 0 ? [`sig_child watches left for pid(s) ${[...this.#watches.keys()].join(', ')}`] : [];
  }
}

/** True while `pid` exists and is not a zombie. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
