import * as net from 'node:net';
import { constants } from 'node:os';
import { PoeArgumentError, describe } from '../errors.js';
import { strerror, sysError } from '../errno.js';
import { inetAton } from './address.js';
import type { EventName, Untyped } from '../session/types.js';
import { DescriptorCeiling } from './descriptor-ceiling.js';
import { Wheel, type WheelId, type WheelOwner, wheelArgs } from './wheel.js';

/**
 * Options of `new ListenAccept(...)`: POE::Wheel::ListenAccept's parameters in camelCase. `E`:
 * the session's event map when the wheel is given its handler's context first.
 */
export interface ListenAcceptOptions<E = Untyped> {
  /** POE `Handle`: a `net.Server` that listens (or is about to). The wheel never closes it. Required. */
  handle: net.Server;
  /** Event for each accepted connection: `(socket, peerAddress, wheelId)`. Required. */
  acceptEvent: EventName<E>;
  /** Event for accept errors: `('accept', errnum, errstr, wheelId)`. Optional. */
  errorEvent?: EventName<E>;
}

/**
 * AcceptEvent arguments: `(socket, peerAddress, wheelId)`. POE passes accept()'s raw sockaddr;
 * poe-ts passes the peer's packed address (a Buffer of 4 bytes for IPv4, 16 for IPv6; G31), or
 * `undefined` for a unix socket or a peer already gone. The port is `socket.remotePort`.
 */
export type ListenAcceptAcceptArgs = [socket: net.Socket, peerAddress: Buffer | undefined, wheelId: WheelId];
/** ErrorEvent arguments: `(operation, errnum, errstr, wheelId)`; the operation is `accept`. */
export type ListenAcceptErrorArgs = [operation: string, errnum: number, errstr: string, wheelId: WheelId];

const OPTION_KEYS = ['handle', 'acceptEvent', 'errorEvent'] as const;
const E = constants.errno;

/**
 * Accepts connections on a listening socket you made yourself and reports each one (spec 2.4).
 *
 * Events (`call`ed in the session):
 * - `acceptEvent(socket, peerAddress, wheelId)` for each connection; see
 *   `ListenAcceptAcceptArgs` (POE's ARG1 is a raw sockaddr, here the packed address).
 * - `errorEvent('accept', errnum, errstr, wheelId)`; EAGAIN/EWOULDBLOCK is swallowed, as POE
 *   does; running out of descriptors is reported once per fill, as SocketFactory does. A
 *   failed `listen` of a server that was not listening yet is reported the same way, with
 *   operation `listen`, and the wheel stops holding the session.
 *
 * The wheel holds its session while the server can still accept; `destroy()` (or the server
 * closing) ends that. Like POE 1.37 it has no pause method; see SocketFactory's for one.
 * `destroy()` does not close the server, which stays yours: Node keeps accepting on a
 * listening server even with no one reporting connections, so close it (or attach another
 * wheel) when you destroy this one.
 *
 * POE: `POE::Wheel::ListenAccept`.
 */
export class ListenAccept<E = Untyped> extends Wheel {
  readonly #server: net.Server;
  #accept: string;
  #error: string | undefined;
  readonly #acceptState: string;
  #watching = true;
  /** Tells when an accepted connection took the process's last descriptor. */
  readonly #ceiling = new DescriptorCeiling();

  /**
   * Starts reporting connections. Throws `PoeArgumentError` for bad options
   * (`ERR_POE_UNKNOWN_OPTION`, `ERR_POE_INVALID_ARGUMENT`) and `PoeError`
   * `ERR_POE_WHEEL_NO_SESSION` outside a handler.
   */
  constructor(options: ListenAcceptOptions);
  constructor(owner: WheelOwner<E>, options: ListenAcceptOptions<E>);
  constructor(first: ListenAcceptOptions | WheelOwner<E>, second?: ListenAcceptOptions<E>) {
    const [owner, options] = wheelArgs<ListenAcceptOptions>('ListenAccept', first, second as ListenAcceptOptions | undefined);
    const o = Wheel.checkOptions('ListenAccept', options, OPTION_KEYS, ['acceptEvent', 'errorEvent']);
    if (!(o.handle instanceof net.Server)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ListenAccept option \`handle\` to be a listening net.Server, got ${describe(o.handle)}`);
    }
    if (o.acceptEvent === undefined) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'ListenAccept option `acceptEvent` is required (POE: AcceptEvent required)');
    super('ListenAccept', owner);
    this.#server = o.handle;
    this.#accept = o.acceptEvent;
    this.#error = o.errorEvent;
    this.#acceptState = this.defineState('select accept', (socket, err) => this.#onAcceptReady(socket as net.Socket | undefined, err));
    this.listen(this.#server, 'connection', this.#onConnection);
    this.listen(this.#server, 'error', this.#onError);
    this.listen(this.#server, 'close', this.#onClose);
    this.#ceiling.arm();
    this.hold();
  }

  readonly #onConnection = (socket: net.Socket): void => {
    if (this.destroyed) return;
    // Node does not report running out of descriptors: see SocketFactory's #onConnection.
    const exhausted = this.#ceiling.accepted(socket);
    this.ioDispatch(this.#acceptState, socket);
    if (exhausted !== 0) this.ioDispatch(this.#acceptState, undefined, exhausted);
  };

  readonly #onError = (err: Error): void => {
    if (this.destroyed || !this.#watching) return;
    const { errno } = sysError(err);
    if (errno === E.EAGAIN || errno === E.EWOULDBLOCK) return;
    const listenFailed = (err as { syscall?: unknown }).syscall === 'listen' && !this.#server.listening;
    if (listenFailed) this.#stopWatching();
    else if (!this.#ceiling.failed(errno)) return;
    this.ioDispatch(this.#acceptState, undefined, err);
  };

  readonly #onClose = (): void => {
    if (!this.destroyed) this.#stopWatching();
  };

  #stopWatching(): void {
    if (!this.#watching) return;
    this.#watching = false;
    this.release();
  }

  /** `err`: Node's error, or the errno of descriptors found exhausted. */
  #onAcceptReady(socket: net.Socket | undefined, err: unknown): void {
    if (socket === undefined) {
      const errno = typeof err === 'number' ? err : sysError(err).errno;
      const syscall = (err as { syscall?: unknown } | null)?.syscall;
      this.emit(this.#error, syscall === 'listen' ? 'listen' : 'accept', errno, strerror(errno), this.ID);
      return;
    }
    const peer = typeof socket.remoteAddress === 'string' ? inetAton(socket.remoteAddress) : undefined;
    this.emit(this.#accept, socket, peer, this.ID);
  }

  /** The server the wheel accepts on (POE's `Handle`). */
  get handle(): net.Server {
    return this.#server;
  }

  /**
   * Renames AcceptEvent (which cannot be unset) or renames/unsets ErrorEvent.
   * POE: `$wheel->event(AcceptEvent => ..., ErrorEvent => ...)`.
   */
  event(events: { acceptEvent?: EventName<E>; errorEvent?: EventName<E> | undefined }): void {
    Wheel.checkOptions('ListenAccept event()', events, ['acceptEvent', 'errorEvent'], ['acceptEvent', 'errorEvent']);
    if ('acceptEvent' in events) {
      if (events.acceptEvent === undefined) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'ListenAccept event(): `acceptEvent` requires an event name; it cannot be unset');
      this.#accept = events.acceptEvent;
    }
    if ('errorEvent' in events) this.#error = events.errorEvent;
  }

  protected onDestroy(): void {
    this.#watching = false;
  }
}
