import type { Context } from './context.js';
import type { Session } from './session.js';
import type { Kernel } from '../kernel/kernel.js';

/**
 * The event map of a session that declares none: `unknown`, so any event name with `unknown`
 * arguments. Declare an event map (name -> handler signature without the context) to get
 * compile-time checks of `yield`, `post`, `call`, `delay` and `alarm`:
 *
 * ```ts
 * interface Counter { tick: (n: number) => void; total: () => number }
 * ```
 *
 * Being the top type is what lets a `Session<Counter, Heap>` go wherever a plain `Session`
 * (any session) goes, while the reverse needs a cast.
 */
export type Untyped = unknown;

/** Any function signature; the constraint for event-map entries. */
export type AnySignature = (...args: never[]) => unknown;

// `unknown extends E` holds only for `unknown` (and `any`): no event map was declared.

/** Event names of a map (`string` for untyped sessions). */
export type EventName<E> = unknown extends E ? string : Extract<keyof AllEvents<E>, string>;

// `[K]` keeps a union of names from distributing: `yield(a | b, ...args)` must fit both events,
// not either one. A `never` name (code that cannot run, or a deliberately bad `x as never`)
// takes any arguments instead of none.
/** Argument tuple of event `K` (ARG0..ARGn). */
export type EventArgs<E, K> = [K] extends [never]
  ? unknown[]
  : unknown extends E
    ? [K] extends [keyof BuiltinEvents]
      ? Parameters<BuiltinEvents[K]>
      : unknown[]
    : [K] extends [keyof AllEvents<E>]
      ? [AllEvents<E>[K]] extends [(...args: infer A) => unknown]
        ? A
        : never
      : never;

/** Return type of event `K`'s handler, as `call` returns it. */
export type EventReturn<E, K> = unknown extends E
  ? unknown
  : K extends keyof AllEvents<E>
    ? AllEvents<E>[K] extends (...args: never[]) => infer R
      ? R
      : never
    : never;

/**
 * What `Session.create`'s `args` may be: `_start`'s argument tuple, or (as POE turns a value
 * that is not an array into ARG0) its only argument when that is not an array itself.
 * Anything goes for untyped sessions.
 */
export type StartArgs<E> = unknown extends E
  ? unknown
  : EventArgs<E, '_start'> extends infer A extends unknown[]
    ? A | Readonly<A> | ([A[0]] extends A ? Exclude<A[0], readonly unknown[] | undefined> : never)
    : never;

/** Why `_child` was sent: POE's `create`, `gain` and `lose`. */
export type ChildReason = 'create' | 'gain' | 'lose';

/** A session or the kernel, as SENDER and `_parent` arguments are. */
export type SessionOrKernel = Session | Kernel;

/** Events every session may handle; POE owns names starting with `_`. */
export interface BuiltinEvents {
  _start: (...args: unknown[]) => unknown;
  _stop: () => unknown;
  _child: (reason: ChildReason, child: Session, returned: unknown) => unknown;
  _parent: (oldParent: SessionOrKernel, newParent: SessionOrKernel) => unknown;
  _default: (event: string, args: unknown[]) => unknown;
}

/** A session's declared events plus the built-in ones it did not redeclare. */
export type AllEvents<E> = Omit<BuiltinEvents, keyof E> & E;

/** A handler: POE's `sub { my ($kernel, $heap, ...) = @_[KERNEL, HEAP, ARG0..] }`. */
export type Handler<E, H, A extends unknown[], R> = (ctx: Context<E, H>, ...args: A) => R;

// Untyped handlers are checked bivariantly so that typed built-ins (`_child`, `_parent`)
// sit beside an index signature of unknown-argument handlers.
type UntypedHandler<H> = {
  handler(ctx: Context<Untyped, H>, ...args: unknown[]): unknown;
}['handler'];

type BuiltinStates<E, H> = {
  [K in keyof BuiltinEvents]?: Handler<E, H, EventArgs<E, K>, unknown>;
};

/** `inlineStates` of a session: event name -> handler. */
export type InlineStates<E, H> = unknown extends E
  ? BuiltinStates<E, H> & { [event: string]: UntypedHandler<H> | undefined }
  : {
      [K in Extract<keyof AllEvents<E>, string>]?: Handler<E, H, EventArgs<E, K>, EventReturn<E, K>>;
    };

/** POE's `object_states` / `package_states` list: `[obj, ['ev', ...] | { ev: 'method' }, ...]`. */
export type StatesList = readonly unknown[];

/** @internal What a postback-like function adds to itself: POE's `weaken`, `release`, and `using`. */
export interface Releasable {
  /** Drops what the function holds; it still works. POE: `weaken`. */
  weaken(): this;
  /** Drops what the function holds, as POE does when the function is destroyed. */
  release(): void;
  [Symbol.dispose](): void;
}

/** @internal Gives `fn` `weaken`, `release` and `[Symbol.dispose]`, each calling `release`. */
export function releasable<F extends object>(fn: F, release: () => void): F & Releasable {
  const r = fn as F & Releasable;
  r.weaken = function weaken() {
    release();
    return this;
  };
  r.release = release;
  r[Symbol.dispose] = release;
  return r;
}

/** A function made by `postback`/`callback`, with POE's `weaken` and an explicit `release`. */
export interface AnonEvent<R> {
  (...args: unknown[]): R;
  /** Drops the session reference this function holds; it still works while the session lives. */
  weaken(): this;
  /** Drops the session reference, as POE does when the function is destroyed. */
  release(): void;
  /** `using pb = session.postback(...)`: `release()` when the block ends. */
  [Symbol.dispose](): void;
}
