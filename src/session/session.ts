import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import { AsyncScope, isAsyncFunction, runInScope } from '../kernel/async-scope.js';
import { errno as E } from '../errno.js';
import type { QueueItem } from '../kernel/queue.js';
import { channels } from '../kernel/trace.js';
import { Context } from './context.js';
import type { AnonEvent, EventArgs, EventName, EventReturn, InlineStates, SessionOrKernel, StartArgs, StatesList, Untyped } from './types.js';

/** @internal Where a session is in its life: running, being stopped (`_stop` runs), or freed. */
export const Phase = { Running: 0, Stopping: 1, Stopped: 2 } as const;
/** @internal */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** A session id: a positive integer, as in POE (branded so it is not mixed with other numbers). */
export type SessionId = number & { readonly __brand?: 'SessionId' };

/** @internal A registered handler: the function and the `this`/OBJECT it runs with. */
export interface HandlerEntry {
  readonly fn: (...args: unknown[]) => unknown;
  readonly object: unknown;
  /** A wheel's internal state: called with its arguments only, no context. */
  readonly raw: boolean;
  /** An `async` function: it runs in an async scope, so its calls after `await` act for the session. */
  readonly async: boolean;
}

/**
 * @internal Something a session owns (a wheel, a raw watcher): the kernel destroys it when the
 * session is freed, and names it when it is what keeps the session alive.
 */
export interface Owned {
  destroy(): void;
  /** How `ps()` and stall reports name it while it holds the session (`ReadWrite(3)`), else undefined. */
  readonly _holdName?: string | undefined;
  /** How many of the session's holds are its own. */
  readonly _holdCount?: number;
}

/**
 * Parameters of `Session.create`; POE's `POE::Session->create` keys in camelCase.
 * `E` is only ever given (`Session.create<Map, Heap>`), never inferred from the handlers or
 * `args` (hence `NoInfer`): without it a session stays untyped. `H` is inferred from `heap`.
 */
export interface SessionParams<E = Untyped, H = Record<string, unknown>> {
  /** POE `inline_states`: event name -> handler. */
  inlineStates?: InlineStates<NoInfer<E>, H>;
  /** POE `object_states`: `[object, ['event', ...] | { event: 'method' }, ...]`; `this` is the object. */
  objectStates?: StatesList;
  /** POE `package_states`: `[Class, ['event', ...] | { event: 'staticMethod' }, ...]`. */
  packageStates?: StatesList;
  /** POE `heap`: the session's heap, or a function that makes it. @default {} */
  heap?: H | (() => H);
  /**
   * POE `args`: an array becomes `_start`'s ARG0..; any other value becomes ARG0. Checked
   * against `_start`'s parameters when the session declares an event map.
   */
  args?: StartArgs<NoInfer<E>>;
  /** POE `options`: `trace`, `debug`, `default`, or anything of the user's. */
  options?: Record<string, unknown>;
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
}

const PARAM_KEYS = ['inlineStates', 'objectStates', 'packageStates', 'heap', 'args', 'options', 'kernel'] as const;
const PARAM_SET: ReadonlySet<string> = new Set(PARAM_KEYS);

/**
 * True for a `class`: a function that cannot be called, only constructed. POE's package states
 * name a package, and a class is what a package ports to.
 */
export function isClass(value: unknown): boolean {
  // A class always has its own `prototype` (it cannot be removed); arrow functions, methods,
  // async and bound functions have none, so the usual handler needs no source text and regex.
  return typeof value === 'function' && (value as { prototype?: unknown }).prototype !== undefined && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

function optionValue(value: unknown): unknown {
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'on' || v === 'yes' || v === 'true') return 1;
    if (v === 'off' || v === 'no' || v === 'false') return 0;
  }
  return value;
}

