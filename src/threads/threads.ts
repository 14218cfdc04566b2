import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, type ResourceLimits } from 'node:worker_threads';
import { PoeArgumentError, PoeError, describe, rejectUnknownKeys } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import type { Context } from '../session/context.js';
import { Phase, Session } from '../session/session.js';
import type { Untyped } from '../session/types.js';
import { Wait, type WaitOptions, isEventForm } from '../task/wait.js';
import { BOOTSTRAP } from './bootstrap.js';
import { THREAD_STATE, TIDS, type FromThread, type ThreadData, type ThreadState, type ToThread, toWire, unpackError } from './wire.js';

/** Where a thread's code is: a module (a `file:` URL, an absolute path, or a package name) and the name of its export. */
export interface ThreadSpec {
  /** The module: `new URL('./worker.js', import.meta.url)`, `import.meta.url`, an absolute path or a package name. */
  module: string | URL;
  /** The exported function to call. @default 'default' */
  export?: string;
  /** Perl `stack_size`: the thread's stack in bytes (Node rounds to MiB, at least 1). @default threads.getStackSize(), 0: Node's default (4 MiB) */
  stackSize?: number;
  /** Node's heap limits for the thread (`maxOldGenerationSizeMb`, ...); a thread over them dies with `ERR_WORKER_OUT_OF_MEMORY`. */
  resourceLimits?: ResourceLimits;
  /** The kernel whose sessions join it. @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
}

/** `threads.list(state)`: Perl's `threads::running`, `threads::joinable`, `threads::all` (or Perl's true / false / undef). */
export type ThreadListState = 'running' | 'joinable' | 'all' | boolean | undefined;

const SPEC_KEYS = ['module', 'export', 'stackSize', 'resourceLimits', 'kernel'] as const;
/** The tag of the component session's hold and of its warnings. */
const WHAT = 'threads';

/** The in-thread state, when this isolate is a thread made by poe-ts. */
function inThread(): ThreadState | undefined {
  return (globalThis as Record<symbol, ThreadState | undefined>)[THREAD_STATE];
}

/** The process-wide tid counter: tids are unique across every thread, nested ones too (Perl's rule). */
function tidCounter(): Int32Array {
  const state = inThread();
  if (state !== undefined) return new Int32Array(state.tids);
  const g = globalThis as Record<symbol, Int32Array | undefined>;
  let c = g[TIDS];
  if (c === undefined) {
    c = new Int32Array(new SharedArrayBuffer(4));
    Object.defineProperty(g, TIDS, { value: c, enumerable: false });
  }
  return c;
}

/** Every thread this isolate made that is not yet joined and reaped (one table for every copy of poe-ts). */
const TABLE_KEY = Symbol.for('poe-ts.threads.table');
function table(): Set<Thread> {
  const g = globalThis as Record<symbol, Set<Thread> | undefined>;
  let t = g[TABLE_KEY];
  if (t === undefined) {
    t = new Set();
    Object.defineProperty(g, TABLE_KEY, { value: t, enumerable: false });
  }
  return t;
}

const SIGNALS = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name.slice(3)]));
const SIGNAL_NAMES = new Set(SIGNALS.values());

/** Perl's `->kill` accepts 'SIGTERM', 'TERM' and 15; and, as Perl, a name like 'KILL' is only a message. */
function signalName(sig: unknown): string {
  if (typeof sig === 'number' && SIGNALS.has(sig)) return SIGNALS.get(sig)!;
  if (typeof sig === 'string') {
    const name = sig.toUpperCase().replace(/^SIG/, '');
    if (SIGNAL_NAMES.has(name)) return name;
  }
  throw new PoeArgumentError('ERR_POE_KERNEL_BAD_SIGNAL', `threads: kill: unrecognized signal name ${describe(sig)} (expected 'TERM', 'SIGTERM', 15, ...)`);
}

let defaultStackSize = 0;

