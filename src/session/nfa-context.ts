import type { Kernel } from '../kernel/kernel.js';
import type { NFA } from './nfa.js';
import type { MachineEvents } from './nfa-types.js';
import type { SessionOrKernel, Untyped } from './types.js';

/**
 * What POE::NFA passes in `@_` before ARG0: OBJECT, MACHINE, KERNEL, RUNSTATE, EVENT, SENDER,
 * STATE and the caller's file, line and state. A handler is `(ctx, ...args)`.
 *
 * Unlike a session's `Context`, `state` (`STATE`) is the machine's current state and `event`
 * (`EVENT`) the event being handled (`'_default'` when redirected), as in POE::NFA. `session`
 * and `heap` (`SESSION`, `HEAP`) name the machine and its runstate too, as POE::Session's
 * constants reach them at the same offsets.
 */
export class NfaContext<M = Untyped, R = Record<string, unknown>, S extends string = string> {
  constructor(
    /** POE: `$_[KERNEL]`. */
    readonly kernel: Kernel<MachineEvents<M>>,
    /** POE: `$_[MACHINE]`: the machine handling the event. */
    readonly machine: NFA<M, R>,
    /** POE: `$_[RUNSTATE]`: the machine's data, its heap. */
    readonly runstate: R,
    /** POE: `$_[EVENT]`: the event being handled (`'_default'` when redirected). */
    readonly event: string,
    /** POE: `$_[SENDER]`: who caused the event; the machine itself for entry and return events. */
    readonly sender: SessionOrKernel,
    /** POE: `$_[STATE]`: the state the machine is in. */
    readonly state: S,
    /** POE: `$_[OBJECT]`: the object (object states), class (package states) or undefined. */
    readonly object: unknown,
    /** POE: `$_[CALLER_FILE]`; only with the kernel's `callerInfo` option. */
    readonly callerFile: string | undefined,
    /** POE: `$_[CALLER_LINE]`; only with the kernel's `callerInfo` option. */
    readonly callerLine: number | undefined,
    /** POE: `$_[CALLER_STATE]`: the event being handled when this one was made. */
    readonly callerState: string | undefined,
  ) {}

  /** The machine, under the name generic session code uses. */
  get session(): NFA<M, R> {
    return this.machine;
  }
  /** The runstate, under the name generic session code uses. */
  get heap(): R {
    return this.runstate;
  }

  get KERNEL(): Kernel<MachineEvents<M>> {
    return this.kernel;
  }
  get MACHINE(): NFA<M, R> {
    return this.machine;
  }
  get SESSION(): NFA<M, R> {
    return this.machine;
  }
  get RUNSTATE(): R {
    return this.runstate;
  }
  get HEAP(): R {
    return this.runstate;
  }
  get EVENT(): string {
    return this.event;
  }
  get SENDER(): SessionOrKernel {
    return this.sender;
  }
  get STATE(): S {
    return this.state;
  }
  get OBJECT(): unknown {
    return this.object;
  }
  get CALLER_FILE(): string | undefined {
    return this.callerFile;
  }
  get CALLER_LINE(): number | undefined {
    return this.callerLine;
  }
  get CALLER_STATE(): string | undefined {
    return this.callerState;
  }
}