/**
 * A POE session: a heap, a table of handlers, and a place in the kernel's tree of sessions.
 * Made with `Session.create`; lives until it has nothing left to do (spec 1.8).
 *
 * `E` is the event map (see `Untyped`) and `H` the heap. The bare `Session` type means any
 * session: every `Session<E, H>` is assignable to it, so its heap is `unknown`.
 *
 * POE: `POE::Session`.
 */
// `out E`: a session with more events may stand in for one with fewer, and any typed session
// for a plain `Session` (Untyped is `unknown`, the top type); never the other way round.
export class Session<out E = Untyped, H = unknown> {
  /**
   * @internal Type only, never set: carries `E` as a plain property, so that `post`, `call` and
   * friends infer the event map of a subclass (an `NFA`) as they do of a `Session`.
   */
  declare readonly _events?: E;
  /** @internal */ readonly _kernel: Kernel;
  /** @internal */ readonly _handlers = new Map<string, HandlerEntry>();
  /** @internal options set on the session; made on the first one (most sessions have none) */
  _options: Map<string, unknown> | undefined = undefined;
  /** @internal */ _id: SessionId = 0;
  /** @internal */ _heap: H;
  /** @internal parent session, or undefined for the kernel */ _parent: Session | undefined = undefined;
  /** @internal */ readonly _children = new Set<Session>();
  /** @internal events queued to this session */ _evTo = 0;
  /** @internal events queued by this session to others */ _evFrom = 0;
  /** @internal */ _extrefs: Map<string, number> | undefined = undefined;
  /** @internal */ _aliases: Set<string> | undefined = undefined;
  /**
   * @internal this session's timers, pending ones (in the heap) and ones that fired or were
   * removed since the last compaction (see Events); `_timerCount` counts the pending ones
   */
  _timers: QueueItem<Session | Kernel>[] | undefined = undefined;
  /** @internal */ _timerCount = 0;
  /** @internal I/O and other holds registered by wheels */ _holds = 0;
  /** @internal what the session owns (wheels) and the kernel disposes of when it is freed */
  _owned: Set<Owned> | undefined = undefined;
  /** @internal the events of this session's async handlers still running (each one holds it) */
  _async: string[] | undefined = undefined;
  /** @internal times the kernel dispatched a queued event to it (ps's USES, as Coro::Debug counts) */
  _uses = 0;
  /** @internal a description for `ps()` (a task's `desc`, Coro's `$coro->{desc}`) */
  _desc: string | undefined = undefined;
  /** @internal where the session last began to wait on a kernel primitive (file:line, with `callerInfo`) */
  _where: string | undefined = undefined;
  /** @internal */ _phase: Phase = Phase.Running;
  /** @internal */ _gcMarked = false;

  // Protected, not private: POE::NFA is a session whose handler lookup differs (nfa.ts).
  protected constructor(kernel: Kernel, heap: H) {
    this._kernel = kernel;
    this._heap = heap;
  }

  /**
   * Creates a session, runs its `_start` synchronously (and the parent's `_child('create')`),
   * and returns it. Without a `_start` handler POE warns and returns undefined; so does this.
   *
   * POE: `POE::Session->create(...)`.
   */
  static create<E = Untyped, H = Record<string, unknown>>(params: SessionParams<E, H>): Session<E, H> | undefined {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new PoeArgumentError('ERR_POE_SESSION_BAD_PARAMS', `Expected \`Session.create\` parameters to be an object, got ${describe(params)}`);
    }
    for (const key in params) if (!PARAM_SET.has(key)) rejectUnknownKeys('Session.create', params, PARAM_KEYS);
    const kernel = params.kernel ?? Kernel.current();
    if (!(kernel instanceof Kernel)) {
      throw new PoeArgumentError('ERR_POE_SESSION_BAD_PARAMS', `Expected \`kernel\` to be a Kernel, got ${describe(kernel)}`);
    }
    const heapParam = params.heap;
    const heap = (typeof heapParam === 'function' ? (heapParam as () => H)() : heapParam === undefined ? {} : heapParam) as H;
    const session = new Session<E, H>(kernel, heap);

