import { Phase, type Session } from '../session/session.js';

/**
 * What POE's FileHandles resource counts for the kernel: watchers that keep their session alive
 * (wheels, raw select watchers, sig_child watches, running async handlers). While any is held
 * the kernel is not idle. The watchers themselves live in the wheel layer, which knows streams.
 */
export class Holds {
  #total = 0;
  readonly #released: (session: Session) => void;

  /** `released` is told when a session drops a hold (it may be collected). */
  constructor(released: (session: Session) => void) {
    this.#released = released;
  }

  /** Some session is held. */
  get any(): boolean {
    return this.#total !== 0;
  }

  /** One more (`1`) or one less (`-1`) hold on `session`; nothing once it is stopped. */
  adjust(session: Session, delta: 1 | -1): void {
    if (session._phase === Phase.Stopped) return;
    session._holds += delta;
    this.#total += delta;
    if (delta < 0) this.#released(session);
  }

  /** The session is freed: its holds go with it. */
  dropSession(session: Session): void {
    this.#total -= session._holds;
    session._holds = 0;
  }

  leaks(): string[] {
    return this.#total !== 0 ? [`${this.#total} hold(s) left`] : [];
  }
}

/**
 * One hold on a component's session while it has work out (requests on the wire, calls
 * pending), as a wheel holds its session while it watches: taken with the first, dropped after
 * the last. `dropped()` when the session stops: the kernel let its holds go with it.
 */
export class WorkHold {
  #on = false;
  constructor(
    readonly kernel: { _hold(session: Session, delta: 1 | -1): void },
    readonly session: Session,
  ) {}

  /** Held while `busy`. */
  set(busy: boolean): void {
    if (busy === this.#on) return;
    this.#on = busy;
    this.kernel._hold(this.session, busy ? 1 : -1);
  }

  dropped(): void {
    this.#on = false;
  }
}
