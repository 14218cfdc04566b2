import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { PoeArgumentError, PoeError, camelCase, describe } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import { channels } from '../kernel/trace.js';
import type { Context } from '../session/context.js';
import { Phase, type Session } from '../session/session.js';

/** A wheel id: one process-wide (per kernel) counter shared by every wheel class. */
export type WheelId = number & { readonly __brand?: 'WheelId' };

/**
 * What a wheel may be given before its options, `new ReadWrite(ctx, {...})`: the context of the
 * handler making it (or that handler's session). The wheel belongs to that session as it
 * would anyway; what the argument adds is the session's event map, so the event-name options
 * (`inputEvent: 'got_line'`) are checked at compile time as `ctx.kernel.yield` is.
 */
export type WheelOwner<E> = Context<E, unknown> | Session<E, unknown>;

/** The session behind a handler context or a session (either build of poe-ts), or undefined. */
function ownerSession(value: unknown): Session | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if ((value as { _kernel?: unknown })._kernel instanceof Kernel) return value as Session;
  const ctx = value as { kernel?: unknown; session?: unknown };
  return ctx.kernel instanceof Kernel ? ownerSession(ctx.session) : undefined;
}

/**
 * @internal A wheel constructor's arguments, `(options)` or `(owner, options)`: the owner's
 * session (undefined without one) and the options.
 */
