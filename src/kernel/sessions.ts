import type { Session } from '../session/session.js';

/**
 * POE's Sessions and SIDs resources (POE::Resource::Sessions, POE::Resource::SIDs): the live
 * sessions by id, and the tree they form (each has a parent session or the kernel).
 */
export class Sessions {
  readonly #byId = new Map<number, Session>();
  /** Children of the kernel, in the order they joined it. */
  readonly #top = new Set<Session>();
  #nextId = 1;

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): Session | undefined {
    return this.#byId.get(id);
  }

  has(id: number): boolean {
    return this.#byId.has(id);
  }

  /** Gives the session the next free id (ids count per kernel, skipping any in use) and links it. */
  add(session: Session, parent: Session | undefined): void {
    while (this.#byId.has(this.#nextId)) this.#nextId++;
    session._id = this.#nextId++;
    session._parent = parent;
    (parent !== undefined ? parent._children : this.#top).add(session);
    this.#byId.set(session._id, session);
  }

  /**
   * Takes the session out of the tree, its children moving to its parent (silently, G24: the
   * ones left when it stops were made during its `_stop`), and out of the table. Returns its
   * parent, which may now be collected.
   */
  remove(session: Session): Session | undefined {
    const parent = session._parent;
    if (parent !== undefined) parent._children.delete(session);
    else this.#top.delete(session);
    for (const child of session._children) {
      child._parent = parent;
      (parent !== undefined ? parent._children : this.#top).add(child);
    }
    session._children.clear();
    this.#byId.delete(session._id);
    return parent;
  }

  /** Makes `session`, a child of `old`, a child of the kernel (detach). */
  detach(session: Session, old: Session): void {
    old._children.delete(session);
    session._parent = undefined;
    this.#top.add(session);
  }

  /** Breadth-first: `root` (or the kernel's children) and every descendant. */
  descendants(root: Session | undefined): Session[] {
    const out: Session[] = root !== undefined ? [root] : [...this.#top];
    for (let i = 0; i < out.length; i++) for (const child of out[i]!._children) out.push(child);
    return out;
  }

  /** Once every session is freed, the table and the tree are empty. */
  leaks(): string[] {
    return this.#top.size > 0 ? [`${this.#top.size} top-level session(s) left`] : [];
  }
}

/** Wheel ids: one counter per kernel for every wheel class, skipping ids in use (spec 1.1). */
export class WheelIds {
  readonly #used = new Set<number>();
  #next = 1;

  allocate(): number {
    while (this.#used.has(this.#next)) this.#next++;
    const id = this.#next++;
    this.#used.add(id);
    return id;
  }

  free(id: number): void {
    this.#used.delete(id);
  }
}
