/*
 * Remote addresses as IKC writes them (POE::Component::IKC::Specifier): `poe://kernel/session/event`,
 * `poe://kernel/session` (a session, the event given apart), and for a response event in the
 * sender's own kernel `poe:/session/event` or `poe:event` (the current session).
 */
import { brand, isBranded } from '../brand.js';
import { PoeIkcError, describe } from '../errors.js';
import type { RemoteTarget } from '../kernel/remote.js';
import type { Untyped } from '../session/types.js';

/** A parsed address; `kernel` is undefined for the local forms (`poe:/s/e`, `poe:e`). */
export interface Address {
  kernel: string | undefined;
  session: string | undefined;
  event: string | undefined;
}

/** Kernel, session and event names: no `/`, no whitespace, not empty. */
const PART = /^[^/\s]+$/;

/** Parses an IKC address; undefined when `text` is not one. */
export function parseAddress(text: string): Address | undefined {
  if (!text.startsWith('poe:')) return undefined;
  const rest = text.slice(4);
  if (rest.startsWith('//')) {
    const parts = rest.slice(2).split('/');
    if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART.test(p))) return undefined;
    return { kernel: parts[0], session: parts[1], event: parts[2] };
  }
  if (rest.startsWith('/')) {
    const parts = rest.slice(1).split('/');
    if (parts.length !== 2 || !parts.every((p) => PART.test(p))) return undefined;
    return { kernel: undefined, session: parts[0], event: parts[1] };
  }
  return PART.test(rest) ? { kernel: undefined, session: undefined, event: rest } : undefined;
}

/** `poe://kernel/session[/event]`. */
export function formatAddress(kernel: string, session: string, event?: string): string {
  return event === undefined ? `poe://${kernel}/${session}` : `poe://${kernel}/${session}/${event}`;
}

/**
 * A session in another kernel, typed by its event map `E` (declared once, shared by both
 * sides): `kernel.post(remote<Chat>('hub', 'chat'), 'say', 'hi')` checks `say`'s arguments as
 * a post to a local `Session<Chat>` would. Its string is `poe://kernel/session`.
 */
export class RemoteSession<E = Untyped> implements RemoteTarget<E> {
  static {
    brand(this, 'poe-ts.ikc.RemoteSession');
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(this, value);
  }

  readonly kernel: string;
  readonly session: string;
  declare readonly '~events'?: E;
  constructor(kernel: string, session: string) {
    for (const [what, v] of [
      ['kernel', kernel],
      ['session', session],
    ] as const) {
      if (typeof v !== 'string' || !PART.test(v)) {
        throw new PoeIkcError('ERR_POE_IKC_BAD_ADDRESS', String(v), `Expected the remote ${what} name to be a non-empty string without \`/\` or whitespace, got ${describe(v)}`);
      }
    }
    this.kernel = kernel;
    this.session = session;
  }

  /** The address of event `event` in this session. */
  event(event: string): string {
    return formatAddress(this.kernel, this.session, event);
  }

  toString(): string {
    return formatAddress(this.kernel, this.session);
  }
}

/** `new RemoteSession<E>(kernel, session)`. POE::Component::IKC: `poe://kernel/session`. */
export function remote<E = Untyped>(kernel: string, session: string): RemoteSession<E> {
  return new RemoteSession<E>(kernel, session);
}
