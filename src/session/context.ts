import type { Kernel } from '../kernel/kernel.js';
import type { Session } from './session.js';
import type { SessionOrKernel, Untyped } from './types.js';

/**
 * What POE passes in `@_` before ARG0: KERNEL, HEAP, SESSION, SENDER, STATE, OBJECT and the
 * caller's file, line and state. A handler is `(ctx, ...args)`; `args` are ARG0..ARGn.
 * The upper-case getters exist so that a port can keep `$_[KERNEL]` as `ctx.KERNEL`.
 */
export class Context<E = Untyped, H = Record<string, unknown>> {
  constructor(
    /** POE: `$_[KERNEL]`. */
    readonly kernel: Kernel<E>,
    /** POE: `$_[SESSION]`: the session handling the event. */
    readonly session: Session<E, H>,
    /** POE: `$_[HEAP]`. */
    readonly heap: H,
    /** POE: `$_[STATE]`: the event being handled (`'_default'` when redirected). */
    readonly state: string,
    /** POE: `$_[SENDER]`: who caused the event; the kernel for timers' owners' signals etc. */
    readonly sender: SessionOrKernel,
    /** POE: `$_[OBJECT]`: the object (object states), class (package states) or undefined. */
    readonly object: unknown,
    /** POE: `$_[CALLER_FILE]`; only with the kernel's `callerInfo` option. */
    readonly callerFile: string | undefined,
    /** POE: `$_[CALLER_LINE]`; only with the kernel's `callerInfo` option. */
    readonly callerLine: number | undefined,
    /** POE: `$_[CALLER_STATE]`: the event being handled when this one was made. */
    readonly callerState: string | undefined,
  ) {}

  get KERNEL(): Kernel<E> {
    return this.kernel;
  }
  get SESSION(): Session<E, H> {
    return this.session;
  }
  get HEAP(): H {
    return this.heap;
  }
  get STATE(): string {
    return this.state;
  }
  get SENDER(): SessionOrKernel {
    return this.sender;
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
