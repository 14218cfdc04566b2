import type { Context } from './context.js';
import type { Session } from './session.js';
import type { Kernel } from '../kernel/kernel.js';

declare const untypedBrand: unique symbol;

/**
 * The event map of a session that declares none: any event name, `unknown` arguments.
 * Declare an event map (name -> handler signature without the context) to get compile-time
 * checks of `yield`, `post`, `call`, `delay` and `alarm`:
 *
 * ```ts
 * interface Counter { tick: (n: number) => void; total: () => number }
 * ```
 */
export interface Untyped {
  readonly [untypedBrand]: 'untyped';
}

/** Any function signature; the constraint for event-map entries. */
export type AnySignature = (...args: never[]) => unknown;

/** Event names of a map (`string` for untyped sessions). */
export type EventName<E> = [E] extends [Untyped] ? string : Extract<keyof AllEvents<E>, string>;

/** Argument tuple of event `K` (ARG0..ARGn). */
export type EventArgs<E, K> = [E] extends [Untyped]
  ? K extends keyof BuiltinEvents
    ? Parameters<BuiltinEvents[K]>
    : unknown[]
  : K extends keyof AllEvents<E>
    ? AllEvents<E>[K] extends (...args: infer A) => unknown
      ? A
      : never
    : never;

/** Return type of event `K`'s handler, as `call` returns it. */
export type EventReturn<E, K> = [E] extends [Untyped]
  ? unknown
  : K extends keyof AllEvents<E>
    ? AllEvents<E>[K] extends (...args: never[]) => infer R
      ? R
      : never
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
export type InlineStates<E, H> = [E] extends [Untyped]
  ? BuiltinStates<E, H> & { [event: string]: UntypedHandler<H> | undefined }
  : {
      [K in Extract<keyof AllEvents<E>, string>]?: Handler<E, H, EventArgs<E, K>, EventReturn<E, K>>;
    };

/** POE's `object_states` / `package_states` list: `[obj, ['ev', ...] | { ev: 'method' }, ...]`. */
export type StatesList = readonly unknown[];

/** A function made by `postback`/`callback`, with POE's `weaken` and an explicit `release`. */
export interface AnonEvent<R> {
  (...args: unknown[]): R;
  /** Drops the session reference this function holds; it still works while the session lives. */
  weaken(): this;
  /** Drops the session reference, as POE does when the function is destroyed. */
  release(): void;
}
