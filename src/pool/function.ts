import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PoeArgumentError, PoeError, describe, rebuildError } from '../errors.js';
import { ArrayFifo } from '../kernel/array-fifo.js';
import { WorkHold } from '../kernel/holds.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Context } from '../session/context.js';
import { Phase, Session, type SessionId } from '../session/session.js';
import type { Untyped } from '../session/types.js';
import { Wait, type WaitOptions } from '../task/wait.js';
import { bad, checkCount, checkKeys, checkString } from '../component/options.js';
import { type Backend, type WorkerHandle, startWorker, workerEntry } from './backend.js';

/** `workers` as a range: IO::Async::Function's `min_workers`, `max_workers` and `idle_timeout`. */
export interface FunctionWorkers {
  /** Workers kept running even when idle (started at once). @default 1 */
  min?: number;
  /** The most workers at once; more are started while calls wait. @default min, or the CPU count */
  max?: number;
  /** Seconds an idle worker above `min` lives on. @default 30 */
  idleTimeout?: number;
}

/** Options of {@link Function.create}. */
export interface FunctionOptions {
  /**
   * The code: a path (relative to the working directory) or `file:` URL of an ES module or a
   * CommonJS file. Workers are other isolates (threads) or processes: a function cannot be
   * given here, only a module they can load.
   */
  module: string | URL;
  /** The name of the function the module exports (`'default'` for the default export). */
  export: string;
  /** A fixed number of workers, or a range. @default 1 (DetachedCode's) */
  workers?: number | FunctionWorkers;
  /** `'thread'` (worker_threads) or `'process'` (child_process.fork: a crash cannot reach the parent). @default 'thread' */
  backend?: Backend;
  /** A worker whose call threw is replaced by a new one. IO::Async: `exit_on_die`. @default false */
  exitOnDie?: boolean;
  /** A worker is replaced after this many calls. IO::Async::Function: `max_worker_calls`. @default Infinity */
  maxWorkerCalls?: number;
  /**
   * Run once in each new worker before its first call: the name of another export of `module`
   * (awaited when it returns a promise), or `{ export, args }`. IO::Async::Function: `init_code`.
   */
  init?: string | { export: string; args?: unknown[] };
  /** The most calls waiting for a worker; a call beyond it throws `ERR_POE_POOL_QUEUE_FULL`. @default Infinity */
  maxQueue?: number;
  /** The kernel whose sessions the answers go to. @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
  /** The component session's alias: other sessions may post `call` and `shutdown` to it. @default `Function/<session id>` */
  alias?: string;
}

/** Options of {@link DetachedCode.create}: `code` is the module and export (DetachedCode's name). */
export interface DetachedCodeOptions extends Omit<FunctionOptions, 'module' | 'export'> {
  code: { module: string | URL; export: string };
}

/** What every call form takes. */
export interface FunctionCallFields<A extends unknown[]> {
  /** The arguments, cloned when `call()` runs: later changes to them do not reach the worker. */
  args: A;
  /** Calls of higher priority are sent to a worker first; equal ones in call order. @default 0 */
  priority?: number;
}

/** POE form: `event` is posted to the calling session with `(result, error, context)`. */
export interface FunctionEventCall<A extends unknown[]> extends FunctionCallFields<A> {
  event: string;
  context?: unknown;
}

/** IO::Async's continuations, called as the calling session's turn (the kernel's outside one). */
export interface FunctionReturnCall<A extends unknown[], R> extends FunctionCallFields<A> {
  onReturn: (result: R) => void;
  onError: (error: unknown) => void;
}

/** IO::Async's `on_result`: `('return', result)` or `('error', error)`. */
export interface FunctionResultCall<A extends unknown[], R> extends FunctionCallFields<A> {
  onResult: (...result: ['return', R] | ['error', unknown]) => void;
}

/** Promise form: resolves with the result; `timeout` and `signal` as every poe-ts wait. */
export interface FunctionPromiseCall<A extends unknown[]> extends FunctionCallFields<A>, WaitOptions {}

const WHAT = 'Function';
const KNOWN = ['module', 'export', 'workers', 'backend', 'exitOnDie', 'maxWorkerCalls', 'init', 'maxQueue', 'kernel', 'alias'] as const;
const CALL_KEYS = ['args', 'priority', 'event', 'context', 'onReturn', 'onError', 'onResult', 'timeout', 'signal'];

const enum Form {
  Promise,
  Event,
  Callback,
}

interface Call {
  readonly form: Form;
  args: unknown[];
  readonly priority: number;
  /** Promise and event forms, and the callback form from a session: the calling session's wait. */
  wait: Wait<unknown> | undefined;
  /** Callback form. */
  readonly session: Session | undefined;
  readonly onReturn: ((v: unknown) => void) | undefined;
  readonly onError: ((e: unknown) => void) | undefined;
  readonly onResult: ((kind: 'return' | 'error', v: unknown) => void) | undefined;
  /** Queued, in flight, or answered (or given up). */
  state: 'queued' | 'sent' | 'done';
  id: number;
}

