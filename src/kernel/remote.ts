/*
 * The one seam between the kernel and inter-kernel communication (IKC): a destination the
 * kernel cannot resolve locally is offered to a registered router before `post`/`call` fail.
 * The kernel knows nothing of addresses, transports or encodings; it only asks.
 */
import type { Session } from '../session/session.js';
import type { Untyped } from '../session/types.js';
import type { Kernel } from './kernel.js';

/** What a router returns for a destination that is not a remote address: the kernel fails as before. */
export const NOT_REMOTE: unique symbol = Symbol('poe-ts.ikc.not-remote');

/**
 * A session in another kernel, as `post` and `call` accept it: the kernel's name and the
 * session's published name (an alias). `E` is the remote session's event map, declared once
 * and shared by both sides, so a wrong event or argument fails at compile time.
 */
export interface RemoteTarget<E = Untyped> {
  readonly kernel: string;
  readonly session: string;
  /** Carries the event map in the type only; never set at run time. */
  readonly '~events'?: E;
}

/** What the kernel asks about destinations it cannot resolve (the IKC responder); not exported from the package. */
export interface RemoteRouter {
  /** A post from `sender`: post's return value, or NOT_REMOTE when `dest` is no remote address. */
  post(sender: Session | Kernel, dest: unknown, event: string, args: unknown[]): 1 | undefined | typeof NOT_REMOTE;
  /** A call from `sender`: a promise of the remote handler's value, or NOT_REMOTE. */
  call(sender: Session | Kernel, dest: unknown, event: string, args: unknown[]): Promise<unknown> | typeof NOT_REMOTE;
}
