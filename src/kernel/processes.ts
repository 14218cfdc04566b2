import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Session } from '../session/session.js';

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

/** How long an orphaned child may finish its in-flight work before it exits anyway. */
const ORPHAN_GRACE_MS = 2000;
/** How often a `sigChild` watch on a pid the kernel did not start polls for its end. */
const FOREIGN_POLL_MS = 500;
/** Exit statuses kept for tracked children nobody watched yet (the sigChild-after-exit race). */
const MAX_UNCLAIMED = 1024;

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
  // Read once and gone: processes this one starts by other means (Wheel::Run, child_process)
  // must not believe they are fork children, nor look for descriptors they do not have.
  delete process.env[FORK_CHILD_ENV];
  delete process.env[FORK_FDS_ENV];
  state = { forked, childRole: forked, inherited, orphanHooks: new Set(), orphaned: false };
  Object.defineProperty(g, STATE_KEY, { value: state, enumerable: false });
  if (forked) watchParent(state);
  return state;
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
    const env: NodeJS.ProcessEnv = { ...process.env, [FORK_CHILD_ENV]: '1', [FORK_FDS_ENV]: JSON.stringify(fds) };
    let child: ChildProcess;
    try {
      child = spawn(this.execPath, [...childExecArgv(), program, ...process.argv.slice(2)], { stdio: stdio as never, env });
    } catch (err) {
      return { errno: errnoOf(err), message: `fork: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (child.pid === undefined) {
      // Node reports this spawn failure on the next tick; POE's fork reports it now.
      child.once('error', (err) => this.#host.warn(`poe-ts: fork failed: ${err.message}`));
      return { errno: E.EAGAIN, message: 'fork: the child process could not be started' };
    }
    // We never message the child; the channel only tells it when we are gone.
    (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
    // Later errors (a failed kill, a broken channel) are reported, never fatal.
    child.on('error', (err) => this.#host.warn(`poe-ts: forked child ${child.pid}: ${err.message}`));
    this.adopt(child, true);
    return { pid: child.pid };
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
    this.#children.set(pid, { child, forked });
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