    if (params.inlineStates !== undefined) {
      const states = params.inlineStates as unknown;
      if (states === null || typeof states !== 'object' || Array.isArray(states)) {
        throw new PoeArgumentError('ERR_POE_SESSION_BAD_PARAMS', `Expected \`inlineStates\` to be an object of handlers, got ${describe(states)}`);
      }
      // for-in, not Object.entries: no arrays per session (own keys only, as entries).
      for (const event in states) {
        if (!Object.prototype.hasOwnProperty.call(states, event)) continue;
        const fn = (states as Record<string, unknown>)[event];
        // No handler: an optional callback left out (`{ _stop: options.onStop }`).
        if (fn === undefined || fn === null) continue;
        session._addHandler(event, fn, undefined, 'inlineStates');
      }
    }
    if (params.objectStates !== undefined) session._addStatesList(params.objectStates, 'objectStates');
    if (params.packageStates !== undefined) session._addStatesList(params.packageStates, 'packageStates');

    if (params.options !== undefined) {
      const options: unknown = params.options;
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw new PoeArgumentError('ERR_POE_SESSION_BAD_PARAMS', `Expected \`options\` to be an object, got ${describe(options)}`);
      }
      for (const [name, value] of Object.entries(options)) {
        if (value !== undefined) (session._options ??= new Map()).set(name.toLowerCase(), optionValue(value));
      }
    }

    const args = params.args === undefined ? [] : Array.isArray(params.args) ? [...(params.args as unknown[])] : [params.args];
    if (!session._handlers.has('_start')) {
      kernel._noStart();
      return undefined;
    }
    kernel._register(session, args);
    return session;
  }

  /** The session's id. POE: `$session->ID`. */
  get ID(): SessionId {
    return this._id;
  }

  /** The session's heap. POE: `$session->get_heap()`. */
  getHeap(): H {
    return this._heap;
  }
  /** POE's spelling of `getHeap`. */
  get_heap(): H {
    return this._heap;
  }

  /**
   * Gets or sets session options. `option(name)` reads; `option(name, value)` sets and returns
   * the previous value; `option({a: 1, b: 2})` sets several and returns the previous values.
   * Names are lower-cased; 'on'/'yes'/'true' become 1 and 'off'/'no'/'false' 0; undefined
   * deletes. POE: `$session->option(...)`.
   */
  option(name: string): unknown;
  option(name: string, value: unknown): unknown;
  option(values: Record<string, unknown>): Record<string, unknown>;
  option(nameOrValues: string | Record<string, unknown>, ...rest: unknown[]): unknown {
    if (typeof nameOrValues === 'object' && nameOrValues !== null) {
      const previous: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(nameOrValues)) previous[k.toLowerCase()] = this.#setOption(k, v);
      return previous;
    }
    if (typeof nameOrValues !== 'string') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected option name to be a string, got ${describe(nameOrValues)}`);
    }
    if (rest.length === 0) return this._options?.get(nameOrValues.toLowerCase());
    return this.#setOption(nameOrValues, rest[0]);
  }

  #setOption(name: string, value: unknown): unknown {
    const key = name.toLowerCase();
    const previous = this._options?.get(key);
    if (value === undefined) this._options?.delete(key);
    else (this._options ??= new Map()).set(key, optionValue(value));
    return previous;
  }

  /**
   * Returns a function that posts `event` to this session with ARG0 = `[...context]` and
   * ARG1 = the function's own arguments. It keeps the session alive (extref `anon_event`)
   * until `release()` or `weaken()` is called, or the function is garbage-collected.
   * POE: `$session->postback(...)`.
   */
  postback<K extends EventName<E>>(event: K, ...context: unknown[]): AnonEvent<0> {
    return this._kernel._anonEvent(this, event, context, false) as AnonEvent<0>;
  }

  // The map is read from `this` (E2), not from the class's E: a return type computed from E
  // would make E invariant, and a typed session could no longer be passed as a `Session`.
  /**
   * Like `postback`, but `call`s the event synchronously and returns the handler's value.
   * POE: `$session->callback(...)`.
   */
  callback<E2, K extends EventName<E2>>(this: Session<E2, unknown>, event: K, ...context: unknown[]): AnonEvent<EventReturn<E2, K> | undefined> {
    return this._kernel._anonEvent(this, event, context, true) as AnonEvent<EventReturn<E2, K> | undefined>;
  }

  /**
   * @internal Runs the handler of `event` (or `_default`), POE's `_invoke_state`: finds it,
   * redirects to `_default` with `(event, args)`, builds the context, and calls it. No
   * exception trap: the kernel's dispatch owns that. With neither handler, sets `errno` to
   * ENOSYS and returns undefined (and warns with the `default` option).
   */
  _invoke(kernel: Kernel, sender: SessionOrKernel, event: string, args: unknown[], file: string | undefined, line: number | undefined, fromState: string | undefined): unknown {
    let entry = this._handlers.get(event);
    let state = event;
    // Most sessions have no options (and no map of them): no lookups per dispatch.
    const options = this._options;
    if (entry === undefined) {
      entry = this._handlers.get('_default');
      if (entry === undefined) {
        kernel.errno = E.ENOSYS;
        if (event !== '_signal' && options?.get('default')) {
          kernel._warn(`a '${event}' event was sent from ${file ?? '?'} at ${line ?? '?'} to session ${this._id} but session ${this._id} has neither a handler for it nor one for _default`);
        }
        return undefined;
      }
      if (options?.get('trace')) kernel._warn(`${this._id} -> ${event} redirected to _default`);
      args = [event, args.slice()];
      state = '_default';
    }
    if (options?.get('trace')) kernel._warn(`${this._id} -> ${state} (from ${file ?? '?'} at ${line ?? '?'})`);
    if (channels.dispatch.hasSubscribers) channels.dispatch.publish({ kernel, session: this, event: state, sender, args });
    // A wheel's own I/O state takes only its arguments: no context to build.
    if (entry.raw) return callRaw(entry.fn, args);
    return callHandler(kernel, this, state, entry, new Context(kernel, this, this._heap, state, sender, entry.object, file, line, fromState), args);
  }

  /** A string that `post`, `call` and friends resolve back to this session. */
  toString(): string {
    return `POE::Session(${this._id})`;
  }

  /** @internal Adds or replaces a handler; used by create and by `kernel.state()`. */
  _addHandler(event: string, fn: unknown, object: unknown, where: string, raw = false): void {
    this._handlers.set(event, handlerEntry(event, fn, object, where, raw));
  }

  /** @internal Object or package states: `[target, names | {event: method}, ...]`. */
  _addStatesList(list: unknown, where: 'objectStates' | 'packageStates'): void {
    forEachStatesEntry(list, where, 'ERR_POE_SESSION_BAD_PARAMS', (event, target, method) => this._addMethodHandler(event, target, method, where));
  }

  /** @internal */
  _addMethodHandler(event: string, target: unknown, method: unknown, where: string): void {
    this._handlers.set(event, methodEntry(event, target, method, where));
  }
}

/**
 * @internal A handler entry for `fn`, checked: POE's handler rules (a function, not a class;
 * `_signal` reserved). Shared by every kind of session.
 */
export function handlerEntry(event: string, fn: unknown, object: unknown, where: string, raw = false): HandlerEntry {
  if (typeof event !== 'string') {
    throw new PoeArgumentError('ERR_POE_KERNEL_BAD_EVENT', `Expected event name in \`${where}\` to be a string, got ${describe(event)}`);
  }
  if (typeof fn !== 'function') {
    throw new PoeArgumentError('ERR_POE_SESSION_BAD_HANDLER', `Expected handler for \`${event}\` in \`${where}\` to be a function, got ${describe(fn)}`);
  }
  if (isClass(fn)) {
    // A class cannot be called: it would throw at the first dispatch instead of here.
    throw new PoeArgumentError(
      'ERR_POE_SESSION_BAD_HANDLER',
      `Expected handler for \`${event}\` in \`${where}\` to be a function, got class ${fn.name || '(anonymous)'}; a class's static methods are package states (\`packageStates\`, or \`state(event, Class, method)\`)`,
    );
  }
  if (event === '_signal') {
    throw new PoeArgumentError('ERR_POE_SESSION_BAD_HANDLER', 'The `_signal` event is reserved; use `kernel.sig()` to watch signals');
  }
  return { fn: fn as (...args: unknown[]) => unknown, object, raw, async: !raw && isAsyncFunction(fn) };
}

