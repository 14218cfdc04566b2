import { PoeArgumentError, PoeNfaError, describe, rejectUnknownKeys } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import { channels } from '../kernel/trace.js';
import { NfaContext } from './nfa-context.js';
import type { EntryArgs, EntryEvent, MachineEvents, MachineStateName, NfaInlineStates, NfaStatesLists } from './nfa-types.js';
import { type HandlerEntry, Session, callHandler, callRaw, forEachStatesEntry, handlerEntry, methodEntry } from './session.js';
import type { EventName, SessionOrKernel, Untyped } from './types.js';

/**
 * Parameters of `NFA.spawn`; POE::NFA's `spawn` keys in camelCase. `M` (the machine map) is
 * only ever given, never inferred; `R` is inferred from `runstate`.
 */
export interface NfaParams<M = Untyped, R = Record<string, unknown>> {
  /** POE `inline_states`: state name -> (event name -> handler). */
  inlineStates?: NfaInlineStates<NoInfer<M>, R>;
  /** POE `object_states`: state name -> `[object, ['event', ...] | { event: 'method' }, ...]`. */
  objectStates?: NfaStatesLists;
  /** POE `package_states`: state name -> `[Class, ['event', ...] | { event: 'staticMethod' }, ...]`. */
  packageStates?: NfaStatesLists;
  /** POE `runstate`: the machine's data, its heap. @default {} */
  runstate?: R;
  /** POE `options`: `trace`, `debug`, `immediate`, or anything of the user's. */
  options?: Record<string, unknown>;
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
}

const PARAM_KEYS = ['inlineStates', 'objectStates', 'packageStates', 'runstate', 'options', 'kernel'] as const;
const PARAM_SET: ReadonlySet<string> = new Set(PARAM_KEYS);

// The machine's own events, queued to itself as POE::NFA queues them; POE reserves the prefix.
const GOTO = 'poe_nfa_goto_state';
const PUSH = 'poe_nfa_push_state';
const POP = 'poe_nfa_pop_state';
const STOP = 'poe_nfa_stop';
const RESERVED = 'poe_nfa_';

type Table = Map<string, HandlerEntry>;

