import { EventEmitter } from 'node:events';
import { PoeArgumentError, PoeError, describe, rejectUnknownKeys } from '../errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Context } from './context.js';
import { Session, type SessionId } from './session.js';
import type { AnonEvent, Untyped } from './types.js';

/**
 * The events a {@link PoeEmitter} emits: event name to the arguments (ARG0..ARGn) the session
 * received. The same shape as node:events' typed maps.
 */
export type EmitterEvents = Record<string, unknown[]>;

/** Options of {@link PoeEmitter}. */
export interface PoeEmitterOptions {
  /** The kernel its session lives in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
  /** An alias for its session, so components can be told to answer to it by name. */
  alias?: string;
}

/** What the emitter's session emits for itself: `close` when it ends (not an event of the session). */
type Own = { close: [] };

const TAG = 'poe-ts emitter';

/**
 * An EventEmitter face for code that is not a session (a route of an Express app, a test, a
 * script): a session in the kernel whose events are emitted to listeners, so that a component
 * can be used without writing a session. Every event that reaches the session (a component's
 * response, a postback, a post to its alias) is emitted with its arguments; `post`, `call` and
 * `act` send as that session, so answers come back to it.
 *
 * ```ts
 * const face = new PoeEmitter<{ answer: [ResolverResponse<'A'>] }>();
 * face.on('answer', (r) => console.log(r.host, r.response));
 * face.act(() => resolver.resolve({ event: 'answer', host: 'example.com' }));
 * ```
 *
 * It is node:events' EventEmitter: `once(face, 'answer')` and `on(face, 'answer')` work, and an
 * `error` event with no listener throws, which makes the session's dispatch DIE (nothing is
 * dropped silently). A listener's throw is a handler's throw: the kernel's DIE signal.
 * An open emitter keeps the kernel running, as a listening server keeps Node running:
 * `close()` it when done. Not in POE.
 */
export class PoeEmitter<E extends EmitterEvents = EmitterEvents> extends EventEmitter<E & Own> {
  readonly #kernel: Kernel;
  readonly #session: Session<Untyped, Record<string, unknown>>;
  #context: Context | undefined;
  #open = true;

  constructor(options: PoeEmitterOptions = {}) {
    super();
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected PoeEmitter options to be an object, got ${describe(options)}`);
    }
    rejectUnknownKeys('PoeEmitter', options, ['kernel', 'alias']);
    const { kernel, alias } = options;
    if (alias !== undefined && (typeof alias !== 'string' || alias === '')) {
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_ALIAS', `Expected PoeEmitter \`alias\` to be a non-empty string, got ${describe(alias)}`);
    }
    let taken = false;
    const emitOne = (ctx: Context, event: string, args: unknown[]): void => {
      const prev = this.#context;
      this.#context = ctx;
      try {
        this.#emit(event, args);
      } finally {
        this.#context = prev;
      }
    };
    type Ctx = Context<Untyped, Record<string, unknown>>;
    const session = Session.create({
      ...(kernel !== undefined ? { kernel } : {}),
      inlineStates: {
        _start: (ctx: Ctx) => {
          ctx.kernel.refcountIncrement(ctx.session.ID, TAG);
          if (alias !== undefined && ctx.kernel.aliasSet(alias) !== 0) taken = true;
        },
        _stop: () => {
          this.#open = false;
          this.#emit('close', []);
        },
        _child: () => undefined,
        _parent: () => undefined,
        _default: (ctx: Ctx, event: string, args: unknown[]) => {
          if (this.#open) emitOne(ctx, event, args);
        },
      },
    });
    this.#session = session!;
    this.#kernel = this.#session._kernel;
    if (taken) {
      this.close();
      throw new PoeArgumentError('ERR_POE_KERNEL_BAD_ALIAS', `PoeEmitter: alias ${JSON.stringify(alias)} belongs to another session`);
    }
  }

  /** The session's ID: a destination for posts, or what a component is told to answer to. */
  get id(): SessionId {
    return this.#session.ID;
  }

  /** The session itself. */
  get session(): Session {
    return this.#session;
  }

  /** False once `close()` was called or the kernel stopped the session. */
  get open(): boolean {
    return this.#open;
  }

  /** While a listener runs: the event's context (its sender, caller...); otherwise undefined. */
  get context(): Context | undefined {
    return this.#context;
  }

  /**
   * Runs `fn` as the session's code, as if from one of its handlers: every kernel call in it
   * (`post`, `call`, `delay`, a component's event-form request) acts for this session, and
   * answers addressed to the current session come back here. Returns what `fn` returns.
   * Throws `ERR_POE_EMITTER_CLOSED` once closed.
   */
  act<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new PoeError('ERR_POE_INVALID_ARGUMENT', `Expected PoeEmitter act() to get a function, got ${describe(fn)}`);
    this.#checkOpen('act');
    return this.#kernel._actAs(this.#session, fn);
  }

  /** `kernel.post(dest, event, ...args)` as this session: replies to the sender come here. */
  post(dest: Session | string | number, event: string, ...args: unknown[]): 1 | undefined {
    return this.act(() => this.#kernel.post(dest as string, event, ...args));
  }

  /** `kernel.call(dest, event, ...args)` as this session. */
  call(dest: Session | string | number, event: string, ...args: unknown[]): unknown {
    return this.act(() => this.#kernel.call(dest as string, event, ...args));
  }

  /**
   * A postback to this emitter: calling it (from anywhere) emits `event` with POE's postback
   * arguments, `[created]` and `[given]`. It holds the session until it is garbage collected
   * or released, as POE's do. POE: `$session->postback(...)`.
   */
  postback<K extends keyof E & string>(event: K, ...created: unknown[]): AnonEvent<0> {
    this.#checkOpen('postback');
    return this.#session.postback(event, ...created);
  }

  /**
   * A handler that emits `event` with the arguments it is called with (the context first, as
   * a handler gets them): for a component option that takes a handler, such as ServerTCP's
   * `clientInput`, so that its events reach listeners here.
   */
  forward<K extends keyof E & string>(event: K): (...args: E[K]) => void {
    return (...args: E[K]) => {
      this.#emit(event, args);
    };
  }

  /**
   * Ends the session (its alias goes with it) and emits `close`; what is still addressed to
   * it is dropped as for any stopped session. Idempotent.
   */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    const kernel = this.#kernel;
    const session = this.#session;
    kernel._actAs(session, () => {
      for (const alias of kernel.aliasList(session)) kernel.aliasRemove(alias);
      kernel.refcountDecrement(session.ID, TAG);
    });
  }

  #emit(event: string, args: unknown[]): void {
    (EventEmitter.prototype.emit as (this: unknown, event: string, ...args: unknown[]) => boolean).call(this, event, ...args);
  }

  #checkOpen(what: string): void {
    if (!this.#open) throw new PoeError('ERR_POE_EMITTER_CLOSED', `PoeEmitter ${what}(): the emitter is closed`);
  }
}