/**
 * @internal Walks an object or package states list (`[target, names | {event: method}, ...]`),
 * checked, handing each (event, target, method) to `add`.
 */
export function forEachStatesEntry(list: unknown, where: string, code: 'ERR_POE_SESSION_BAD_PARAMS' | 'ERR_POE_NFA_BAD_PARAMS', add: (event: string, target: unknown, method: unknown) => void): void {
  if (!Array.isArray(list) || list.length % 2 !== 0) {
    throw new PoeArgumentError(code, `Expected \`${where}\` to be a list of [target, events] pairs, got ${describe(list)}`);
  }
  for (let i = 0; i < list.length; i += 2) {
    const target: unknown = list[i];
    const events: unknown = list[i + 1];
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
      throw new PoeArgumentError(code, `Expected \`${where}\` target to be an object or class, got ${describe(target)}`);
    }
    const pairs: [string, unknown][] = Array.isArray(events)
      ? events.map((e: unknown) => [e as string, e])
      : events !== null && typeof events === 'object'
        ? Object.entries(events)
        : [];
    if (pairs.length === 0) {
      throw new PoeArgumentError(code, `Expected \`${where}\` events to be a non-empty array of names or an object of event -> method, got ${describe(events)}`);
    }
    for (const [event, method] of pairs) add(event, target, method);
  }
}

