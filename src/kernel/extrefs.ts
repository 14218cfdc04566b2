import type { Session } from '../session/session.js';

/**
 * POE's Extrefs resource (POE::Resource::Extrefs): counted references to sessions under a tag,
 * taken and dropped by code outside them (`refcount_increment`/`_decrement`, postbacks). While
 * any tag is counted anywhere the kernel is not idle (G20).
 */
export class Extrefs {
  /** Tags with a count, over every session. */
  #tags = 0;
  readonly #released: (session: Session) => void;

  /** `released` is told when a session's tag goes (it may be collected). */
  constructor(released: (session: Session) => void) {
    this.#released = released;
  }

  /** Some session holds an extra reference. */
  get any(): boolean {
    return this.#tags !== 0;
  }

  /** Adds `delta` to the session's count for `tag` and returns the new count; at 0 the tag goes. */
  adjust(session: Session, tag: string, delta: 1 | -1): number {
    const tags = (session._extrefs ??= new Map<string, number>());
    const count = (tags.get(tag) ?? 0) + delta;
    if (count === 0) {
      tags.delete(tag);
      this.#tags--;
      this.#released(session);
    } else {
      if (!tags.has(tag)) this.#tags++;
      tags.set(tag, count);
    }
    return count;
  }

  /** The session is freed: its references go with it. */
  dropSession(session: Session): void {
    if (session._extrefs === undefined) return;
    this.#tags -= session._extrefs.size;
    session._extrefs = undefined;
  }

  leaks(): string[] {
    return this.#tags !== 0 ? [`${this.#tags} extra reference tag(s) left`] : [];
  }
}
