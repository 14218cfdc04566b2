import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as net from 'node:net';

/*
 * Every Node internal poe-ts relies on, and only here: each function says what it reads, why
 * no public API does the job, and what happens on a Node without it.
 * t/unit/node-internals.test.ts exercises each one against the running Node and fails, naming
 * the internal, if a Node release changes it. Tested on Node 20.19+ on Linux.
 */

/**
 * The file descriptor of a socket or server, or -1 when it has none (closed, not open yet, a
 * `duplexPair()` end, a platform whose handles have none).
 *
 * Reads the private libuv handle's `fd` (`socket._handle.fd`, `server._handle.fd`). libuv
 * keeps the number, so reading it costs no syscall.
 *
 * Node has no public accessor for a socket's descriptor: it calls the number an implementation
 * detail (nodejs/node#4763), and only `fs` streams and the process's stdio carry a public `fd`.
 * poe-ts needs it for POE's `fileno`, to hand a listener to forked children, and to see a
 * connection take the process's last descriptor (DescriptorCeiling). Without it: -1, so
 * `fileno()` gives undefined, forked children bind their own listeners, and running out of
 * descriptors goes unreported, as Node leaves it.
 */
export function handleFd(owner: object): number {
  const fd = (owner as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

type Listen2 = (this: net.Server, address: string, port: number, addressType: number, backlog: number) => void;

/**
 * Binds `server` to an address literal and listens, before returning: POE's SocketFactory
 * returns a bound socket, whose port `getsockname` reads right after `new` (probe 19).
 *
 * Reads `server._listen2`, Node's `setupListenHandle` under the name it keeps for code that
 * wraps it, which creates, binds and listens on the handle synchronously.
 *
 * No public call binds a given address at once: `server.listen({ host, port })` looks the host
 * up first, even a literal, and binds a tick later; only `listen` without a host binds at once,
 * and then on the unspecified address (`::`, falling back to `0.0.0.0`), not the one asked
 * for. Without it: `server.listen({ host, port, backlog })`, and the port is known once the
 * server emits `'listening'`.
 */
export function listenOnAddress(server: net.Server, ip: string, port: number, backlog: number): void {
  const listen2 = (server as unknown as { _listen2?: Listen2 })._listen2;
  if (typeof listen2 === 'function') listen2.call(server, ip, port, net.isIPv6(ip) ? 6 : 4, backlog);
  else server.listen({ host: ip, port, backlog });
}

/** Node's built-in channel for a failed `net.Server#listen()`: `{ server, error }`. */
export const LISTEN_ERROR_CHANNEL = 'tracing:net.server.listen:error';

/**
 * Runs `start`, a listen that binds synchronously (`listenOnAddress`, or `server.listen` with a
 * path or an fd), and returns the error it failed with if Node reported one at once.
 *
 * Reads Node's built-in diagnostics channel `tracing:net.server.listen:error`. The channel is
 * documented (its built-in channels are marked experimental); what the documentation does not
 * promise is the timing relied on here: Node publishes to it inside `listen()`, before it emits
 * `'error'` on the next tick.
 *
 * `listen()` reports a failed bind only through that later `'error'`, and no public API tells
 * at once. POE's `new` sees the failure itself and yields FailureEvent from inside, ahead of
 * anything the handler queues after `new` returns (G8, probe 19). Without it: undefined, and the
 * failure arrives through `'error'`, a tick later.
 */
export function listenError(server: net.Server, start: () => void): Error | undefined {
  let caught: Error | undefined;
  const onError = (message: unknown): void => {
    const m = message as { server?: unknown; error?: unknown };
    if (m.server === server && m.error instanceof Error) caught = m.error;
  };
  subscribe(LISTEN_ERROR_CHANNEL, onError);
  try {
    start();
  } finally {
    unsubscribe(LISTEN_ERROR_CHANNEL, onError);
  }
  return caught;
}

/**
 * The plain socket a server-side TLS socket was made over, or undefined.
 *
 * Reads `tlsSocket._parent`, which Node's TLSSocket sets to the `net.Socket` it wraps.
 *
 * A listener hands each accepted socket to a `tls.Server` (its documented `'connection'`
 * injection), which makes the TLS socket itself and reports it only when the handshake ends
 * (`'secureConnection'`, `'tlsClientError'`): no public API links it back to the accepted
 * socket, which SocketFactory tracks to close handshakes still running when it is destroyed.
 * Without it: SocketFactory stops tracking them, and such a handshake runs on until it ends or
 * times out, and is then closed.
 */
export function tlsParent(tlsSocket: net.Socket): net.Socket | undefined {
  const parent = (tlsSocket as { _parent?: unknown })._parent;
  return parent instanceof net.Socket ? parent : undefined;
}
