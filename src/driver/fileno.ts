import { handleFd } from './node-internals.js';

/**
 * The file descriptor behind a Node handle: POE's `fileno($fh)`, for logging, comparing and
 * passing on. Streams of the `fs` module and the process's stdio carry it as `fd`; sockets and
 * servers keep it on their libuv handle, which Node does not expose publicly (see `handleFd`).
 *
 * Returns undefined for a handle without a descriptor (a `duplexPair()` end, a closed socket,
 * a socket on a platform whose handles have none).
 */
export function fileno(handle: unknown): number | undefined {
  if (handle === null || typeof handle !== 'object') return undefined;
  const own = (handle as { fd?: unknown }).fd;
  if (typeof own === 'number' && own >= 0) return own;
  const fd = handleFd(handle);
  return fd >= 0 ? fd : undefined;
}