export function wheelArgs<O>(wheel: string, first: unknown, second: O | undefined): [owner: Session | undefined, options: O] {
  if (second === undefined) return [undefined, first as O];
  const owner = ownerSession(first);
  if (owner === undefined) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the first of ${wheel}'s two arguments to be the handler's context (ctx) or session, got ${describe(first)}`);
  }
  return [owner, second];
}

/**
 * @internal True once the kernel has freed `session` (after its `_stop`): the one place the
 * wheel layer reads a session's phase.
 */
export function sessionStopped(session: Session): boolean {
  return session._phase === Phase.Stopped;
}

/** What a wheel listens to: a stream, a server, a readline interface. */
type Emitter = Pick<EventEmitter, 'on' | 'removeListener'>;
type Listener = (...args: unknown[]) => void;

/** The one listener that hears the errors of handles a wheel closed (see `ignoreLateErrors`). */
function lateError(): void {
  // a handle the wheel no longer watches failed after it was closed: nobody is left to tell
}

/**
 * @internal Keeps `emitter` from ending the process with an `'error'` nobody hears: a handle
 * the wheel closed (or stopped watching) may still report a failure that happened before (a
 * peer gone mid-write). Adds one shared listener, once.
 */
export function ignoreLateErrors(emitter: Pick<EventEmitter, 'on' | 'listeners'>): void {
  if (!emitter.listeners('error').includes(lateError)) emitter.on('error', lateError);
}

/** The process's own stdio: a wheel never closes those. */
function isStdio(handle: object): boolean {
  const fd = (handle as { fd?: unknown }).fd;
  return typeof fd === 'number' && fd >= 0 && fd <= 2;
}

/** `set_high_mark` -> `setHighMark`, as `camelCase` does at run time. */
type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${Uncapitalize<H>}${Capitalize<CamelCase<T>>}` : Uncapitalize<S>;
/** The snake_case members `W` declares (`set_filter`), not its `_internal` ones. */
type AliasKey<W> = Exclude<Extract<keyof W, `${string}_${string}`>, `_${string}`>;
/**
 * The aliases a wheel class declares, each mapped to the camelCase method it is the POE
 * spelling of. A declared alias missing from the map, a key not declared, a name that is not the
 * key in camelCase, or an alias typed other than its method: each is a compile error.
 */
export type AliasMap<W> = {
  readonly [S in AliasKey<W>]: S extends string ? (CamelCase<S> extends keyof W ? ([W[S]] extends [W[CamelCase<S>]] ? ([W[CamelCase<S>]] extends [W[S]] ? CamelCase<S> : never) : never) : never) : never;
};

/**
 * @internal Installs POE's snake_case spellings on a prototype as the very same functions as
 * their camelCase methods (`proto.set_filter === proto.setFilter`): not enumerable, like the
 * methods, and writable, so a port may still override one.
 */
export function defineAliases(proto: object, aliases: Readonly<Record<string, string>>): void {
  const methods = proto as Record<string, unknown>;
  for (const [snake, camel] of Object.entries(aliases)) {
    const fn = methods[camel];
    if (typeof fn !== 'function' || camel !== camelCase(snake)) throw new TypeError(`poe-ts: ${snake} cannot alias ${camel}`);
    Object.defineProperty(proto, snake, { value: fn, writable: true, configurable: true });
  }
}

/**
 * The wheel base (POE::Wheel), the implementer's contract:
 *
 * - A wheel is made inside a handler and binds to the session running it; it cannot be passed
 *   to another session (spec 2.0).
 * - It takes an id from the kernel's wheel counter and frees it on `destroy()`.
 * - It registers its internal handlers as states of that session, named like POE's
 *   (`POE::Wheel::ReadWrite(3) -> select read`), and I/O callbacks reach them through the
 *   kernel's I/O dispatch: synchronously, trapped, before queued events (G7).
 * - It holds its session alive while it watches anything (`hold`/`release`), as POE's
 *   file-handle watchers do; `destroy()` drops every hold.
 * - User events are `call`ed in the session (synchronous, SENDER = the session, G35); an
 *   event set to `undefined` is not emitted. `event({...})` renames events at run time.
 * - `ioDispatch` drops I/O once the wheel is destroyed, and destroys a wheel whose session
 *   stopped without it.
 * - It listens to its handles with `listen` (dropped by `unlisten` or `destroy()`) and closes
 *   what it owns with `closeHandle`: never the process's stdio, and no late `'error'` from a
 *   closed handle can end the process.
 * - POE's snake_case method names are the very same functions as the camelCase ones: the
 *   class declares each (`declare set_filter: this['setFilter'];`) and installs them all in a
 *   static block with `Wheel.installAliases(this, { set_filter: 'setFilter', ... })`, which
 *   checks at compile time that the two lists agree.
 *
 * There is no deterministic DESTROY in JavaScript: `destroy()` is what `delete $heap->{wheel}`
 * did in POE.
 */
export abstract class Wheel {
  readonly #kernel: Kernel;
  readonly #session: Session;
  readonly #id: WheelId;
  readonly #className: string;
  readonly #states: string[] = [];
  #holds = 0;
  #destroyed = false;
  /** What the wheel listens to, made on first use (ReadWrite, the busiest wheel, needs none). */
  #listening: Map<Emitter, [event: string, fn: Listener][]> | undefined = undefined;

  /** `owner`: the session whose context the wheel was given (see WheelOwner), if any. */
  protected constructor(className: string, owner?: Session) {
    const kernel = Kernel.current();
    const active = kernel.getActiveSession();
    if (active instanceof Kernel) {
      throw new PoeError('ERR_POE_WHEEL_NO_SESSION', `${className} must be created inside a session's handler`);
    }
    if (owner !== undefined && owner !== active) {
      throw new PoeError(
        'ERR_POE_WHEEL_WRONG_SESSION',
        `${className} was given the context of session ${owner.ID} but is made in a handler of session ${active.ID}; a wheel belongs to the session whose handler makes it`,
      );
    }
    this.#kernel = kernel;
    this.#session = active;
    this.#className = className;
    this.#id = kernel._allocWheelId();
    // The kernel destroys the wheel if its session stops first.
    (active._owned ??= new Set()).add(this);
    if (channels.watcher.hasSubscribers) channels.watcher.publish({ kernel, session: active, name: `${className}(${this.#id})`, action: 'create' });
  }

  /** The wheel's id, the last argument of most of its events. POE: `$wheel->ID`. */
  get ID(): WheelId {
    return this.#id;
  }
  /** The kernel the wheel runs in. */
  get kernel(): Kernel {
    return this.#kernel;
  }
  /** The session the wheel belongs to. */
  get session(): Session {
    return this.#session;
  }
  /** @internal How the kernel names this wheel while it holds its session (`ReadWrite(3)`). */
  get _holdName(): string | undefined {
    return this.#holds > 0 ? `${this.#className}(${this.#id})` : undefined;
  }
  /** @internal How many holds the wheel has on its session. */
  get _holdCount(): number {
    return this.#holds;
  }
  /** True once `destroy()` ran. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Registers an internal handler as a state of the wheel's session and returns its name.
   * `fn` runs with the wheel's session active, so the user events it `emit`s are self-calls.
   */
  protected defineState(what: string, fn: (...args: unknown[]) => unknown): string {
    const name = `POE::Wheel::${this.#className}(${this.#id}) -> ${what}`;
    // Raw: the kernel calls `fn` with the event's arguments only (it has no use for a context).
    this.#session._addHandler(name, fn, undefined, this.#className, true);
    this.#states.push(name);
    return name;
  }

  /**
   * Delivers an I/O event to an internal state (see `defineState`): nothing once the wheel is
   * destroyed. The kernel destroys a stopped session's wheels with it; a wheel that still hears
   * from its handles after its session stopped destroys itself instead of reaching a freed
   * session, as POE's freed heap would have destroyed it.
   */
  protected ioDispatch(state: string, ...args: unknown[]): void {
    if (this.#destroyed) return;
    if (sessionStopped(this.#session)) {
      this.destroy();
      return;
    }
    this.#kernel._ioDispatch(this.#session, state, args);
  }

  /** Calls user event `event` in the wheel's session; nothing when the event is unset. */
  protected emit(event: string | undefined, ...args: unknown[]): unknown {
    if (event === undefined) return undefined;
    return this.#kernel._wheelCall(this.#session, event, args);
  }

  /** Keeps the session alive for one more watcher. */
  protected hold(): void {
    if (this.#destroyed) return;
    this.#holds++;
    this.#kernel._hold(this.#session, 1);
  }

  /** Drops one watcher's hold; the session may then be collected. */
  protected release(): void {
    if (this.#holds === 0) return;
    this.#holds--;
    this.#kernel._hold(this.#session, -1);
  }

  /** Listens to `emitter` until `unlisten(emitter)` or `destroy()`. */
  protected listen<A extends unknown[]>(emitter: Emitter, event: string, fn: (...args: A) => void): void {
    const listener = fn as unknown as Listener;
    const map = (this.#listening ??= new Map<Emitter, [string, Listener][]>());
    let list = map.get(emitter);
    if (list === undefined) map.set(emitter, (list = []));
    list.push([event, listener]);
    emitter.on(event, listener);
  }

  /** Removes every listener `listen` put on `emitter` (the emitter's other listeners stay). */
  protected unlisten(emitter: Emitter): void {
    const list = this.#listening?.get(emitter);
    if (list === undefined) return;
    this.#listening!.delete(emitter);
    for (const [event, fn] of list) emitter.removeListener(event, fn);
  }

  /**
   * Closes a handle the wheel owns, as dropping POE's last reference to it did; never the
   * process's stdio. `'end'`: the writable side is ended, so what Node already holds is still
   * written, then the handle is destroyed; `'destroy'`: at once. Errors it reports afterwards
   * are ignored (`ignoreLateErrors`).
   */
  protected closeHandle(handle: Readable | Writable, how: 'end' | 'destroy'): void {
    if (isStdio(handle)) return;
    ignoreLateErrors(handle);
    if (handle.destroyed) return;
    const out = handle as Writable;
    if (how === 'destroy' || out.writableFinished) {
      handle.destroy();
      return;
    }
    out.once('finish', () => out.destroy());
    if (!out.writableEnded) out.end();
  }

  /**
   * Stops the wheel: subclasses close their watchers in `onDestroy`, then the wheel drops its
   * states, holds and id. No event is emitted. Idempotent.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#session._owned?.delete(this);
    this.onDestroy();
    if (this.#listening !== undefined) for (const emitter of [...this.#listening.keys()]) this.unlisten(emitter);
    for (const name of this.#states) this.#session._handlers.delete(name);
    this.#states.length = 0;
    while (this.#holds > 0) this.release();
    this.#kernel._freeWheelId(this.#id);
    if (channels.watcher.hasSubscribers) channels.watcher.publish({ kernel: this.#kernel, session: this.#session, name: `${this.#className}(${this.#id})`, action: 'destroy' });
  }

  /** `using wheel = new ReadWrite(...)`: `destroy()` when the block ends. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** Subclasses stop their I/O here. */
  protected abstract onDestroy(): void;

  /**
   * Installs a wheel class's POE spellings (see the class comment): call it from the class's
   * static block, `Wheel.installAliases(this, {...})`. The map must name every snake_case
   * member the class declares, each with its camelCase method.
   */
  protected static installAliases<W extends Wheel>(cls: abstract new (...args: never[]) => W, aliases: AliasMap<W>): void {
    defineAliases((cls as { prototype: object }).prototype, aliases);
  }

  /**
   * Validates wheel options: rejects unknown keys (with a hint for POE's PascalCase) and
   * returns them. `events` names the keys that are event names (string or undefined).
   */
  protected static checkOptions<T extends object>(wheel: string, options: T, known: readonly string[], events: readonly string[] = []): T {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${wheel} options to be an object, got ${describe(options)}`);
    }
    const knownSet = knownSetOf(known);
    for (const key in options) {
      if (knownSet.has(key) || !Object.prototype.hasOwnProperty.call(options, key)) continue;
      const hint = camelCase(key);
      const suggestion = known.includes(hint) ? `; did you mean \`${hint}\`?` : `; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`;
      throw new PoeArgumentError('ERR_POE_UNKNOWN_OPTION', `Unknown ${wheel} option \`${key}\`${suggestion}`);
    }
    for (const key of events) {
      const value = (options as Record<string, unknown>)[key];
      if (value !== undefined && typeof value !== 'string') {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${wheel} option \`${key}\` to be an event name (string), got ${describe(value)}`);
      }
    }
    return options;
  }
}

/** Each option list as a set, made once: a wheel per connection checks its options each time. */
const knownSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function knownSetOf(known: readonly string[]): ReadonlySet<string> {
  let set = knownSets.get(known);
  if (set === undefined) {
    set = new Set(known);
    knownSets.set(known, set);
  }
  return set;
}
