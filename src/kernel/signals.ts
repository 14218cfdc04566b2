import { constants as osConstants } from 'node:os';
import type { Session } from '../session/session.js';

/*
 * POE's Signals resource (POE::Resource::Signals): which sessions watch which signal and with
 * what event, the process listeners of OS signals while anyone watches them, and the "handled"
 * state of the signal being dispatched. The dispatch itself (who is touched, in what order,
 * who stops) is the kernel's, as `_dispatch_signal_event` is POE::Kernel's.
 */

/** POE's signal classes (spec 1.11): unhandled, a terminal signal stops every touched session. */
export const TERMINAL: ReadonlySet<string> = new Set(['QUIT', 'INT', 'KILL', 'TERM', 'HUP', 'IDLE', 'DIE']);
/** Touched sessions stop even when these are handled. */
export const NONMASKABLE: ReadonlySet<string> = new Set(['ZOMBIE', 'UIDESTROY']);
/** Signals Node cannot or should not listen for. */
const NO_OS_LISTENER = new Set(['KILL', 'STOP', 'CHLD', 'CLD']);

/** POE names signals without the SIG prefix: `SIGINT` and `INT` are one signal. */
export function signalName(name: string): string {
  return name.length > 3 && name.startsWith('SIG') && name in osConstants.signals ? name.slice(3) : name;
}

/** One session's watch of one signal: the event it gets and the extra arguments. */
export interface SignalWatcher {
  readonly event: string;
  readonly extra: unknown[];
}

/** What the resource needs from the kernel it belongs to. */
export interface SignalHost {
  /** An OS signal arrived for this kernel: queue it to every session. */
  received(name: string): void;
  /** The set of CHLD watchers changed (child processes are awaited differently then). */
  childWatchChanged(): void;
  /** The kernel runs (`run()` and friends are pending). */
  running(): boolean;
}

function noop(): void {}

let pipeIgnored = false;
/**
 * Node starts with SIGPIPE ignored, but removing the last `process` listener of a signal puts
 * its default action back, and SIGPIPE's ends the process: a write to a closed peer after the
 * last PIPE watcher went would kill it (exit 141). POE puts PIPE back to IGNORE. A no-op
 * listener kept for the life of the process, once PIPE was ever watched, does the same.
 */
function keepPipeIgnored(): void {
  if (pipeIgnored) return;
  pipeIgnored = true;
  process.on('SIGPIPE', noop);
}

export class Signals {
  readonly #host: SignalHost;
  readonly #watchers = new Map<string, Map<Session, SignalWatcher>>();
  readonly #listeners = new Map<string, () => void>();
  /**
   * Keeps Node's loop alive while the kernel runs and watches an OS signal: a signal can wake
   * it, so it is waiting, not stalled (a session held by an extra reference and watching TERM
   * waits in POE until TERM comes). Node's own signal listeners keep nothing alive.
   */
  #keepAlive: NodeJS.Timeout | undefined = undefined;
  /** `sigHandled()` was called for the signal being dispatched (POE's handled flag). */
  handled = false;
  /** DIE dispatches under way: an exception in a DIE watcher is not raised as DIE again. */
  inDie = 0;

  constructor(host: SignalHost) {
    this.#host = host;
  }

  /** The watchers of `name`, by session, or undefined when nobody watches it. */
  watchers(name: string): ReadonlyMap<Session, SignalWatcher> | undefined {
    return this.#watchers.get(name);
  }

  /** Some session watches `name`. */
  watched(name: string): boolean {
    return this.#watchers.has(name);
  }

  /** `session` watches `name` with `event` (replacing its earlier watch of it). */
  watch(session: Session, name: string, event: string, extra: unknown[]): void {
    let watchers = this.#watchers.get(name);
    if (watchers === undefined) {
      watchers = new Map();
      this.#watchers.set(name, watchers);
      this.#listen(name);
      if (name === 'CHLD') this.#host.childWatchChanged();
    }
    watchers.set(session, { event, extra });
  }

  /** `session` stops watching `name`; a no-op when it does not. */
  unwatch(session: Session, name: string): void {
    const watchers = this.#watchers.get(name);
    if (watchers !== undefined && watchers.delete(session) && watchers.size === 0) this.#drop(name);
  }

  /** The session is freed: its watches go (POE's `_data_sig_clear_session`). */
  dropSession(session: Session): void {
    for (const [name, watchers] of this.#watchers) {
      if (watchers.delete(session) && watchers.size === 0) this.#drop(name);
    }
  }

  /** The OS signals with a process listener now. */
  osWatched(): string[] {
    return [...this.#listeners.keys()];
  }

  /** The kernel started or stopped running: Node's loop is held open while it runs and listens. */
  refresh(): void {
    const wanted = this.#host.running() && this.#listeners.size > 0;
    if (wanted && this.#keepAlive === undefined) {
      // The longest interval Node allows; it never fires in practice and does no work if it does.
      this.#keepAlive = setInterval(noop, 0x7fffffff);
    } else if (!wanted && this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** What is left that should not be, once every session is gone. */
  leaks(): string[] {
    const found: string[] = [];
    if (this.#watchers.size > 0) found.push(`signal watchers left: ${[...this.#watchers.keys()].join(', ')}`);
    if (this.#listeners.size > 0) found.push(`OS signal listeners left: ${[...this.#listeners.keys()].join(', ')}`);
    return found;
  }

  /** The first watcher of an OS signal installs the process listener. */
  #listen(name: string): void {
    if (this.#listeners.has(name) || NO_OS_LISTENER.has(name)) return;
    const sig = `SIG${name}`;
    if (!(sig in osConstants.signals)) return;
    const listener = (): void => this.#host.received(name);
    try {
      process.on(sig as NodeJS.Signals, listener);
    } catch {
      return; // not a signal this platform lets Node watch
    }
    if (name === 'PIPE') keepPipeIgnored();
    this.#listeners.set(name, listener);
    this.refresh();
  }

  /** The last watcher of `name` went: so does its process listener. */
  #drop(name: string): void {
    this.#watchers.delete(name);
    if (name === 'CHLD') this.#host.childWatchChanged();
    const listener = this.#listeners.get(name);
    if (listener !== undefined) {
      process.removeListener(`SIG${name}` as NodeJS.Signals, listener);
      this.#listeners.delete(name);
      this.refresh();
    }
  }
}