/** The module's URL for the worker's `import()`, checked as far as can be without loading it. */
function moduleUrl(module: unknown): string {
  let url: string;
  if (module instanceof URL) url = module.href;
  else if (typeof module === 'string' && module !== '') {
    if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) url = module;
    else if (isAbsolute(module)) url = pathToFileURL(module).href;
    else if (module.startsWith('.')) {
      throw new PoeError('ERR_POE_THREAD_BAD_MODULE', `threads: a relative module ${describe(module)} has no base in a new thread; give new URL(${JSON.stringify(module)}, import.meta.url)`);
    } else url = module; // a package name, resolved by the thread's import()
  } else {
    throw new PoeError('ERR_POE_THREAD_BAD_MODULE', `threads: expected a module URL or path, got ${describe(module)}`);
  }
  if (url.startsWith('file:') && !existsSync(fileURLToPath(url))) {
    throw new PoeError('ERR_POE_THREAD_BAD_MODULE', `threads: module ${url} does not exist`);
  }
  return url;
}

/**
 * The kernel's side of the threads one kernel's sessions made: a session that running,
 * non-detached threads hold (so the kernel runs while they do, as a call in flight holds a
 * component), and whose `_stop` warns about threads neither joined nor detached, as Perl
 * warns at exit.
 */
class Keeper {
  readonly kernel: Kernel;
  session: Session | undefined = undefined;

  constructor(kernel: Kernel) {
    this.kernel = kernel;
  }

  #ensure(): Session {
    const s = this.session;
    if (s !== undefined && s._phase !== Phase.Stopped) return s;
    type Ctx = Context<Untyped, Record<string, unknown>>;
    const created = Session.create({
      kernel: this.kernel,
      inlineStates: {
        _start: () => undefined,
        release: (ctx: Ctx) => this.kernel._hold(ctx.session, -1),
        _stop: () => this.#stopped(),
      },
    });
    this.session = created!;
    return this.session;
  }

  /**
   * Takes a hold (one per running, non-detached thread and per shared-memory wait: the
   * kernel counts them); returns the session held, for {@link release}.
   */
  hold(): Session {
    const s = this.#ensure();
    this.kernel._hold(s, 1);
    return s;
  }

  /**
   * From a worker's callback. A posted event rather than a direct release: the join's wake-up
   * queued just before must be dispatched while this session still keeps the kernel alive;
   * were the hold dropped now, the last session could end and take the main line's queued
   * wake-up with it.
   */
  release(held: Session): void {
    // A hold on a session that has since stopped went with it (the kernel was stopped).
    if (held !== this.session || held._phase === Phase.Stopped) return;
    this.kernel.post(held, 'release');
  }

  #stopped(): void {
    let running = 0;
    let finished = 0;
    let detached = 0;
    for (const t of table()) {
      if (t._keeper !== this) continue;
      if (t.isDetached()) {
        if (t.isRunning()) detached++;
      } else if (!t._joinCalled) {
        if (t.isRunning()) running++;
        else finished++;
      }
    }
    if (running + finished > 0) {
      this.kernel._warn(`${WHAT}: the kernel stopped with active threads: ${running} running and unjoined, ${finished} finished and unjoined, ${detached} running and detached`);
    }
  }
}

const keepers = new WeakMap<Kernel, Keeper>();

/**
 * @internal A wait on shared memory (a Queue, a SharedSemaphore) in the main thread: what
 * ends it comes from another thread, outside the kernel, so like a watched handle it keeps
 * the kernel running meanwhile. Returns the release (call it once).
 */
export function watchShared(kernel: Kernel): () => void {
  const k = keeperOf(kernel);
  const held = k.hold();
  return () => k.release(held);
}

function keeperOf(kernel: Kernel): Keeper {
  let k = keepers.get(kernel);
  if (k === undefined) {
    k = new Keeper(kernel);
    keepers.set(kernel, k);
  }
  return k;
}

/**
 * A thread: a Worker running one exported function of a module, with Perl's `threads` object
 * methods. Made by {@link threads.create}. `join()` gives the function's return value (or the
 * error it died with); `detach()` drops it and lets the program end without it; `kill(sig)`
 * runs the handler the thread set in `threads.SIG` for that signal.
 *
 * POE has no threads; Perl: a `threads` object.
 */
