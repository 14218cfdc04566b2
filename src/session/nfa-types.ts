import type { NfaContext } from './nfa-context.js';
import type { Session } from './session.js';
import type { ChildReason, SessionOrKernel, StatesList, Untyped } from './types.js';

/*
 * A machine map says, for each state, the events that state handles (name -> handler signature
 * without the context), as a session's event map does for a session:
 *
 *   interface Login {
 *     login: { on_entry: () => void; on_input: (line: string) => void };
 *     password: { on_entry: () => void; on_input: (line: string) => void };
 *   }
 *
 * `unknown` (Untyped) means no map was declared: any state, any event, unknown arguments.
 */

/** Events every state may handle besides its own: the kernel's `_child` and `_parent`, and `_default`. */
export interface NfaBuiltinEvents {
  _child: (reason: ChildReason, child: Session, returned: unknown) => unknown;
  _parent: (oldParent: SessionOrKernel, newParent: SessionOrKernel) => unknown;
  _default: (event: string, args: unknown[]) => unknown;
}

/** State names of a machine map (`string` when untyped). */
export type MachineStateName<M> = unknown extends M ? string : Extract<keyof M, string>;

/** What state `S` handles: its own events plus the built-in ones it did not redeclare. */
export type StateEvents<M, S> = unknown extends M ? Untyped : S extends keyof M ? Omit<NfaBuiltinEvents, keyof M[S]> & M[S] : never;

/**
 * Events a transition into state `S` may name as its entry event: the ones `S` declares
 * (POE checks the same at run time).
 */
export type EntryEvent<M, S> = unknown extends M ? string : S extends keyof M ? Extract<keyof M[S], string> : never;

/** Arguments of entry event `K` in state `S` (ARG0..ARGn of its handler). */
export type EntryArgs<M, S, K> = unknown extends M
  ? unknown[]
  : [K] extends [never]
    ? unknown[]
    : S extends keyof M
      ? K extends keyof M[S]
        ? M[S][K] extends (...args: infer A) => unknown
          ? A
          : never
        : never
      : never;

type EventsOf<M> = Extract<{ [S in keyof M]: keyof M[S] }[keyof M], string>;

/**
 * Every event the machine handles in some state, as one event map: what `post`, `call`,
 * `yield` and `delay` to the machine are checked against (the kernel cannot know which state
 * the machine will be in when the event arrives). An event handled in several states should
 * have one signature in all of them.
 */
export type MachineEvents<M> = unknown extends M ? Untyped : { [K in EventsOf<M>]: { [S in keyof M]: K extends keyof M[S] ? M[S][K] : never }[keyof M] };

/** A handler in state `S`: POE::NFA's `sub { my ($machine, $runstate) = @_[MACHINE, RUNSTATE]; ... }`. */
export type NfaHandler<M, R, S extends string, A extends unknown[], Ret> = (ctx: NfaContext<M, R, S>, ...args: A) => Ret;

// Untyped handlers are checked bivariantly, as untyped session handlers are.
type UntypedNfaHandler<R> = {
  handler(ctx: NfaContext<Untyped, R>, ...args: unknown[]): unknown;
}['handler'];

type StateHandlers<M, R, S extends string> = {
  [K in Extract<keyof StateEvents<M, S>, string>]?: StateEvents<M, S>[K] extends (...args: infer A) => infer Ret ? NfaHandler<M, R, S, A, Ret> : never;
};

// The built-in events keep their argument types in an untyped machine, as in a session.
type UntypedBuiltinStates<R> = {
  [K in keyof NfaBuiltinEvents]?: NfaHandler<Untyped, R, string, Parameters<NfaBuiltinEvents[K]>, unknown>;
};

/** `inlineStates` of a machine: state name -> (event name -> handler). */
export type NfaInlineStates<M, R> = unknown extends M
  ? { [state: string]: UntypedBuiltinStates<R> & { [event: string]: UntypedNfaHandler<R> | undefined } }
  : { [S in MachineStateName<M>]?: StateHandlers<M, R, S> };

/** POE::NFA's `object_states`/`package_states`: state name -> `[target, ['ev', ...] | { ev: 'method' }, ...]`. */
export type NfaStatesLists = Readonly<Record<string, StatesList>>;