/**
 * A POE::NFA state machine: a session whose handlers come in banks, one per state, and whose
 * events go to the bank of the state it is in. Made with `NFA.spawn`, put in its first state
 * with `gotoState`; otherwise a session like any other (an id, aliases, a parent and children,
 * timers, signals, postbacks, `ps()`), collected when it has nothing left to do.
 *
 * An event goes to the current state's handler, else to one added with `kernel.state()` (what
 * wheels add: every state sees those), else to the current state's `_default`; with none of
 * them the dispatch throws `PoeNfaError` `ERR_POE_NFA_NO_HANDLER`, which becomes a DIE signal,
 * as POE dies there. `_start` and `_stop` never reach a handler (POE::NFA discards them).
 *
 * `M` is the machine map (state -> event map, see `MachineEvents`), `R` the runstate.
 *
 * POE: `POE::NFA`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface below types POE's snake_case aliases, installed on the prototype
export class NFA<M = Untyped, R = Record<string, unknown>> extends Session<MachineEvents<M>, R> {
  readonly #states = new Map<string, Table>();
  #current: Table | undefined = undefined;
  #currentName: string | undefined = undefined;
  /** call_state's stack: the state to return to and the event to run there. */
  readonly #stack: [state: string | undefined, returnEvent: string | undefined][] = [];

  private constructor(kernel: Kernel, runstate: R) {
    super(kernel, runstate);
  }

  /**
   * Creates a machine in no state (POE's `(undef)`) and registers it with the kernel; the
   * parent gets `_child('create', machine, undefined)`. Put it in its first state with
   * `gotoState`, which outside a machine's handlers runs at once.
   *
   * POE: `POE::NFA->spawn(...)`.
   */
  static spawn<M = Untyped, R = Record<string, unknown>>(params: NfaParams<M, R>): NFA<M, R> {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new PoeArgumentError('ERR_POE_NFA_BAD_PARAMS', `Expected \`NFA.spawn\` parameters to be an object, got ${describe(params)}`);
    }
    for (const key in params) if (!PARAM_SET.has(key)) rejectUnknownKeys('NFA.spawn', params, PARAM_KEYS);
    const kernel = params.kernel ?? Kernel.current();
    if (!(kernel instanceof Kernel)) {
      throw new PoeArgumentError('ERR_POE_NFA_BAD_PARAMS', `Expected \`kernel\` to be a Kernel, got ${describe(kernel)}`);
    }
    if (params.inlineStates === undefined && params.objectStates === undefined && params.packageStates === undefined) {
      throw new PoeArgumentError('ERR_POE_NFA_BAD_PARAMS', '`NFA.spawn` needs its states: at least one of `inlineStates`, `objectStates`, `packageStates`');
    }
    const machine = new NFA<M, R>(kernel, (params.runstate === undefined ? {} : params.runstate) as R);
    const states = machine.#states;
    const table = (state: string): Table => {
      let t = states.get(state);
      if (t === undefined) states.set(state, (t = new Map<string, HandlerEntry>()));
      return t;
    };

    if (params.inlineStates !== undefined) {
      const inline = checkObject(params.inlineStates, '`inlineStates`', 'an object of states');
      for (const state of Object.keys(inline)) {
        const handlers = checkObject(inline[state], `state \`${state}\` in \`inlineStates\``, 'an object of event handlers');
        const t = table(state);
        for (const event of Object.keys(handlers)) {
          const fn = handlers[event];
          // No handler: an optional callback left out, as in Session.create.
          if (fn === undefined || fn === null) continue;
          checkEvent(event, state);
          t.set(event, handlerEntry(event, fn, undefined, `inlineStates.${state}`));
        }
      }
    }
    for (const where of ['objectStates', 'packageStates'] as const) {
      const lists = params[where];
      if (lists === undefined) continue;
      const byState = checkObject(lists, `\`${where}\``, 'an object of states');
      for (const state of Object.keys(byState)) {
        const t = table(state);
        const at = `${where}.${state}`;
        forEachStatesEntry(byState[state], at, 'ERR_POE_NFA_BAD_PARAMS', (event, target, method) => {
          checkEvent(event, state);
          t.set(event, methodEntry(event, target, method, at));
        });
      }
    }

    if (params.options !== undefined) {
      const options = checkObject(params.options, '`options`', 'an object');
      for (const [name, value] of Object.entries(options)) if (value !== undefined) machine.option(name, value);
    }
    kernel._register(machine, []);
    return machine;
  }

  /** A machine is made with `spawn`, as POE::NFA's is; `create` is a plain session's. */
  static override create(): never {
    throw new PoeArgumentError('ERR_POE_NFA_BAD_PARAMS', 'A state machine is made with `NFA.spawn`, not `NFA.create` (POE::NFA has `spawn`)');
  }

  /** The name of the state the machine is in; undefined before its first `gotoState`. POE: `get_current_state`. */
  getCurrentState(): MachineStateName<M> | undefined {
    return this.#currentName as MachineStateName<M> | undefined;
  }

  /** The machine's runstate (its heap). POE: `get_runstate`. */
  getRunstate(): R {
    return this._heap;
  }

  /**
   * Moves the machine to `state`; then, if given, runs `entryEvent` there with `args`. Before
   * it leaves, the old state's `leave` handler runs, if it has one (POE does so, undocumented).
   * Queued behind the events already pending, like a post; made at once (a call) for the first
   * state or with the `immediate` option. Returns 1 when queued (undefined if the machine has
   * stopped, with ESRCH), undefined when made at once.
   *
   * An unknown state or an entry event the state lacks is found when the move is made, as in
   * POE: `PoeNfaError` `ERR_POE_NFA_UNKNOWN_STATE` / `ERR_POE_NFA_UNKNOWN_EVENT`, a DIE signal.
   *
   * POE: `$machine->goto_state(NEW_STATE, ENTRY_EVENT, ARGS)`.
   */
  gotoState<S extends MachineStateName<M>>(state: S): 1 | undefined;
  gotoState<S extends MachineStateName<M>, K extends EntryEvent<M, S>>(state: S, entryEvent: K, ...args: EntryArgs<M, S, K>): 1 | undefined;
  gotoState(state: string, entryEvent?: string, ...args: unknown[]): 1 | undefined {
    checkName(state, 'state', 'gotoState');
    if (entryEvent !== undefined) checkName(entryEvent, 'entry event', 'gotoState');
    return this.#send(this.#currentName !== undefined && !this.#immediate(), GOTO, [state, entryEvent, ...args]);
  }

  /**
   * Like `gotoState`, but first pushes the current state and `returnEvent` on a stack, so that
   * `returnState` comes back here and runs `returnEvent` (if any) with its arguments.
   *
   * POE: `$machine->call_state(RETURN_EVENT, NEW_STATE, ENTRY_EVENT, ARGS)`.
   */
  callState<S extends MachineStateName<M>>(returnEvent: EventName<MachineEvents<M>> | undefined, state: S): 1 | undefined;
  callState<S extends MachineStateName<M>, K extends EntryEvent<M, S>>(returnEvent: EventName<MachineEvents<M>> | undefined, state: S, entryEvent: K, ...args: EntryArgs<M, S, K>): 1 | undefined;
  callState(returnEvent: string | undefined, state: string, entryEvent?: string, ...args: unknown[]): 1 | undefined {
    if (returnEvent !== undefined) checkName(returnEvent, 'return event', 'callState');
    checkName(state, 'state', 'callState');
    if (entryEvent !== undefined) checkName(entryEvent, 'entry event', 'callState');
    return this.#send(!this.#immediate(), PUSH, [returnEvent, state, entryEvent, ...args]);
  }

  /**
   * Returns to the state of the latest `callState` and runs its return event there with
   * `args`. With nothing to return to, the move throws `PoeNfaError` `ERR_POE_NFA_EMPTY_STACK`
   * (a DIE signal), as POE dies. POE: `$machine->return_state(ARGS)`.
   */
  returnState(...args: unknown[]): 1 | undefined {
    return this.#send(!this.#immediate(), POP, args);
  }

  /**
   * Stops the machine once the events queued before this call have been handled: its children
   * move to its parent, the parent gets `_child('lose')`, and what is still queued for it is
   * dropped. Returns 1, or undefined (ESRCH) if it has already stopped. POE: `$machine->stop()`.
   */
  stop(): 1 | undefined {
    return this._kernel.post(this as Session, STOP);
  }

  #immediate(): boolean {
    return Boolean(this._options?.get('immediate'));
  }

  /** Queues one of the machine's own events to itself, or makes it now (a call). */
  #send(queued: boolean, event: string, args: unknown[]): 1 | undefined {
    const kernel = this._kernel;
    if (queued) return kernel.post(this as Session, event, ...args);
    kernel.call(this as Session, event, ...args);
    return undefined;
  }

  /**
   * @internal POE::NFA's `_invoke_state`: its own events first, then the current state's
   * handler, one added at run time, or the current state's `_default`.
   */
  override _invoke(kernel: Kernel, sender: SessionOrKernel, event: string, args: unknown[], file: string | undefined, line: number | undefined, fromState: string | undefined): unknown {
    const options = this._options;
    switch (event) {
      case '_start':
      case '_stop':
        // POE::NFA discards both: a machine starts with its first gotoState.
        return undefined;
      case STOP:
        kernel._stopSession(this);
        return undefined;
      case GOTO:
        this.#goto(kernel, args[0] as string, args[1] as string | undefined, args.slice(2));
        return undefined;
      case PUSH:
        this.#stack.push([this.#currentName, args[0] as string | undefined]);
        this.#goto(kernel, args[1] as string, args[2] as string | undefined, args.slice(3));
        return undefined;
      case POP: {
        const top = this.#stack.pop();
        if (top === undefined) throw new PoeNfaError('ERR_POE_NFA_EMPTY_STACK', this.#currentName, `session ${this._id} tried to pop a state from an empty stack (returnState without a callState)`);
        this.#goto(kernel, top[0] as string, top[1], args);
        return undefined;
      }
      default:
        break;
    }
    const current = this.#current;
    let entry = current?.get(event) ?? this._handlers.get(event);
    let name = event;
    if (entry === undefined) {
      entry = current?.get('_default');
      if (entry === undefined) {
        throw new PoeNfaError(
          'ERR_POE_NFA_NO_HANDLER',
          this.#currentName,
          `a '${event}' event was sent from ${file ?? '?'} at ${line ?? '?'} to session ${this._id}, but session ${this._id} has neither a handler for it nor one for _default in its current state, ${this.#currentName === undefined ? 'none (gotoState was never called)' : `'${this.#currentName}'`}`,
        );
      }
      if (options?.get('trace')) kernel._warn(`${this._id} -> ${event} redirected to _default in state '${this.#currentName}'`);
      args = [event, args.slice()];
      name = '_default';
    }
    if (options?.get('trace')) kernel._warn(`${this._id} -> ${name} (from ${file ?? '?'} at ${line ?? '?'})`);
    if (channels.dispatch.hasSubscribers) channels.dispatch.publish({ kernel, session: this, event: name, sender, args });
    if (entry.raw) return callRaw(entry.fn, args);
    const ctx = new NfaContext<M, R>(kernel as Kernel<MachineEvents<M>>, this, this._heap, name, sender, this.#currentName ?? '', entry.object, file, line, fromState);
    return callHandler(kernel, this, name, entry, ctx, args);
  }

  /** A transition (POE's `poe_nfa_goto_state`): checked, `leave` in the old state, then the entry event. */
  #goto(kernel: Kernel, state: string, entryEvent: string | undefined, args: unknown[]): void {
    const next = this.#states.get(state);
    if (next === undefined) throw new PoeNfaError('ERR_POE_NFA_UNKNOWN_STATE', this.#currentName, `session ${this._id} tried to enter nonexistent state '${state}'`);
    if (entryEvent !== undefined && !next.has(entryEvent)) {
      throw new PoeNfaError('ERR_POE_NFA_UNKNOWN_EVENT', this.#currentName, `session ${this._id} tried to invoke nonexistent enter event '${entryEvent}' in state '${state}'`);
    }
    if (this.#current?.has('leave')) this.#inner(kernel, 'leave', []);
    this.#current = next;
    this.#currentName = state;
    // What ps() shows of it: the state is what a machine is doing.
    this._desc = `NFA in state '${state}'`;
    if (entryEvent !== undefined) this.#inner(kernel, entryEvent, args);
  }

  /**
   * Runs an event inside the machine's own dispatch, sent by itself with no caller (POE's
   * entry, leave and return events); a promise its handler returns holds the machine as an
   * async handler's does.
   */
  #inner(kernel: Kernel, event: string, args: unknown[]): void {
    const ret = this._invoke(kernel, this, event, args, undefined, undefined, undefined);
    if (ret !== null && typeof ret === 'object' && typeof (ret as PromiseLike<unknown>).then === 'function') kernel._follow(ret as PromiseLike<unknown>, this, event);
  }
}

/** POE's snake_case spellings: the very same functions. */
export interface NFA<M, R> {
  goto_state: NFA<M, R>['gotoState'];
  call_state: NFA<M, R>['callState'];
  return_state: NFA<M, R>['returnState'];
  get_current_state: NFA<M, R>['getCurrentState'];
  get_runstate: NFA<M, R>['getRunstate'];
}

const proto = NFA.prototype as unknown as Record<string, unknown>;
for (const [poe, name] of [
  ['goto_state', 'gotoState'],
  ['call_state', 'callState'],
  ['return_state', 'returnState'],
  ['get_current_state', 'getCurrentState'],
  ['get_runstate', 'getRunstate'],
] as const) {
  proto[poe] = proto[name];
}

function checkObject(value: unknown, what: string, expected: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PoeArgumentError('ERR_POE_NFA_BAD_PARAMS', `Expected ${what} to be ${expected}, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function checkEvent(event: string, state: string): void {
  if (event.startsWith(RESERVED)) {
    throw new PoeArgumentError('ERR_POE_SESSION_BAD_HANDLER', `Event names starting with \`${RESERVED}\` are the machine's own (state \`${state}\` has \`${event}\`)`);
  }
}

function checkName(value: unknown, what: string, method: string): void {
  if (typeof value !== 'string') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the ${what} of \`${method}\` to be a string, got ${describe(value)}`);
}