export class Thread {
  /** The thread's id: unique in the process, 0 is the main thread. Perl: `$thr->tid`. */
  readonly tid: number;
  /** @internal */
  readonly _keeper: Keeper;
  /** @internal The keeper's session this thread holds while it runs undetached. */
  _held: Session | undefined = undefined;
  /** @internal `join()` was called and not abandoned. */
  _joinCalled = false;
  readonly #worker: Worker;
  #running = true;
  #detached = false;
  #terminated = false;
  #gotResult = false;
  #value: unknown = undefined;
  #error: unknown = undefined;
  #failed = false;
  #join: Wait<unknown> | undefined = undefined;
  readonly #finished: Promise<void>;
  #endFinished!: () => void;

  /** @internal Use {@link threads.create}. */
  constructor(tid: number, worker: Worker, keeper: Keeper) {
    this.tid = tid;
    this.#worker = worker;
    this._keeper = keeper;
    this.#finished = new Promise((resolve) => (this.#endFinished = resolve));
    worker.on('message', (m: FromThread) => this.#onMessage(m));
    worker.on('error', (err) => {
      if (!this.#gotResult) this.#fail(err);
    });
    worker.on('exit', () => this.#onExit());
  }

  #onMessage(m: FromThread): void {
    if (this.#gotResult) return;
    this.#gotResult = true;
    if (m.t === 'ret') this.#value = m.v;
    else if (m.t === 'die') this.#fail(unpackError(m.e));
    else this.#fail(new PoeError('ERR_POE_THREAD_BAD_MODULE', `thread ${this.tid}: ${m.msg}`, m.e === undefined ? undefined : { cause: unpackError(m.e) }));
  }

  #fail(err: unknown): void {
    this.#gotResult = true;
    this.#failed = true;
    this.#error = err;
  }

  #onExit(): void {
    if (!this.#gotResult && this.#terminated) this.#fail(new PoeError('ERR_POE_THREAD_TERMINATED', `thread ${this.tid} was terminated`));
    // No outcome otherwise: the thread ended itself (threads.exit(), process.exit()): Perl's join gives undef.
    this.#gotResult = true;
    this.#running = false;
    this.#worker.removeAllListeners();
    this.#endFinished();
    if (this.#detached) {
      table().delete(this);
      return;
    }
    const w = this.#join;
    if (w !== undefined) {
      this.#join = undefined;
      table().delete(this);
      if (this.#failed) w.reject(this.#error);
      else w.settle(this.#value);
    }
    if (this._held !== undefined) this._keeper.release(this._held);
  }

  /** True until its function has returned (or it died, exited or was terminated). Perl: `is_running`. */
  isRunning(): boolean {
    return this.#running;
  }

  /** Finished, not detached, not joined. Perl: `is_joinable`. */
  isJoinable(): boolean {
    return !this.#running && !this.#detached && !this._joinCalled;
  }

  /** Perl: `is_detached`. */
  isDetached(): boolean {
    return this.#detached;
  }

  /** The error the thread died with, once it has finished; undefined if it returned. Perl: `$thr->error`. */
  error(): unknown {
    return this.#running || !this.#failed ? undefined : this.#error;
  }

  /** Resolves when the thread has ended, however it ended; never rejects, and does not join it. Not in Perl (which polls `is_running`). */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /**
   * Waits for the thread to end. Promise form: resolves with its function's return value (a
   * structured clone), rejects with the error it died with (its name, message, stack and own
   * properties such as `code`; `ERR_POE_THREAD_BAD_MODULE` for a missing export,
   * `ERR_POE_THREAD_TERMINATED` after `terminate()`). `{ timeout, signal }` abandon the wait
   * (the thread stays joinable). Event form `join(session, event, ...extra)`: posts
   * `event(value, error, ...extra)` to the session. A pending join holds its session alive and
   * shows in `ps()` as `threads.join`.
   *
   * Throws `ERR_POE_THREAD_JOINED` if it was joined before, `ERR_POE_THREAD_DETACHED` if it is
   * detached. Perl: `$thr->join` (where a thread that died gives undef and `->error`).
   */
  join(options?: WaitOptions): Promise<unknown>;
  join(session: Session, event: string, ...extra: unknown[]): undefined;
  join(...args: unknown[]): Promise<unknown> | undefined {
    if (this.#detached) throw new PoeError('ERR_POE_THREAD_DETACHED', `thread ${this.tid}: cannot join a detached thread`);
    if (this._joinCalled) throw new PoeError('ERR_POE_THREAD_JOINED', `thread ${this.tid}: already joined`);
    const kernel = this._keeper.kernel;
    const leave = (): void => {
      // An abandoned join (timeout, abort, its session gone): the thread can be joined again.
      if (this.#join !== undefined) {
        this.#join = undefined;
        this._joinCalled = false;
      }
    };
    if (!this.#running && !isEventForm(args)) {
      // Over already: no wait (as a free Semaphore's down), so nothing hangs on a kernel with no sessions left.
      this._joinCalled = true;
      table().delete(this);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a thread may die with any value, as Perl's die
      return this.#failed ? Promise.reject(this.#error) : Promise.resolve(this.#value);
    }
    let wait: Wait<unknown>;
    let promise: Promise<unknown> | undefined;
    if (isEventForm(args)) {
      const [session, event, ...extra] = args;
      wait = Wait.event<unknown>(kernel, 'threads.join', leave, session, event, extra, this.join, true);
    } else {
      ({ wait, promise } = Wait.promise<unknown>(kernel, 'threads.join', leave, args[0] as WaitOptions | undefined, this.join));
    }
    if (!wait.waiting) return promise;
    this._joinCalled = true;
    if (this.#running) this.#join = wait;
    else {
      table().delete(this);
      if (this.#failed) wait.reject(this.#error);
      else wait.settle(this.#value);
    }
    return promise;
  }

  /**
   * Drops the thread's result; it runs on without holding the kernel or the program (its
   * Worker is unref'd) and ends with the process. Throws `ERR_POE_THREAD_DETACHED` if it is
   * detached already, `ERR_POE_THREAD_JOINED` if it was joined. Perl: `$thr->detach`.
   */
  detach(): this {
    if (this.#detached) throw new PoeError('ERR_POE_THREAD_DETACHED', `thread ${this.tid}: already detached`);
    if (this._joinCalled) throw new PoeError('ERR_POE_THREAD_JOINED', `thread ${this.tid}: cannot detach a joined thread`);
    this.#detached = true;
    this.#value = undefined;
    if (!this.#running) {
      table().delete(this);
      return this;
    }
    this.#worker.unref();
    this.#post({ t: 'detach' });
    if (this._held !== undefined) this._keeper.release(this._held);
    this._held = undefined;
    return this;
  }

  /**
   * Sends a signal: the thread's handler `threads.SIG[name]` runs when its event loop is free
   * (between tasks; a thread busy in a loop gets it when the loop ends), as Perl's safe
   * signals act between operations. No OS signal is sent; a thread without a handler for it
   * ignores it, and so does a finished thread. Returns the thread, for `thr.kill('TERM').join()`.
   * Perl: `$thr->kill('SIG...')`.
   */
  kill(signal: string | number): this {
    const sig = signalName(signal);
    if (this.#running) this.#post({ t: 'kill', sig });
    return this;
  }

  /** Stops the thread at once (Node's `worker.terminate()`), which Perl cannot; its join rejects with `ERR_POE_THREAD_TERMINATED`. Resolves when it has ended. */
  terminate(): Promise<void> {
    if (this.#running) {
      this.#terminated = true;
      void this.#worker.terminate();
    }
    return this.#finished;
  }

  /** Perl's `stringify`: `"${thr}"` is the tid. */
  toString(): string {
    return String(this.tid);
  }

  /** Perl's `==` on threads objects: the same tid. */
  equals(other: unknown): boolean {
    return other instanceof Thread && other.tid === this.tid;
  }

  #post(m: ToThread): void {
    this.#worker.postMessage(m);
  }

  declare is_running: Thread['isRunning'];
  declare is_joinable: Thread['isJoinable'];
  declare is_detached: Thread['isDetached'];
  static {
    for (const [perl, name] of [
      ['is_running', 'isRunning'],
      ['is_joinable', 'isJoinable'],
      ['is_detached', 'isDetached'],
    ] as const) {
      Object.defineProperty(this.prototype, perl, { value: this.prototype[name], writable: true, configurable: true });
    }
  }
}

/** The thread running this code, as `threads.self()` gives it: the main thread (tid 0) or a thread made by poe-ts. */
export interface CurrentThread {
  readonly tid: number;
  /** True in a thread whose maker called `detach()` (once that message has been seen). */
  isDetached(): boolean;
  toString(): string;
}

function create(first: unknown, ...rest: unknown[]): Thread {
  let spec: ThreadSpec;
  let args: unknown[];
  if (typeof first === 'function') {
    throw new PoeArgumentError(
      'ERR_POE_INVALID_ARGUMENT',
      `threads.create: a function (${first.name || 'anonymous'}) cannot cross into a thread: threads do not share code or closures (each is its own isolate); export it from a module and give { module: import.meta.url, export: ${JSON.stringify(first.name || 'name')} }, or threads.create(moduleUrl, exportName, ...args)`,
    );
  }
  if (typeof first === 'string' || first instanceof URL) {
    const [name, ...more] = rest;
    if (typeof name !== 'string' || name === '') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `threads.create(module, exportName, ...args): expected the export's name, got ${describe(name)}`);
    }
    spec = { module: first, export: name };
    args = more;
  } else if (first !== null && typeof first === 'object') {
    rejectUnknownKeys('threads.create', first, SPEC_KEYS);
    spec = first as ThreadSpec;
    args = rest;
  } else {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `threads.create: expected { module, export } or (module, exportName, ...args), got ${describe(first)}`);
  }
  const name = spec.export ?? 'default';
  if (typeof name !== 'string' || name === '') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `threads.create: expected \`export\` to be a name, got ${describe(name)}`);
  const stackSize = spec.stackSize ?? defaultStackSize;
  if (typeof stackSize !== 'number' || !Number.isFinite(stackSize) || stackSize < 0) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `threads.create: expected \`stackSize\` to be a number of bytes >= 0, got ${describe(stackSize)}`);
  }
  const url = moduleUrl(spec.module);
  const kernel = spec.kernel ?? Kernel.current();
  const limits: ResourceLimits = { ...spec.resourceLimits };
  if (stackSize > 0) limits.stackSizeMb = Math.max(1, Math.round(stackSize / 1048576));
  const tids = tidCounter();
  const tid = Atomics.add(tids, 0, 1) + 1;
  const data: ThreadData = { tid, tids: tids.buffer as SharedArrayBuffer, url, name, args: toWire(args) as unknown[], stackSize };
  let worker: Worker;
  try {
    worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, resourceLimits: limits });
  } catch (err) {
    if ((err as Error).name === 'DataCloneError') {
      throw new PoeError('ERR_POE_CLONE', `threads.create: the arguments cannot be cloned into a thread: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
  const keeper = keeperOf(kernel);
  const thr = new Thread(tid, worker, keeper);
  thr._held = keeper.hold();
  table().add(thr);
  return thr;
}

/** `threads.create`'s two forms. */
type Create = {
  (spec: ThreadSpec, ...args: unknown[]): Thread;
  (module: string | URL, exportName: string, ...args: unknown[]): Thread;
};

function list(state?: ThreadListState): Thread[] {
  const out: Thread[] = [];
  for (const t of table()) {
    if (t.isDetached() || (t._joinCalled && !t.isRunning())) continue;
    if (state === 'running' || state === true) {
      if (t.isRunning()) out.push(t);
    } else if (state === 'joinable' || state === false) {
      if (t.isJoinable()) out.push(t);
    } else out.push(t);
  }
  return out;
}

function current(): CurrentThread {
  const state = inThread();
  return {
    tid: state?.tid ?? 0,
    isDetached: () => state?.detached ?? false,
    toString: () => String(state?.tid ?? 0),
  };
}

/** Perl's `%SIG` inside a thread, for `kill`; outside one, a table nothing reads. */
const mainSIG: Record<string, ((signal: string) => unknown) | undefined> = Object.create(null) as Record<string, never>;

/**
 * Perl's `threads` (`use threads;`) over Node's worker_threads: each thread is an isolate of
 * its own running one exported function of a module, so code and closures do not cross, and
 * arguments and results are structured clones (Perl copies them too, into a new interpreter).
 * Importing poe-ts inside a thread gives the in-thread half: `threads.tid()`, `threads.self()`,
 * `threads.SIG`, `threads.exit()`.
 *
 * POE has no threads; Perl: `threads`, `threads->create`, `threads->list`, ...
 */
export const threads = {
  /**
   * Starts a thread running `spec.export` of `spec.module` with `args` (cloned now), or
   * `create(moduleUrl, exportName, ...args)`. A function is refused: closures cannot cross
   * into another isolate. Throws `ERR_POE_THREAD_BAD_MODULE` for a module that does not exist
   * (a missing export is known only in the thread: its join rejects with that code),
   * `ERR_POE_CLONE` for arguments that cannot be cloned. Perl: `threads->create`, `->new`.
   */
  create: create as Create,
  /** Perl: `threads->new`, the same as create. */
  new: create as Create,
  /**
   * Threads made here and neither joined nor detached (Perl's `threads->list`): all of them,
   * or `threads.running` ones, or `threads.joinable` ones (finished, not joined).
   */
  list,
  /** Perl's `threads::running`. */
  running: 'running' as const,
  /** Perl's `threads::joinable`. */
  joinable: 'joinable' as const,
  /** Perl's `threads::all`. */
  all: 'all' as const,
  /** The tid of the thread running this code; 0 in the main thread. Perl: `threads->tid`. */
  tid(): number {
    return inThread()?.tid ?? 0;
  },
  /** The thread running this code. Perl: `threads->self`. */
  self: current,
  /** The thread made here with this tid, if it is not joined or detached. Perl: `threads->object($tid)`. */
  object(tid: number): Thread | undefined {
    return list().find((t) => t.tid === tid);
  },
  /** True in a thread made by poe-ts, false in the main program. */
  get isThread(): boolean {
    return inThread() !== undefined;
  },
  /** True in the main thread (Node's `isMainThread`). */
  get isMainThread(): boolean {
    return isMainThread;
  },
  /**
   * The thread's signal handlers, Perl's `%SIG` in a thread: `threads.SIG.TERM = () => ...`
   * is what `thr.kill('TERM')` runs (names without `SIG`).
   */
  get SIG(): Record<string, ((signal: string) => unknown) | undefined> {
    return inThread()?.SIG ?? mainSIG;
  },
  /**
   * Lets other work run: resolves after the thread's pending events (a `kill` among them)
   * have had their turn. Perl: `threads->yield` (a hint to the OS scheduler there).
   */
  yield(): Promise<void> {
    // Not the kernel's cede(): a thread usually runs no kernel, and what it yields to (a kill
    // message, its own timers) is Node's event loop, which setImmediate lets run once.
    return new Promise((resolve) => setImmediate(resolve));
  },
  /**
   * Ends the thread now, from anywhere in it: its join gives undefined. In the main thread it
   * is `process.exit(0)`, as Perl's `threads->exit` is `exit(0)` there.
   */
  exit(): never {
    process.exit(0);
  },
  /** Perl: `threads->get_stack_size`: the default stack size of new threads in bytes (0: Node's own, 4 MiB). */
  getStackSize(): number {
    return defaultStackSize;
  },
  /** Perl: `threads->set_stack_size`: sets the default for later threads and returns the previous one. */
  setStackSize(bytes: number): number {
    if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `threads.setStackSize: expected a number of bytes >= 0, got ${describe(bytes)}`);
    }
    const old = defaultStackSize;
    defaultStackSize = bytes;
    return old;
  },
};