interface WorkerRec {
  handle: WorkerHandle;
  state: 'starting' | 'idle' | 'busy' | 'closing';
  /** The call it runs (the oldest it was sent and has not answered). */
  call: Call | undefined;
  /** The call it was sent to run next (the prefetch), while it may still be withdrawn. */
  next: Call | undefined;
  /** Calls sent to it. */
  calls: number;
  /** Calls it answered. */
  answered: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Thread workers: the shared word on which a prefetched call is started or withdrawn (worker-entry.ts). */
  gate: Int32Array | undefined;
  /** The number of the last call sent through the gate. */
  g: number;
}

/** `shutdown` as the POE and IO::Async forms give it: the string, as IO::Async's `'shutdown'` failure. */
const SHUTDOWN = 'shutdown';

/** The module as a file URL; the file must exist (what it exports is learnt by the first worker). */
function moduleUrl(module: unknown): string {
  if (typeof module === 'function') {
    bad(
      `${WHAT}: \`module\` is a function, but closures cannot cross isolates: a worker (a thread or a process) cannot run a function made here. Put the function in a module and give its path or file URL as \`module\` and its name as \`export\``,
    );
  }
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module !== '') url = module.startsWith('file:') ? new URL(module) : pathToFileURL(resolvePath(module));
  else bad(`Expected ${WHAT} option \`module\` to be a path or a file URL of a module, got ${describe(module)}`);
  if (url.protocol !== 'file:') bad(`Expected ${WHAT} option \`module\` to be a path or a file URL, got ${describe(url.href)}`);
  if (!existsSync(fileURLToPath(url))) throw new PoeArgumentError('ERR_POE_POOL_BAD_MODULE', `${WHAT}: module ${fileURLToPath(url)} does not exist`);
  return url.href;
}

/**
 * Code run off the kernel's thread, in a pool of workers: IO::Async::Function (and its
 * predecessor IO::Async::DetachedCode) in POE's idiom. The code is a function a module
 * exports; each `call({ args })` runs it in a free worker (or waits, FIFO by `priority`) and
 * answers the calling session: as an event `(result, error, context)`, through IO::Async's
 * continuations, or as a promise. A call waiting or running holds its session alive, and
 * shows in `ps()` as `Function.call`.
 *
 * Workers are threads (`backend: 'thread'`, the default) or processes (`'process'`). A worker
 * that dies in a call (killed, `process.exit()`, out of memory) fails only that call with
 * `ERR_POE_POOL_WORKER_DIED` and is replaced; with one worker, results come in call order.
 *
 * The component is a session (alias `Function/<id>` unless given), like every POE component:
 * it lives while other sessions do and ends with the kernel; its workers end with it.
 */
export class Function<A extends unknown[] = unknown[], R = unknown> {
  readonly #kernel: Kernel;
  readonly #session: Session;
  readonly #alias: string | undefined;
  #aliasSet: string | undefined;
  readonly #module: string;
  readonly #export: string;
  readonly #backend: Backend;
  readonly #min: number;
  readonly #max: number;
  readonly #idleTimeout: number;
  readonly #exitOnDie: boolean;
  readonly #maxWorkerCalls: number;
  readonly #init: { export: string; args: unknown[] } | undefined;
  readonly #maxQueue: number;
  readonly #workers = new Map<number, WorkerRec>();
  /** Waiting calls: highest priority first, call order within one priority. */
  readonly #queue = new ArrayFifo<Call>();
  /** Calls queued or in flight (queued ones that left early are not counted). */
  #pending = 0;
  /** Promise-form and callback-form calls not yet answered, for a kernel stop. */
  readonly #open = new Set<Call>();
  /** The component session's hold, while calls are pending. */
  readonly #work: WorkHold;
  /** Workers are ref'd (keep Node's loop alive) while calls are pending. */
  #reffed = false;
  #shutdown = false;
  /** The module or its export (or `init`) could not be loaded: the reason, for every later call. */
  #broken: PoeError | undefined;
  #nextId = 0;
  /** `stop()`/`terminate()` wait for the last worker to go. */
  #gone: (() => void)[] = [];
  #readyWaiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];

