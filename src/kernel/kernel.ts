import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { PoeArgumentError, PoeErrnoError, PoeStallError, describe, rejectUnknownKeys } from '../errors.js';
import { Context } from '../session/context.js';
import { type Session, type SessionId, isClass } from '../session/session.js';
import type { AnonEvent, EventArgs, EventName, EventReturn, SessionOrKernel, Untyped } from '../session/types.js';
import { AsyncScope, currentScope, runInScope } from './async-scope.js';
import { type Clock, type ClockTimer, SystemClock } from './clock.js';
import { errno as E, errnoName } from '../errno.js';
import { Processes } from './processes.js';
import { Fifo, ItemKind, QueueItem, TimerHeap, itemBefore } from './queue.js';
import { type TraceFlags, channels, traceFlagsFromEnv } from './trace.js';

/** A timer id as returned by `alarmSet`/`delaySet` (branded number). */
export type AlarmId = number & { readonly __brand?: 'AlarmId' };

/** What `alarmRemove` returns: POE's `(name, time, \@args)`. */
export type RemovedAlarm = [name: string, time: number, args: unknown[]];

/** Options of `new Kernel()`. */
export interface KernelOptions {
  /** Where time comes from. @default new SystemClock() */
  clock?: Clock;
  /**
   * Throw a `PoeErrnoError` where POE would set `$!` and return a failure value.
   * @default process.env.POE_ASSERT_DEFAULT is set and not "0"
   */
  assert?: boolean;
  /**
   * Trap exceptions in handlers and turn them into the DIE signal (POE's CATCH_EXCEPTIONS).
   * When off, the first exception stops the kernel and `run()` rejects with it.
   * @default process.env.POE_CATCH_EXCEPTIONS !== "0"
   */
  catchExceptions?: boolean;
  /**
   * Record the file and line of each `post`/`yield`/`call`/timer for `ctx.callerFile` and
   * `ctx.callerLine` (POE's CALLER_FILE/CALLER_LINE). Costs a stack capture per event.
   * @default process.env.POE_CALLER_INFO is set and not "0"
   */
  callerInfo?: boolean;
  /** Where warnings and traces go, one line each. @default a write to stderr */
  log?: (line: string) => void;
  /**
   * Events dispatched per macrotask before the kernel yields to Node's I/O.
   * @default 4096
   */
  batchLimit?: number;
  /**
   * The program `fork()` runs again in the child (see `forkProgram`).
   * @default process.argv[1]
   */
  program?: string;
  /**
   * The Node binary `fork()` starts (see `forkExecPath`).
   * @default process.execPath
   */
  execPath?: string;
}

const KERNEL_OPTION_KEYS = ['clock', 'assert', 'catchExceptions', 'callerInfo', 'log', 'batchLimit', 'program', 'execPath'] as const;

/** POE's signal classes (spec 1.11). */
const TERMINAL = new Set(['QUIT', 'INT', 'KILL', 'TERM', 'HUP', 'IDLE', 'DIE']);
const NONMASKABLE = new Set(['ZOMBIE', 'UIDESTROY']);
/** Signals Node cannot or should not listen for. */
const NO_OS_LISTENER = new Set(['KILL', 'STOP', 'CHLD', 'CLD']);

/** The one frame of a caller's formatted stack: `at fn (file:line:col)` or `at file:line:col`. */
const CALLER_FRAME = /\n\s*at (?:[^\n]*?\(([^\n]+):(\d+):\d+\)|([^\n]+):(\d+):\d+)\s*$/;

const DEFAULT_KERNEL_KEY = Symbol.for('poe-ts.kernel.v1');
const KERNEL_BRAND = Symbol.for('poe-ts.kernel.brand');

function envOn(name: string): boolean | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  return v !== '0';
}

/**
 * The details POE passes with a DIE signal (ARG1 of the watcher), in camelCase and, for ports,
 * in POE's snake_case spelling too.
 */
export interface DieInfo {
  sourceSession: SessionOrKernel;
  destSession: Session;
  event: string;
  file: string | undefined;
  line: number | undefined;
  fromState: string | undefined;
  errorStr: string;
  /** The thrown value itself. */
  error: unknown;
  source_session: SessionOrKernel;
  dest_session: Session;
  from_state: string | undefined;
  error_str: string;
}

/** One line of `kernel.ps()`. */
export interface SessionReport {
  id: SessionId;
  parent: SessionId | 'kernel';
  aliases: string[];
  phase: 'running' | 'stopping';
  /** Events queued to the session (timers included). */
  queued: number;
  /** Events the session queued to others, not yet delivered. */
  sent: number;
  timers: number;
  children: SessionId[];
  extrefs: Record<string, number>;
  /** Holds registered by wheels (I/O watchers) and child-process watches. */
  holds: number;
  /** Why the kernel keeps this session; empty means it will be collected. */
  aliveBecause: string[];
}

interface Watcher {
  readonly event: string;
  readonly extra: unknown[];
}

interface RunMode {
  kind: 'run' | 'slices' | 'while';
  slices: number;
  cond: (() => boolean) | undefined;
  resolve: (value: 1 | undefined) => void;
  reject: (error: unknown) => void;
  promise: Promise<1 | undefined>;
}

/** POE names signals without the SIG prefix: `SIGINT` and `INT` are one signal. */
function signalName(name: string): string {
  return name.length > 3 && name.startsWith('SIG') && name in osConstants.signals ? name.slice(3) : name;
}

function checkEvent(event: unknown, what: string): asserts event is string {
  if (typeof event !== 'string') {
    throw new PoeArgumentError('ERR_POE_KERNEL_BAD_EVENT', `Expected \`${what}\` event name to be a string, got ${describe(event)}`);
  }
}

function checkSeconds(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new PoeArgumentError('ERR_POE_KERNEL_BAD_TIME', `Expected \`${what}\` to be a finite number of seconds >= 0, got ${describe(value)}`);
  }
}

function formatError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The POE kernel: one queue of events and timers, the sessions it dispatches them to, and the
 * resources that keep those sessions alive (spec section 1).
 *
 * Every program has a default kernel (`poeKernel`); tests make their own with an injected
 * clock. The type parameter only types `yield`, `delay` and `alarm` for the session a handler
 * runs in (`ctx.kernel`); at run time there is one class.
 *
 * POE: `POE::Kernel`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface below types POE's snake_case aliases, installed on the prototype
export class Kernel<E = Untyped> {
  /** POE's `$!` after the last kernel call that sets it (0 on success where POE clears it). */
  errno = 0;

  readonly #clock: Clock;
  readonly #assert: boolean;
  readonly #catch: boolean;
  readonly #callerInfo: boolean;
  readonly #log: (line: string) => void;
  readonly #batchLimit: number;
  readonly #trace: TraceFlags;
  #id: string;

  // resources: sessions
  readonly #sessions = new Map<number, Session>();
  readonly #topLevel = new Set<Session>();
  #nextSessionId = 1;
  // resources: wheel ids
  readonly #wheelIds = new Set<number>();
  #nextWheelId = 1;
  // resources: aliases
  readonly #aliases = new Map<string, Session>();
  // resources: events
  readonly #fifo = new Fifo<Session | Kernel>();
  readonly #timers = new TimerHeap<Session | Kernel>();
  readonly #timersById = new Map<number, QueueItem<Session | Kernel>>();
  #seq = 0;
  #now = 0;
  /** Queued posts, timers and signals: everything but GC markers. */
  #userItems = 0;
  /** Queued GC markers: POE's idle test counts them as queued items too. */
  #gcItems = 0;
  // resources: signals
  readonly #watchers = new Map<string, Map<Session, Watcher>>();
  readonly #osListeners = new Map<string, () => void>();
  /** OS signals queued and not dispatched yet: a child forked now gets them too (POE copies its queue). */
  readonly #osPending = new Set<QueueItem<Session | Kernel>>();
  #sigHandled = false;
  #inDie = 0;
  /** Nesting of trapped dispatches; without the trap an exception unwinds to the outermost. */
  #depth = 0;
  // resources: extrefs and holds
  #extrefTags = 0;
  #holds = 0;
  // resources: child processes, sig_child watches, listeners shared with forked children
  readonly #processes: Processes;

  // dispatch state
  #active: Session | Kernel = this;
  #activeEvent = '';
  #marked: Session[] = [];
  #exception: unknown = undefined;
  #hasException = false;
  #stopping = false;
  #stopCalled = false;

  // loop state
  #mode: RunMode | undefined = undefined;
  /**
   * POE's kernel is a session of its own, made with the first session and stopped by the
   * IDLE it sends itself one slice after every other session is gone; only
   * `runOneTimeslice` can see that slice (it returns 1 once more).
   */
  #kernelSlicePending = false;
  #wakeScheduled = false;
  #inPump = false;
  #clockTimer: ClockTimer | undefined = undefined;
  #clockTimerDue = Infinity;
  #beforeExitInstalled = false;
  /** Session-bound calls already warned about being made outside any handler (#noSession). */
  readonly #warnedNoSession = new Set<string>();
  /**
   * Keeps Node's loop alive while the kernel runs and watches an OS signal: a signal can wake
   * it, so it is waiting, not stalled (a session held by an extra reference and watching TERM
   * waits in POE until TERM comes). Node's own signal listeners keep nothing alive.
   */
  #signalWait: NodeJS.Timeout | undefined = undefined;
  #lastLeaks: string[] = [];

  static #dispatching: Kernel | undefined = undefined;

