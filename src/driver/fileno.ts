/**
 * The file descriptor behind a Node handle: POE's `fileno($fh)`, for logging, comparing and
 * passing on. Streams of the `fs` module and the process's stdio carry it as `fd`; sockets and
 * servers keep it on their libuv handle, which Node does not expose publicly. This function is
 * the one place that reads it there (t/unit/fileno.test.ts fails loudly if Node changes it).
 *
 * Returns undefined for a handle without a descriptor (a `duplexPair()` end, a closed socket,
 * a socket on a platform whose handles have none).
 */
export function fileno(handle: unknown): number | undefined {
  if (handle === null || typeof handle !== 'object') return undefined;
  const own = (handle as { fd?: unknown }).fd;
  if (typeof own === 'number' && own >= 0) return own;
  const libuv = (handle as { _handle?: { fd?: unknown } | null })._handle;
  const fd = libuv?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
