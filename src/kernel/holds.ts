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