  protected constructor(options: FunctionOptions) {
    checkKeys(WHAT, options, KNOWN);
    this.#module = moduleUrl(options.module);
    if (typeof options.export !== 'string' || options.export === '') bad(`Expected ${WHAT} option \`export\` to name a function the module exports, got ${describe(options.export)}`);
    this.#export = options.export;
    const backend = options.backend ?? 'thread';
    if (backend !== 'thread' && backend !== 'process') bad(`Expected ${WHAT} option \`backend\` to be 'thread' or 'process', got ${describe(backend)}`);
    this.#backend = backend;
    const w = options.workers ?? 1;
    if (typeof w === 'number') {
      checkCount(`${WHAT} option \`workers\``, w, 1, false);
      this.#min = this.#max = w;
      this.#idleTimeout = 30;
    } else {
      checkKeys(`${WHAT} workers`, w, ['min', 'max', 'idleTimeout']);
      checkCount(`${WHAT} option \`workers.min\``, w.min, 0, false);
      checkCount(`${WHAT} option \`workers.max\``, w.max, 1, false);
      if (w.idleTimeout !== undefined && (typeof w.idleTimeout !== 'number' || !(w.idleTimeout >= 0))) bad(`Expected ${WHAT} option \`workers.idleTimeout\` to be a number of seconds >= 0, got ${describe(w.idleTimeout)}`);
      this.#min = w.min ?? 1;
      this.#max = w.max ?? Math.max(this.#min, availableParallelism());
      if (this.#max < this.#min) bad(`${WHAT}: \`workers.max\` (${this.#max}) must not be less than \`workers.min\` (${this.#min})`);
      this.#idleTimeout = w.idleTimeout ?? 30;
    }
    if (options.exitOnDie !== undefined && typeof options.exitOnDie !== 'boolean') bad(`Expected ${WHAT} option \`exitOnDie\` to be a boolean, got ${describe(options.exitOnDie)}`);
    this.#exitOnDie = options.exitOnDie ?? false;
    checkCount(`${WHAT} option \`maxWorkerCalls\``, options.maxWorkerCalls, 1, true);
    this.#maxWorkerCalls = options.maxWorkerCalls ?? Infinity;
    checkCount(`${WHAT} option \`maxQueue\``, options.maxQueue, 0, true);
    this.#maxQueue = options.maxQueue ?? Infinity;
    const init = options.init;
    if (typeof init === 'string' && init !== '') this.#init = { export: init, args: [] };
    else if (init !== null && typeof init === 'object' && typeof init.export === 'string' && init.export !== '' && (init.args === undefined || Array.isArray(init.args))) {
      checkKeys(`${WHAT} init`, init, ['export', 'args']);
      this.#init = { export: init.export, args: structuredClone(init.args ?? []) };
    } else if (init !== undefined) bad(`Expected ${WHAT} option \`init\` to name an export of the module, or be { export, args }, got ${describe(init)}`);
    checkString(WHAT, 'alias', options.alias);
    this.#alias = options.alias;
    workerEntry(); // fails now, not at the first call, when the entry script is missing
    type Ctx = Context<Untyped, Record<string, unknown>>;
    const session = Session.create({
      ...(options.kernel !== undefined ? { kernel: options.kernel } : {}),
      inlineStates: {
        _start: (ctx: Ctx) => {
          // An alias keeps the component while other sessions live, as POE components are kept.
          const alias = this.#alias ?? `${WHAT}/${ctx.session.ID}`;
          if (ctx.kernel.aliasSet(alias) === 0) this.#aliasSet = alias;
          else ctx.kernel._warn(`${WHAT}: alias ${JSON.stringify(alias)} is taken; the pool lives only while calls are pending`);
        },
        // POE's request event: `post(alias, 'call', { args, event, context })` from another session.
        call: (ctx: Ctx, req: unknown) => {
          const sender = ctx.sender;
          const r = req as FunctionEventCall<A> | undefined;
          if (!(sender instanceof Session) || r === null || typeof r !== 'object' || typeof r.event !== 'string') {
            ctx.kernel._warn(`${WHAT}: dropped a call request: it needs { args, event } from a session`);
            return;
          }
          try {
            void this.#submit(r, Form.Event, sender);
          } catch (err) {
            ctx.kernel._warn(`${WHAT}: dropped a call request: ${(err as Error).message}`);
          }
        },
        shutdown: (ctx: Ctx) => {
          this.#shutdownNow();
          if (this.#aliasSet !== undefined) ctx.kernel.aliasRemove(this.#aliasSet);
        },
        _stop: () => this.#stopped(),
      },
    });
    this.#session = session!;
    this.#kernel = this.#session._kernel;
    this.#work = new WorkHold(this.#kernel, this.#session);
    for (let i = 0; i < this.#min; i++) this.#spawn();
  }

  /**
   * Makes the pool (its session, and its `min` workers). Throws `PoeArgumentError`: unknown or
   * bad options (`ERR_POE_UNKNOWN_OPTION`, `ERR_POE_INVALID_ARGUMENT`, a function as `module`),
   * a module file that does not exist (`ERR_POE_POOL_BAD_MODULE`). An export the module does
   * not have is learnt by the first worker: the calls fail with `ERR_POE_POOL_BAD_MODULE`.
   * IO::Async: `IO::Async::Function->new(...)` and `$loop->add`.
   */
  static create<A extends unknown[] = unknown[], R = unknown>(options: FunctionOptions): Function<A, R> {
    return new Function<A, R>(options);
  }

  /** The component's session id. */
  get ID(): SessionId {
    return this.#session.ID;
  }

  /** The component's alias. */
  get alias(): string | undefined {
    return this.#aliasSet ?? this.#alias;
  }

  /** `'thread'` or `'process'`. */
  get backend(): Backend {
    return this.#backend;
  }

  /** Calls waiting for a worker or running in one. */
  get pending(): number {
    return this.#pending;
  }

  /** Calls running in a worker now. */
  get running(): number {
    let n = 0;
    for (const rec of this.#workers.values()) if (rec.call !== undefined) n++;
    return n;
  }

  /**
   * The running workers' ids: threadIds for threads, pids for processes; `.length` is how many.
   * IO::Async: `$code->workers` (the count, or the pids in list context).
   */
  workers(): number[] {
    return [...this.#workers.keys()];
  }

  /**
   * Runs the function in a worker with `args` (cloned now).
   *
   * - `{ args, event, context }`, from a handler: posts `event` to the calling session with
   *   `(result, undefined, context)` or `(undefined, error, context)`; the error of a call
   *   failed by `shutdown` is the string `'shutdown'` (IO::Async's).
   * - `{ args, onReturn, onError }` or `{ args, onResult }`: IO::Async's continuations, run as
   *   the calling session's turn (the kernel's, from outside any handler).
   * - `{ args }` (with `timeout`, `signal`): a promise of the result; it rejects with the error
   *   the function threw, or a `PoeError` (`ERR_POE_POOL_SHUTDOWN`, `ERR_POE_POOL_WORKER_DIED`,
   *   `ERR_POE_POOL_BAD_MODULE`, `ERR_POE_CLONE` for a result that cannot be cloned).
   *
   * Throws at the call: `ERR_POE_CLONE` (arguments that cannot be cloned: functions, symbols,
   * ...), `ERR_POE_POOL_SHUTDOWN` (after `shutdown()`), `ERR_POE_POOL_QUEUE_FULL` (`maxQueue`
   * calls already wait), `ERR_POE_POOL_BAD_MODULE` (the module's export is known to be missing).
   * IO::Async: `$function->call(args => [...], on_return => ..., on_error => ...)`.
   */
  call(request: FunctionEventCall<A>): undefined;
  call(request: FunctionReturnCall<A, R>): undefined;
  call(request: FunctionResultCall<A, R>): undefined;
  call(request: FunctionPromiseCall<A>): Promise<R>;
  call(request: FunctionEventCall<A> | FunctionReturnCall<A, R> | FunctionResultCall<A, R> | FunctionPromiseCall<A>): undefined | Promise<R> {
    checkKeys(`${WHAT} call`, request, CALL_KEYS);
    const r = request as Partial<FunctionEventCall<A> & FunctionReturnCall<A, R> & FunctionResultCall<A, R> & FunctionPromiseCall<A>>;
    if (r.event !== undefined) {
      const active = this.#kernel._waiter();
      if (active === undefined) throw new PoeError('ERR_POE_KERNEL_NOT_IN_SESSION', `${WHAT}: call with \`event\` must be made from a session's handler (the result goes to that session); without \`event\` it returns a promise`);
      void this.#submit(r as FunctionEventCall<A>, Form.Event, active);
      return undefined;
    }
    if (r.onResult !== undefined || r.onReturn !== undefined || r.onError !== undefined) {
      void this.#submit(r as FunctionReturnCall<A, R>, Form.Callback, this.#kernel._waiter());
      return undefined;
    }
    return this.#submit(r as FunctionPromiseCall<A>, Form.Promise, undefined) as Promise<R>;
  }

  /**
   * Fails every waiting call with `'shutdown'` (`ERR_POE_POOL_SHUTDOWN` in the promise form),
   * lets the running ones finish, then lets the workers and the session go. Later calls throw.
   * IO::Async::DetachedCode: `$code->shutdown`.
   */
  shutdown(): void {
    // In the component's session, so that its alias can go (POE: `post($alias, 'shutdown')`).
    if (this.#session._phase === Phase.Running) this.#kernel.call(this.#session, 'shutdown');
    else this.#shutdownNow();
  }

  #shutdownNow(): void {
    if (this.#shutdown) return;
    this.#shutdown = true;
    // Prefetched calls not started yet wait like queued ones: they fail with them, in call order.
    const withdrawn: Call[] = [];
    for (const rec of this.#workers.values()) {
      const c = rec.next;
      if (c !== undefined && this.#withdraw(rec)) withdrawn.push(c);
    }
    const failing = withdrawn.length === 0 ? this.#takeQueue() : [...withdrawn, ...this.#takeQueue()].sort((a, b) => a.id - b.id);
    for (const c of failing) this.#finish(c, false, SHUTDOWN);
    for (const rec of this.#workers.values()) if (rec.state !== 'busy') this.#close(rec);
    this.#release();
  }

  /**
   * `shutdown()`, and a promise that resolves once every worker has exited (after the running
   * calls have answered). IO::Async::Function: `$function->stop`.
   */
  stop(): Promise<void> {
    this.shutdown();
    return this.#allGone();
  }

  /**
   * Ends every worker now, busy or not (an endless loop too): `shutdown()`, and the running
   * calls fail with `'shutdown'` (`ERR_POE_POOL_SHUTDOWN`). Resolves once they are gone. Not
   * in IO::Async (a Perl worker can only be killed by signal).
   */
  terminate(): Promise<void> {
    this.shutdown();
    for (const rec of this.#workers.values()) {
      const c = rec.call;
      const next = rec.next;
      rec.call = undefined;
      rec.next = undefined;
      rec.state = 'closing';
      rec.handle.ref(true);
      rec.handle.kill();
      if (c !== undefined) this.#finish(c, false, SHUTDOWN);
      if (next !== undefined) this.#finish(next, false, SHUTDOWN);
    }
    return this.#allGone();
  }

  /**
   * Resolves once `min` workers have loaded the module (and run `init`): to time calls without
   * the workers' start-up. Rejects with `ERR_POE_POOL_BAD_MODULE` when they cannot.
   * IO::Async::Function: `$function->start` (which does not wait).
   */
  ready(): Promise<void> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    if (this.#readyCount() >= this.#min) return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    this.#refWorkers();
    return promise;
  }

  #readyCount(): number {
    let n = 0;
    for (const rec of this.#workers.values()) if (rec.state === 'idle' || rec.state === 'busy') n++;
    return n;
  }

  #allGone(): Promise<void> {
    if (this.#workers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#gone.push(resolve));
  }

  // ------------------------------------------------------------------------------------------

  #submit(r: FunctionCallFields<A> & Partial<FunctionEventCall<A> & FunctionReturnCall<A, R> & FunctionResultCall<A, R> & WaitOptions>, form: Form, session: Session | undefined): Promise<unknown> | undefined {
    if (!Array.isArray(r.args)) bad(`Expected ${WHAT} call \`args\` to be an array, got ${describe(r.args)}`);
    const priority = r.priority ?? 0;
    if (typeof priority !== 'number' || !Number.isFinite(priority)) bad(`Expected ${WHAT} call \`priority\` to be a number, got ${describe(priority)}`);
    if (form === Form.Callback) {
      if (r.onResult !== undefined) {
        if (typeof r.onResult !== 'function' || r.onReturn !== undefined || r.onError !== undefined) bad(`${WHAT} call: give \`onResult\` (a function), or \`onReturn\` and \`onError\`, not both`);
      } else if (typeof r.onReturn !== 'function' || typeof r.onError !== 'function') {
        bad(`${WHAT} call: \`onReturn\` and \`onError\` must both be functions (or give \`onResult\`), got ${describe(r.onReturn)} and ${describe(r.onError)}`);
      }
    }
    if (form !== Form.Promise && (r.timeout !== undefined || r.signal !== undefined)) bad(`${WHAT} call: \`timeout\` and \`signal\` belong to the promise form (a call without \`event\` or continuations)`);
    if (r.signal !== undefined && !(r.signal instanceof AbortSignal)) bad(`Expected ${WHAT} call \`signal\` to be an AbortSignal, got ${describe(r.signal)}`);
    if (this.#shutdown || this.#session._phase !== Phase.Running) throw new PoeError('ERR_POE_POOL_SHUTDOWN', `${WHAT}: call after shutdown`);
    if (this.#broken !== undefined) throw this.#broken;
    const rec = this.#idleWorker();
    if (rec === undefined && this.#maxQueue !== Infinity) {
      // A prefetched call waits too: in its worker rather than here.
      const waiting = this.#queue.length + this.#prefetched();
      if (waiting >= this.#maxQueue) throw new PoeError('ERR_POE_POOL_QUEUE_FULL', `${WHAT}: ${waiting} calls already wait for a worker (maxQueue ${this.#maxQueue})`);
    }
    // Frozen now, as IO::Async's marshaller does at the call: later changes do not reach the worker.
    let args: unknown[];
    try {
      // Primitives cannot change: a copy of the array freezes them as well as a clone does.
      args = r.args.every(isPrimitive) ? r.args.slice() : structuredClone(r.args);
    } catch (err) {
      throw cloneError(err);
    }
    const call: Call = {
      form,
      args,
      priority,
      wait: undefined,
      session,
      onReturn: r.onReturn as ((v: unknown) => void) | undefined,
      onError: r.onError,
      onResult: r.onResult as ((kind: 'return' | 'error', v: unknown) => void) | undefined,
      state: 'queued',
      id: ++this.#nextId,
    };
    let promise: Promise<unknown> | undefined;
    const leave = (w: Wait<unknown>): void => this.#left(call, w);
    if (form === Form.Event) {
      call.wait = Wait.event(this.#kernel, 'Function.call', leave, session, r.event, [r.context], this.call, true);
    }
    this.#pending++;
    this.#hold();
    if (form === Form.Promise) {
      this.#open.add(call);
      const limits = r.timeout !== undefined || r.signal !== undefined ? { timeout: r.timeout, signal: r.signal } : undefined;
      const w = Wait.promise<unknown>(this.#kernel, 'Function.call', leave, limits, this.call);
      call.wait = w.wait;
      promise = w.promise;
    } else if (form === Form.Callback) {
      this.#open.add(call);
      // Held like the other forms while the call is pending; the continuation is queued.
      if (session !== undefined) call.wait = Wait.promise<unknown>(this.#kernel, 'Function.call', leave, undefined, this.call).wait;
    }
    if (call.state !== 'queued') return promise; // a signal aborted already
    if (rec !== undefined) this.#send(rec, call);
    else {
      this.#enqueue(call);
      this.#grow();
      if (call.priority !== 0) this.#yieldTo(call.priority);
      for (const w of this.#workers.values()) this.#fill(w);
    }
    return promise;
  }

  /**
   * Queues `call` in its place: highest priority first, then in the order calls were made (a
   * new call goes last among its equals; one withdrawn from a worker goes back where it was).
   */
  #enqueue(call: Call): void {
    const q = this.#queue;
    let i = q.length;
    for (; i > 0; i--) {
      const before = q.at(i - 1)!;
      if (before.priority > call.priority || (before.priority === call.priority && before.id < call.id)) break;
    }
    q.insert(i, call);
  }

  #dequeue(): Call | undefined {
    let c: Call | undefined;
    while ((c = this.#queue.shift()) !== undefined) if (c.state === 'queued') return c;
    return undefined;
  }

  #takeQueue(): Call[] {
    return this.#queue.drain().filter((c) => c.state === 'queued');
  }

  /**
   * Sends the next waiting call to `rec` while it runs one (thread workers): it starts on it as
   * soon as it answers, without a round trip through this thread, which would leave it idle
   * for longer than a short call takes. Not with `exitOnDie` (a worker that dies runs nothing
   * more), not past `maxWorkerCalls`, and not while the pool could start another worker for it.
   */
  #fill(rec: WorkerRec): void {
    if (rec.gate === undefined || rec.state !== 'busy' || rec.next !== undefined || this.#shutdown || rec.calls >= this.#maxWorkerCalls) return;
    if (this.#queue.length === 0 || !this.#full()) return;
    const c = this.#dequeue();
    if (c === undefined) return;
    const g = (rec.g = (rec.g % 0x3fffffff) + 1);
    try {
      rec.handle.send({ id: c.id, args: c.args, g });
    } catch (err) {
      this.#finish(c, false, cloneError(err));
      return;
    }
    c.state = 'sent';
    rec.next = c;
    rec.calls++;
  }

  /** Every worker the pool may have is running (none starting): queued calls can only wait for these. */
  #full(): boolean {
    let live = 0;
    for (const rec of this.#workers.values()) {
      if (rec.state === 'starting') return false;
      if (rec.state !== 'closing') live++;
    }
    return live >= this.#max;
  }

  /**
   * Withdraws `rec`'s prefetched call if the worker has not started it; true when withdrawn
   * (the worker will answer it `skipped`), false when it runs (its answer comes as any call's).
   */
  #withdraw(rec: WorkerRec): boolean {
    const c = rec.next;
    if (c === undefined || rec.gate === undefined) return false;
    const gate = rec.gate;
    const g = rec.g;
    for (;;) {
      const v = Atomics.load(gate, 0);
      if (v === g) return false;
      if (Atomics.compareExchange(gate, 0, v, -g) === v) break;
    }
    rec.next = undefined;
    rec.calls--;
    return true;
  }

  /** Prefetched calls of lower priority than `priority` go back to the queue, so that it is sent first. */
  #yieldTo(priority: number): void {
    for (const rec of this.#workers.values()) {
      const c = rec.next;
      if (c !== undefined && c.priority < priority && this.#withdraw(rec)) {
        c.state = 'queued';
        this.#enqueue(c);
      }
    }
  }

  #prefetched(): number {
    let n = 0;
    for (const rec of this.#workers.values()) if (rec.next !== undefined) n++;
    return n;
  }

  #idleWorker(): WorkerRec | undefined {
    // Only when nothing waits: a queued call goes first.
    if (this.#queue.length > 0) return undefined;
    for (const rec of this.#workers.values()) if (rec.state === 'idle') return rec;
    return undefined;
  }

  /** Sends `call` to the idle worker `rec`; false when the send failed (the call is answered with why). */
  #send(rec: WorkerRec, call: Call): boolean {
    try {
      rec.handle.send({ id: call.id, args: call.args });
    } catch (err) {
      this.#finish(call, false, cloneError(err));
      return false;
    }
    call.state = 'sent';
    call.args = []; // the worker has its copy
    rec.state = 'busy';
    rec.call = call;
    rec.calls++;
    if (rec.idleTimer !== undefined) {
      clearTimeout(rec.idleTimer);
      rec.idleTimer = undefined;
    }
    this.#fill(rec);
    return true;
  }

  #grow(): void {
    if (this.#broken !== undefined || this.#shutdown) return;
    let starting = 0;
    for (const rec of this.#workers.values()) if (rec.state === 'starting') starting++;
    let live = this.#live();
    while (live < this.#max && starting < this.#queue.length) {
      this.#spawn();
      live++;
      starting++;
    }
  }

  #spawn(): void {
    // Shared memory reaches threads only; with exitOnDie a worker must run nothing after a call that threw.
    const shared = this.#backend === 'thread' && !this.#exitOnDie ? new SharedArrayBuffer(4) : undefined;
    const rec: WorkerRec = { handle: undefined as unknown as WorkerHandle, state: 'starting', call: undefined, next: undefined, calls: 0, answered: 0, idleTimer: undefined, gate: shared && new Int32Array(shared), g: 0 };
    const handle = (rec.handle = startWorker(this.#backend, {
      message: (m) => this.#onMessage(rec, m),
      exit: (why) => this.#onExit(rec, why),
    }));
    this.#workers.set(handle.id, rec);
    handle.ref(this.#reffed);
    handle.send({ t: 'load', module: this.#module, export: this.#export, init: this.#init, gate: shared });
  }

  /** A worker's message, from a Node callback: the wait is settled here; its turn is queued. */
  #onMessage(rec: WorkerRec, m: unknown): void {
    const msg = m as { t?: string; id?: number; ok?: boolean; value?: unknown; error?: unknown; clone?: boolean; message?: string; skipped?: boolean };
    if (msg.t === 'ready') {
      if (rec.state !== 'starting') return;
      rec.state = 'idle';
      if (this.#readyWaiters.length > 0 && this.#readyCount() >= this.#min) {
        for (const w of this.#readyWaiters.splice(0)) w.resolve();
        this.#refWorkers();
      }
      this.#idle(rec);
      return;
    }
    if (msg.t === 'bad') {
      this.#broken ??= new PoeError('ERR_POE_POOL_BAD_MODULE', `${WHAT}: ${msg.message ?? 'the module cannot be used'}`);
      for (const w of this.#readyWaiters.splice(0)) w.reject(this.#broken);
      this.#refWorkers();
      rec.state = 'closing';
      rec.handle.kill();
      for (const c of this.#takeQueue()) this.#finish(c, false, this.#broken);
      return;
    }
    // A withdrawn prefetch: it was taken back when it was withdrawn.
    if (msg.skipped === true) return;
    const c = rec.call;
    if (c === undefined || c.id !== msg.id) return;
    rec.answered++;
    // The worker goes on to the call it was sent next, at once.
    const next = rec.next;
    rec.next = undefined;
    rec.call = next;
    const ok = msg.ok === true;
    const value = ok ? msg.value : msg.clone === true ? new PoeError('ERR_POE_CLONE', `${WHAT}: the result (or the error thrown) cannot be cloned: ${describeThrown(msg.error)}`) : rebuild(msg.error);
    if (next !== undefined) {
      next.args = []; // it runs: its copy is the worker's
      this.#fill(rec);
    } else if ((!ok && this.#exitOnDie && msg.clone !== true) || rec.answered >= this.#maxWorkerCalls) {
      // Retired (IO::Async's exit_on_die, max_worker_calls): a new worker takes its place.
      this.#close(rec);
      this.#grow();
      if (this.#live() < this.#min && !this.#shutdown) this.#spawn();
    } else {
      rec.state = 'idle';
      this.#idle(rec);
    }
    this.#finish(c, ok, value);
  }

  #live(): number {
    let n = 0;
    for (const rec of this.#workers.values()) if (rec.state !== 'closing') n++;
    return n;
  }

  /** `rec` is free: the next call, or an exit (after shutdown), or an idle timer above `min`. */
  #idle(rec: WorkerRec): void {
    if (this.#shutdown) {
      this.#close(rec);
      return;
    }
    let c: Call | undefined;
    while ((c = this.#dequeue()) !== undefined && !this.#send(rec, c));
    if (c !== undefined) return;
    if (this.#live() > this.#min && this.#idleTimeout !== Infinity) {
      // Worker lifetime, not an event of any session: Node's timer, unref'd, as the worker is.
      rec.idleTimer = setTimeout(() => {
        rec.idleTimer = undefined;
        if (rec.state === 'idle' && this.#live() > this.#min) this.#close(rec);
      }, this.#idleTimeout * 1000);
      rec.idleTimer.unref();
    }
  }

  #close(rec: WorkerRec): void {
    if (rec.state === 'closing') return;
    rec.state = 'closing';
    if (rec.idleTimer !== undefined) clearTimeout(rec.idleTimer);
    // Until it has exited: stop() resolves then, and Node must not end the program before.
    rec.handle.ref(true);
    rec.handle.close();
  }

  #onExit(rec: WorkerRec, why: string): void {
    this.#workers.delete(rec.handle.id);
    if (rec.idleTimer !== undefined) clearTimeout(rec.idleTimer);
    const c = rec.call;
    rec.call = undefined;
    // Sent to run next, it never started (a worker runs one call at a time): it waits again, first in line.
    const next = rec.next;
    rec.next = undefined;
    if (next !== undefined && next.state === 'sent') {
      next.state = 'queued';
      this.#enqueue(next);
    }
    if (rec.state === 'starting' && this.#broken === undefined && !this.#shutdown) {
      // Died before it could load the module: a replacement would too (no endless restarts).
      this.#broken = new PoeError('ERR_POE_POOL_WORKER_DIED', `${WHAT}: a worker died before it was ready (${why})`);
      for (const q of this.#takeQueue()) this.#finish(q, false, this.#broken);
    }
    rec.state = 'closing';
    if (c !== undefined) this.#finish(c, false, new PoeError('ERR_POE_POOL_WORKER_DIED', `${WHAT}: the worker running the call died (${why})`));
    // Back to size: a replacement for a worker that died, or for calls still waiting.
    if (!this.#shutdown && this.#broken === undefined && this.#session._phase === Phase.Running) {
      if (this.#live() < this.#min) this.#spawn();
      this.#grow();
    }
    if (this.#workers.size === 0) for (const resolve of this.#gone.splice(0)) resolve();
  }

  /** Answers `call` once: through its wait (the kernel's queue), or directly when no queue can. */
  #finish(call: Call, ok: boolean, value: unknown): void {
    if (call.state === 'done') return;
    call.state = 'done';
    this.#pending--;
    this.#open.delete(call);
    const wait = call.wait;
    if (call.form === Form.Callback) {
      if (wait !== undefined) {
        call.wait = undefined;
        wait.destroy(); // its hold goes; the queued turn below holds the session now
      }
      const dest = call.session;
      if (dest === undefined || dest._phase === Phase.Running) {
        this.#kernel._wakeSoon(dest, () => continueWith(call, ok, value));
      }
    } else if (wait !== undefined && wait.waiting) {
      if (ok) wait.settle(value);
      else if (call.form === Form.Event) wait.reject(value);
      else wait.reject(value === SHUTDOWN ? shutdownError('the pool was shut down before the call was sent') : value);
    } else if (call.form === Form.Promise) {
      // Its session is gone (or the main line's run ended): settle what it awaits directly.
      call.wait?.answerNow(ok, !ok && value === SHUTDOWN ? shutdownError('the pool was shut down before the call was sent') : value);
    }
    this.#release();
  }

  /** A wait ended early: its timeout, its signal, or its session was freed. */
  #left(call: Call, w: Wait<unknown>): void {
    if (call.state === 'done') return;
    const sessionGone = w.session !== undefined && w.session._phase !== Phase.Running;
    call.state = 'done';
    this.#pending--;
    this.#open.delete(call);
    if (sessionGone && call.form === Form.Promise) {
      // A freed session's wait is dropped; what its code awaits still gets an answer.
      w.answerNow(false, shutdownError('the calling session stopped before the call was answered'));
    }
    // A prefetched call not started yet is withdrawn (the worker skips it) and its place filled;
    // a call in flight runs on, and its answer finds the call done and is dropped.
    for (const rec of this.#workers.values()) {
      if (rec.next === call && this.#withdraw(rec)) {
        this.#fill(rec);
        break;
      }
    }
    this.#release();
  }

  #hold(): void {
    this.#work.set(this.#pending > 0);
    this.#refWorkers();
  }

  #release(): void {
    if (this.#pending > 0) return;
    this.#work.set(false);
    this.#refWorkers();
  }

  /**
   * Workers keep Node's loop alive only while something waits for them (a call, `ready()`):
   * an idle pool does not keep a program from ending. Exiting ones stay ref'd until gone.
   */
  #refWorkers(): void {
    const on = this.#pending > 0 || this.#readyWaiters.length > 0;
    if (on === this.#reffed) return;
    this.#reffed = on;
    for (const rec of this.#workers.values()) if (rec.state !== 'closing') rec.handle.ref(on);
  }

  /**
   * The component's session is stopping (kernel.stop(), a terminal signal, the kernel's idle
   * end): the workers end now, and every call still pending gets an answer, outside the queue
   * (which is being emptied): promises reject and continuations run with `'shutdown'`. An
   * event-form call's session is gone or going with the kernel: it has no one to tell.
   */
  #stopped(): void {
    this.#work.dropped();
    const open = [...this.#open];
    const queued = this.#takeQueue();
    this.#shutdown = true;
    for (const rec of this.#workers.values()) {
      rec.call = undefined;
      rec.next = undefined;
      rec.state = 'closing';
      rec.handle.kill();
    }
    for (const c of [...queued, ...open]) {
      if (c.state === 'done') continue;
      c.state = 'done';
      this.#pending--;
      this.#open.delete(c);
      c.wait?.destroy();
      if (c.form === Form.Promise) c.wait?.answerNow(false, shutdownError('the kernel stopped with the call pending'));
      else if (c.form === Form.Callback) {
        try {
          continueWith(c, false, SHUTDOWN);
        } catch (err) {
          this.#kernel._warn(`${WHAT}: a continuation threw at kernel stop: ${String(err)}`);
        }
      }
    }
    this.#pending = 0;
  }
}

/** IO::Async::DetachedCode's name for the same component: `code` is the module and export. */
export class DetachedCode<A extends unknown[] = unknown[], R = unknown> extends Function<A, R> {
  /** IO::Async: `$loop->detach_code(code => ..., workers => ...)`; `code` is `{ module, export }` here. */
  static override create<A extends unknown[] = unknown[], R = unknown>(options: DetachedCodeOptions | FunctionOptions): DetachedCode<A, R> {
    if (options !== null && typeof options === 'object' && 'code' in options) {
      const { code, ...rest } = options;
      if (typeof code === 'function') moduleUrl(code);
      if (code === null || typeof code !== 'object') bad(`Expected DetachedCode option \`code\` to be { module, export }, got ${describe(code)}`);
      return new DetachedCode<A, R>({ ...rest, module: code.module, export: code.export });
    }
    return new DetachedCode<A, R>(options);
  }
}

function continueWith(call: Call, ok: boolean, value: unknown): void {
  if (call.onResult !== undefined) call.onResult(ok ? 'return' : 'error', value);
  else if (ok) call.onReturn!(value);
  else call.onError!(value);
}

function shutdownError(why: string): PoeError {
  return new PoeError('ERR_POE_POOL_SHUTDOWN', `${WHAT}: ${why} (shutdown)`);
}

function cloneError(err: unknown): PoeError {
  return new PoeError('ERR_POE_CLONE', `${WHAT}: the arguments cannot be cloned for a worker: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

function describeThrown(e: unknown): string {
  const t = e as { error?: boolean; message?: string; value?: unknown } | undefined;
  return t?.error === true ? (t.message ?? '') : String(t?.value);
}

/** The worker's thrown value as the caller sees it: an Error with the worker's name, message, stack and code. */
function rebuild(e: unknown): unknown {
  const t = e as { error: boolean; name?: string; message?: string; stack?: string; code?: string | number; value?: unknown };
  return t.error ? rebuildError(t.name, t.message, t.stack, t.code !== undefined ? { code: t.code } : undefined) : t.value;
}

/** A value no later code can change and a worker can receive: what needs no clone (a symbol cannot be sent). */
function isPrimitive(v: unknown): boolean {
  const t = typeof v;
  return v === null || (t !== 'object' && t !== 'function' && t !== 'symbol');
}