/** @internal A handler entry for `target[method]` (object and package states), checked. */
export function methodEntry(event: string, target: unknown, method: unknown, where: string): HandlerEntry {
  if (typeof method !== 'string') {
    throw new PoeArgumentError('ERR_POE_SESSION_BAD_HANDLER', `Expected method name for \`${String(event)}\` in \`${where}\` to be a string, got ${describe(method)}`);
  }
  const fn = (target as Record<string, unknown>)[method];
  if (typeof fn !== 'function') {
    throw new PoeArgumentError('ERR_POE_SESSION_BAD_HANDLER', `\`${where}\`: the target has no method \`${method}\` for event \`${event}\``);
  }
  return handlerEntry(event, fn, target, where);
}

/** @internal Calls a wheel's raw state: its arguments only (at most two, kind and payload). */
export function callRaw(fn: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  switch (args.length) {
    case 0:
      return fn();
    case 1:
      return fn(args[0]);
    case 2:
      return fn(args[0], args[1]);
    default:
      return fn(...args);
  }
}

/**
 * @internal Calls a handler with its context first (`this` is its object), an `async` one in
 * its scope. Every kind of session ends its dispatch here, whatever its context looks like.
 */
export function callHandler(kernel: Kernel, session: Session, state: string, entry: HandlerEntry, ctx: unknown, args: unknown[]): unknown {
  const fn = entry.fn;
  const object = entry.object;
  if (entry.async) return invokeAsync(kernel, session, state, fn, object, ctx, args);
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
 * session there. Out of `_invoke`, so its closure costs nothing to other handlers.
 */
function invokeAsync(kernel: Kernel, session: Session, state: string, fn: (...args: unknown[]) => unknown, object: unknown, ctx: unknown, args: unknown[]): unknown {
  return runInScope(new AsyncScope(kernel, session, state), () => fn.call(object, ctx, ...args));
}

export type { EventArgs, EventName, EventReturn };