  constructor(options: KernelOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected Kernel options to be an object, got ${describe(options)}`);
    }
    rejectUnknownKeys('Kernel', options, KERNEL_OPTION_KEYS);
    const clock = options.clock ?? new SystemClock();
    if (typeof clock.now !== 'function' || typeof clock.setTimer !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`clock\` to implement Clock, got ${describe(clock)}`);
    }
    for (const key of ['assert', 'catchExceptions', 'callerInfo'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'boolean') {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${key}\` to be a boolean, got ${describe(options[key])}`);
      }
    }
    if (options.log !== undefined && typeof options.log !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`log\` to be a function, got ${describe(options.log)}`);
    }
    for (const key of ['program', 'execPath'] as const) {
      if (options[key] !== undefined && (typeof options[key] !== 'string' || options[key] === '')) {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${key}\` to be a non-empty path, got ${describe(options[key])}`);
      }
    }
    const batch = options.batchLimit ?? 4096;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`batchLimit\` to be a positive integer, got ${describe(options.batchLimit)}`);
    }
    this.#clock = clock;
    this.#assert = options.assert ?? envOn('POE_ASSERT_DEFAULT') ?? false;
    this.#catch = options.catchExceptions ?? envOn('POE_CATCH_EXCEPTIONS') ?? true;
    this.#callerInfo = options.callerInfo ?? envOn('POE_CALLER_INFO') ?? false;
    this.#log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
    this.#batchLimit = batch;
    this.#trace = traceFlagsFromEnv();
    this.#now = clock.now();
    this.#id = Kernel.#makeId();
    this.#processes = new Processes(
      {
        post: (session, event, args) => this.#enqueueFromKernel(ItemKind.Post, session, event, args),
        broadcast: (name, args) => {
          if (this.#sessions.size > 0) this.#enqueueFromKernel(ItemKind.Signal, this, name, args);
        },
        hold: (session, delta) => this._hold(session, delta),
        chldWatched: () => this.#watchers.has('CHLD'),
        warn: (message) => this.#warn(message),
        signals: () => ({
          watched: [...this.#osListeners.keys()],
          pending: [...this.#osPending].filter((item) => item.dest !== null).map((item) => item.name),
        }),
        deliverSignal: (name) => {
          if (!this.#osListeners.has(name)) return false;
          this.#osSignal(name);
          return true;
        },
      },
      options.program,
      options.execPath,
    );
    Object.defineProperty(this, KERNEL_BRAND, { value: true });
  }

  static #idSeq = 0;
  static #makeId(): string {
    const hex = (n: number) => Math.floor(n).toString(16).padStart(8, '0');
    return `${hostname()}-${hex(Date.now() / 1000)}-${hex(process.pid)}-${hex(++Kernel.#idSeq)}`;
  }

  /** The process's default kernel, shared by the ESM and CJS builds. POE: `$poe_kernel`. */
  static get default(): Kernel {
    const g = globalThis as Record<symbol, unknown>;
    let k = g[DEFAULT_KERNEL_KEY] as Kernel | undefined;
    if (k === undefined) {
      k = new Kernel();
      Object.defineProperty(g, DEFAULT_KERNEL_KEY, { value: k, enumerable: false });
    }
    return k;
  }

  /**
   * The kernel dispatching an event right now (or whose async handler is running on after an
   * `await`), else the default kernel.
   */
  static current(): Kernel {
    return Kernel.#dispatching ?? currentScope()?.kernel ?? Kernel.default;
  }

  /** True for a kernel from either build (ESM or CJS) of poe-ts. */
  static isKernel(value: unknown): value is Kernel {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[KERNEL_BRAND] === true;
  }

  /** The kernel's id: `host-hextime-hexpid-hexseq`. Do not parse it. POE: `$kernel->ID`. */
  get ID(): string {
    return this.#id;
  }

  /** The clock this kernel reads. */
  get clock(): Clock {
    return this.#clock;
  }

  /** The kernel stands for itself wherever a session may be named (spec 1.1). */
  toString(): string {
    return this.#id;
  }

  // ------------------------------------------------------------------------------------------
  // errors

  #fail<T>(code: number, message: string, value: T): T {
    this.errno = code;
    if (this.#assert) throw new PoeErrnoError(code, errnoName(code), message);
    return value;
  }

  #warn(message: string): void {
    this.#log(message);
  }

  // ------------------------------------------------------------------------------------------
  // resolution (spec 1.1): session object or its string, then ID, then alias, then the kernel

  #resolve(target: unknown): Session | Kernel | undefined {
    if (typeof target === 'string') {
      const alias = this.#aliases.get(target);
      const c = target.charCodeAt(0);
      if (c >= 48 && c <= 57) {
        const n = Number(target);
        if (Number.isInteger(n)) {
          const s = this.#sessions.get(n);
          if (s !== undefined) return s;
        }
      } else if (c === 80 && target.startsWith('POE::Session(')) {
        const m = /^POE::Session\((\d+)\)$/.exec(target);
        const s = m ? this.#sessions.get(Number(m[1])) : undefined;
        if (s !== undefined) return s;
      }
      if (alias !== undefined) return alias;
      if (target === this.#id) return this;
      return undefined;
    }
    if (typeof target === 'number') {
      return this.#sessions.get(target) ?? this.#aliases.get(String(target));
    }
    if (target === this) return this;
    if (typeof target === 'object' && target !== null) {
      const s = this.#sessions.get((target as Session)._id);
      return s === target ? s : undefined;
    }
    return undefined;
  }

  #activeSession(what: string): Session | undefined {
    const a = this.#active;
    if (a === this) return this.#noSession(what, undefined);
    return a as Session;
  }

  /**
   * A session-bound call with no session to act for: ESRCH, as outside any handler (differences
   * 10). While the kernel runs that means a callback, or code after an `await` in a handler
   * that is not an `async` function, and the kernel says so once per call name.
   */
  #noSession<T>(what: string, value: T): T {
    if (this.#mode !== undefined && this.#depth === 0 && !this.#inPump && !this.#warnedNoSession.has(what)) {
      this.#warnedNoSession.add(what);
      this.#warn(
        `poe-ts: ${what} was called outside any handler while the kernel runs (from a callback, or after an await in a handler that is not an async function?); there is no session to act for, so it fails with ESRCH`,
      );
    }
    return this.#fail(E.ESRCH, `${what} needs an active session (call it from a handler)`, value);
  }

  /**
   * Outside any dispatch, in code an `async` handler runs after an `await`: that handler's
   * scope, when it is this kernel's and its session still lives. Session-bound calls made
   * there act for that session (#asScope), as they would have before the `await`.
   */
  #scoped(what: string): AsyncScope | undefined {
    const scope = currentScope();
    if (scope === undefined || scope.kernel !== this) return undefined;
    if (scope.session._phase === 2) {
      if (!scope.warned) {
        scope.warned = true;
        this.#warn(`poe-ts: ${what} after an await in async handler '${scope.event}' of session ${scope.session._id}, which has stopped: it acts for no session`);
      }
      return undefined;
    }
    return scope;
  }

  /**
   * A session-bound call made with no session active: again as the async handler whose code
   * runs (#scoped), or the ESRCH of a call outside any handler (#noSession).
   */
  #outside<T>(what: string, method: (...args: never[]) => T, args: unknown[], failed: T): T {
    const scope = this.#scoped(what);
    return scope !== undefined ? this.#again(scope, method, args) : this.#noSession(what, failed);
  }

  /** Calls `method` again with `args`, as the scope's session: the prologue of session-bound calls. */
  #again<T>(scope: AsyncScope, method: (...args: never[]) => T, args: unknown[]): T {
    return this.#asScope(scope, () => (method as (...a: unknown[]) => T).apply(this, args));
  }

  /** Runs `fn` as the scope's session and event, then back outside any handler. */
  #asScope<T>(scope: AsyncScope, fn: () => T): T {
    const prevKernel = Kernel.#dispatching;
    this.#active = scope.session;
    this.#activeEvent = scope.event;
    Kernel.#dispatching = this;
    try {
      return fn();
    } finally {
      this.#active = this;
      this.#activeEvent = '';
      Kernel.#dispatching = prevKernel;
    }
  }

  // ------------------------------------------------------------------------------------------
  // caller info (POE's CALLER_FILE / CALLER_LINE)

  #caller(skip: (...args: never[]) => unknown): [string | undefined, number | undefined] {
    // First through the installed stack formatter (Node's --enable-source-maps, vitest,
    // source-map-support): POE's CALLER_LINE is a line of the program as written, and raw V8
    // call sites give lines of the transpiled output instead (probe 23).
    const formatted: { stack?: unknown } = {};
    const limit = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 1;
      Error.captureStackTrace(formatted, skip);
      const m = typeof formatted.stack === 'string' ? CALLER_FRAME.exec(formatted.stack) : null;
      if (m !== null) return [m[1] ?? m[3], Number(m[2] ?? m[4])];
    } catch {
      // a formatter that throws: fall back to the raw call sites
    } finally {
      Error.stackTraceLimit = limit;
    }
    const holder: { stack?: NodeJS.CallSite[] } = {};
    const prepare = Error.prepareStackTrace;
    try {
      Error.prepareStackTrace = (_e, sites) => sites;
      Error.stackTraceLimit = 1;
      Error.captureStackTrace(holder, skip);
      const site = holder.stack?.[0];
      return [site?.getFileName() ?? undefined, site?.getLineNumber() ?? undefined];
    } finally {
      Error.prepareStackTrace = prepare;
      Error.stackTraceLimit = limit;
    }
  }

  // ------------------------------------------------------------------------------------------
  // queue

  #stampFifo(): number {
    // Posts are stamped with the last clock reading. Every timer call reads the clock first,
    // so a post made after a timer in the same handler is never stamped before it (probe 05).
    return this.#now;
  }

  #enqueue(kind: ItemKind, dest: Session | Kernel, name: string, args: unknown[], file: string | undefined, line: number | undefined): QueueItem<Session | Kernel> {
    const source = this.#active;
    const item = new QueueItem<Session | Kernel>(this.#stampFifo(), ++this.#seq, kind, dest, source, name, args, this.#activeEvent || undefined, file, line);
    this.#count(item);
    this.#fifo.push(item);
    if (!this.#wakeScheduled && !this.#inPump && this.#mode !== undefined) this.#scheduleWake();
    return item;
  }

  #count(item: QueueItem<Session | Kernel>): void {
    const dest = item.dest;
    if (dest !== this) (dest as Session)._evTo++;
    const source = item.source;
    if (source !== dest && source !== this) (source as Session)._evFrom++;
    if (item.kind !== ItemKind.Gc) this.#userItems++;
    else this.#gcItems++;
  }

  /** Undoes #count for an item leaving the queue (dispatched or purged). */
  #uncount(item: QueueItem<Session | Kernel>): void {
    const dest = item.dest;
    if (dest !== this && dest !== null) {
      const s = dest as Session;
      if (--s._evTo === 0) this.#mark(s);
    }
    const source = item.source;
    if (source !== dest && source !== this) {
      const s = source as Session;
      if (--s._evFrom === 0) this.#mark(s);
    }
    if (item.kind !== ItemKind.Gc) this.#userItems--;
    else this.#gcItems--;
  }

  #addTimer(session: Session, name: string, due: number, wall: number, reportWall: boolean, args: unknown[], skip: (...args: never[]) => unknown): QueueItem<Session | Kernel> {
    const [file, line] = this.#callerInfo ? this.#caller(skip) : [undefined, undefined];
    const item = new QueueItem<Session | Kernel>(due, ++this.#seq, ItemKind.Timer, session, session, name, args, this.#activeEvent || undefined, file, line, wall, reportWall);
    this.#count(item);
    this.#timers.push(item);
    this.#timersById.set(item.seq, item);
    (session._timers ??= new Set()).add(item);
    if (!this.#inPump && this.#mode !== undefined) {
      if (due < this.#clockTimerDue && !this.#wakeScheduled) this.#scheduleWake();
    }
    return item;
  }

  #removeTimer(item: QueueItem<Session | Kernel>): void {
    this.#timers.remove(item);
    this.#timersById.delete(item.seq);
    (item.dest as Session)._timers?.delete(item);
    this.#uncount(item);
    item.dest = null;
  }

  // ------------------------------------------------------------------------------------------
  // the loop

  #scheduleWake(): void {
    this.#wakeScheduled = true;
    setImmediate(this.#pump);
  }

  readonly #onClockTimer = (): void => {
    this.#clockTimer = undefined;
    this.#clockTimerDue = Infinity;
    if (!this.#wakeScheduled) this.#pump();
  };

  readonly #pump = (): void => {
    this.#wakeScheduled = false;
    const mode = this.#mode;
    if (mode === undefined || this.#inPump) return;
    this.#inPump = true;
    let budget = this.#batchLimit;
    let paused = false;
    try {
      while (this.#sessions.size > 0) {
        if (mode.cond !== undefined && !mode.cond()) {
          paused = true;
          break;
        }
        const n = this.#slice();
        if (n === 0 || this.#mode !== mode) break;
        if (mode.kind === 'slices' && --mode.slices <= 0) {
          paused = true;
          break;
        }
        budget -= n;
        if (budget <= 0) break;
      }
    } finally {
      this.#inPump = false;
    }
    if (this.#mode !== mode) return;
    if (this.#sessions.size === 0) this.#finish();
    else if (paused) this.#settle(1);
    else this.#arm();
  };

  /** Arranges the next wake-up: at once for queued work, else at the next timer. */
  #arm(): void {
    if (this.#wakeScheduled) return;
    if (this.#fifo.length > 0) {
      this.#scheduleWake();
      return;
    }
    if (this.#isIdle()) {
      // Only the next slice's idle test can raise IDLE; a batch that ended on its budget
      // must not leave an idle kernel waiting for nothing.
      this.#scheduleWake();
      return;
    }
    const top = this.#timers.peek();
    if (top === undefined) {
      // Waiting on I/O or on outside callers (extrefs). A clock timer left armed would keep
      // Node's loop alive for nothing, so it goes.
      if (this.#clockTimer !== undefined) {
        this.#clock.clearTimer(this.#clockTimer);
        this.#clockTimer = undefined;
        this.#clockTimerDue = Infinity;
      }
      return;
    }
    // A clock timer due no later than the earliest timer can stay: when it fires early, the
    // slice finds nothing due and this re-arms. So removing the earliest timer (a request
    // timeout cleared, on every request) costs no clearTimeout/setTimeout pair.
    if (this.#clockTimer !== undefined && this.#clockTimerDue <= top.prio) return;
    const wait = top.prio - this.#clock.now();
    if (wait <= 0) {
      this.#scheduleWake();
      return;
    }
    if (this.#clockTimer !== undefined) this.#clock.clearTimer(this.#clockTimer);
    this.#clockTimerDue = top.prio;
    this.#clockTimer = this.#clock.setTimer(this.#onClockTimer, wait);
  }

  #isIdle(): boolean {
    return this.#queueIdle() && this.#extrefTags === 0 && this.#sessions.size > 0 && !this.#processes.awaiting();
  }

  /**
   * Nothing queued (GC markers count: a new session's marker keeps the kernel busy, so a
   * session whose only resource is an IDLE watcher is collected before any IDLE) and no
   * watched handles. The ZOMBIE re-check after a handled IDLE looks at only this (POE's
   * `_invoke_state`): extra references taken in the IDLE handler do not prevent ZOMBIE.
   */
  #queueIdle(): boolean {
    return this.#userItems === 0 && this.#gcItems === 0 && this.#holds === 0;
  }

  /** One POE timeslice (spec 1.3): idle test, then everything due now, then a GC sweep. */
  #slice(): number {
    if (this.#isIdle()) {
      this.#traceSignal('IDLE', 'kernel is idle');
      this.#enqueueSignalFromKernel(this, 'IDLE', []);
    }
    const heap = this.#timers;
    // With no timers pending nothing needs comparing against the time; save the clock read.
    const now = heap.size > 0 ? (this.#now = this.#clock.now()) : this.#now;
    const fifo = this.#fifo;
    const cutoff = fifo.tail;
    let n = 0;
    for (;;) {
      const f = fifo.head < cutoff ? fifo.items[fifo.head] : undefined;
      const t = heap.items[0];
      let item: QueueItem<Session | Kernel>;
      if (t !== undefined && t.prio <= now && (f === undefined || itemBefore(t, f))) {
        heap.pop();
        this.#timersById.delete(t.seq);
        (t.dest as Session)._timers?.delete(t);
        item = t;
      } else if (f !== undefined) {
        fifo.shift();
        if (f.dest === null) continue; // purged
        item = f;
      } else break;
      n++;
      this.#dispatchItem(item);
      if (this.#hasException && !this.#stopping) this.#stopAll();
      if (this.#stopping) break; // stop() or an unhandled exception ends the slice
    }
    fifo.compact();
    this.#sweep();
    return n;
  }

  #dispatchItem(item: QueueItem<Session | Kernel>): void {
    const dest = item.dest!;
    this.#uncount(item);
    item.dest = null;
    switch (item.kind) {
      case ItemKind.Post:
      case ItemKind.Timer:
        if (dest !== this) {
          const ret = this.#invoke(dest as Session, item.source as SessionOrKernel, item.name, item.args, item.file, item.line, item.fromState);
          if (ret !== undefined && isThenable(ret)) this.#pending(ret, dest as Session, item.source as SessionOrKernel, item.name, false, item.file, item.line, item.fromState);
        }
        break;
      case ItemKind.Signal:
        if (dest === this && this.#osPending.size > 0) this.#osPending.delete(item);
        this.#dispatchSignal(dest, item.name, item.args);
        break;
      default:
        break; // GC marker: its only job was to hold the session until now
    }
  }

  /**
   * Dispatches with POE's exception trap; restores the active session and event after. A
   * promise the handler returns is the caller's to follow (#pending): this is the hot path,
   * kept small enough for V8 to inline.
   */
  #invoke(session: Session, sender: SessionOrKernel, event: string, args: unknown[], file: string | undefined, line: number | undefined, fromState: string | undefined): unknown {
    const prevActive = this.#active;
    const prevEvent = this.#activeEvent;
    const prevKernel = Kernel.#dispatching;
    this.#active = session;
    this.#activeEvent = event;
    Kernel.#dispatching = this;
    this.#depth++;
    try {
      return this.#handle(session, sender, event, args, file, line, fromState);
    } catch (err) {
      // Without POE's trap the exception unwinds through call() and create() like any other;
      // only the outermost dispatch, which Node's loop would otherwise receive, stops here.
      if (!this.#catch && this.#depth > 1) throw err;
      this.#handlerFailed(err, session, sender, event, file, line, fromState);
      return undefined;
    } finally {
      this.#depth--;
      this.#active = prevActive;
      this.#activeEvent = prevEvent;
      Kernel.#dispatching = prevKernel;
    }
  }

  /**
   * A dispatch the kernel makes itself (`_start`, `_stop`, `_child`, `_parent`, signal
   * watchers): trapped, and a promise the handler returns is the kernel's to follow.
   */
  #dispatch(session: Session, sender: SessionOrKernel, event: string, args: unknown[]): unknown {
    const ret = this.#invoke(session, sender, event, args, undefined, undefined, undefined);
    if (ret !== undefined && isThenable(ret)) this.#pending(ret, session, sender, event, false, undefined, undefined, undefined);
    return ret;
  }

  /** Finds the handler (or `_default`) and runs it. No trap: self-calls use this directly. */
  #handle(session: Session, sender: SessionOrKernel, event: string, args: unknown[], file: string | undefined, line: number | undefined, fromState: string | undefined): unknown {
    let entry = session._handlers.get(event);
    let state = event;
    // Most sessions have no options (and no map of them): no lookups per dispatch.
    const options = session._options;
    if (entry === undefined) {
      entry = session._handlers.get('_default');
      if (entry === undefined) {
        this.errno = E.ENOSYS;
        if (event !== '_signal' && options?.get('default')) {
          this.#warn(`a '${event}' event was sent from ${file ?? '?'} at ${line ?? '?'} to session ${session._id} but session ${session._id} has neither a handler for it nor one for _default`);
        }
        return undefined;
      }
      if (options?.get('trace')) this.#warn(`${session._id} -> ${event} redirected to _default`);
      args = [event, args.slice()];
      state = '_default';
    }
    if (options?.get('trace')) this.#warn(`${session._id} -> ${state} (from ${file ?? '?'} at ${line ?? '?'})`);
    if (this.#trace.events) this.#warn(`<ev> dispatching '${state}' to session ${session._id}`);
    if (channels.dispatch.hasSubscribers) channels.dispatch.publish({ kernel: this, session, event: state, sender, args });
    const fn = entry.fn;
    // A wheel's own I/O state takes only its arguments: no context to build.
    if (entry.raw === true) return fn(...args);
    const object = entry.object;
    const ctx = new Context(this as Kernel, session, session._heap, state, sender, object, file, line, fromState);
    if (entry.async) return this.#handleAsync(session, state, fn, object, ctx, args);
    switch (args.length) {
      case 0:
        return fn.call(object, ctx);
      case 1:
        return fn.call(object, ctx, args[0]);
      case 2:
        return fn.call(object, ctx, args[0], args[1]);
      case 3:
        return fn.call(object, ctx, args[0], args[1], args[2]);
      default:
        return fn.call(object, ctx, ...args);
    }
  }

  /**
   * An `async` handler runs in its scope (AsyncScope): its code after an `await` finds its
   * session there. Out of #handle, so the closure costs nothing to other handlers.
   */
  #handleAsync(session: Session, state: string, fn: (...args: unknown[]) => unknown, object: unknown, ctx: Context<unknown, unknown>, args: unknown[]): unknown {
    return runInScope(new AsyncScope(this as Kernel, session, state), () => fn.call(object, ctx, ...args));
  }

  /**
   * A handler returned a promise (an `async` handler): it holds its session until it settles,
   * as a wheel does while it watches. Its rejection is DIE like a synchronous throw, since
   * nobody else sees it (never an unhandled rejection that kills the process); except for a
   * `call`, whose caller gets a promise of the same outcome and owns it.
   */
  #pending(
    promise: PromiseLike<unknown>,
    session: Session,
    sender: SessionOrKernel,
    event: string,
    callerOwns: boolean,
    file: string | undefined,
    line: number | undefined,
    fromState: string | undefined,
  ): PromiseLike<unknown> {
    const running = (session._async ??= []);
    running.push(event);
    this._hold(session, 1);
    const done = (): void => {
      running.splice(running.lastIndexOf(event), 1);
      this._hold(session, -1);
    };
    if (callerOwns) {
      return promise.then(
        (value) => {
          done();
          return value;
        },
        (err: unknown) => {
          done();
          throw err;
        },
      );
    }
    promise.then(done, (err: unknown) => {
      done();
      if (session._phase === 2) {
        this.#warn(`poe-ts: async handler '${event}' of stopped session ${session._id} rejected: ${formatError(err)}`);
        return;
      }
      this.#handlerFailed(err, session, sender, event, file, line, fromState);
      if (this.#mode !== undefined && !this.#inPump && !this.#wakeScheduled) this.#arm();
    });
    return promise;
  }

  #handlerFailed(err: unknown, session: Session, sender: SessionOrKernel, event: string, file: string | undefined, line: number | undefined, fromState: string | undefined): void {
    if (channels.error.hasSubscribers) channels.error.publish({ kernel: this, error: err, session, event });
    if (this.#trace.exceptions) this.#warn(`<ex> handler '${event}' of session ${session._id} threw: ${formatError(err)}`);
    if (!this.#catch) {
      this.#recordException(err);
      if (!this.#stopping) this.#stopAll();
      return;
    }
    if (event === '_stop' || this.#inDie > 0 || this.#stopCalled) {
      this.#recordException(err);
      return;
    }
    const info: DieInfo = {
      sourceSession: sender,
      destSession: session,
      event,
      file,
      line,
      fromState,
      errorStr: formatError(err),
      error: err,
      source_session: sender,
      dest_session: session,
      from_state: fromState,
      error_str: formatError(err),
    };
    this.#enqueueSignalFromKernel(session, 'DIE', [info]);
  }

  #recordException(err: unknown): void {
    if (!this.#hasException) {
      this.#hasException = true;
      this.#exception = err;
    } else {
      // POE appends later errors to the first; keep the first and chain the rest.
      const first = this.#exception;
      if (first !== null && typeof first === 'object') {
        const extra = ((first as { additionalErrors?: unknown[] }).additionalErrors ??= []);
        extra.push(err);
      } else {
        this.#warn(`poe-ts: additional error thrown in handler for previous error: ${formatError(err)}`);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // garbage collection (spec 1.8)

  #mark(s: Session): void {
    // POE marks a session each time its reference count drops to zero, and #sweep takes
    // the newest mark first; a session marked again is pushed again (spec 1.8).
    if (s._phase === 0 && !this.#alive(s)) {
      s._gcMarked = true;
      this.#marked.push(s);
    }
  }

  #aliveReasons(s: Session): string[] {
    const why: string[] = [];
    if (s._evTo > 0) why.push(`${s._evTo} event(s) queued to it`);
    if (s._evFrom > 0) why.push(`${s._evFrom} event(s) it sent are pending`);
    if (s._children.size > 0) why.push(`${s._children.size} child session(s)`);
    if (s._aliases !== undefined && s._aliases.size > 0) why.push(`alias(es) ${[...s._aliases].sort().join(', ')}`);
    if (s._extrefs !== undefined && s._extrefs.size > 0) why.push(`extra reference(s) ${[...s._extrefs.keys()].join(', ')}`);
    if (s._holds > 0) {
      // Name what holds it: async handlers still running, wheels and watchers by name, and
      // whatever is left (sig_child watches).
      let other = s._holds;
      if (s._async !== undefined && s._async.length > 0) {
        why.push(`async handler(s) still running: ${s._async.join(', ')}`);
        other -= s._async.length;
      }
      const owners: string[] = [];
      for (const thing of s._owned ?? []) {
        const name = thing._holdName;
        if (name === undefined) continue;
        owners.push(name);
        other -= thing._holdCount ?? 1;
      }
      if (owners.length > 0) why.push(`held by ${owners.join(', ')}`);
      const pids = this.#processes.watchedPids(s);
      if (pids.length > 0) why.push(`sig_child watch(es) on pid(s) ${pids.join(', ')}`);
      other -= pids.length;
      if (other > 0) why.push(`${other} other hold(s)`);
    }
    return why;
  }

  #alive(s: Session): boolean {
    return (
      s._evTo > 0 ||
      s._evFrom > 0 ||
      s._children.size > 0 ||
      s._holds > 0 ||
      (s._aliases !== undefined && s._aliases.size > 0) ||
      (s._extrefs !== undefined && s._extrefs.size > 0)
    );
  }

  #sweep(): void {
    while (this.#marked.length > 0) {
      const marked = this.#marked;
      this.#marked = [];
      // Newest mark first, as POE's `reverse @kr_marked_for_gc`: sessions released in the
      // same batch stop in the reverse order of their release (probe 25).
      for (let i = marked.length - 1; i >= 0; i--) {
        const s = marked[i]!;
        if (!s._gcMarked) continue; // already taken at a later mark
        s._gcMarked = false;
        if (s._phase === 0 && !this.#alive(s)) {
          if (this.#trace.sessions) this.#warn(`<ss> garbage-collecting session ${s._id}`);
          this.#stopSession(s);
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // sessions (spec 1.6)

  /** @internal Called by Session.create when there is no `_start`: POE warns and returns undef. */
  _noStart(): void {
    if (this.#assert) throw new PoeArgumentError('ERR_POE_SESSION_NO_START', "discarding session - no '_start' state");
    this.#warn("discarding session - no '_start' state");
  }

  /** @internal A postback or callback was garbage-collected without release(). */
  _dropAnonRef(id: number): void {
    if (this.#sessions.has(id)) this.refcountDecrement(id, 'anon_event');
  }

  /** @internal Registers a new session, runs `_start` and `_child(create)`. */
  _register(session: Session, args: unknown[]): void {
    if (this.#active === this) {
      const scope = this.#scoped('Session.create');
      if (scope !== undefined) return this.#again(scope, this._register, [session, args]);
    }
    this.#kernelSlicePending = true;
    while (this.#sessions.has(this.#nextSessionId)) this.#nextSessionId++;
    session._id = this.#nextSessionId++;
    const active = this.#active;
    const parent = active === this ? undefined : (active as Session);
    session._parent = parent;
    (parent !== undefined ? parent._children : this.#topLevel).add(session);
    this.#sessions.set(session._id, session);
    if (this.#trace.sessions) this.#warn(`<ss> session ${session._id} created by ${parent ? `session ${parent._id}` : 'the kernel'}`);
    const ret = this.#dispatch(session, parent ?? this, '_start', args);
    const now = session._parent;
    if (session._phase === 0 && now !== undefined) this.#dispatch(now, this, '_child', ['create', session, ret]);
    if (channels.sessionStart.hasSubscribers) channels.sessionStart.publish({ kernel: this, session, parent: session._parent ?? this });
    // The deferred GC marker holds the new session until the queue reaches it (probe 25).
    if (session._phase === 0) {
      const saved = this.#active;
      this.#active = session;
      this.#enqueue(ItemKind.Gc, session, '_garbage_collect', [], undefined, undefined);
      this.#active = saved;
    }
  }

  #stopSession(s: Session): void {
    if (s._phase !== 0) return;
    s._phase = 1;
    const parent = s._parent;
    for (const child of [...s._children]) {
      if (parent !== undefined) this.#dispatch(parent, this, '_child', ['gain', child, undefined]);
      if (child._phase === 0) this.#dispatch(child, this, '_parent', [s, parent ?? this]);
    }
    const ret = this.#dispatch(s, this.#active, '_stop', []);
    const p = s._parent;
    if (p !== undefined && p._phase !== 2) this.#dispatch(p, this, '_child', ['lose', s, ret]);
    this.#freeSession(s);
  }

  #freeSession(s: Session): void {
    const parent = s._parent;
    if (parent !== undefined) {
      parent._children.delete(s);
      this.#mark(parent);
    } else this.#topLevel.delete(s);
    // Children left behind (made during _stop, say) move to the grandparent silently (G24).
    for (const child of s._children) {
      child._parent = parent;
      (parent !== undefined ? parent._children : this.#topLevel).add(child);
    }
    s._children.clear();
    for (const [name, watchers] of this.#watchers) {
      if (watchers.delete(s) && watchers.size === 0) this.#dropWatchers(name);
    }
    if (s._aliases !== undefined) {
      for (const alias of s._aliases) this.#aliases.delete(alias);
      s._aliases = undefined;
    }
    if (s._extrefs !== undefined) {
      this.#extrefTags -= s._extrefs.size;
      s._extrefs = undefined;
    }
    // A stopped session's wheels stop too: POE removes its file-handle watchers (spec 1.6
    // step 5) and Perl then destroys the wheels with the heap.
    if (s._owned !== undefined) {
      const owned = [...s._owned];
      s._owned = undefined;
      for (const thing of owned) {
        try {
          thing.destroy();
        } catch (err) {
          this.#warn(`poe-ts: destroying a resource of session ${s._id} failed: ${formatError(err)}`);
        }
      }
    }
    this.#processes.dropSession(s);
    this.#holds -= s._holds;
    s._holds = 0;
    if (s._timers !== undefined) {
      for (const t of [...s._timers]) this.#removeTimer(t);
      s._timers = undefined;
    }
    // Every queued event sent to or by the session goes (spec 1.6 step 5, G3, G4).
    if (s._evTo > 0 || s._evFrom > 0) {
      for (const item of this.#fifo.live()) {
        if (item.dest === s || item.source === s) {
          this.#uncount(item);
          item.dest = null;
        }
      }
    }
    this.#sessions.delete(s._id);
    s._phase = 2;
    if (this.#trace.sessions) this.#warn(`<ss> session ${s._id} freed`);
    if (channels.sessionStop.hasSubscribers) channels.sessionStop.publish({ kernel: this, session: s });
  }

  /** Stops every session, deepest first, with `_stop` and `_child(lose)` (spec 1.13, G22). */
  #stopAll(): void {
    this.#stopping = true;
    const all = this.#descendants(undefined);
    for (let i = all.length - 1; i >= 0; i--) this.#stopSession(all[i]!);
    this.#fifo.clear();
    this.#timers.clear();
    this.#timersById.clear();
    this.#userItems = 0;
    this.#gcItems = 0;
  }

  /** Breadth-first: `root` (or the top-level sessions) and every descendant. */
  #descendants(root: Session | undefined): Session[] {
    const out: Session[] = root !== undefined ? [root] : [...this.#topLevel];
    for (let i = 0; i < out.length; i++) for (const child of out[i]!._children) out.push(child);
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // signals (spec 1.11)

  #enqueueSignalFromKernel(dest: Session | Kernel, name: string, args: unknown[]): void {
    this.#enqueueFromKernel(ItemKind.Signal, dest, name, args);
  }

  /** Queues an item with SENDER = the kernel, whatever handler is running. */
  #enqueueFromKernel(kind: ItemKind, dest: Session | Kernel, name: string, args: unknown[]): QueueItem<Session | Kernel> {
    const saved = this.#active;
    const savedEvent = this.#activeEvent;
    this.#active = this;
    this.#activeEvent = '';
    const item = this.#enqueue(kind, dest, name, args, undefined, undefined);
    this.#active = saved;
    this.#activeEvent = savedEvent;
    return item;
  }

  #traceSignal(name: string, what: string): void {
    if (this.#trace.signals) this.#warn(`<sg> ${name}: ${what}`);
  }

  #dispatchSignal(dest: Session | Kernel, name: string, args: unknown[]): void {
    let touched = this.#descendants(dest === this ? undefined : (dest as Session));
    const die = name === 'DIE';
    if (die && dest !== this) {
      const ancestors: Session[] = [];
      for (let p = (dest as Session)._parent; p !== undefined; p = p._parent) ancestors.unshift(p);
      touched = [...ancestors, ...touched];
    }
    const prevHandled = this.#sigHandled;
    this.#sigHandled = false;
    if (die) this.#inDie++;
    const watchers = this.#watchers.get(name);
    try {
      if (watchers !== undefined) {
        for (let i = touched.length - 1; i >= 0; i--) {
          const s = touched[i]!;
          if (s._phase === 2) continue;
          const w = watchers.get(s);
          if (w === undefined) continue;
          this.#traceSignal(name, `dispatching to session ${s._id} as '${w.event}'`);
          this.#dispatch(s, this, w.event, [name, ...args, ...w.extra]);
        }
      }
    } finally {
      if (die) this.#inDie--;
    }
    const handled = this.#sigHandled;
    this.#sigHandled = prevHandled;
    if (channels.signal.hasSubscribers) channels.signal.publish({ kernel: this, target: dest, signal: name, args, handled });
    // The kernel's own part comes last: a handled IDLE that leaves it idle becomes ZOMBIE.
    if (dest === this && name === 'IDLE' && handled && this.#queueIdle()) {
      this.#traceSignal('ZOMBIE', 'IDLE was handled but nothing changed');
      this.#enqueueSignalFromKernel(this, 'ZOMBIE', []);
    }
    if (NONMASKABLE.has(name) || (TERMINAL.has(name) && !handled)) {
      for (let i = touched.length - 1; i >= 0; i--) {
        const s = touched[i]!;
        if (s._phase === 0) this.#stopSession(s);
      }
    }
    if (die && !handled) {
      const info = args[0] as DieInfo | undefined;
      this.#recordException(info !== undefined && typeof info === 'object' && 'error' in info ? info.error : info);
    }
  }

  #installOsListener(name: string): void {
    if (this.#osListeners.has(name) || NO_OS_LISTENER.has(name)) return;
    const sig = `SIG${name}`;
    if (!(sig in osConstants.signals)) return;
    const listener = (): void => {
      // A fork child still rebuilding keeps the signal for its fork point.
      if (this.#processes.deferSignal(name)) return;
      this.#processes.forwardToNewborns(name);
      this.#osSignal(name);
    };
    try {
      process.on(sig as NodeJS.Signals, listener);
    } catch {
      return; // not a signal this platform lets Node watch
    }
    if (name === 'PIPE') keepPipeIgnored();
    this.#osListeners.set(name, listener);
    this.#refreshSignalWait();
  }

  /** Holds Node's loop open exactly while the kernel runs with an OS signal watched. */
  #refreshSignalWait(): void {
    const wanted = this.#mode !== undefined && this.#osListeners.size > 0;
    if (wanted && this.#signalWait === undefined) {
      // The longest interval Node allows; it never fires in practice and does no work if it does.
      this.#signalWait = setInterval(noop, 0x7fffffff);
    } else if (!wanted && this.#signalWait !== undefined) {
      clearInterval(this.#signalWait);
      this.#signalWait = undefined;
    }
  }

  /** OS signal `name` arrived: queued to the kernel, and remembered until dispatched (see fork). */
  #osSignal(name: string): void {
    this.#traceSignal(name, 'received from the OS');
    const item = this.#enqueueFromKernel(ItemKind.Signal, this, name, []);
    this.#osPending.add(item);
    if (this.#mode !== undefined && !this.#wakeScheduled && !this.#inPump) this.#scheduleWake();
  }

  #dropWatchers(name: string): void {
    this.#watchers.delete(name);
    if (name === 'CHLD') this.#processes.refreshAll();
    const listener = this.#osListeners.get(name);
    if (listener !== undefined) {
      process.removeListener(`SIG${name}` as NodeJS.Signals, listener);
      this.#osListeners.delete(name);
      this.#refreshSignalWait();
    }
  }

  // ------------------------------------------------------------------------------------------
  // public API: messages (spec 1.4)

  // Only the first overload accepts sessions (here and in `call`), so a typed session that
  // fails its map's check cannot fall through to the unchecked string/id overload.
  /**
   * Queues `event` for `dest` (a session, its ID or string, an alias, or the kernel).
   * Returns 1, or undefined with `errno` ESRCH when `dest` does not resolve.
   * A session reference checks `event` and `args` against its event map (as does `call`);
   * ids, aliases and strings are unchecked. POE: `$kernel->post(...)`.
   */
  post<E2, K extends EventName<E2>>(dest: Session<E2, unknown> | Kernel, event: K, ...args: EventArgs<E2, K>): 1 | undefined;
  post(dest: string | number | Kernel, event: string, ...args: unknown[]): 1 | undefined;
  post(dest: unknown, event: string, ...args: unknown[]): 1 | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('post');
      if (scope !== undefined) return this.#again(scope, this.post, [dest, event, ...args]);
    }
    checkEvent(event, 'post');
    const target = this.#resolve(dest);
    if (target === undefined) return this.#fail(E.ESRCH, `post: cannot resolve destination ${describe(dest)}`, undefined);
    if (target === this) return 1; // the kernel accepts and ignores posts (spec 1.1)
    const [file, line] = this.#callerInfo ? this.#caller(this.post) : [undefined, undefined];
    this.#enqueue(ItemKind.Post, target, event, args, file, line);
    return 1;
  }

  /** Queues `event` for the current session. Always returns undefined. POE: `$kernel->yield(...)`. */
  yield<K extends EventName<E>>(event: K, ...args: EventArgs<E, K>): undefined;
  yield(event: string, ...args: unknown[]): undefined {
    checkEvent(event, 'yield');
    const active = this.#active;
    if (active === this) return this.#yieldOutside(event, args);
    const [file, line] = this.#callerInfo ? this.#caller(this.yield) : [undefined, undefined];
    this.#enqueue(ItemKind.Post, active, event, args, file, line);
    return undefined;
  }

  /** `yield` with no session active: its slow path, out of line so `yield` stays small. */
  #yieldOutside(event: string, args: unknown[]): undefined {
    return this.#outside('yield', this.yield, [event, ...args], undefined);
  }

  /**
   * Runs `event`'s handler in `dest` now and returns its value; sets `errno` to 0. A call to
   * your own session bypasses the exception trap (spec 1.4, G13). POE: `$kernel->call(...)`.
   */
  call<E2, K extends EventName<E2>>(dest: Session<E2, unknown> | Kernel, event: K, ...args: EventArgs<E2, K>): EventReturn<E2, K> | undefined;
  call(dest: string | number | Kernel, event: string, ...args: unknown[]): unknown;
  call(dest: unknown, event: string, ...args: unknown[]): unknown {
    if (this.#active === this) {
      const scope = this.#scoped('call');
      if (scope !== undefined) return this.#again(scope, this.call, [dest, event, ...args]);
    }
    checkEvent(event, 'call');
    const target = this.#resolve(dest);
    if (target === undefined) return this.#fail(E.ESRCH, `call: cannot resolve destination ${describe(dest)}`, undefined);
    if (target === this) {
      this.errno = 0;
      return undefined;
    }
    return this.#callSession(target as Session, event, args, this.call, true);
  }

  /**
   * The synchronous part of `call` once the target is a live session: a self-call runs the
   * handler directly (no trap, G13), a call into another session through the trap.
   */
  #callSession(target: Session, event: string, args: unknown[], skip: (...args: never[]) => unknown, callerOwns: boolean): unknown {
    const [file, line] = this.#callerInfo ? this.#caller(skip) : [undefined, undefined];
    const active = this.#active;
    const from = this.#activeEvent || undefined;
    let ret: unknown;
    if (target === active) {
      ret = this.#handle(target, active, event, args, file, line, from);
      if (isThenable(ret)) ret = this.#pending(ret, target, active, event, callerOwns, file, line, from);
    } else {
      ret = this.#invoke(target, active, event, args, file, line, from);
      if (isThenable(ret)) ret = this.#pending(ret, target, active, event, callerOwns, file, line, from);
    }
    this.errno = 0;
    return ret;
  }

  /**
   * @internal `call(session, event, ...args)` for a wheel's user event: the event name was
   * checked when the wheel was made and the session is the wheel's own, so only whether it
   * still lives is left to resolve. A rejected promise from the handler becomes DIE.
   */
  _wheelCall(session: Session, event: string, args: unknown[]): unknown {
    // A wheel's session is in this kernel's table until it is freed (phase 2).
    if (session._phase === 2) return this.#fail(E.ESRCH, `call: cannot resolve destination ${describe(session)}`, undefined);
    return this.#callSession(session, event, args, this._wheelCall, false);
  }

  // ------------------------------------------------------------------------------------------
  // public API: timers (spec 1.5)

  #clearByName(session: Session, name: string): void {
    const timers = session._timers;
    if (timers === undefined) return;
    for (const t of timers) if (t.name === name) this.#removeTimer(t);
  }

  #dueFromEpoch(epoch: number): [number, number] {
    const now = (this.#now = this.#clock.now());
    return [epoch - this.#clock.wall(now) + now, epoch];
  }

  #dueFromDelay(seconds: number): [number, number] {
    const now = (this.#now = this.#clock.now());
    return [now + seconds, this.#clock.wall(now) + seconds];
  }

  /**
   * Clears this session's timers named `event`, then, given an epoch time, sets one.
   * Returns 0, or EINVAL (22) when `event` is undefined. POE: `$kernel->alarm(...)`.
   */
  alarm<K extends EventName<E>>(event: K | undefined, epoch?: number, ...args: EventArgs<E, K>): number;
  /** Without a time: only clears the timers named `event`. */
  alarm(event: EventName<E> | undefined, epoch?: undefined): number;
  alarm(event: string | undefined, epoch?: number, ...args: unknown[]): number {
    if (this.#active === this) {
      const scope = this.#scoped('alarm');
      if (scope !== undefined) return this.#again(scope, this.alarm, [event, epoch, ...args]);
    }
    if (event === undefined || event === null) return this.#fail(E.EINVAL, 'alarm: event name is undefined', E.EINVAL);
    checkEvent(event, 'alarm');
    if (epoch !== undefined && epoch !== null) checkSeconds(epoch, 'alarm epoch');
    const s = this.#activeSession('alarm');
    if (s === undefined) return E.ESRCH;
    this.#clearByName(s, event);
    if (epoch === undefined || epoch === null) return 0;
    const [due, wall] = this.#dueFromEpoch(epoch);
    this.#addTimer(s, event, due, wall, true, args, this.alarm);
    return 0;
  }

  /** Adds a timer without clearing others. Returns 0 or EINVAL. POE: `alarm_add`. */
  alarmAdd<K extends EventName<E>>(event: K | undefined, epoch: number | undefined, ...args: EventArgs<E, K>): number;
  alarmAdd(event: string | undefined, epoch: number | undefined, ...args: unknown[]): number {
    if (this.#active === this) {
      const scope = this.#scoped('alarm_add');
      if (scope !== undefined) return this.#again(scope, this.alarmAdd, [event, epoch, ...args]);
    }
    if (event === undefined || event === null || epoch === undefined || epoch === null) {
      return this.#fail(E.EINVAL, 'alarm_add: event name or time is undefined', E.EINVAL);
    }
    checkEvent(event, 'alarmAdd');
    checkSeconds(epoch, 'alarmAdd epoch');
    const s = this.#activeSession('alarmAdd');
    if (s === undefined) return E.ESRCH;
    const [due, wall] = this.#dueFromEpoch(epoch);
    this.#addTimer(s, event, due, wall, true, args, this.alarmAdd);
    return 0;
  }

  /** Like `alarm`, with a delay in seconds from now. Returns 0 or EINVAL. POE: `delay`. */
  delay<K extends EventName<E>>(event: K | undefined, seconds?: number, ...args: EventArgs<E, K>): number;
  /** Without a delay: only clears the timers named `event`. */
  delay(event: EventName<E> | undefined, seconds?: undefined): number;
  delay(event: string | undefined, seconds?: number, ...args: unknown[]): number {
    if (this.#active === this) {
      const scope = this.#scoped('delay');
      if (scope !== undefined) return this.#again(scope, this.delay, [event, seconds, ...args]);
    }
    if (event === undefined || event === null) return this.#fail(E.EINVAL, 'delay: event name is undefined', E.EINVAL);
    checkEvent(event, 'delay');
    if (seconds !== undefined && seconds !== null) checkSeconds(seconds, 'delay seconds');
    const s = this.#activeSession('delay');
    if (s === undefined) return E.ESRCH;
    this.#clearByName(s, event);
    if (seconds === undefined || seconds === null) return 0;
    const [due, wall] = this.#dueFromDelay(seconds);
    this.#addTimer(s, event, due, wall, false, args, this.delay);
    return 0;
  }

  /** Like `alarmAdd`, with a delay in seconds. Returns 0 or EINVAL. POE: `delay_add`. */
  delayAdd<K extends EventName<E>>(event: K | undefined, seconds: number | undefined, ...args: EventArgs<E, K>): number;
  delayAdd(event: string | undefined, seconds: number | undefined, ...args: unknown[]): number {
    if (this.#active === this) {
      const scope = this.#scoped('delay_add');
      if (scope !== undefined) return this.#again(scope, this.delayAdd, [event, seconds, ...args]);
    }
    if (event === undefined || event === null || seconds === undefined || seconds === null) {
      return this.#fail(E.EINVAL, 'delay_add: event name or delay is undefined', E.EINVAL);
    }
    checkEvent(event, 'delayAdd');
    checkSeconds(seconds, 'delayAdd seconds');
    const s = this.#activeSession('delayAdd');
    if (s === undefined) return E.ESRCH;
    const [due, wall] = this.#dueFromDelay(seconds);
    this.#addTimer(s, event, due, wall, false, args, this.delayAdd);
    return 0;
  }

  /** Adds a timer and returns its id, or undefined with EINVAL. POE: `alarm_set`. */
  alarmSet<K extends EventName<E>>(event: K | undefined, epoch: number | undefined, ...args: EventArgs<E, K>): AlarmId | undefined;
  alarmSet(event: string | undefined, epoch: number | undefined, ...args: unknown[]): AlarmId | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('alarm_set');
      if (scope !== undefined) return this.#again(scope, this.alarmSet, [event, epoch, ...args]);
    }
    if (event === undefined || event === null) return this.#fail(E.EINVAL, 'alarm_set: event name is undefined', undefined);
    if (epoch === undefined || epoch === null) return this.#fail(E.EINVAL, 'alarm_set: time is undefined', undefined);
    checkEvent(event, 'alarmSet');
    checkSeconds(epoch, 'alarmSet epoch');
    const s = this.#activeSession('alarmSet');
    if (s === undefined) return undefined;
    const [due, wall] = this.#dueFromEpoch(epoch);
    return this.#addTimer(s, event, due, wall, true, args, this.alarmSet).seq;
  }

  /** Adds a timer `seconds` from now and returns its id. POE: `delay_set`. */
  delaySet<K extends EventName<E>>(event: K | undefined, seconds: number | undefined, ...args: EventArgs<E, K>): AlarmId | undefined;
  delaySet(event: string | undefined, seconds: number | undefined, ...args: unknown[]): AlarmId | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('delay_set');
      if (scope !== undefined) return this.#again(scope, this.delaySet, [event, seconds, ...args]);
    }
    if (event === undefined || event === null) return this.#fail(E.EINVAL, 'delay_set: event name is undefined', undefined);
    if (seconds === undefined || seconds === null) return this.#fail(E.EINVAL, 'delay_set: delay is undefined', undefined);
    checkEvent(event, 'delaySet');
    checkSeconds(seconds, 'delaySet seconds');
    const s = this.#activeSession('delaySet');
    if (s === undefined) return undefined;
    const [due, wall] = this.#dueFromDelay(seconds);
    // delay_set stores its wall time, unlike delay/delay_add (probe 06).
    return this.#addTimer(s, event, due, wall, true, args, this.delaySet).seq;
  }

  /** Finds a timer of the active session by id; sets POE's errno when it cannot. */
  #ownTimer(id: unknown, what: string, quiet: boolean): QueueItem<Session | Kernel> | undefined {
    if (id === undefined || id === null) return this.#fail(E.EINVAL, `${what}: alarm id is undefined`, undefined);
    const item = this.#timersById.get(id as number);
    if (item === undefined) return quiet ? undefined : this.#fail(E.ESRCH, `${what}: no pending alarm ${describe(id)}`, undefined);
    if (item.dest !== this.#active) return quiet ? undefined : this.#fail(E.EPERM, `${what}: alarm ${describe(id)} belongs to another session`, undefined);
    return item;
  }

  /** Moves a timer by `delta` seconds; returns its new epoch time. POE: `alarm_adjust`. */
  alarmAdjust(id: AlarmId | undefined, delta: number | undefined): number | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('alarm_adjust');
      if (scope !== undefined) return this.#again(scope, this.alarmAdjust, [id, delta]);
    }
    if (delta === undefined || delta === null) return this.#fail(E.EINVAL, 'alarm_adjust: delta is undefined', undefined);
    const item = this.#ownTimer(id, 'alarm_adjust', false);
    if (item === undefined) return undefined;
    if (typeof delta !== 'number' || !Number.isFinite(delta)) {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_TIME', `Expected \`alarmAdjust\` delta to be a finite number of seconds, got ${describe(delta)}`);
    }
    if (delta !== 0) {
      item.prio += delta;
      item.wall += delta;
      this.#timers.update(item);
      if (!this.#inPump && this.#mode !== undefined && !this.#wakeScheduled) this.#scheduleWake();
    }
    return item.wall;
  }

  /**
   * Re-bases a timer to `seconds` from now; returns its new epoch time. Unknown or foreign
   * ids return undefined without setting errno, as POE does (G11). POE: `delay_adjust`.
   */
  delayAdjust(id: AlarmId | undefined, seconds: number | undefined): number | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('delay_adjust');
      if (scope !== undefined) return this.#again(scope, this.delayAdjust, [id, seconds]);
    }
    if (seconds === undefined || seconds === null) return this.#fail(E.EINVAL, 'delay_adjust: delay is undefined', undefined);
    const item = this.#ownTimer(id, 'delay_adjust', true);
    if (item === undefined) return undefined;
    checkSeconds(seconds, 'delayAdjust seconds');
    const [due, wall] = this.#dueFromDelay(seconds);
    item.prio = due;
    item.wall = wall;
    this.#timers.update(item);
    if (!this.#inPump && this.#mode !== undefined && !this.#wakeScheduled) this.#scheduleWake();
    return wall;
  }

  /**
   * Removes a timer; returns `[name, time, args]` (POE's list, or its arrayref in scalar
   * context), or undefined with errno ESRCH, EPERM or EINVAL. POE: `alarm_remove`.
   */
  alarmRemove(id: AlarmId | undefined): RemovedAlarm | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('alarm_remove');
      if (scope !== undefined) return this.#again(scope, this.alarmRemove, [id]);
    }
    const item = this.#ownTimer(id, 'alarm_remove', false);
    if (item === undefined) return undefined;
    this.#removeTimer(item);
    return [item.name, item.reportWall ? item.wall : 0, item.args];
  }

  /**
   * Removes every timer of the current session; returns `[name, time, ...args]` for each, in
   * due order (args flattened, G12). POE: `alarm_remove_all`.
   */
  alarmRemoveAll(): [string, number, ...unknown[]][] {
    if (this.#active === this) {
      const scope = this.#scoped('alarm_remove_all');
      if (scope !== undefined) return this.#again(scope, this.alarmRemoveAll, []);
    }
    const s = this.#activeSession('alarm_remove_all');
    if (s === undefined || s._timers === undefined) return [];
    const items = [...s._timers].sort((a, b) => (itemBefore(a, b) ? -1 : 1));
    for (const item of items) this.#removeTimer(item);
    return items.map((item) => [item.name, item.reportWall ? item.wall : 0, ...item.args]);
  }

  // ------------------------------------------------------------------------------------------
  // public API: aliases and ids (spec 1.9)

  /** Gives the current session an alias. Returns 0, or EEXIST (17) if another session has it. */
  aliasSet(alias: string): number {
    if (this.#active === this) {
      const scope = this.#scoped('alias_set');
      if (scope !== undefined) return this.#again(scope, this.aliasSet, [alias]);
    }
    if (typeof alias !== 'string') {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_ALIAS', `Expected alias to be a string, got ${describe(alias)}`);
    }
    const s = this.#activeSession('alias_set');
    if (s === undefined) return E.ESRCH;
    const owner = this.#aliases.get(alias);
    if (owner === s) return 0;
    if (owner !== undefined) return this.#fail(E.EEXIST, `alias_set: alias ${describe(alias)} belongs to session ${owner._id}`, E.EEXIST);
    this.#aliases.set(alias, s);
    (s._aliases ??= new Set()).add(alias);
    return 0;
  }

  /** Removes an alias of the current session. Returns 0, ESRCH (3) or EPERM (1). */
  aliasRemove(alias: string): number {
    if (this.#active === this) {
      const scope = this.#scoped('alias_remove');
      if (scope !== undefined) return this.#again(scope, this.aliasRemove, [alias]);
    }
    if (typeof alias !== 'string') {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_ALIAS', `Expected alias to be a string, got ${describe(alias)}`);
    }
    const s = this.#activeSession('alias_remove');
    if (s === undefined) return E.ESRCH;
    const owner = this.#aliases.get(alias);
    if (owner === undefined) return this.#fail(E.ESRCH, `alias_remove: no alias ${describe(alias)}`, E.ESRCH);
    if (owner !== s) return this.#fail(E.EPERM, `alias_remove: alias ${describe(alias)} belongs to session ${owner._id}`, E.EPERM);
    this.#aliases.delete(alias);
    s._aliases!.delete(alias);
    this.#mark(s);
    return 0;
  }

  /** Resolves a session object, string, ID or alias; undefined (errno untouched, G11) if none. */
  aliasResolve(target: unknown): Session | Kernel | undefined {
    return this.#resolve(target);
  }

  /** The sorted aliases of a session (the current one by default); [] + ESRCH if unresolvable. */
  aliasList(target?: unknown): string[] {
    if (this.#active === this) {
      const scope = this.#scoped('alias_list');
      if (scope !== undefined) return this.#again(scope, this.aliasList, [target]);
    }
    const s = target === undefined ? this.#active : this.#resolve(target);
    if (s === undefined) return this.#fail(E.ESRCH, `alias_list: cannot resolve ${describe(target)}`, []);
    if (s === this) return [];
    return [...((s as Session)._aliases ?? [])].sort();
  }

  /** The live session with this id, or undefined + ESRCH. POE: `ID_id_to_session`. */
  idToSession(id: SessionId | number): Session | undefined {
    const s = this.#sessions.get(id);
    if (s === undefined) return this.#fail(E.ESRCH, `ID_id_to_session: no session ${describe(id)}`, undefined);
    this.errno = 0;
    return s;
  }

  /** A resolvable session's id, or undefined + ESRCH. POE: `ID_session_to_id`. */
  sessionToId(target: unknown): SessionId | undefined {
    const s = this.#resolve(target);
    if (s === undefined || s === this) return this.#fail(E.ESRCH, `ID_session_to_id: cannot resolve ${describe(target)}`, undefined);
    this.errno = 0;
    return (s as Session)._id;
  }

  // ------------------------------------------------------------------------------------------
  // public API: extra references (spec 1.16)

  /** Raises a session's count for `tag`; returns the new count or undefined + ESRCH. */
  refcountIncrement(id: SessionId | number, tag: string): number | undefined {
    const s = this.#sessions.get(id);
    if (s === undefined) return this.#fail(E.ESRCH, `refcount_increment: no session ${describe(id)}`, undefined);
    const tags = (s._extrefs ??= new Map<string, number>());
    const count = (tags.get(tag) ?? 0) + 1;
    if (count === 0) {
      tags.delete(tag);
      this.#extrefTags--;
      this.#mark(s);
    } else {
      if (!tags.has(tag)) this.#extrefTags++;
      tags.set(tag, count);
    }
    if (this.#trace.refcounts) this.#warn(`<rc> session ${s._id} extref ${tag} = ${count}`);
    return count;
  }

  /** Lowers a session's count for `tag`; at 0 the tag goes and the session may be collected. */
  refcountDecrement(id: SessionId | number, tag: string): number | undefined {
    const s = this.#sessions.get(id);
    if (s === undefined) return this.#fail(E.ESRCH, `refcount_decrement: no session ${describe(id)}`, undefined);
    const tags = (s._extrefs ??= new Map<string, number>());
    const count = (tags.get(tag) ?? 0) - 1;
    if (count === 0) {
      tags.delete(tag);
      this.#extrefTags--;
      this.#mark(s);
      if (!this.#inPump && this.#mode !== undefined && !this.#wakeScheduled) this.#scheduleWake();
    } else {
      if (!tags.has(tag)) this.#extrefTags++;
      tags.set(tag, count);
    }
    if (this.#trace.refcounts) this.#warn(`<rc> session ${s._id} extref ${tag} = ${count}`);
    return count;
  }

  /**
   * @internal Wheels and watchers hold their session alive (POE's file-handle refcounts).
   * `delta` is +1 or -1.
   */
  _hold(session: Session, delta: 1 | -1): void {
    if (session._phase === 2) return;
    session._holds += delta;
    this.#holds += delta;
    if (delta < 0) {
      this.#mark(session);
      if (!this.#inPump && this.#mode !== undefined && !this.#wakeScheduled) this.#scheduleWake();
    }
  }

  /**
   * @internal An I/O readiness event for `session` (POE's select dispatch, spec 1.3 step 4):
   * runs the session's (wheel-registered) `state` handler synchronously, with the exception
   * trap and SENDER = the session itself, then sweeps garbage and lets the loop pick up
   * whatever the handler queued. Called from Node stream callbacks, which Node runs before
   * the kernel's setImmediate batch: I/O before queued events, as in POE (G7).
   */
  _ioDispatch(session: Session, state: string, args: unknown[]): unknown {
    if (session._phase === 2) return undefined;
    const ret = this.#invoke(session, session, state, args, undefined, undefined, undefined);
    if (this.#inPump) return ret;
    if (this.#hasException && !this.#stopping) this.#stopAll();
    this.#sweep();
    if (this.#mode !== undefined) {
      if (this.#sessions.size === 0) this.#finish();
      else this.#arm();
    }
    return ret;
  }

  /** @internal Wheel ids: one counter for every wheel class, skipping ids in use (spec 1.1). */
  _allocWheelId(): number {
    while (this.#wheelIds.has(this.#nextWheelId)) this.#nextWheelId++;
    const id = this.#nextWheelId++;
    this.#wheelIds.add(id);
    return id;
  }

  /** @internal Frees a wheel id when its wheel is destroyed. */
  _freeWheelId(id: number): void {
    this.#wheelIds.delete(id);
  }

  /**
   * @internal Calls `fn` at the next turn of Node's event loop (a `setImmediate`): how wheels
   * learn that a handle can take data now (POE's write readiness). The kernel schedules its
   * batches the same way, and a handler's `setImmediate` lands before the batch the kernel
   * arms after it, so a handle made ready by a handler is served before the next batch of
   * queued events (G7).
   */
  _ioSoon(fn: () => void): void {
    // One setImmediate for all the readiness callbacks of a turn (fifty busy sockets cost one
    // timer, not fifty); callbacks added while they run wait for the next turn.
    this.#soon.push(fn);
    if (!this.#soonScheduled) {
      this.#soonScheduled = true;
      setImmediate(this.#runSoon);
    }
  }

  #soon: (() => void)[] = [];
  #soonScheduled = false;

  readonly #runSoon = (): void => {
    this.#soonScheduled = false;
    const due = this.#soon;
    this.#soon = [];
    for (let i = 0; i < due.length; i++) {
      try {
        due[i]!();
      } catch (err) {
        // Not ours to swallow: the rest still run next turn, and Node sees the error.
        const rest = due.slice(i + 1);
        if (rest.length > 0) {
          this.#soon = rest.concat(this.#soon);
          if (!this.#soonScheduled) {
            this.#soonScheduled = true;
            setImmediate(this.#runSoon);
          }
        }
        throw err;
      }
    }
  };

  /** @internal `<fh>` tracing (POE_TRACE_FILES, NODE_DEBUG=poe-files) for wheels and raw watchers. */
  _traceFiles(what: () => string): void {
    if (this.#trace.files) this.#warn(`<fh> ${what()}`);
  }

  /** @internal A warning through the kernel's log: POE's `carp` from wheels and the like. */
  _warn(message: string): void {
    this.#warn(message);
  }

  /** @internal Makes a postback or callback (spec 1.14). */
  _anonEvent(session: Session, event: string, context: unknown[], isCallback: boolean): AnonEvent<unknown> {
    checkEvent(event, isCallback ? 'callback' : 'postback');
    const id = session._id;
    let held = this.refcountIncrement(id, 'anon_event') !== undefined;
    const release = (): void => {
      if (!held) return;
      held = false;
      finalizers.unregister(fn);
      if (this.#sessions.has(id)) this.refcountDecrement(id, 'anon_event');
    };
    const fn = ((...args: unknown[]) => {
      if (isCallback) return this.call(id, event, [...context], args);
      this.post(id, event, [...context], args);
      return 0;
    }) as AnonEvent<unknown>;
    fn.weaken = function weaken() {
      release();
      return this;
    };
    fn.release = release;
    if (held) finalizers.register(fn, { kernel: this, id }, fn);
    return fn;
  }

  // ------------------------------------------------------------------------------------------
  // public API: run-time handlers (spec 1.10)

  /**
   * Adds, replaces or (with no handler) removes a handler of the current session. With an
   * object or class, `method` (default: the event name) is called on it. Returns 0, or ESRCH
   * when no session is active. POE: `$kernel->state(...)`.
   */
  state(event: string, handler?: ((ctx: Context<E, never>, ...args: never[]) => unknown) | object, method?: string): number {
    if (this.#active === this) {
      const scope = this.#scoped('state');
      if (scope !== undefined) return this.#again(scope, this.state, [event, handler, method]);
    }
    checkEvent(event, 'state');
    const active = this.#active;
    if (active === this) return this.#noSession('state', E.ESRCH);
    const s = active as Session;
    if (handler === undefined || handler === null) {
      s._handlers.delete(event);
      return 0;
    }
    if (s._options?.get('debug') && s._handlers.has(event)) this.#warn(`redefining handler for event '${event}' in session ${s._id}`);
    // A class is a package (POE's `state($event, $package)`): its static method named like the
    // event, or `method`.
    if (typeof handler === 'function' && method === undefined && !isClass(handler)) s._addHandler(event, handler, undefined, 'state');
    else s._addMethodHandler(event, handler, method ?? event, 'state');
    return 0;
  }

  // ------------------------------------------------------------------------------------------
  // public API: signals (spec 1.11)

  /**
   * Watches signal `name` in the current session, calling `event` with `(name, ...args,
   * ...extra)`; without `event`, stops watching. Watchers hold no reference (G16). OS signals
   * get a process listener while at least one session watches them. POE: `$kernel->sig(...)`.
   */
  sig(name: string, event?: EventName<E>, ...extra: unknown[]): void {
    if (this.#active === this) {
      const scope = this.#scoped('sig');
      if (scope !== undefined) return this.#again(scope, this.sig, [name, event, ...extra]);
    }
    if (typeof name !== 'string' || name === '') {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_SIGNAL', `Expected signal name to be a non-empty string, got ${describe(name)}`);
    }
    const s = this.#activeSession('sig');
    if (s === undefined) return;
    const signal = signalName(name);
    if (event === undefined || event === null) {
      const watchers = this.#watchers.get(signal);
      if (watchers !== undefined && watchers.delete(s) && watchers.size === 0) this.#dropWatchers(signal);
      return;
    }
    checkEvent(event, 'sig');
    let watchers = this.#watchers.get(signal);
    if (watchers === undefined) {
      watchers = new Map();
      this.#watchers.set(signal, watchers);
      this.#installOsListener(signal);
      if (signal === 'CHLD') this.#processes.refreshAll();
    }
    watchers.set(s, { event, extra });
  }

  /** Marks the signal being dispatched as handled, saving the sessions it would stop. */
  sigHandled(): void {
    this.#sigHandled = true;
  }

  /**
   * Queues signal `name` for `dest` (the kernel means every session). Returns 1, or undefined
   * with ESRCH. POE: `$kernel->signal(...)`.
   */
  signal(dest: unknown, name: string, ...args: unknown[]): 1 | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('signal');
      if (scope !== undefined) return this.#again(scope, this.signal, [dest, name, ...args]);
    }
    if (typeof name !== 'string' || name === '') {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_SIGNAL', `Expected signal name to be a non-empty string, got ${describe(name)}`);
    }
    const target = this.#resolve(dest);
    if (target === undefined) return this.#fail(E.ESRCH, `signal: cannot resolve destination ${describe(dest)}`, undefined);
    this.#enqueue(ItemKind.Signal, target, signalName(name), args, undefined, undefined);
    return 1;
  }

  // ------------------------------------------------------------------------------------------
  // public API: processes (spec 1.11 child processes, 1.13 has_forked)

  /**
   * Starts a child process running this same program (see `forkProgram`) and returns its pid;
   * in that child, the first `fork()` returns 0. Returns undefined with `errno` set (EAGAIN,
   * ENOENT, EACCES, or EMFILE when no descriptors are left for the pipes to the child) when the
   * child cannot be started, as Perl's `fork` returns undef with `$!`.
   *
   * Node cannot fork(2): the child rebuilds everything the program made before its first
   * `fork()` by running the same code (the program must be deterministic up to there), and
   * inherits the listening sockets SocketFactory made, by file descriptor. The child knows
   * its role from the kernel's `POE_TS_FORK_CHILD` environment variable. A forked child stops
   * accepting and exits within seconds once its parent is gone. The pid is tracked: watch it
   * with `sigChild`. POE: Perl's `fork()`.
   */
  fork(): number | undefined {
    const result = this.#processes.fork();
    if ('pid' in result) {
      this.errno = 0;
      return result.pid;
    }
    return this.#fail(result.errno, result.message, undefined);
  }

  /**
   * Tells the kernel it now runs in a forked child: it takes a new ID (the child's pid is in
   * it). Call it where the child's `fork()` returned 0, as POE requires. POE: `has_forked`.
   */
  hasForked(): void {
    this.#id = Kernel.#makeId();
  }

  /**
   * The program `fork()` runs in the child, with `process.execArgv` before it and
   * `process.argv.slice(2)` after it. @default the `program` option, else process.argv[1]
   */
  get forkProgram(): string | undefined {
    return this.#processes.program ?? process.argv[1];
  }
  set forkProgram(path: string | undefined) {
    if (path !== undefined && (typeof path !== 'string' || path === '')) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`forkProgram\` to be a non-empty path, got ${describe(path)}`);
    }
    this.#processes.program = path;
  }

  /** The Node binary `fork()` starts. @default the `execPath` option, else process.execPath */
  get forkExecPath(): string {
    return this.#processes.execPath;
  }
  set forkExecPath(path: string | undefined) {
    if (path !== undefined && (typeof path !== 'string' || path === '')) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`forkExecPath\` to be a non-empty path, got ${describe(path)}`);
    }
    this.#processes.execPath = path ?? process.execPath;
  }

  /** True in a process started by `fork()`, before and after its first `fork()` returned 0. */
  get isForkChild(): boolean {
    return this.#processes.forked;
  }

  /**
   * Watches child `pid` for the current session: once it ends, queues `event` with `('CHLD',
   * pid, status, ...extra)` (SENDER the kernel), `status` encoded like Perl's `$?` (exit code
   * << 8, or the signal number). One-shot; holds the session alive until then. Without
   * `event`, stops watching (a no-op for a pid the session does not watch). Every end of a
   * child the kernel started is also broadcast as signal CHLD `('CHLD', pid, status)` to
   * `sig('CHLD', ...)` watchers. Driven by Node's `exit` event of each child, never by
   * counting SIGCHLD. POE: `sig_child`.
   */
  sigChild(pid: number, event?: EventName<E>, ...extra: unknown[]): void {
    if (this.#active === this) {
      const scope = this.#scoped('sig_child');
      if (scope !== undefined) return this.#again(scope, this.sigChild, [pid, event, ...extra]);
    }
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`sigChild\` pid to be a positive integer, got ${describe(pid)}`);
    }
    const s = this.#activeSession('sig_child');
    if (s === undefined) return;
    if (event === undefined || event === null) {
      this.#processes.unwatch(s, pid);
      return;
    }
    checkEvent(event, 'sigChild');
    this.#processes.watch(s, pid, event, extra);
  }

  /**
   * @internal Tracks a child process started elsewhere in poe-ts (Wheel::Run): its `exit`
   * drives `sigChild` watches and the CHLD broadcast. It keeps the kernel busy (and Node's loop
   * alive) only while someone watches it, as POE awaits only watched pids.
   */
  _adoptChild(child: ChildProcess): void {
    this.#processes.adopt(child);
  }

  /**
   * @internal Passes a listening socket's `fd` to every child `fork()` starts from now on,
   * under `key`. Returns a function that stops sharing it (call it when the socket closes).
   */
  _shareFd(key: string, fd: number): () => void {
    return this.#processes.shareFd(key, fd);
  }

  /**
   * @internal In a forked child: the fd of the listening socket the parent shared under `key`.
   * Taken once; the second call for a key returns undefined.
   */
  _inheritedFd(key: string): number | undefined {
    return this.#processes.takeInheritedFd(key);
  }

  /**
   * @internal Runs `fn` when this forked child's parent is gone (even killed with SIGKILL):
   * listeners close so the child stops accepting and finishes. Returns the undo.
   */
  _onOrphan(fn: () => void): () => void {
    return this.#processes.onOrphan(fn);
  }

  // ------------------------------------------------------------------------------------------
  // public API: detaching (spec 1.6)

  /** Makes the current session a child of the kernel. Returns 1, or undefined + EPERM. */
  detachMyself(): 1 | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('detach_myself');
      if (scope !== undefined) return this.#again(scope, this.detachMyself, []);
    }
    const s = this.#activeSession('detach_myself');
    if (s === undefined) return undefined;
    const old = s._parent;
    if (old === undefined) return this.#fail(E.EPERM, 'detach_myself: the session is already a child of the kernel', undefined);
    this.#reparent(s, old);
    if (this.#activeEvent !== '_start') this.#dispatch(old, this, '_child', ['lose', s, undefined]);
    this.#dispatch(s, this, '_parent', [old, this]);
    return 1;
  }

  /** Detaches a child of the current session. Returns 1, or undefined + ESRCH/EPERM. */
  detachChild(child: unknown): 1 | undefined {
    if (this.#active === this) {
      const scope = this.#scoped('detach_child');
      if (scope !== undefined) return this.#again(scope, this.detachChild, [child]);
    }
    const target = this.#resolve(child);
    if (target === undefined) return this.#fail(E.ESRCH, `detach_child: cannot resolve ${describe(child)}`, undefined);
    // The kernel resolves, but it is nobody's child: EPERM, as in POE.
    if (target === this) return this.#fail(E.EPERM, 'detach_child: the kernel is not a child of the current session', undefined);
    const c = target as Session;
    const active = this.#active;
    if (active === this || c._parent !== active) return this.#fail(E.EPERM, `detach_child: session ${c._id} is not a child of the current session`, undefined);
    const old = active;
    this.#reparent(c, old);
    this.#dispatch(old, this, '_child', ['lose', c, undefined]);
    this.#dispatch(c, this, '_parent', [old, this]);
    return 1;
  }

  #reparent(s: Session, old: Session): void {
    old._children.delete(s);
    this.#mark(old);
    s._parent = undefined;
    this.#topLevel.add(s);
  }

  // ------------------------------------------------------------------------------------------
  // public API: accessors (spec 1.13)

  /** The session handling an event now, or the kernel. POE: `get_active_session`. */
  getActiveSession(): SessionOrKernel {
    if (this.#active === this) {
      const scope = this.#scoped('get_active_session');
      if (scope !== undefined) return this.#again(scope, this.getActiveSession, []);
    }
    return this.#active;
  }
  /** The event being handled now, or '' outside handlers. POE: `get_active_event`. */
  getActiveEvent(): string {
    if (this.#active === this) {
      const scope = this.#scoped('get_active_event');
      if (scope !== undefined) return this.#again(scope, this.getActiveEvent, []);
    }
    return this.#activeEvent;
  }
  /** Queued events and timers, GC markers excluded. POE: `get_event_count`. */
  getEventCount(): number {
    return this.#userItems;
  }
  /** Epoch time of the next queued item, or undefined. POE: `get_next_event_time`. */
  getNextEventTime(): number | undefined {
    const t = this.#timers.peek();
    const f = this.#fifo.peek();
    if (f !== undefined && f.dest !== null && (t === undefined || itemBefore(f, t))) return this.#clock.wall(f.prio);
    return t === undefined ? undefined : this.#clock.wall(t.prio);
  }
  /** The name of the event loop. POE: `poe_kernel_loop`. */
  poeKernelLoop(): string {
    return 'node';
  }

  /**
   * Each live session with what keeps it alive: the kernel's `ps`. A session whose
   * `aliveBecause` is empty will be collected at the next sweep.
   */
  ps(): SessionReport[] {
    const out: SessionReport[] = [];
    for (const s of this.#descendants(undefined)) {
      out.push({
        id: s._id,
        parent: s._parent?._id ?? 'kernel',
        aliases: [...(s._aliases ?? [])].sort(),
        phase: s._phase === 0 ? 'running' : 'stopping',
        queued: s._evTo,
        sent: s._evFrom,
        timers: s._timers?.size ?? 0,
        children: [...s._children].map((c) => c._id),
        extrefs: Object.fromEntries(s._extrefs ?? []),
        holds: s._holds,
        aliveBecause: this.#aliveReasons(s),
      });
    }
    return out;
  }

  /**
   * What the kernel's tables still hold that they should not once every session is gone.
   * Empty after a clean run; `run()` also reports leaks through the log when it finishes.
   */
  leaks(): string[] {
    const found: string[] = [];
    if (this.#sessions.size > 0 && this.#mode === undefined) found.push(`${this.#sessions.size} session(s) still registered`);
    if (this.#sessions.size === 0) {
      if (this.#aliases.size > 0) found.push(`aliases left: ${[...this.#aliases.keys()].join(', ')}`);
      if (this.#timersById.size > 0) found.push(`${this.#timersById.size} timer(s) left`);
      if (this.#userItems > 0) found.push(`${this.#userItems} queued event(s) left`);
      if (this.#watchers.size > 0) found.push(`signal watchers left: ${[...this.#watchers.keys()].join(', ')}`);
      if (this.#osListeners.size > 0) found.push(`OS signal listeners left: ${[...this.#osListeners.keys()].join(', ')}`);
      if (this.#extrefTags !== 0) found.push(`${this.#extrefTags} extra reference tag(s) left`);
      if (this.#holds !== 0) found.push(`${this.#holds} hold(s) left`);
      found.push(...this.#processes.leaks());
      if (this.#topLevel.size > 0) found.push(`${this.#topLevel.size} top-level session(s) left`);
    }
    return found;
  }

  // ------------------------------------------------------------------------------------------
  // public API: running (spec 1.13)

  #start(kind: RunMode['kind'], slices: number, cond: (() => boolean) | undefined): Promise<1 | undefined> {
    if (this.#mode !== undefined) {
      throw new PoeArgumentError('ERR_POE_KERNEL_RUNNING', 'The kernel is already running; await the first run() before starting another');
    }
    let resolve!: (value: 1 | undefined) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<1 | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#mode = { kind, slices, cond, resolve, reject, promise };
    this.#refreshSignalWait();
    if (this.#stopping && this.#sessions.size > 0) {
      // stop() ran outside any run and sessions were made since: start clean.
      this.#stopping = false;
      this.#stopCalled = false;
    }
    if (!this.#beforeExitInstalled) {
      process.on('beforeExit', this.#onBeforeExit);
      this.#beforeExitInstalled = true;
    }
    // POE's timeslice starts with the I/O poll (spec 1.3): I/O already ready when run()
    // starts overtakes what `_start` queued (G7, G8; probes 19, 32). run() is often called
    // from an I/O callback or a promise job, where one setImmediate would run before Node's
    // next poll phase; the second hop makes the first batch wait for one.
    this.#wakeScheduled = true;
    setImmediate(() => setImmediate(this.#pump));
    return promise;
  }

  #settle(value: 1 | undefined): void {
    const mode = this.#mode;
    if (mode === undefined) return;
    this.#mode = undefined;
    this.#refreshSignalWait();
    if (this.#clockTimer !== undefined) {
      this.#clock.clearTimer(this.#clockTimer);
      this.#clockTimer = undefined;
      this.#clockTimerDue = Infinity;
    }
    if (this.#beforeExitInstalled) {
      process.removeListener('beforeExit', this.#onBeforeExit);
      this.#beforeExitInstalled = false;
    }
    if (this.#sessions.size === 0 && this.#hasException) {
      const err = this.#takeException();
      mode.reject(err);
    } else mode.resolve(value);
  }

  #takeException(): unknown {
    const err = this.#exception;
    this.#exception = undefined;
    this.#hasException = false;
    return err;
  }

  /** Every session is gone: check the tables, reset for a later run, settle run(). */
  #finish(): void {
    this.#lastLeaks = this.leaks();
    for (const leak of this.#lastLeaks) this.#warn(`poe-ts: leak at kernel stop: ${leak}`);
    this.#fifo.clear();
    this.#osPending.clear();
    this.#processes.settleChildRole();
    this.#marked = [];
    this.#stopping = false;
    this.#stopCalled = false;
    this.#active = this;
    this.#activeEvent = '';
    // run_one_timeslice returns 1 for a slice that ran, the one that ended the last session
    // too; run() and run_while also run the kernel's own last slice, unseen.
    const slices = this.#mode?.kind === 'slices';
    if (!slices) this.#kernelSlicePending = false;
    this.#settle(slices ? 1 : undefined);
  }

  readonly #onBeforeExit = (): void => {
    // Node's loop is empty but sessions are alive: nothing can ever wake them. POE would
    // wait forever (G20); we say why and end run() instead of exiting with it pending.
    if (this.#mode === undefined || this.#sessions.size === 0) return;
    const report = this.ps()
      .map((p) => `session ${p.id}${p.aliases.length ? ` (${p.aliases.join(', ')})` : ''}: ${p.aliveBecause.join('; ') || 'nothing'}`)
      .join('\n  ');
    const err = new PoeStallError(`The kernel stalled: sessions are alive but Node has nothing left that could wake them:\n  ${report}`);
    this.#recordException(err);
    this.#stopAll();
    this.#finish();
  };

  /**
   * Runs until every session is gone; resolves then, or rejects with an unhandled exception
   * (POE's `run()` rethrowing). With no sessions it settles at once. POE: `$kernel->run()`.
   */
  async run(): Promise<void> {
    if (this.#sessions.size === 0) {
      this.#kernelSlicePending = false;
      if (this.#hasException) throw this.#takeException();
      return;
    }
    await this.#start('run', 0, undefined);
  }

  /**
   * Runs one timeslice once something is due; resolves 1, or undefined when no sessions exist
   * (rejecting with a recorded exception). POE: `run_one_timeslice`.
   */
  async runOneTimeslice(): Promise<1 | undefined> {
    if (this.#sessions.size === 0) {
      if (this.#kernelSlicePending) {
        this.#kernelSlicePending = false;
        return 1;
      }
      if (this.#hasException) throw this.#takeException();
      return undefined;
    }
    return this.#start('slices', 1, undefined);
  }

  /** Runs timeslices while `cond()` is true and sessions exist. POE: `run_while(\$flag)`. */
  async runWhile(cond: () => boolean): Promise<void> {
    if (typeof cond !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`cond\` to be a function, got ${describe(cond)}`);
    }
    if (this.#sessions.size === 0) {
      this.#kernelSlicePending = false;
      if (this.#hasException) throw this.#takeException();
      return;
    }
    await this.#start('while', 0, cond);
  }

  /**
   * Stops every session, deepest first, delivering `_stop` and `_child(lose)` (G22), and
   * makes `run()` settle. Callable from a handler: the rest of the handler still runs.
   * POE: `POE::Kernel->stop()`.
   */
  stop(): void {
    this.#stopCalled = true;
    this.#stopAll();
    this.#active = this;
    if (this.#mode === undefined) {
      // Not running: nothing will finish the run, so reset for the next one now.
      if (this.#depth === 0) this.#finish();
    } else if (!this.#inPump && !this.#wakeScheduled) this.#scheduleWake();
  }

  /** The number of live sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }
}

function noop(): void {}

let pipeIgnored = false;
/**
 * Node starts with SIGPIPE ignored, but removing the last `process` listener of a signal puts
 * its default action back, and SIGPIPE's ends the process: a write to a closed peer after the
 * last PIPE watcher went would kill it (exit 141). POE puts PIPE back to IGNORE. A no-op
 * listener kept for the life of the process, once PIPE was ever watched, does the same.
 */
function keepPipeIgnored(): void {
  if (pipeIgnored) return;
  pipeIgnored = true;
  process.on('SIGPIPE', noop);
}

/** A handler's return value that is a promise (or any thenable): its rejection becomes DIE. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

const finalizers = new FinalizationRegistry<{ kernel: Kernel; id: number }>(({ kernel, id }) => {
  // A postback dropped without release(): what Perl's DESTROY would have done.
  kernel._dropAnonRef(id);
});

/** POE's snake_case spellings: the very same functions. */
 
export interface Kernel<E = Untyped> {
  alarm_add: Kernel<E>['alarmAdd'];
  alarm_set: Kernel<E>['alarmSet'];
  alarm_adjust: Kernel<E>['alarmAdjust'];
  alarm_remove: Kernel<E>['alarmRemove'];
  alarm_remove_all: Kernel<E>['alarmRemoveAll'];
  delay_add: Kernel<E>['delayAdd'];
  delay_set: Kernel<E>['delaySet'];
  delay_adjust: Kernel<E>['delayAdjust'];
  alias_set: Kernel<E>['aliasSet'];
  alias_remove: Kernel<E>['aliasRemove'];
  alias_resolve: Kernel<E>['aliasResolve'];
  alias_list: Kernel<E>['aliasList'];
  ID_id_to_session: Kernel<E>['idToSession'];
  ID_session_to_id: Kernel<E>['sessionToId'];
  refcount_increment: Kernel<E>['refcountIncrement'];
  refcount_decrement: Kernel<E>['refcountDecrement'];
  sig_handled: Kernel<E>['sigHandled'];
  sig_child: Kernel<E>['sigChild'];
  has_forked: Kernel<E>['hasForked'];
  detach_myself: Kernel<E>['detachMyself'];
  detach_child: Kernel<E>['detachChild'];
  get_active_session: Kernel<E>['getActiveSession'];
  get_active_event: Kernel<E>['getActiveEvent'];
  get_event_count: Kernel<E>['getEventCount'];
  get_next_event_time: Kernel<E>['getNextEventTime'];
  poe_kernel_loop: Kernel<E>['poeKernelLoop'];
  run_one_timeslice: Kernel<E>['runOneTimeslice'];
  run_while: Kernel<E>['runWhile'];

  // POE's raw select calls, installed by the wheel layer (src/wheel/select.ts), which knows
  // streams: the kernel only carries their types.
  /** Watches `stream` for reading in the active session. POE: `$kernel->select_read($fh, $event, @args)`. */
  selectRead(stream: Readable, event?: EventName<E>, ...args: unknown[]): 0;
  /** Watches `stream` for writing in the active session. POE: `$kernel->select_write($fh, $event, @args)`. */
  selectWrite(stream: Writable, event?: EventName<E>, ...args: unknown[]): 0;
  /** Both watchers at once; no expedite. POE: `$kernel->select($fh, $read, $write, $expedite, @args)`. */
  select(stream: Readable & Writable, read?: EventName<E>, write?: EventName<E>, expedite?: undefined, ...args: unknown[]): 0;
  /** POE: `$kernel->select_pause_read($fh)`. */
  selectPauseRead(stream: Readable): 0 | 1;
  /** POE: `$kernel->select_resume_read($fh)`. */
  selectResumeRead(stream: Readable): 0 | 1;
  /** POE: `$kernel->select_pause_write($fh)`. */
  selectPauseWrite(stream: Writable): 0 | 1;
  /** POE: `$kernel->select_resume_write($fh)`. */
  selectResumeWrite(stream: Writable): 0 | 1;
  select_read: Kernel<E>['selectRead'];
  select_write: Kernel<E>['selectWrite'];
  select_pause_read: Kernel<E>['selectPauseRead'];
  select_resume_read: Kernel<E>['selectResumeRead'];
  select_pause_write: Kernel<E>['selectPauseWrite'];
  select_resume_write: Kernel<E>['selectResumeWrite'];
}

const proto = Kernel.prototype as unknown as Record<string, unknown>;
const aliases: Record<string, string> = {
  alarm_add: 'alarmAdd',
  alarm_set: 'alarmSet',
  alarm_adjust: 'alarmAdjust',
  alarm_remove: 'alarmRemove',
  alarm_remove_all: 'alarmRemoveAll',
  delay_add: 'delayAdd',
  delay_set: 'delaySet',
  delay_adjust: 'delayAdjust',
  alias_set: 'aliasSet',
  alias_remove: 'aliasRemove',
  alias_resolve: 'aliasResolve',
  alias_list: 'aliasList',
  ID_id_to_session: 'idToSession',
  ID_session_to_id: 'sessionToId',
  refcount_increment: 'refcountIncrement',
  refcount_decrement: 'refcountDecrement',
  sig_handled: 'sigHandled',
  sig_child: 'sigChild',
  has_forked: 'hasForked',
  detach_myself: 'detachMyself',
  detach_child: 'detachChild',
  get_active_session: 'getActiveSession',
  get_active_event: 'getActiveEvent',
  get_event_count: 'getEventCount',
  get_next_event_time: 'getNextEventTime',
  poe_kernel_loop: 'poeKernelLoop',
  run_one_timeslice: 'runOneTimeslice',
  run_while: 'runWhile',
};
for (const [snake, camel] of Object.entries(aliases)) {
  Object.defineProperty(proto, snake, { value: proto[camel], writable: true, configurable: true });
}
