import { PoeArgumentError, PoeError, describe, rejectUnknownKeys } from '../errors.js';
import { AsyncScope, runInScope } from '../kernel/async-scope.js';
import { Kernel } from '../kernel/kernel.js';
import { Session, type SessionId } from '../session/session.js';
import type { EventArgs, EventName, InlineStates, Untyped } from '../session/types.js';
import { whereOf } from '../kernel/caller.js';
import { Wait, type WaitOptions, dropFrom, resolvedNow } from './wait.js';

/** Options of `task()`. */
export interface TaskOptions<E = Untyped, H = Record<string, unknown>> {
  /** Shown by `ps()`: Coro's `$coro->{desc}`. Can be set later through `task.desc`. */
  desc?: string;
  /** An alias for the task's session, so others can post to it by name. */
  alias?: string;
  /** The session's heap. @default {} */
  heap?: H;
  /**
   * Handlers for events the task handles itself, as a session's `inlineStates`. Events with no
   * handler here are kept for `next()`.
   */
  inlineStates?: InlineStates<NoInfer<E>, H>;
  /** The kernel to run in. @default the kernel dispatching now, or the default kernel */
  kernel?: Kernel;
}

const OPTION_KEYS = ['desc', 'alias', 'heap', 'inlineStates', 'kernel'] as const;

const tasks = new WeakMap<Session, Task<unknown, unknown, unknown>>();

/**
 * A task: a session whose body is an async function (Coro's `async { ... }`). It has an id,
 * a heap, a parent, `_start`/`_stop`/`_child` like any session, and `ps()` lists it. It starts
 * at its turn in the kernel's queue (after whatever was queued before it was made), lives
 * while its body runs or waits on a kernel primitive, and a throw in its body is a DIE signal
 * like any handler's. Inside, `await cede()` lets every other ready task and queued event run
 * first; `await task.next('event')` waits for an event posted to it.
 *
 * Coro: `async { ... }` (`$coro`); `E` types the events posted to it, `R` its body's result.
 */
// `out R`: a task of any result stands in for a plain `Task` (`current()`'s type), as a
// typed session does for a plain `Session`.
export class Task<out R = unknown, E = Untyped, H = Record<string, unknown>> {
  /** The task's session: post to it, alias it, watch it like any other. */
  readonly session: Session<E, H>;
  readonly kernel: Kernel;
  /** Events posted to it with nobody waiting in `next()` yet, oldest first, per event. */
  readonly #inbox = new Map<string, unknown[][]>();
  readonly #nexts = new Map<string, Wait<unknown[]>[]>();
  #settled: { ok: true; value: R } | { ok: false; error: unknown } | undefined = undefined;
  #join: Promise<R> | undefined = undefined;
  #joinSettle: ((r: { ok: true; value: unknown } | { ok: false; error: unknown }) => void) | undefined = undefined;

  /** @internal Made by `task()`. */
  constructor(body: (task: Task<R, E, H>) => R | PromiseLike<R>, options: TaskOptions<E, H>) {
    // Checked before the session exists: a bad option must not leave a started session behind.
    if (options.desc !== undefined) checkDesc(options.desc);
    const kernel = options.kernel ?? Kernel.current();
    this.kernel = kernel;
    const alias = options.alias;
    const run = (): Promise<R> =>
      runInScope(new AsyncScope(kernel, this.session as Session, 'task'), async () => body(this)).then(
        (value) => {
          this.#finish({ ok: true, value });
          return value;
        },
        (error: unknown) => {
          this.#finish({ ok: false, error });
          throw error;
        },
      );
    const session = Session.create<Untyped, H>({
      kernel,
      ...(options.heap !== undefined ? { heap: options.heap } : {}),
      inlineStates: {
        ...(options.inlineStates as InlineStates<Untyped, H> | undefined),
        _start: (ctx) => {
          if (alias !== undefined) ctx.kernel.aliasSet(alias);
          kernel._wakeSoon(ctx.session, run);
        },
        _default: (_ctx, event: string, args: unknown[]) => this.#deliver(event, args),
        _stop: (ctx, ...args: unknown[]) => {
          // Stopped with its body still waiting (a signal, kernel.stop()): the body never goes
          // on, and join() says so instead of waiting forever.
          if (this.#settled === undefined) {
            this.#finish({ ok: false, error: new PoeError('ERR_POE_TASK_STOPPED', `task ${this.id} was stopped before its body ended`) });
          }
          const own = (options.inlineStates as Record<string, unknown> | undefined)?._stop;
          return typeof own === 'function' ? (own as (...a: unknown[]) => unknown)(ctx, ...args) : undefined;
        },
      },
    });
    this.session = session as unknown as Session<E, H>;
    tasks.set(session as Session, this as Task<unknown, unknown, unknown>);
    if (options.desc !== undefined) this.desc = options.desc;
  }

  /** The task's session id. */
  get id(): SessionId {
    return this.session.ID;
  }

  /** The session's heap. */
  get heap(): H {
    return this.session.getHeap();
  }

  /** What `ps()` shows for it. Coro: `$coro->{desc}`. */
  get desc(): string | undefined {
    return (this.session as Session)._desc;
  }
  set desc(value: string | undefined) {
    if (value !== undefined) checkDesc(value);
    (this.session as Session)._desc = value;
  }

  /** The body has returned or thrown. */
  get done(): boolean {
    return this.#settled !== undefined;
  }

