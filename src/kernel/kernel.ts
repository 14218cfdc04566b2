/*
 * The POE kernel: the event loop and the public face of the kernel's resources, each of which
 * owns its tables, what it drops when a session is freed, and its leak check (POE's
 * POE::Resource::* modules): sessions.ts (Sessions, SIDs), events.ts (Events), aliases.ts,
 * extrefs.ts, holds.ts (what POE's FileHandles counts), signals.ts, processes.ts (child
 * processes and fork). Handler dispatch is the session's (`Session#_invoke`, POE's
 * `_invoke_state`). This file is the loop (timeslices, garbage collection, running and
 * stopping) and every public method, with POE's return values and errno; it is over 1,000
 * lines because that public surface is (spec 1.4-1.17), each method documented where it is.
 */
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import type { Readable, Writable } from 'node:stream';
import { brand, isBranded } from '../brand.js';
import { PoeArgumentError, PoeErrnoError, PoeStallError, describe, rejectUnknownKeys } from '../errors.js';
import type { Context } from '../session/context.js';
import { Phase, type Session, type SessionId, isClass } from '../session/session.js';
import { releasable, type AnonEvent, type EventArgs, type EventName, type EventReturn, type SessionOrKernel, type Untyped } from '../session/types.js';
import { Aliases } from './aliases.js';
import { type AsyncScope, currentScope } from './async-scope.js';
import { callerOf, whereOf } from './caller.js';
import { type Clock, type ClockTimer, SystemClock } from './clock.js';
import { type KernelOptions, checkOptions, checkPath, envOn } from './options.js';
import { NOT_REMOTE, type RemoteRouter, type RemoteTarget } from './remote.js';

export type { DieInfo, SessionReport } from './report.js';
import { errno as E, errnoName } from '../errno.js';
import { type Item, Events, type Target } from './events.js';
import { IdleHandle, TimerHandle } from './timer-handle.js';
import { Extrefs } from './extrefs.js';
import { Holds } from './holds.js';
import { Processes } from './processes.js';
import { type DieInfo, type SessionReport, aliveReasons, waitingOn } from './report.js';
import { ItemKind } from './queue.js';
import { Sessions, WheelIds } from './sessions.js';
import { Soon } from './soon.js';
import { NONMASKABLE, Signals, TERMINAL, signalName } from './signals.js';
import { channels, traceFlagsFromEnv, traceKernel } from './trace.js';

/** A timer id as returned by `alarmSet`/`delaySet` (branded number). */
export type AlarmId = number & { readonly __brand?: 'AlarmId' };

/** What `alarmRemove` returns: POE's `(name, time, \@args)`. */
export type RemovedAlarm = [name: string, time: number, args: unknown[]];

/** When a repeating timer (`kernel.interval`) fires: every `every` seconds, the first time after `after` (default `every`). */
export interface IntervalSpec {
  after?: number;
  every: number;
}

const DEFAULT_KERNEL_KEY = Symbol.for('poe-ts.kernel.v1');
const KERNEL_BRAND = 'poe-ts.kernel.brand';

/** Options of `run()`, `runOneTimeslice()` and `runWhile()`. Not in POE. */
export interface KernelRunOptions {
  /**
   * Aborting it stops the kernel as `stop()` does (every session gets `_stop`), and the run
   * rejects with the signal's reason, as Node's own cancellable waits do. Already aborted, the
   * run stops at once.
   */
  signal?: AbortSignal;
}

interface RunMode {
  kind: 'run' | 'slices' | 'while';
  slices: number;
  cond: (() => boolean) | undefined;
  resolve: (value: 1 | undefined) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  aborted: boolean;
}

function checkRunOptions(options: KernelRunOptions | undefined, what: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${what}\` options to be an object, got ${describe(options)}`);
  }
  rejectUnknownKeys(what, options, ['signal']);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`signal\` to be an AbortSignal, got ${describe(signal)}`);
  }
  return signal;
}

/**
 * The six ways to set a timer (spec 1.5), which differ only in these: one path sets them all.
 * `poe` names the call in errno messages, `name` in argument errors.
 */
interface TimerCall {
  readonly poe: string;
  readonly name: string;
  /** The time is epoch seconds (`alarm*`), not seconds from now (`delay*`). */
  readonly epoch: boolean;
  /** Clears the session's timers of that name first, and without a time does only that. */
  readonly replaces: boolean;
  /** Returns the timer's id (`*_set`), which `alarm_adjust` and friends take; else 0. */
  readonly returnsId: boolean;
  /** `alarm_remove_all` reports its time: `delay` and `delay_add` report 0 (G12), `delay_set` its time (probe 06). */
  readonly reportWall: boolean;
}
const TIMER: Readonly<Record<'alarm' | 'alarmAdd' | 'delay' | 'delayAdd' | 'alarmSet' | 'delaySet', TimerCall>> = {
  alarm: { poe: 'alarm', name: 'alarm', epoch: true, replaces: true, returnsId: false, reportWall: true },
  alarmAdd: { poe: 'alarm_add', name: 'alarmAdd', epoch: true, replaces: false, returnsId: false, reportWall: true },
  delay: { poe: 'delay', name: 'delay', epoch: false, replaces: true, returnsId: false, reportWall: false },
  delayAdd: { poe: 'delay_add', name: 'delayAdd', epoch: false, replaces: false, returnsId: false, reportWall: false },
  alarmSet: { poe: 'alarm_set', name: 'alarmSet', epoch: true, replaces: false, returnsId: true, reportWall: true },
  delaySet: { poe: 'delay_set', name: 'delaySet', epoch: false, replaces: false, returnsId: true, reportWall: true },
};

/** The caller's file and line when `callerInfo` is off: one shared tuple, no array per event. */
/**
 * What a wake-up (ItemKind.Wake) runs: a function, or an object whose `_turn` it calls (a
 * wait wakes through itself, with no closure made per wake-up).
 */
export type WakeFn = (() => unknown) | { _turn(): unknown };

/** Settled once: `_parked` queues its microtask as a reaction to it. */
const RESOLVED = Promise.resolve();
const NO_CALLER: readonly [undefined, undefined] = [undefined, undefined];

/**
 * How many microtask hops code a handoff woke gets to wait again (or end) before the loop goes
 * on without it: enough for an `await` through a few async functions, few enough that code
 * that never parks (a Promise.all gathering results) costs no turn of Node's loop.
 */
const PROBE_HOPS = 8;

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

function checkSignal(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new PoeArgumentError('ERR_POE_KERNEL_BAD_SIGNAL', `Expected signal name to be a non-empty string, got ${describe(name)}`);
  }
}

