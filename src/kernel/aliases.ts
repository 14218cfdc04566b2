import type { Session } from '../session/session.js';

/**
 * POE's Aliases resource (POE::Resource::Aliases): names that resolve to sessions, each owned
 * by one session, and holding it alive (an alias counts as a reference, spec 1.9).
 */
export class Aliases {
  readonly #owners = new Map<string, Session>();
  readonly #released: (session: Session) => void;

  /** `released` is told when a session loses an alias (it may be collected). */
  constructor(released: (session: Session) => void) {
    this.#released = released;
  }

  /** The session that has `alias`, if any. */
  owner(alias: string): Session | undefined {
    return this.#owners.get(alias);
  }

  /** Gives `session` the alias; returns the other session that has it instead, if one does. */
  set(session: Session, alias: string): Session | undefined {
    const owner = this.#owners.get(alias);
    if (owner !== undefined) return owner === session ? undefined : owner;
    this.#owners.set(alias, session);
    (session._aliases ??= new Set()).add(alias);
    return undefined;
  }

  /** Takes `alias` from its owner. */
  remove(owner: Session, alias: string): void {
    this.#owners.delete(alias);
    owner._aliases!.delete(alias);
    this.#released(owner);
  }

  /** A session's aliases, sorted. */
  list(session: Session): string[] {
    return [...(session._aliases ?? [])].sort();
  }

  /** The session is freed: its aliases go (POE's `_data_alias_clear_session`). */
  dropSession(session: Session): void {
    if (session._aliases === undefined) return;
    for (const alias of session._aliases) this.#owners.delete(alias);
    session._aliases = undefined;
  }

  leaks(): string[] {
    return this.#owners.size > 0 ? [`aliases left: ${[...this.#owners.keys()].join(', ')}`] : [];
  }
}