  /**
   * The body's result: resolves with what it returned, rejects with what it threw (which was
   * also its session's DIE), or with `ERR_POE_TASK_STOPPED` if its session was stopped (a
   * signal, `kernel.stop()`) while the body still waited. Coro: `$coro->join`.
   */
  join(): Promise<R> {
    if (this.#join === undefined) {
      const settled = this.#settled;
      // What the body threw, whatever it is (a DIE can be any value), is what join rejects with.
      /* eslint-disable @typescript-eslint/prefer-promise-reject-errors */
      if (settled !== undefined) this.#join = settled.ok ? Promise.resolve(settled.value) : Promise.reject(settled.error);
      else {
        this.#join = new Promise<R>((resolve, reject) => {
          this.#joinSettle = (r) => (r.ok ? resolve(r.value as R) : reject(r.error));
        });
      }
      /* eslint-enable @typescript-eslint/prefer-promise-reject-errors */
    }
    return this.#join;
  }

  #finish(result: { ok: true; value: R } | { ok: false; error: unknown }): void {
    if (this.#settled !== undefined) return; // stopped first: that is its end
    this.#settled = result;
    this.#joinSettle?.(result);
    this.#joinSettle = undefined;
  }

  /**
   * Waits for `event` to be posted to the task and resolves with its arguments. An event that
   * came before anyone waited for it is kept and taken first, so none is lost. Only the task
   * itself may wait (its body, or a handler of its session). With `timeout` (seconds, on the
   * kernel's clock) it rejects with `ERR_POE_WAIT_TIMEOUT`.
   */
  next<K extends EventName<E>>(event: K, options?: WaitOptions): Promise<EventArgs<E, K>> {
    if (typeof event !== 'string' || event === '') {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_EVENT', `task.next: expected an event name, got ${describe(event)}`);
    }
    if (this.kernel._waiter() !== (this.session as Session)) {
      throw new PoeArgumentError('ERR_POE_TASK_NOT_IN_TASK', `task.next('${event}') waits for events posted to task ${this.id}; call it from that task`);
    }
    const kept = this.#inbox.get(event);
    if (kept !== undefined) {
      const args = kept.shift()!;
      if (kept.length === 0) this.#inbox.delete(event);
      return resolvedNow(this.kernel, args as EventArgs<E, K>);
    }
    const list = this.#nexts.get(event) ?? [];
    const { wait, promise } = Wait.promise<unknown[]>(
      this.kernel,
      `next('${event}')`,
      (w) => {
        dropFrom(list, w);
        if (list.length === 0 && this.#nexts.get(event) === list) this.#nexts.delete(event);
      },
      options,
      this.next,
    );
    list.push(wait);
    this.#nexts.set(event, list);
    return promise as Promise<EventArgs<E, K>>;
  }

  /** An event with no handler of its own reached the task: to its first `next()` waiter, or kept. */
  #deliver(event: string, args: unknown[]): void {
    const list = this.#nexts.get(event);
    const wait = list?.shift();
    if (wait !== undefined) {
      if (list!.length === 0) this.#nexts.delete(event);
      // This dispatch is the task's own turn: its code runs on now, not one more hop later.
      wait.settleNow(args);
      return;
    }
    let kept = this.#inbox.get(event);
    if (kept === undefined) this.#inbox.set(event, (kept = []));
    kept.push(args);
  }

  /** `await task.cede()` is `await cede()` from inside the task. */
  cede(): Promise<void> {
    return cede();
  }
}

function checkDesc(value: unknown): void {
  if (typeof value !== 'string') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected task \`desc\` to be a string, got ${describe(value)}`);
}

/**
 * Makes a task: a session running `body` (Coro's `async { ... }`). The body starts at its turn
 * in the kernel's queue. Returns the Task (its session, `desc`, `next`, `join`).
 */
export function task<R, E = Untyped, H = Record<string, unknown>>(body: (task: Task<R, E, H>) => R | PromiseLike<R>, options: TaskOptions<E, H> = {}): Task<R, E, H> {
  if (typeof body !== 'function') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the task's body to be a function, got ${describe(body)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected task options to be an object, got ${describe(options)}`);
  }
  for (const key in options) if (!(OPTION_KEYS as readonly string[]).includes(key)) rejectUnknownKeys('task', options, OPTION_KEYS);
  return new Task(body, options);
}

/**
 * Lets every other ready task and queued event run first, then resolves: Coro's `cede`. From
 * the program's main line with the kernel not running, it runs the kernel until its turn
 * comes (so the seed's closing `cede` lets every queued task have its turn).
 */
export function cede(): Promise<void> {
  const kernel = Kernel.current();
  const session = kernel._waiter();
  if (session !== undefined && kernel._callerInfo) session._where = whereOf(cede);
  // The main line with no session left: nothing to cede to, and a wake queued now would stay
  // in the kernel's queue (a leak) until some later run dispatched it.
  if (session === undefined && kernel.sessionCount === 0) return Promise.resolve();
  const turn = new CedeTurn(kernel);
  kernel._wakeSoon(session, turn);
  kernel._parked();
  if (session !== undefined) return turn.promise;
  return kernel._runMain('cede', () => turn.done, turn.promise, () => {
    // Every session ended before the turn came: there is nothing left to cede to.
    turn.done = true;
    turn.resolve();
  });
}

/** A `cede`'s turn in the kernel's queue: its promise resolves, and its code runs next (the handoff). */
class CedeTurn {
  done = false;
  resolve!: () => void;
  readonly promise: Promise<void>;
  constructor(readonly kernel: Kernel) {
    this.promise = new Promise<void>((r) => (this.resolve = r));
  }
  _turn(): void {
    this.done = true;
    this.resolve();
    this.kernel._handoff();
  }
}

/** The task whose code is running (its body, or a handler of its session), if any. Coro: `$Coro::current`. */
export function current(): Task | undefined {
  const session = Kernel.current()._waiter();
  return session === undefined ? undefined : (tasks.get(session) as Task | undefined);
}