function checkAlias(alias: unknown): asserts alias is string {
  if (typeof alias !== 'string') {
    throw new PoeArgumentError('ERR_POE_KERNEL_BAD_ALIAS', `Expected alias to be a string, got ${describe(alias)}`);
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
  #id: string;
  readonly #name: string;
  /** Where destinations that do not resolve here may go (the IKC responder); see remote.ts. */
  #router: RemoteRouter | undefined = undefined;

  // The resources (POE::Resource::*). Each tells the kernel, through #released, when a session
  // loses something that kept it alive, so the session may be collected.
  readonly #released = (session: Session): void => {
    this.#mark(session);
    this.#wake();
  };
  readonly #sessions = new Sessions();
  readonly #wheelIds = new WheelIds();
  readonly #aliases = new Aliases(this.#released);
  readonly #extrefs = new Extrefs(this.#released);
  readonly #holds = new Holds(this.#released);
  readonly #events: Events;
  readonly #signals: Signals;
  readonly #processes: Processes;
  /** OS signals queued and not dispatched yet: a child forked now gets them too (POE copies its queue). */
  readonly #osPending = new Set<Item>();
  /** The last clock reading: what posts are stamped with. */
  #now = 0;

  // dispatch state
  #active: Session | Kernel = this;
  #activeEvent = '';
  /** Nesting of trapped dispatches; without the trap an exception unwinds to the outermost. */
  #depth = 0;
  /** Counts dispatches (handlers and wake-ups), so `interval()` knows when one began. */
  #turn = 0;
  /** The dispatch whose clock reading `#intervalBase` holds. */
  #baseTurn = -1;
  #intervalBase = 0;
  #marked: Session[] = [];
  #exception: unknown = undefined;
  #hasException = false;
  #stopping = false;
  #stopCalled = false;
  /** Session-bound calls already warned about being made outside any handler (#noSession). */
  readonly #warnedNoSession = new Set<string>();

  // loop state
  #mode: RunMode | undefined = undefined;
  /**
   * POE's kernel is a session of its own, made with the first session and stopped by the
   * IDLE it sends itself one slice after every other session is gone; only
   * `runOneTimeslice` can see that slice (it returns 1 once more).
   */
  #kernelSlicePending = false;
  #wakeScheduled = false;
  /** A setImmediate(#onImmediate) is outstanding (one at a time, whoever asked for it). */
  #immediate = false;
  #inPump = false;
  /**
   * The dispatch just made resolved a promise some code awaits (a task's `cede`, a semaphore's
   * `down`): the slice stops after it, so that code runs on before the next event, as a Coro
   * thread runs until it cedes or blocks.
   */
  #handoff = false;
  /** The slice stopped for a handoff: the woken code's next wait (or its end) resumes it. */
  #awaitingPark = false;
  /** Resumptions left before the kernel lets Node's loop turn (I/O, timers) once more. */
  #chain = 0;
  /** Microtask hops left for the woken code to park (#probe). */
  #probeLeft = 0;
  /** The run the main line's waits started (`_runMain`), and what each of them waits for. */
  #mainRun: Promise<void> | undefined = undefined;
  #mainWaits: (() => boolean)[] = [];
  /** Idle watchers (`idle()`), by id. */
  readonly #idlers = new Map<number, { session: Session; event: string; args: unknown[]; _holdName: string; destroy(): void }>();
  #idleSeq = 0;
  #clockTimer: ClockTimer | undefined = undefined;
  #clockTimerDue = Infinity;
  #beforeExitInstalled = false;
  readonly #soon = new Soon();

  static #dispatching: Kernel | undefined = undefined;

  constructor(options: KernelOptions = {}) {
    checkOptions(options);
    const clock = options.clock ?? new SystemClock();
    this.#clock = clock;
    this.#assert = options.assert ?? envOn('POE_ASSERT_DEFAULT') ?? false;
    this.#catch = options.catchExceptions ?? envOn('POE_CATCH_EXCEPTIONS') ?? true;
    this.#callerInfo = options.callerInfo ?? envOn('POE_CALLER_INFO') ?? false;
    this.#log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
    this.#batchLimit = options.batchLimit ?? 4096;
    this.#now = clock.now();
    this.#id = Kernel.#makeId();
    this.#name = options.name ?? Kernel.#makeName();
    this.#events = new Events(this as Kernel, this.#released);
    this.#signals = new Signals({
      received: (name) => {
        // A fork child still rebuilding keeps the signal for its fork point.
        if (this.#processes.deferSignal(name)) return;
        this.#processes.forwardToNewborns(name);
        this.#osSignal(name);
      },
      childWatchChanged: () => this.#processes.refreshAll(),
      running: () => this.#mode !== undefined,
    });
    this.#processes = new Processes(
      {
        post: (session, event, args) => void this.#enqueueFromKernel(ItemKind.Post, session, event, args),
        broadcast: (name, args) => {
          if (this.#sessions.size > 0) this.#queueSignal(this, name, args, `child process ${String(args[0])} ended`);
        },
        hold: (session, delta) => this.#holds.adjust(session, delta),
        chldWatched: () => this.#signals.watched('CHLD'),
        warn: (message) => this.#log(message),
        signals: () => ({
          watched: this.#signals.osWatched(),
          pending: [...this.#osPending].filter((item) => item.dest !== null).map((item) => item.name),
        }),
        deliverSignal: (name) => {
          if (!this.#signals.osWatched().includes(name)) return false;
          this.#osSignal(name);
          return true;
        },
      },
      options.program,
      options.execPath,
    );
    traceKernel(this, traceFlagsFromEnv(), this.#log);
  }

  static #idSeq = 0;
  static #makeId(): string {
    const hex = (n: number) => Math.floor(n).toString(16).padStart(8, '0');
    return `${hostname()}-${hex(Date.now() / 1000)}-${hex(process.pid)}-${hex(++Kernel.#idSeq)}`;
  }

  static #names = 0;
  /** IKC's default kernel name is host and pid; a thread or a second kernel in one process adds to it. */
  static #makeName(): string {
    const base = `${hostname()}-${process.pid}${threadId === 0 ? '' : `-t${threadId}`}`;
    return ++Kernel.#names === 1 ? base : `${base}-${Kernel.#names}`;
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

  static {
    brand(this, KERNEL_BRAND);
  }

  /** True for a kernel from either build (ESM or CJS) of poe-ts; `instanceof Kernel` says the same. */
  static isKernel(value: unknown): value is Kernel {
    return isBranded(Kernel, value);
  }

  /** Kernels from either build (ESM or CJS) of poe-ts are instances. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(this, value);
  }

  /** The kernel's id: `host-hextime-hexpid-hexseq`. Do not parse it. POE: `$kernel->ID`. */
  get ID(): string {
    return this.#id;
  }

  /**
   * The kernel's name: how other kernels address it (`poe://name/session/event`). Defaults to
   * `host-pid` (plus `-tN` in a worker thread, `-N` for a later kernel in the same thread).
   * POE::Component::IKC: the `name` given to IKC::Server/Client.
   */
  get name(): string {
    return this.#name;
  }

  /** @internal Installs (or, with undefined, removes) the router for remote addresses; the IKC responder's. */
  _setRouter(router: RemoteRouter | undefined): void {
    this.#router = router;
  }

  /** @internal The router installed, if any. */
  get _router(): RemoteRouter | undefined {
    return this.#router;
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
  // errors and the session a call acts for

  #fail<T>(code: number, message: string, value: T): T {
    this.errno = code;
    if (this.#assert) throw new PoeErrnoError(code, errnoName(code), message);
    return value;
  }

  /** Resolution (spec 1.1): a session object or its string, then an ID, then an alias, then the kernel. */
  #resolve(target: unknown): Session | Kernel | undefined {
    if (typeof target === 'string') {
      const alias = this.#aliases.owner(target);
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
    if (typeof target === 'number') return this.#sessions.get(target) ?? this.#aliases.owner(String(target));
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
      this.#log(
        `poe-ts: ${what} was called outside any handler while the kernel runs (from a callback, or after an await in a handler that is not an async function?); there is no session to act for, so it fails with ESRCH`,
      );
    }
    return this.#fail(E.ESRCH, `${what} needs an active session (call it from a handler)`, value);
  }

  /**
   * Outside any dispatch, in code an `async` handler runs after an `await`: that handler's
   * scope, when it is this kernel's and its session still lives. Session-bound calls made
   * there act for that session (#again), as they would have before the `await`.
   */
  #scoped(what: string): AsyncScope | undefined {
    if (this.#active !== this) return undefined;
    const scope = currentScope();
    if (scope === undefined || scope.kernel !== this) return undefined;
    if (scope.session._phase === Phase.Stopped) {
      if (!scope.warned) {
        scope.warned = true;
        this.#log(`poe-ts: ${what} after an await in async handler '${scope.event}' of session ${scope.session._id}, which has stopped: it acts for no session`);
      }
      return undefined;
    }
    return scope;
  }

  /** Calls `method` again with `args` as the scope's session and event, then back outside any handler. */
  #again<T>(scope: AsyncScope, method: (...args: never[]) => T, args: unknown[]): T {
    return this._actAs(scope.session, () => (method as (...a: unknown[]) => T).apply(this, args), scope.event);
  }

  /**
   * @internal Runs `fn` as `session`'s code, handling `event` (none by default): session-bound
   * calls in it act for `session`, as from one of its handlers, whatever is dispatching now
   * (an async handler's code after an await; a PoeEmitter acting for its session).
   */
  _actAs<T>(session: Session, fn: () => T, event = ''): T {
    const prevActive = this.#active;
    const prevEvent = this.#activeEvent;
    const prevKernel = Kernel.#dispatching;
    this.#active = session;
    this.#activeEvent = event;
    Kernel.#dispatching = this;
    try {
      return fn();
    } finally {
      this.#active = prevActive;
      this.#activeEvent = prevEvent;
      Kernel.#dispatching = prevKernel;
    }
  }

  /** A session-bound call with no session active: again as the async handler whose code runs, or ESRCH. */
  #outside<T>(what: string, method: (...args: never[]) => T, args: unknown[], failed: T): T {
    const scope = this.#scoped(what);
    return scope !== undefined ? this.#again(scope, method, args) : this.#noSession(what, failed);
  }

  // ------------------------------------------------------------------------------------------
  // queue

  /** Queues a post or signal from the active session (or the kernel, outside handlers). */
  #enqueue(kind: ItemKind, dest: Target, name: string, args: unknown[], file: string | undefined, line: number | undefined): Item {
    // Posts are stamped with the last clock reading. Every timer call reads the clock first,
    // so a post made after a timer in the same handler is never stamped before it (probe 05).
    const item = this.#events.post(this.#now, kind, dest, this.#active, name, args, this.#activeEvent || undefined, file, line);
    this.#wake();
    return item;
  }

  /** Queues an item with SENDER = the kernel, whatever handler is running. */
  #enqueueFromKernel(kind: ItemKind, dest: Target, name: string, args: unknown[]): Item {
    const item = this.#events.post(this.#now, kind, dest, this, name, args, undefined, undefined, undefined);
    this.#wake();
    return item;
  }

  /** Queues signal `name` from the kernel, saying why on the `poe:signal:queue` channel. */
  #queueSignal(dest: Target, name: string, args: unknown[], why: string): Item {
    if (channels.signalQueue.hasSubscribers) channels.signalQueue.publish({ kernel: this, target: dest, signal: name, args, why });
    return this.#enqueueFromKernel(ItemKind.Signal, dest, name, args);
  }

  /** One path for the six timer calls (see TimerCall): POE's checks, errno and return values. */
  #setTimer(call: TimerCall, event: string | undefined, time: number | undefined, args: unknown[], skip: (...args: never[]) => unknown, base?: number): number | undefined {
    if (event === undefined || event === null || (!call.replaces && (time === undefined || time === null))) {
      const what = call.epoch ? 'time' : 'delay';
      const message =
        event !== undefined && event !== null ? `${call.poe}: ${what} is undefined` : call.replaces || call.returnsId ? `${call.poe}: event name is undefined` : `${call.poe}: event name or ${what} is undefined`;
      return this.#fail(E.EINVAL, message, call.returnsId ? undefined : E.EINVAL);
    }
    checkEvent(event, call.name);
    if (time !== undefined && time !== null) checkSeconds(time, `${call.name} ${call.epoch ? 'epoch' : 'seconds'}`);
    const s = this.#activeSession(call.name);
    if (s === undefined) return call.returnsId ? undefined : E.ESRCH;
    if (call.replaces) {
      this.#events.clearTimers(s, event);
      if (time === undefined || time === null) return 0;
    }
    const t = time as number;
    const now = base ?? (this.#now = this.#clock.now());
    const due = call.epoch ? t - this.#clock.wall(now) + now : now + t;
    const wall = call.epoch ? t : this.#clock.wall(now) + t;
    const caller = this.#callerInfo ? callerOf(skip) : NO_CALLER;
    const file = caller[0];
    const line = caller[1];
    const item = this.#events.addTimer(s, event, due, wall, call.reportWall, args, this.#activeEvent || undefined, file, line, call.returnsId);
    if (due < this.#clockTimerDue) this.#wake();
    return call.returnsId ? item.seq : 0;
  }

  // ------------------------------------------------------------------------------------------
  // the loop

  /** Makes sure the loop will look at the queue again: the one "wake if running" of the kernel. */
  #wake(): void {
    if (!this.#wakeScheduled && !this.#inPump && this.#mode !== undefined) this.#scheduleWake();
  }

  #scheduleWake(): void {
    this.#wakeScheduled = true;
    if (!this.#immediate) {
      this.#immediate = true;
      setImmediate(this.#onImmediate);
    }
  }

  readonly #onImmediate = (): void => {
    this.#immediate = false;
    this.#chain = this.#batchLimit;
    this.#pump();
  };

  /**
   * @internal A dispatch resolved a promise that code awaits (promise-form waits, `cede`):
   * that code runs before the next event. Outside the loop (an I/O callback) it runs before
   * the loop's next batch anyway.
   */
  _handoff(): void {
    if (this.#inPump) this.#handoff = true;
  }

  /**
   * @internal The code a handoff woke waits again, or has ended: the slice goes on (in a
   * microtask, after that code's synchronous run). Code that awaits something outside the
   * kernel never parks; the setImmediate armed at the handoff resumes the loop then.
   */
  _parked(): void {
    if (!this.#awaitingPark) return;
    this.#awaitingPark = false;
    if (this.#chain > 0) {
      this.#chain--;
      // A reaction on a settled promise, not queueMicrotask: with async context tracking on
      // (any async handler or task turns it on) queueMicrotask makes an AsyncResource per call.
      void RESOLVED.then(this.#resume);
    }
  }

  readonly #resume = (): void => {
    if (!this.#inPump && this.#mode !== undefined) this.#pump();
  };

  /** One microtask hop of waiting for the woken code to park; after PROBE_HOPS the loop goes on. */
  readonly #probe = (): void => {
    if (!this.#awaitingPark) return;
    if (--this.#probeLeft > 0) {
      void RESOLVED.then(this.#probe);
      return;
    }
    this.#awaitingPark = false;
    this.#resume();
  };

  readonly #onClockTimer = (): void => {
    this.#clockTimer = undefined;
    this.#clockTimerDue = Infinity;
    this.#chain = this.#batchLimit;
    if (!this.#wakeScheduled) this.#pump();
  };

  readonly #pump = (): void => {
    this.#wakeScheduled = false;
    this.#awaitingPark = false;
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
        if (this.#handoff) {
          // The woken code runs now; its next wait resumes the loop (#resume). Code that goes
          // on to await something else (or nothing: a Promise.all gathering results) never
          // parks: a few microtask hops later the loop goes on anyway (#probe).
          this.#handoff = false;
          this.#awaitingPark = true;
          this.#probeLeft = PROBE_HOPS;
          void RESOLVED.then(this.#probe);
          if (mode.cond !== undefined && !mode.cond()) paused = true;
          break;
        }
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
    else if (this.#awaitingPark) this.#scheduleWake();
    else this.#arm();
  };

  /** Arranges the next wake-up: at once for queued work, else at the next timer. */
  #arm(): void {
    if (this.#wakeScheduled) return;
    if (this.#idlers.size > 0 && this.#events.fifo.length === 0) {
      const top = this.#events.timers.peek();
      if (top === undefined || top.prio > this.#clock.now()) {
        // Nothing to do before the next timer or I/O: each idle watcher gets its event.
        for (const w of this.#idlers.values()) this.#enqueueFromKernel(ItemKind.Post, w.session, w.event, w.args);
        this.#scheduleWake();
        return;
      }
    }
    if (this.#events.fifo.length > 0) {
      this.#scheduleWake();
      return;
    }
    if (this.#isIdle()) {
      // Only the next slice's idle test can raise IDLE; a batch that ended on its budget
      // must not leave an idle kernel waiting for nothing.
      this.#scheduleWake();
      return;
    }
    const top = this.#events.timers.peek();
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
    return this.#queueIdle() && !this.#extrefs.any && this.#sessions.size > 0 && !this.#processes.awaiting();
  }

  /**
   * Nothing queued (GC markers count: a new session's marker keeps the kernel busy, so a
   * session whose only resource is an IDLE watcher is collected before any IDLE) and no
   * watched handles. The ZOMBIE re-check after a handled IDLE looks at only this (POE's
   * `_invoke_state`): extra references taken in the IDLE handler do not prevent ZOMBIE.
   */
  #queueIdle(): boolean {
    return this.#events.idle && !this.#holds.any;
  }

  /** One POE timeslice (spec 1.3): idle test, then everything due now, then a GC sweep. */
  #slice(): number {
    if (this.#isIdle()) this.#queueSignal(this, 'IDLE', [], 'kernel is idle');
    const events = this.#events;
    const heap = events.timers;
    // With no timers pending nothing needs comparing against the time; save the clock read.
    const now = heap.size > 0 ? (this.#now = this.#clock.now()) : this.#now;
    const fifo = events.fifo;
    const cutoff = fifo.tail;
    let n = 0;
    for (;;) {
      const f = fifo.head < cutoff ? fifo.items[fifo.head] : undefined;
      const t = heap.items[0];
      let item: Item;
      if (t !== undefined && t.prio <= now && (f === undefined || t.prio < f.prio || (t.prio === f.prio && t.seq < f.seq))) {
        item = events.popTimer();
      } else if (f !== undefined) {
        fifo.shift();
        if (f.dest === null) continue; // purged
        item = f;
      } else break;
      n++;
      this.#dispatchItem(item);
      if (this.#hasException && !this.#stopping) this.#stopAll();
      if (this.#stopping || this.#handoff) break; // stop() or an unhandled exception ends the slice; so does a handoff
    }
    fifo.compact();
    this.#sweep();
    return n;
  }

  #dispatchItem(item: Item): void {
    const dest = item.dest!;
    this.#events.uncount(item);
    item.dest = null;
    switch (item.kind) {
      case ItemKind.Post:
      case ItemKind.Timer:
        if (dest !== this) {
          (dest as Session)._uses++;
          if (item.kind === ItemKind.Timer && this.#events.intervals.size !== 0) this.#repeat(item, dest as Session);
          const ret = this.#invoke(dest as Session, item.source as SessionOrKernel, item.name, item.args, item.file, item.line, item.fromState);
          if (ret !== undefined && isThenable(ret)) this.#pending(ret, dest as Session, item.source as SessionOrKernel, item.name, false, item.file, item.line, item.fromState);
        }
        break;
      case ItemKind.Signal:
        if (dest === this && this.#osPending.size > 0) this.#osPending.delete(item);
        this.#dispatchSignal(dest, item.name, item.args);
        break;
      case ItemKind.Wake:
        this.#runWake(dest, item.args[0] as WakeFn);
        break;
      default:
        break; // GC marker: its only job was to hold the session until now
    }
  }

  // ------------------------------------------------------------------------------------------
  // dispatch

  /**
   * Dispatches with POE's exception trap; restores the active session and event after. A
   * promise the handler returns is the caller's to follow (#pending): this is the hot path,
   * kept small enough for V8 to inline.
   */
  #invoke(session: Session, sender: SessionOrKernel, event: string, args: unknown[], file: string | undefined, line: number | undefined, fromState: string | undefined, owned = false): unknown {
    const prevActive = this.#active;
    const prevEvent = this.#activeEvent;
    const prevKernel = Kernel.#dispatching;
    this.#active = session;
    this.#activeEvent = event;
    Kernel.#dispatching = this;
    this.#depth++;
    this.#turn++;
    try {
      return session._invoke(this as Kernel, sender, event, args, file, line, fromState);
    } catch (err) {
      // Without POE's trap the exception unwinds through call() and create() like any other;
      // only the outermost dispatch, which Node's loop would otherwise receive, stops here.
      // An owned call (`_callOwned`) gives it to its caller.
      if (owned || (!this.#catch && this.#depth > 1)) throw err;
      this.#handlerFailed(err, session, sender, event, file, line, fromState);
      return undefined;
    } finally {
      this.#depth--;
      this.#active = prevActive;
      this.#activeEvent = prevEvent;
      Kernel.#dispatching = prevKernel;
    }
  }

  /** A repeating timer fires: its next firing is queued before its handler runs, unless its session has stopped. */
  #repeat(item: Item, session: Session): void {
    if (session._phase === Phase.Running) this.#events.rearm(item, session);
    else this.#events.intervals.delete(item);
  }

  /**
   * A wake-up (ItemKind.Wake): runs `fn` as `dest`'s turn, with `dest` active and the exception
   * trap; a promise it returns (a task's body) is followed as an async handler's.
   */
  #runWake(dest: Target, fn: WakeFn): void {
    if (dest !== this) {
      const s = dest as Session;
      if (s._phase === Phase.Stopped) return;
      s._uses++;
    }
    const prevActive = this.#active;
    const prevEvent = this.#activeEvent;
    const prevKernel = Kernel.#dispatching;
    this.#active = dest;
    this.#activeEvent = '';
    Kernel.#dispatching = this;
    this.#depth++;
    this.#turn++;
    let ret: unknown;
    try {
      ret = typeof fn === 'function' ? fn() : fn._turn();
    } catch (err) {
      if (dest === this) this.#recordException(err);
      else this.#handlerFailed(err, dest as Session, this, 'task', undefined, undefined, undefined);
      return;
    } finally {
      this.#depth--;
      this.#active = prevActive;
      this.#activeEvent = prevEvent;
      Kernel.#dispatching = prevKernel;
    }
    if (dest !== this && ret !== undefined && isThenable(ret)) this.#pending(ret, dest as Session, this, 'task', false, undefined, undefined, undefined);
  }

  /**
   * @internal The session a wait made now is for: the one dispatching, or the one whose async
   * handler (or task) runs on after an `await`; undefined for the program's main line.
   */
  _waiter(): Session | undefined {
    const a = this.#active;
    if (a !== this) return a as Session;
    const scope = currentScope();
    return scope !== undefined && scope.kernel === this && scope.session._phase !== Phase.Stopped ? scope.session : undefined;
  }

  /**
   * @internal Queues `fn` (or `fn._turn()`) to run as `dest`'s turn (the kernel's, for the main
   * line) at the end of the FIFO.
   */
  _wakeSoon(dest: Session | undefined, fn: WakeFn): void {
    this.#enqueueFromKernel(ItemKind.Wake, dest ?? this, 'wake', [fn]);
  }

  /** @internal Runs `fn` as `dest`'s turn `seconds` from now (a wait's timeout); `_dropWake` cancels it. */
  _wakeAt(dest: Session | undefined, seconds: number, fn: () => unknown): Item {
    const now = (this.#now = this.#clock.now());
    const item = this.#events.addWake(dest ?? this, now + seconds, fn);
    if (item.prio < this.#clockTimerDue) this.#wake();
    return item;
  }

  /** @internal Cancels a `_wakeAt` that has not run. */
  _dropWake(item: Item): void {
    if (item.heapIndex >= 0) this.#events.removeTimer(item);
  }

  /**
   * @internal The program's main line waits on a kernel primitive: if the kernel is not
   * running, it runs until `done()` (Coro's main thread blocking, AnyEvent's `recv`). Settles
   * with `promise` once the kernel has paused; if every session ended first, nothing can
   * satisfy the wait, and `stalled` is told why.
   */
  _runMain<T>(what: string, done: () => boolean, promise: Promise<T>, stalled: (err: Error) => void): Promise<T> {
    // Running for someone else (run(), a handler's await): the wait just waits.
    if (this.#mode !== undefined && this.#mainRun === undefined) return promise;
    // One run for every wait of the main line (`Promise.all([a.down(), b.down()])`): it pauses
    // once none is left, not when the first one ends.
    this.#mainWaits.push(done);
    this.#mainRun ??= this.runWhile(() => {
      // Some wait is pending while the last one is: drop finished ones from the end only, so
      // a thousand waits cost no scan per slice.
      const waits = this.#mainWaits;
      while (waits.length > 0 && waits[waits.length - 1]!()) waits.pop();
      return waits.length > 0;
    }).finally(() => {
      this.#mainRun = undefined;
      this.#mainWaits = [];
    });
    return this.#mainRun.then(
      () => {
        if (!done()) stalled(new PoeStallError(`The kernel stalled: the main program waits on ${what}, but no session is left that could end the wait`));
        return promise;
      },
      (err: unknown) => {
        if (!done()) stalled(err instanceof Error ? err : new Error(String(err)));
        throw err;
      },
    );
  }

  /** @internal Whether callers' file and line are recorded (`callerInfo`). */
  get _callerInfo(): boolean {
    return this.#callerInfo;
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
    this.#holds.adjust(session, 1);
    const done = (): void => {
      running.splice(running.lastIndexOf(event), 1);
      this.#holds.adjust(session, -1);
      this._parked();
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
      if (session._phase === Phase.Stopped) {
        this.#log(`poe-ts: async handler '${event}' of stopped session ${session._id} rejected: ${formatError(err)}`);
        return;
      }
      // done() released the hold, which woke the loop: it finds the DIE (or the stop) queued.
      this.#handlerFailed(err, session, sender, event, file, line, fromState);
    });
    return promise;
  }

  #handlerFailed(err: unknown, session: Session, sender: SessionOrKernel, event: string, file: string | undefined, line: number | undefined, fromState: string | undefined): void {
    if (channels.error.hasSubscribers) channels.error.publish({ kernel: this, error: err, session, event });
    if (!this.#catch) {
      this.#recordException(err);
      if (!this.#stopping) this.#stopAll();
      return;
    }
    if (event === '_stop' || this.#signals.inDie > 0 || this.#stopCalled) {
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
    this.#queueSignal(session, 'DIE', [info], `handler '${event}' of session ${session._id} threw`);
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
        this.#log(`poe-ts: additional error thrown in handler for previous error: ${formatError(err)}`);
      }
    }
  }

  /**
   * The synchronous part of `call` once the target is a live session: a self-call runs the
   * handler directly (no trap, G13), a call into another session through the trap.
   */
  #callSession(target: Session, event: string, args: unknown[], skip: (...args: never[]) => unknown, callerOwns: boolean): unknown {
    const caller = this.#callerInfo ? callerOf(skip) : NO_CALLER;
    const file = caller[0];
    const line = caller[1];
    const active = this.#active;
    const from = this.#activeEvent || undefined;
    const ret = target === active ? target._invoke(this as Kernel, active, event, args, file, line, from) : this.#invoke(target, active, event, args, file, line, from);
    this.errno = 0;
    return isThenable(ret) ? this.#pending(ret, target, active, event, callerOwns, file, line, from) : ret;
  }

  // ------------------------------------------------------------------------------------------
  // garbage collection (spec 1.8)

  #mark(s: Session): void {
    // POE marks a session each time its reference count drops to zero, and #sweep takes
    // the newest mark first; a session marked again is pushed again (spec 1.8).
    if (s._phase === Phase.Running && !this.#alive(s)) {
      s._gcMarked = true;
      this.#marked.push(s);
    }
  }

  /** What keeps a session: POE's `_data_ses_count` over the resources. */
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
        if (s._phase === Phase.Running && !this.#alive(s)) {
          if (channels.sessionCollect.hasSubscribers) channels.sessionCollect.publish({ kernel: this, session: s });
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
    this.#log("discarding session - no '_start' state");
  }

  /** @internal A postback or callback was garbage-collected without release(). */
  _dropAnonRef(id: number): void {
    if (this.#sessions.has(id)) this.refcountDecrement(id, 'anon_event');
  }

  /** @internal Registers a new session, runs `_start` and `_child(create)`. */
  _register(session: Session, args: unknown[]): void {
    const scope = this.#scoped('Session.create');
    if (scope !== undefined) return this.#again(scope, this._register, [session, args]);
    this.#kernelSlicePending = true;
    const active = this.#active;
    const parent = active === this ? undefined : (active as Session);
    this.#sessions.add(session, parent);
    if (channels.sessionCreate.hasSubscribers) channels.sessionCreate.publish({ kernel: this, session, parent });
    const ret = this.#dispatch(session, parent ?? this, '_start', args);
    const now = session._parent;
    if (session._phase === Phase.Running && now !== undefined) this.#dispatch(now, this, '_child', ['create', session, ret]);
    if (channels.sessionStart.hasSubscribers) channels.sessionStart.publish({ kernel: this, session, parent: session._parent ?? this });
    // The deferred GC marker holds the new session until the queue reaches it (probe 25).
    if (session._phase === Phase.Running) this.#events.post(this.#now, ItemKind.Gc, session, session, '_garbage_collect', [], undefined, undefined, undefined);
  }

  /**
   * @internal Stops `s` now, as a GC or a signal would (its children move to its parent):
   * POE's `_data_ses_stop`, which POE::NFA's `stop` reaches through its queued stop event.
   */
  _stopSession(s: Session): void {
    this.#stopSession(s);
  }

  /**
   * @internal A promise returned by a handler that a session ran inside its own dispatch (an
   * NFA's entry, leave or return event): followed as the kernel follows an async handler's.
   */
  _follow(ret: PromiseLike<unknown>, session: Session, event: string): void {
    this.#pending(ret, session, session, event, false, undefined, undefined, undefined);
  }

  #stopSession(s: Session): void {
    if (s._phase !== Phase.Running) return;
    s._phase = Phase.Stopping;
    const parent = s._parent;
    for (const child of [...s._children]) {
      if (parent !== undefined) this.#dispatch(parent, this, '_child', ['gain', child, undefined]);
      if (child._phase === Phase.Running) this.#dispatch(child, this, '_parent', [s, parent ?? this]);
    }
    const ret = this.#dispatch(s, this.#active, '_stop', []);
    const p = s._parent;
    if (p !== undefined && p._phase !== Phase.Stopped) this.#dispatch(p, this, '_child', ['lose', s, ret]);
    this.#freeSession(s);
  }

  /** Frees a stopped session: each resource drops what it had of it (POE's `_data_ses_free`). */
  #freeSession(s: Session): void {
    const parent = this.#sessions.remove(s);
    if (parent !== undefined) this.#mark(parent);
    this.#signals.dropSession(s);
    this.#aliases.dropSession(s);
    this.#extrefs.dropSession(s);
    // A stopped session's wheels stop too: POE removes its file-handle watchers (spec 1.6
    // step 5) and Perl then destroys the wheels with the heap.
    if (s._owned !== undefined) {
      const owned = [...s._owned];
      s._owned = undefined;
      for (const thing of owned) {
        try {
          thing.destroy();
        } catch (err) {
          this.#log(`poe-ts: destroying a resource of session ${s._id} failed: ${formatError(err)}`);
        }
      }
    }
    this.#processes.dropSession(s);
    this.#holds.dropSession(s);
    this.#events.dropSession(s);
    s._phase = Phase.Stopped;
    if (channels.sessionStop.hasSubscribers) channels.sessionStop.publish({ kernel: this, session: s });
  }

  /** Stops every session, deepest first, with `_stop` and `_child(lose)` (spec 1.13, G22). */
  #stopAll(): void {
    this.#stopping = true;
    const all = this.#sessions.descendants(undefined);
    for (let i = all.length - 1; i >= 0; i--) this.#stopSession(all[i]!);
    this.#events.clear();
  }

  // ------------------------------------------------------------------------------------------
  // signals (spec 1.11)

  #dispatchSignal(dest: Target, name: string, args: unknown[]): void {
    let touched = this.#sessions.descendants(dest === this ? undefined : (dest as Session));
    const die = name === 'DIE';
    if (die && dest !== this) {
      const ancestors: Session[] = [];
      for (let p = (dest as Session)._parent; p !== undefined; p = p._parent) ancestors.unshift(p);
      touched = [...ancestors, ...touched];
    }
    const signals = this.#signals;
    const prevHandled = signals.handled;
    signals.handled = false;
    if (die) signals.inDie++;
    const watchers = signals.watchers(name);
    try {
      if (watchers !== undefined) {
        for (let i = touched.length - 1; i >= 0; i--) {
          const s = touched[i]!;
          if (s._phase === Phase.Stopped) continue;
          const w = watchers.get(s);
          if (w === undefined) continue;
          if (channels.signalDeliver.hasSubscribers) channels.signalDeliver.publish({ kernel: this, session: s, signal: name, event: w.event });
          this.#dispatch(s, this, w.event, [name, ...args, ...w.extra]);
        }
      }
    } finally {
      if (die) signals.inDie--;
    }
    const handled = signals.handled;
    signals.handled = prevHandled;
    if (channels.signal.hasSubscribers) channels.signal.publish({ kernel: this, target: dest, signal: name, args, handled });
    // The kernel's own part comes last: a handled IDLE that leaves it idle becomes ZOMBIE.
    if (dest === this && name === 'IDLE' && handled && this.#queueIdle()) this.#queueSignal(this, 'ZOMBIE', [], 'IDLE was handled but nothing changed');
    if (NONMASKABLE.has(name) || (TERMINAL.has(name) && !handled)) {
      for (let i = touched.length - 1; i >= 0; i--) {
        const s = touched[i]!;
        if (s._phase === Phase.Running) this.#stopSession(s);
      }
    }
    if (die && !handled) {
      const info = args[0] as DieInfo | undefined;
      this.#recordException(info !== undefined && typeof info === 'object' && 'error' in info ? info.error : info);
    }
  }

  /** OS signal `name` arrived: queued to the kernel, and remembered until dispatched (see fork). */
  #osSignal(name: string): void {
    this.#osPending.add(this.#queueSignal(this, name, [], 'received from the OS'));
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
  post<E2, K extends EventName<E2>>(dest: Session<E2, unknown> | Kernel | RemoteTarget<E2>, event: K, ...args: EventArgs<E2, K>): 1 | undefined;
  post(dest: string | number | Kernel, event: string, ...args: unknown[]): 1 | undefined;
  post(dest: unknown, event: string, ...args: unknown[]): 1 | undefined {
    const scope = this.#scoped('post');
    if (scope !== undefined) return this.#again(scope, this.post, [dest, event, ...args]);
    checkEvent(event, 'post');
    const target = this.#resolve(dest);
    if (target === undefined) return this.#postElsewhere(dest, event, args);
    if (target === this) return 1; // the kernel accepts and ignores posts (spec 1.1)
    const caller = this.#callerInfo ? callerOf(this.post) : NO_CALLER;
    const file = caller[0];
    const line = caller[1];
    this.#enqueue(ItemKind.Post, target, event, args, file, line);
    return 1;
  }

  /**
   * @internal Queues `event` for `session` once per argument list in `list` (each list taken
   * as it is, not copied), SENDER the active session, as that many `post` calls would: how
   * IKC delivers a run of posts from another kernel without a call (and a copy of the
   * arguments) per post. `event` is checked by the caller; a session not in this kernel gets
   * nothing.
   */
  _postRun(session: Session, event: string, list: unknown[][]): void {
    if (this.#sessions.get(session._id) !== session) return;
    const active = this.#active;
    const activeEvent = this.#activeEvent || undefined;
    for (let i = 0; i < list.length; i++) this.#events.post(this.#now, ItemKind.Post, session, active, event, list[i]!, activeEvent, undefined, undefined);
    this.#wake();
  }

  /** A destination that does not resolve here: a remote address for the router, else ESRCH. Out of line: local posts never pay for it. */
  #postElsewhere(dest: unknown, event: string, args: unknown[]): 1 | undefined {
    const router = this.#router;
    if (router !== undefined) {
      const r = router.post(this.#active, dest, event, args);
      if (r !== NOT_REMOTE) return r;
    }
    return this.#fail(E.ESRCH, `post: cannot resolve destination ${describe(dest)}`, undefined);
  }

  /** Queues `event` for the current session. Always returns undefined. POE: `$kernel->yield(...)`. */
  yield<K extends EventName<E>>(event: K, ...args: EventArgs<E, K>): undefined;
  yield(event: string, ...args: unknown[]): undefined {
    checkEvent(event, 'yield');
    const active = this.#active;
    if (active === this) return this.#yieldOutside(event, args);
    const caller = this.#callerInfo ? callerOf(this.yield) : NO_CALLER;
    const file = caller[0];
    const line = caller[1];
    this.#enqueue(ItemKind.Post, active, event, args, file, line);
    return undefined;
  }

  /** `yield` with no session active, out of line so that `yield` stays small enough to inline. */
  #yieldOutside(event: string, args: unknown[]): undefined {
    return this.#outside('yield', this.yield, [event, ...args], undefined);
  }

  /**
   * Runs `event`'s handler in `dest` now and returns its value; sets `errno` to 0. A call to
   * your own session bypasses the exception trap (spec 1.4, G13). An `async` handler's promise
   * comes back as a promise of its outcome that the caller owns. POE: `$kernel->call(...)`.
   */
  call<E2, K extends EventName<E2>>(dest: Session<E2, unknown> | Kernel, event: K, ...args: EventArgs<E2, K>): EventReturn<E2, K> | undefined;
  /** A session in another kernel (with an IKC responder running): a promise of its handler's value. */
  call<E2, K extends EventName<E2>>(dest: RemoteTarget<E2>, event: K, ...args: EventArgs<E2, K>): Promise<Awaited<EventReturn<E2, K>>>;
  call(dest: string | number | Kernel, event: string, ...args: unknown[]): unknown;
  call(dest: unknown, event: string, ...args: unknown[]): unknown {
    const scope = this.#scoped('call');
    if (scope !== undefined) return this.#again(scope, this.call, [dest, event, ...args]);
    checkEvent(event, 'call');
    const target = this.#resolve(dest);
    if (target === undefined) return this.#callElsewhere(dest, event, args);
    if (target === this) {
      this.errno = 0;
      return undefined;
    }
    return this.#callSession(target as Session, event, args, this.call, true);
  }

  #callElsewhere(dest: unknown, event: string, args: unknown[]): unknown {
    const router = this.#router;
    if (router !== undefined) {
      const r = router.call(this.#active, dest, event, args);
      if (r !== NOT_REMOTE) return r;
    }
    return this.#fail(E.ESRCH, `call: cannot resolve destination ${describe(dest)}`, undefined);
  }

  /**
   * @internal `call(session, event, ...args)` for a wheel's user event: the event name was
   * checked when the wheel was made and the session is the wheel's own, so only whether it
   * still lives is left to resolve. A rejected promise from the handler becomes DIE.
   */
  _wheelCall(session: Session, event: string, args: unknown[]): unknown {
    // A wheel's session is in this kernel's table until it is freed.
    if (session._phase === Phase.Stopped) return this.#fail(E.ESRCH, `call: cannot resolve destination ${describe(session)}`, undefined);
    return this.#callSession(session, event, args, this._wheelCall, false);
  }

  /**
   * @internal `call(session, event, ...args)` for a component that answers for the handler's
   * failure itself (SimpleHTTP turns it into a 500): a synchronous throw reaches the caller,
   * as a self-call's does (spec 1.4, G13), instead of becoming DIE; a promise the handler
   * returns is the caller's, as `call`'s is. The target must be a live session of this kernel.
   */
  _callOwned(target: Session, event: string, args: unknown[]): unknown {
    const active = this.#active;
    const from = this.#activeEvent || undefined;
    const ret = this.#invoke(target, active, event, args, undefined, undefined, from, true);
    this.errno = 0;
    return isThenable(ret) ? this.#pending(ret, target, active, event, true, undefined, undefined, from) : ret;
  }

  // ------------------------------------------------------------------------------------------
  // public API: timers (spec 1.5)

  /**
   * Clears this session's timers named `event`, then, given an epoch time, sets one.
   * Returns 0, or EINVAL (22) when `event` is undefined. POE: `$kernel->alarm(...)`.
   */
  alarm<K extends EventName<E>>(event: K | undefined, epoch?: number, ...args: EventArgs<E, K>): number;
  /** Without a time: only clears the timers named `event`. */
  alarm(event: EventName<E> | undefined, epoch?: undefined): number;
  alarm(event: string | undefined, epoch?: number, ...args: unknown[]): number {
    const scope = this.#scoped('alarm');
    if (scope !== undefined) return this.#again(scope, this.alarm, [event, epoch, ...args]);
    return this.#setTimer(TIMER.alarm, event, epoch, args, this.alarm) as number;
  }

  /** Adds a timer without clearing others. Returns 0 or EINVAL. POE: `alarm_add`. */
  alarmAdd<K extends EventName<E>>(event: K | undefined, epoch: number | undefined, ...args: EventArgs<E, K>): number;
  alarmAdd(event: string | undefined, epoch: number | undefined, ...args: unknown[]): number {
    const scope = this.#scoped('alarm_add');
    if (scope !== undefined) return this.#again(scope, this.alarmAdd, [event, epoch, ...args]);
    return this.#setTimer(TIMER.alarmAdd, event, epoch, args, this.alarmAdd) as number;
  }

  /** Like `alarm`, with a delay in seconds from now. Returns 0 or EINVAL. POE: `delay`. */
  delay<K extends EventName<E>>(event: K | undefined, seconds?: number, ...args: EventArgs<E, K>): number;
  /** Without a delay: only clears the timers named `event`. */
  delay(event: EventName<E> | undefined, seconds?: undefined): number;
  delay(event: string | undefined, seconds?: number, ...args: unknown[]): number {
    const scope = this.#scoped('delay');
    if (scope !== undefined) return this.#again(scope, this.delay, [event, seconds, ...args]);
    return this.#setTimer(TIMER.delay, event, seconds, args, this.delay) as number;
  }

  /** Like `alarmAdd`, with a delay in seconds. Returns 0 or EINVAL. POE: `delay_add`. */
  delayAdd<K extends EventName<E>>(event: K | undefined, seconds: number | undefined, ...args: EventArgs<E, K>): number;
  delayAdd(event: string | undefined, seconds: number | undefined, ...args: unknown[]): number {
    const scope = this.#scoped('delay_add');
    if (scope !== undefined) return this.#again(scope, this.delayAdd, [event, seconds, ...args]);
    return this.#setTimer(TIMER.delayAdd, event, seconds, args, this.delayAdd) as number;
  }

  /** Adds a timer and returns its id, or undefined with EINVAL. POE: `alarm_set`. */
  alarmSet<K extends EventName<E>>(event: K | undefined, epoch: number | undefined, ...args: EventArgs<E, K>): AlarmId | undefined;
  alarmSet(event: string | undefined, epoch: number | undefined, ...args: unknown[]): AlarmId | undefined {
    const scope = this.#scoped('alarm_set');
    if (scope !== undefined) return this.#again(scope, this.alarmSet, [event, epoch, ...args]);
    return this.#setTimer(TIMER.alarmSet, event, epoch, args, this.alarmSet);
  }

  /** Adds a timer `seconds` from now and returns its id. POE: `delay_set`. */
  delaySet<K extends EventName<E>>(event: K | undefined, seconds: number | undefined, ...args: EventArgs<E, K>): AlarmId | undefined;
  delaySet(event: string | undefined, seconds: number | undefined, ...args: unknown[]): AlarmId | undefined {
    const scope = this.#scoped('delay_set');
    if (scope !== undefined) return this.#again(scope, this.delaySet, [event, seconds, ...args]);
    return this.#setTimer(TIMER.delaySet, event, seconds, args, this.delaySet);
  }

  /**
   * Sets a `delay_set` timer and returns it as a disposable handle: `using t = ctx.kernel.timer(
   * 'timed_out', 5)` removes the timer when the block ends, if it has not fired. Returns
   * undefined (with errno) where `delaySet` would. Not in POE, whose timers are ids.
   */
  timer<K extends EventName<E>>(event: K, seconds: number, ...args: EventArgs<E, K>): TimerHandle | undefined;
  timer(event: string, seconds: number, ...args: unknown[]): TimerHandle | undefined {
    const scope = this.#scoped('timer');
    if (scope !== undefined) return this.#again(scope, this.timer, [event, seconds, ...args]);
    const id = this.#setTimer(TIMER.delaySet, event, seconds, args, this.timer);
    return id === undefined ? undefined : new TimerHandle(this as Kernel, id);
  }

  /** @internal A TimerHandle's timer is still pending. */
  /**
   * A repeating timer of the current session (AnyEvent's `timer` with `interval`): `event`
   * with `args` every `every` seconds, the first time after `after` seconds (default: `every`).
   * Firings are due at fixed multiples of `every` from the first, so they do not drift. It
   * keeps the session alive, like any timer, until removed: through the handle (`using`,
   * `remove()`), or by id with `alarmRemove` and the other `alarm_*` calls. As AnyEvent's
   * `after` counts from the loop's time, intervals made in one handler count from one clock
   * reading, so they keep in step. Not in POE.
   */
  interval(event: EventName<E>, every: number | IntervalSpec, ...args: unknown[]): TimerHandle | undefined {
    const scope = this.#scoped('interval');
    if (scope !== undefined) return this.#again(scope, this.interval, [event, every, ...args]);
    const spec = typeof every === 'number' ? { every } : every;
    if (spec === null || typeof spec !== 'object') {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_TIME', `Expected interval \`every\` to be a number of seconds or { after, every }, got ${describe(every)}`);
    }
    const period = spec.every;
    if (typeof period !== 'number' || !(period > 0) || period === Infinity) {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_TIME', `Expected interval \`every\` to be a number of seconds > 0, got ${describe(period)}`);
    }
    const id = this.#setTimer(TIMER.delaySet, event, spec.after ?? period, args, this.interval, this.#startOfTurn());
    if (id === undefined) return undefined;
    this.#events.repeat(this.#events.timer(id)!, period);
    return new TimerHandle(this as Kernel, id);
  }

  /**
   * What intervals made now count from: one clock reading per dispatch, so the watchers a
   * handler makes one after another start together and fire together at every common multiple
   * of their periods (AnyEvent's timers count from the loop's cached `now`). Outside any
   * dispatch (code after an `await`) each reads the clock.
   */
  #startOfTurn(): number | undefined {
    if (this.#depth === 0) return undefined;
    if (this.#baseTurn !== this.#turn) {
      this.#baseTurn = this.#turn;
      this.#intervalBase = this.#now = this.#clock.now();
    }
    return this.#intervalBase;
  }

  /**
   * An idle watcher of the current session (AnyEvent's `idle`): `event` with `args` is posted
   * each time the kernel has nothing else to do (no queued event, no timer due), again and
   * again until it is removed (the handle's `remove()` or `using`, or `idleRemove(id)`). It
   * keeps the session alive. Not in POE.
   */
  idle(event: EventName<E>, ...args: unknown[]): IdleHandle | undefined {
    const scope = this.#scoped('idle');
    if (scope !== undefined) return this.#again(scope, this.idle, [event, ...args]);
    checkEvent(event, 'idle');
    const s = this.#activeSession('idle');
    if (s === undefined) return undefined;
    const id = ++this.#idleSeq;
    const idlers = this.#idlers;
    const watcher = {
      session: s,
      event,
      args,
      _holdName: `idle(${event})`,
      // The session is freed: the kernel drops its holds itself.
      destroy: (): void => void idlers.delete(id),
    };
    this.#idlers.set(id, watcher);
    (s._owned ??= new Set()).add(watcher);
    this.#holds.adjust(s, 1);
    this.#wake();
    return new IdleHandle(this as Kernel, id);
  }

  /** Removes idle watcher `id` (any session may); true if it was there. */
  idleRemove(id: number): boolean {
    const w = this.#idlers.get(id);
    if (w === undefined) return false;
    this.#idlers.delete(id);
    if (w.session._owned?.delete(w) === true) this.#holds.adjust(w.session, -1);
    return true;
  }

  /** @internal */
  _timerPending(id: AlarmId): boolean {
    return this.#events.timer(id) !== undefined;
  }

  /** @internal Removes a TimerHandle's timer, whatever session is active; true if it was pending. */
  _dropTimer(id: AlarmId): boolean {
    const item = this.#events.timer(id);
    if (item === undefined) return false;
    this.#events.removeTimer(item);
    return true;
  }

  /** Finds a timer of the active session by id; sets POE's errno when it cannot. */
  #ownTimer(id: unknown, what: string, quiet: boolean): Item | undefined {
    if (id === undefined || id === null) return this.#fail(E.EINVAL, `${what}: alarm id is undefined`, undefined);
    const item = this.#events.timer(id as number);
    if (item === undefined) return quiet ? undefined : this.#fail(E.ESRCH, `${what}: no pending alarm ${describe(id)}`, undefined);
    if (item.dest !== this.#active) return quiet ? undefined : this.#fail(E.EPERM, `${what}: alarm ${describe(id)} belongs to another session`, undefined);
    return item;
  }

  /** Moves a timer by `delta` seconds; returns its new epoch time. POE: `alarm_adjust`. */
  alarmAdjust(id: AlarmId | undefined, delta: number | undefined): number | undefined {
    const scope = this.#scoped('alarm_adjust');
    if (scope !== undefined) return this.#again(scope, this.alarmAdjust, [id, delta]);
    if (delta === undefined || delta === null) return this.#fail(E.EINVAL, 'alarm_adjust: delta is undefined', undefined);
    const item = this.#ownTimer(id, 'alarm_adjust', false);
    if (item === undefined) return undefined;
    if (typeof delta !== 'number' || !Number.isFinite(delta)) {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_TIME', `Expected \`alarmAdjust\` delta to be a finite number of seconds, got ${describe(delta)}`);
    }
    if (delta !== 0) {
      item.prio += delta;
      item.wall += delta;
      this.#events.timers.update(item);
      this.#wake();
    }
    return item.wall;
  }

  /**
   * Re-bases a timer to `seconds` from now; returns its new epoch time. Unknown or foreign
   * ids return undefined without setting errno, as POE does (G11). POE: `delay_adjust`.
   */
  delayAdjust(id: AlarmId | undefined, seconds: number | undefined): number | undefined {
    const scope = this.#scoped('delay_adjust');
    if (scope !== undefined) return this.#again(scope, this.delayAdjust, [id, seconds]);
    if (seconds === undefined || seconds === null) return this.#fail(E.EINVAL, 'delay_adjust: delay is undefined', undefined);
    const item = this.#ownTimer(id, 'delay_adjust', true);
    if (item === undefined) return undefined;
    checkSeconds(seconds, 'delayAdjust seconds');
    const now = (this.#now = this.#clock.now());
    item.prio = now + seconds;
    item.wall = this.#clock.wall(now) + seconds;
    this.#events.timers.update(item);
    this.#wake();
    return item.wall;
  }

  /**
   * Removes a timer; returns `[name, time, args]` (POE's list, or its arrayref in scalar
   * context), or undefined with errno ESRCH, EPERM or EINVAL. POE: `alarm_remove`.
   */
  alarmRemove(id: AlarmId | undefined): RemovedAlarm | undefined {
    const scope = this.#scoped('alarm_remove');
    if (scope !== undefined) return this.#again(scope, this.alarmRemove, [id]);
    const item = this.#ownTimer(id, 'alarm_remove', false);
    if (item === undefined) return undefined;
    this.#events.removeTimer(item);
    return [item.name, item.reportWall ? item.wall : 0, item.args];
  }

  /**
   * Removes every timer of the current session; returns `[name, time, ...args]` for each, in
   * due order (args flattened, G12). POE: `alarm_remove_all`.
   */
  alarmRemoveAll(): [string, number, ...unknown[]][] {
    const scope = this.#scoped('alarm_remove_all');
    if (scope !== undefined) return this.#again(scope, this.alarmRemoveAll, []);
    const s = this.#activeSession('alarm_remove_all');
    if (s === undefined) return [];
    return this.#events.takeTimers(s).map((item) => [item.name, item.reportWall ? item.wall : 0, ...item.args]);
  }

  // ------------------------------------------------------------------------------------------
  // public API: aliases and ids (spec 1.9)

  /** Gives the current session an alias. Returns 0, or EEXIST (17) if another session has it. */
  aliasSet(alias: string): number {
    const scope = this.#scoped('alias_set');
    if (scope !== undefined) return this.#again(scope, this.aliasSet, [alias]);
    checkAlias(alias);
    const s = this.#activeSession('alias_set');
    if (s === undefined) return E.ESRCH;
    const owner = this.#aliases.set(s, alias);
    if (owner !== undefined) return this.#fail(E.EEXIST, `alias_set: alias ${describe(alias)} belongs to session ${owner._id}`, E.EEXIST);
    return 0;
  }

  /** Removes an alias of the current session. Returns 0, ESRCH (3) or EPERM (1). */
  aliasRemove(alias: string): number {
    const scope = this.#scoped('alias_remove');
    if (scope !== undefined) return this.#again(scope, this.aliasRemove, [alias]);
    checkAlias(alias);
    const s = this.#activeSession('alias_remove');
    if (s === undefined) return E.ESRCH;
    const owner = this.#aliases.owner(alias);
    if (owner === undefined) return this.#fail(E.ESRCH, `alias_remove: no alias ${describe(alias)}`, E.ESRCH);
    if (owner !== s) return this.#fail(E.EPERM, `alias_remove: alias ${describe(alias)} belongs to session ${owner._id}`, E.EPERM);
    this.#aliases.remove(s, alias);
    return 0;
  }

  /** Resolves a session object, string, ID or alias; undefined (errno untouched, G11) if none. */
  aliasResolve(target: unknown): Session | Kernel | undefined {
    return this.#resolve(target);
  }

  /** The sorted aliases of a session (the current one by default); [] + ESRCH if unresolvable. */
  aliasList(target?: unknown): string[] {
    const scope = this.#scoped('alias_list');
    if (scope !== undefined) return this.#again(scope, this.aliasList, [target]);
    const s = target === undefined ? this.#active : this.#resolve(target);
    if (s === undefined) return this.#fail(E.ESRCH, `alias_list: cannot resolve ${describe(target)}`, []);
    return s === this ? [] : this.#aliases.list(s as Session);
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
    return this.#refcount(id, tag, 1, 'refcount_increment');
  }

  /** Lowers a session's count for `tag`; at 0 the tag goes and the session may be collected. */
  refcountDecrement(id: SessionId | number, tag: string): number | undefined {
    return this.#refcount(id, tag, -1, 'refcount_decrement');
  }

  #refcount(id: SessionId | number, tag: string, delta: 1 | -1, what: string): number | undefined {
    const s = this.#sessions.get(id);
    if (s === undefined) return this.#fail(E.ESRCH, `${what}: no session ${describe(id)}`, undefined);
    const count = this.#extrefs.adjust(s, tag, delta);
    if (channels.refcount.hasSubscribers) channels.refcount.publish({ kernel: this, session: s, tag, count });
    return count;
  }

  /**
   * @internal Wheels and watchers hold their session alive (POE's file-handle refcounts).
   * `delta` is +1 or -1.
   */
  _hold(session: Session, delta: 1 | -1): void {
    this.#holds.adjust(session, delta);
  }

  /**
   * @internal An I/O readiness event for `session` (POE's select dispatch, spec 1.3 step 4):
   * runs the session's (wheel-registered) `state` handler synchronously, with the exception
   * trap and SENDER = the session itself, then sweeps garbage and lets the loop pick up
   * whatever the handler queued. Called from Node stream callbacks, which Node runs before
   * the kernel's setImmediate batch: I/O before queued events, as in POE (G7).
   */
  _ioDispatch(session: Session, state: string, args: unknown[]): unknown {
    if (session._phase === Phase.Stopped) return undefined;
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
    return this.#wheelIds.allocate();
  }

  /** @internal Frees a wheel id when its wheel is destroyed. */
  _freeWheelId(id: number): void {
    this.#wheelIds.free(id);
  }

  /**
   * @internal Calls `fn` at the next turn of Node's event loop (a `setImmediate`): how wheels
   * learn that a handle can take data now (POE's write readiness). The kernel schedules its
   * batches the same way, and a handler's `setImmediate` lands before the batch the kernel
   * arms after it, so a handle made ready by a handler is served before the next batch of
   * queued events (G7).
   */
  _ioSoon(fn: () => void): void {
    this.#soon.add(fn);
  }

  /** @internal A warning through the kernel's log: POE's `carp` from wheels and the like. */
  _warn(message: string): void {
    this.#log(message);
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
    const fn: AnonEvent<unknown> = releasable((...args: unknown[]) => {
      if (isCallback) return this.call(id, event, [...context], args);
      this.post(id, event, [...context], args);
      return 0;
    }, release);
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
    const scope = this.#scoped('state');
    if (scope !== undefined) return this.#again(scope, this.state, [event, handler, method]);
    checkEvent(event, 'state');
    const s = this.#activeSession('state');
    if (s === undefined) return E.ESRCH;
    if (handler === undefined || handler === null) {
      s._handlers.delete(event);
      return 0;
    }
    if (s._options?.get('debug') && s._handlers.has(event)) this.#log(`redefining handler for event '${event}' in session ${s._id}`);
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
   * get a process listener while at least one session watches them, and a running kernel
   * waits for them (a signal can wake it). POE: `$kernel->sig(...)`.
   */
  sig(name: string, event?: EventName<E>, ...extra: unknown[]): void {
    const scope = this.#scoped('sig');
    if (scope !== undefined) return this.#again(scope, this.sig, [name, event, ...extra]);
    checkSignal(name);
    const s = this.#activeSession('sig');
    if (s === undefined) return;
    const signal = signalName(name);
    if (event === undefined || event === null) return this.#signals.unwatch(s, signal);
    checkEvent(event, 'sig');
    this.#signals.watch(s, signal, event, extra);
  }

  /** Marks the signal being dispatched as handled, saving the sessions it would stop. */
  sigHandled(): void {
    this.#signals.handled = true;
  }

  /**
   * Queues signal `name` for `dest` (the kernel means every session). Returns 1, or undefined
   * with ESRCH. POE: `$kernel->signal(...)`.
   */
  signal(dest: unknown, name: string, ...args: unknown[]): 1 | undefined {
    const scope = this.#scoped('signal');
    if (scope !== undefined) return this.#again(scope, this.signal, [dest, name, ...args]);
    checkSignal(name);
    const target = this.#resolve(dest);
    if (target === undefined) return this.#fail(E.ESRCH, `signal: cannot resolve destination ${describe(dest)}`, undefined);
    const signal = signalName(name);
    if (channels.signalQueue.hasSubscribers) {
      const from = this.#active === this ? 'the kernel' : `session ${(this.#active as Session)._id}`;
      channels.signalQueue.publish({ kernel: this, target, signal, args, why: `sent by ${from}` });
    }
    this.#enqueue(ItemKind.Signal, target, signal, args, undefined, undefined);
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

  /** @internal The ChildProcess of a live child this kernel's `fork()` started, for IKC's ForkTransport. */
  _forkedChild(pid: number): ChildProcess | undefined {
    return this.#processes.forkedChild(pid);
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
    checkPath('forkProgram', path);
    this.#processes.program = path;
  }

  /** The Node binary `fork()` starts. @default the `execPath` option, else process.execPath */
  get forkExecPath(): string {
    return this.#processes.execPath;
  }
  set forkExecPath(path: string | undefined) {
    checkPath('forkExecPath', path);
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
    const scope = this.#scoped('sig_child');
    if (scope !== undefined) return this.#again(scope, this.sigChild, [pid, event, ...extra]);
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`sigChild\` pid to be a positive integer, got ${describe(pid)}`);
    }
    const s = this.#activeSession('sig_child');
    if (s === undefined) return;
    if (event === undefined || event === null) return this.#processes.unwatch(s, pid);
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
    const scope = this.#scoped('detach_myself');
    if (scope !== undefined) return this.#again(scope, this.detachMyself, []);
    const s = this.#activeSession('detach_myself');
    if (s === undefined) return undefined;
    const old = s._parent;
    if (old === undefined) return this.#fail(E.EPERM, 'detach_myself: the session is already a child of the kernel', undefined);
    this.#detach(s, old);
    if (this.#activeEvent !== '_start') this.#dispatch(old, this, '_child', ['lose', s, undefined]);
    this.#dispatch(s, this, '_parent', [old, this]);
    return 1;
  }

  /** Detaches a child of the current session. Returns 1, or undefined + ESRCH/EPERM. */
  detachChild(child: unknown): 1 | undefined {
    const scope = this.#scoped('detach_child');
    if (scope !== undefined) return this.#again(scope, this.detachChild, [child]);
    const target = this.#resolve(child);
    if (target === undefined) return this.#fail(E.ESRCH, `detach_child: cannot resolve ${describe(child)}`, undefined);
    // The kernel resolves, but it is nobody's child: EPERM, as in POE.
    if (target === this) return this.#fail(E.EPERM, 'detach_child: the kernel is not a child of the current session', undefined);
    const c = target as Session;
    const active = this.#active;
    if (active === this || c._parent !== active) return this.#fail(E.EPERM, `detach_child: session ${c._id} is not a child of the current session`, undefined);
    this.#detach(c, active);
    this.#dispatch(active, this, '_child', ['lose', c, undefined]);
    this.#dispatch(c, this, '_parent', [active, this]);
    return 1;
  }

  #detach(s: Session, old: Session): void {
    this.#sessions.detach(s, old);
    this.#mark(old);
  }

  // ------------------------------------------------------------------------------------------
  // public API: accessors (spec 1.13)

  /** The session handling an event now, or the kernel. POE: `get_active_session`. */
  getActiveSession(): SessionOrKernel {
    return this.#scoped('get_active_session')?.session ?? this.#active;
  }
  /** The event being handled now, or '' outside handlers. POE: `get_active_event`. */
  getActiveEvent(): string {
    return this.#scoped('get_active_event')?.event ?? this.#activeEvent;
  }
  /** Queued events and timers, GC markers excluded. POE: `get_event_count`. */
  getEventCount(): number {
    return this.#events.user;
  }
  /** Epoch time of the next queued item, or undefined. POE: `get_next_event_time`. */
  getNextEventTime(): number | undefined {
    const prio = this.#events.nextPrio();
    return prio === undefined ? undefined : this.#clock.wall(prio);
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
    const running = this._waiter();
    // The running session is where ps() was called from, as Coro::Debug shows it.
    if (running !== undefined && this.#callerInfo) running._where = whereOf(this.ps);
    return this.#sessions.descendants(undefined).map((s) => {
      const waits = waitingOn(s);
      return {
      id: s._id,
      parent: s._parent?._id ?? 'kernel',
      aliases: this.#aliases.list(s),
      phase: s._phase === Phase.Running ? 'running' : 'stopping',
      queued: s._evTo,
      sent: s._evFrom,
      timers: s._timerCount,
      children: [...s._children].map((c) => c._id),
      extrefs: Object.fromEntries(s._extrefs ?? []),
      holds: s._holds,
      aliveBecause: aliveReasons(s, this.#processes.watchedPids(s)),
      state: s === running ? 'running' : s._evTo > 0 ? 'ready' : waits.length > 0 || s._holds > 0 ? 'waiting' : 'idle',
      waitingOn: waits,
      uses: s._uses,
      desc: s._desc,
      where: s._where,
      };
    });
  }

  /**
   * What the kernel's tables still hold that they should not once every session is gone.
   * Empty after a clean run; `run()` also reports leaks through the log when it finishes.
   */
  leaks(): string[] {
    if (this.#sessions.size > 0) return this.#mode === undefined ? [`${this.#sessions.size} session(s) still registered`] : [];
    return [
      ...this.#aliases.leaks(),
      ...this.#events.leaks(),
      ...this.#signals.leaks(),
      ...this.#extrefs.leaks(),
      ...this.#holds.leaks(),
      ...this.#processes.leaks(),
      ...this.#sessions.leaks(),
    ];
  }

  // ------------------------------------------------------------------------------------------
  // public API: running (spec 1.13)

  #start(kind: RunMode['kind'], slices: number, cond: (() => boolean) | undefined, signal: AbortSignal | undefined): Promise<1 | undefined> {
    if (this.#mode !== undefined) {
      throw new PoeArgumentError('ERR_POE_KERNEL_RUNNING', 'The kernel is already running; await the first run() before starting another');
    }
    let resolve!: (value: 1 | undefined) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<1 | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const mode: RunMode = { kind, slices, cond, resolve, reject, signal, onAbort: undefined, aborted: false };
    this.#mode = mode;
    this.#signals.refresh();
    if (signal !== undefined) {
      mode.onAbort = () => {
        mode.aborted = true;
        if (this.#mode === mode) this.stop();
      };
      if (signal.aborted) mode.onAbort();
      else signal.addEventListener('abort', mode.onAbort, { once: true });
    }
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
    setImmediate(() => setImmediate(this.#onImmediate));
    return promise;
  }

  #settle(value: 1 | undefined): void {
    const mode = this.#mode;
    if (mode === undefined) return;
    this.#mode = undefined;
    this.#signals.refresh();
    if (this.#clockTimer !== undefined) {
      this.#clock.clearTimer(this.#clockTimer);
      this.#clockTimer = undefined;
      this.#clockTimerDue = Infinity;
    }
    if (this.#beforeExitInstalled) {
      process.removeListener('beforeExit', this.#onBeforeExit);
      this.#beforeExitInstalled = false;
    }
    if (mode.onAbort !== undefined) mode.signal!.removeEventListener('abort', mode.onAbort);
    if (this.#sessions.size === 0 && this.#hasException) mode.reject(this.#takeException());
    else if (mode.aborted) mode.reject(mode.signal!.reason);
    else mode.resolve(value);
  }

  #takeException(): unknown {
    const err = this.#exception;
    this.#exception = undefined;
    this.#hasException = false;
    return err;
  }

  /**
   * The last session ended with turns of the main line's waits still queued (a wait settled
   * from a Node callback in the slice that ended it): they are the main line's answers, so
   * they run now rather than go with the queue. Their timeouts go.
   */
  #mainTurns(): void {
    const events = this.#events;
    for (const item of [...events.fifo.live()]) {
      if (item.kind !== ItemKind.Wake || item.dest !== this) continue;
      events.uncount(item);
      item.dest = null;
      this.#runWake(this, item.args[0] as WakeFn);
    }
    for (const item of [...events.timers.items]) if (item.kind === ItemKind.Wake && item.dest === this) events.removeTimer(item);
  }

  /** Every session is gone: check the tables, reset for a later run, settle run(). */
  #finish(): void {
    this.#mainTurns();
    for (const leak of this.leaks()) this.#log(`poe-ts: leak at kernel stop: ${leak}`);
    this.#events.clear();
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
   * (POE's `run()` rethrowing). With no sessions it settles at once. With `signal`, aborting
   * stops the kernel and rejects with the signal's reason. POE: `$kernel->run()`.
   */
  async run(options?: KernelRunOptions): Promise<void> {
    const signal = checkRunOptions(options, 'run');
    if (this.#sessions.size === 0) return this.#nothingToRun(signal);
    await this.#start('run', 0, undefined, signal);
  }

  /**
   * Runs one timeslice once something is due; resolves 1, or undefined when no sessions exist
   * (rejecting with a recorded exception). POE: `run_one_timeslice`.
   */
  async runOneTimeslice(options?: KernelRunOptions): Promise<1 | undefined> {
    const signal = checkRunOptions(options, 'runOneTimeslice');
    if (this.#sessions.size === 0) {
      if (this.#kernelSlicePending) {
        this.#kernelSlicePending = false;
        return 1;
      }
      return this.#nothingToRun(signal);
    }
    return this.#start('slices', 1, undefined, signal);
  }

  /** Runs timeslices while `cond()` is true and sessions exist. POE: `run_while(\$flag)`. */
  async runWhile(cond: () => boolean, options?: KernelRunOptions): Promise<void> {
    if (typeof cond !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`cond\` to be a function, got ${describe(cond)}`);
    }
    const signal = checkRunOptions(options, 'runWhile');
    if (this.#sessions.size === 0) return this.#nothingToRun(signal);
    await this.#start('while', 0, cond, signal);
  }

  /** A run with no sessions: a recorded exception, or an aborted signal's reason, or nothing. */
  #nothingToRun(signal: AbortSignal | undefined): undefined {
    this.#kernelSlicePending = false;
    if (this.#hasException) throw this.#takeException();
    if (signal?.aborted) throw signal.reason;
    return undefined;
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
    } else this.#wake();
  }

  /** `using kernel = new Kernel()`: stops whatever sessions are left when the block ends. */
  [Symbol.dispose](): void {
    if (this.#sessions.size > 0) this.stop();
  }

  /** The number of live sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }
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
