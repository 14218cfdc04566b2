import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { getSystemErrorMap } from 'node:util';
import { strerror } from '../errno.js';

/** What a driver reads from: any Node Readable (a socket, a pipe, `process.stdin`, a `duplexPair()` end). */
export type InputHandle = Readable;
/** What a driver writes to: any Node Writable (a socket, a pipe, `process.stdout`, a `duplexPair()` end). */
export type OutputHandle = Writable;
/** A handle read and written at once (a socket, a `duplexPair()` end). */
export type DuplexHandle = Readable & Writable;

/** Runs a function at the next turn of the event loop; wheels pass the kernel's `_ioSoon`. */
export type Soon = (fn: () => void) => void;

/**
 * Where a driver delivers what it reads. Each call is one readiness event of POE's read
 * watcher: `data` is one `get()` returning `[chunk]`, `end` is `get()` returning undef with
 * `$!` = 0, `error` is undef with `$!` set.
 */
export interface DriverReadSink {
  /** One read's worth of bytes (a string when the stream has an encoding set). */
  data(chunk: Buffer | string): void;
  /** End of input. Also sent when the handle is destroyed under the reader without an error of its own. */
  end(): void;
  /** The input handle failed (not through a write: those go to the write sink). */
  error(err: Error): void;
}

/**
 * Where a driver reports on its output handle: POE's write watcher. `writable` fires while
 * the watch is resumed and the handle can take data (level-triggered, like select); `error`
 * fires when a write the driver handed over failed later, or the output handle failed, and
 * the next `flush()` returns that error.
 */
export interface DriverWriteSink {
  writable(): void;
  error(err: Error): void;
}

/** A read or write watch: POE's `select_pause_*`, `select_resume_*`, and removal. */
export interface DriverWatch {
  pause(): void;
  resume(): void;
  /** Removes the watch; no further calls reach its sink. Idempotent. */
  stop(): void;
  readonly paused: boolean;
}

/**
 * The driver contract (POE::Driver), the implementer's reference. A driver moves bytes
 * between a wheel and Node streams; it never parses (filters do that) and never touches the
 * kernel (wheels do that).
 *
 * - `put(chunks)` queues the non-empty chunks and returns the octets now queued.
 * - `flush(handle)` hands as much of the queue as the handle takes now to the handle and
 *   returns the octets left. `error` is then the failure (POE's `$!` after `flush`), or
 *   undefined: a handle that is merely full is not an error.
 * - `read(handle, sink, soon)` starts reading: the sink gets each chunk, then `end` or
 *   `error`. Reading happens by callbacks because Node streams push their data.
 * - `watchWrite(handle, sink, soon)` watches the output handle for room and failures.
 * - `getOutOctets()` / `getOutMessages()` report the queue.
 *
 * One driver serves both directions of a wheel (POE's `DRIVER_BOTH`), so it can tell a
 * failed write from a failed read on a single duplex handle.
 */
export interface Driver {
  put(chunks: readonly unknown[]): number;
  flush(handle: OutputHandle): number;
  /** The failure of the last `flush()`, or undefined. */
  readonly error: Error | undefined;
  getOutOctets(): number;
  getOutMessages(): number;
  read(handle: InputHandle, sink: DriverReadSink, soon: Soon): DriverWatch;
  watchWrite(handle: OutputHandle, sink: DriverWriteSink, soon: Soon): DriverWatch;
}

/** True when `value` has the driver methods a wheel needs. */
export function isDriver(value: unknown): value is Driver {
  if (value === null || typeof value !== 'object') return false;
  const d = value as Record<string, unknown>;
  return ['put', 'flush', 'getOutOctets', 'getOutMessages', 'read', 'watchWrite'].every((m) => typeof d[m] === 'function');
}

/** True when `value` looks like a Node Readable. */
export function isInputHandle(value: unknown): value is InputHandle {
  if (value === null || typeof value !== 'object') return false;
  const h = value as Record<string, unknown>;
  return typeof h.on === 'function' && typeof h.pause === 'function' && typeof h.resume === 'function' && typeof h.removeListener === 'function';
}

/** True when `value` looks like a Node Writable. */
export function isOutputHandle(value: unknown): value is OutputHandle {
  if (value === null || typeof value !== 'object') return false;
  const h = value as Record<string, unknown>;
  return typeof h.on === 'function' && typeof h.write === 'function' && typeof h.end === 'function' && typeof h.removeListener === 'function';
}

/** What `describeIoError` makes of a Node error: POE's `($!+0, "$!")`. */
export interface IoErrorInfo {
  /** The errno number (the host's, Linux's on Linux). */
  errno: number;
  /** Its symbolic name (`EPIPE`). */
  code: string;
  /** Its strerror text (`Broken pipe`), as Perl's `"$!"` reads. */
  message: string;
}

const errnoTable = osConstants.errno as Record<string, number | undefined>;
/** libuv's table, by name: its (negative) error number. */
const uvByName = new Map<string, number>();
/** libuv's table, by number: the name. */
const uvByNumber = new Map<number, string>();
for (const [uv, [name]] of getSystemErrorMap()) {
  uvByName.set(name, uv);
  uvByNumber.set(uv, name);
}

/**
 * Node's own stream errors, which carry no errno, and the errno a POE program would have seen
 * for the same situation on a file descriptor.
 */
const NODE_CODES: Record<string, string> = {
  ERR_STREAM_DESTROYED: 'EPIPE',
  ERR_STREAM_WRITE_AFTER_END: 'EPIPE',
  ERR_STREAM_PREMATURE_CLOSE: 'ECONNRESET',
  ERR_SOCKET_CLOSED: 'EPIPE',
};

/**
 * Turns a Node I/O error into POE's errno number and message. The errno comes from the
 * error's `code` (`EPIPE` -> 32 through `os.constants.errno`), else from its libuv `errno`;
 * Node's stream errors that have no errno map to the errno a file descriptor would have given
 * (`ERR_STREAM_DESTROYED` and `ERR_STREAM_WRITE_AFTER_END` -> EPIPE,
 * `ERR_STREAM_PREMATURE_CLOSE` -> ECONNRESET); a TLS socket's `ERR_SSL_*` and `ERR_TLS_*`
 * failures are EPROTO; anything else is `fallback` (default EIO).
 */
export function describeIoError(err: unknown, fallback = 'EIO'): IoErrorInfo {
  const e = (err ?? {}) as { code?: unknown; errno?: unknown };
  let code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && NODE_CODES[code] !== undefined) code = NODE_CODES[code];
  // A TLS socket's failure after its handshake (an alert from the peer, a bad record): what
  // POE's SSLify reported as a failed sysread on a broken TLS stream.
  else if (code !== undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) code = 'EPROTO';
  let errno = code !== undefined ? errnoTable[code] : undefined;
  if (errno === undefined && typeof e.errno === 'number') {
    const name = uvByNumber.get(e.errno);
    if (name !== undefined && errnoTable[name] !== undefined) {
      code = name;
      errno = errnoTable[name];
    }
  }
  if (errno === undefined || code === undefined) {
    code = fallback;
    errno = errnoTable[fallback] ?? 5;
  }
  return { errno, code, message: strerror(errno) };
}

/** An error shaped like Node's system errors (`write EPIPE`, with `code`, `errno`, `syscall`). */
export function errnoException(code: string, syscall: string): NodeJS.ErrnoException {
  const uv = uvByName.get(code);
  const err = new Error(`${syscall} ${code}`) as NodeJS.ErrnoException;
  err.code = code;
  if (uv !== undefined) err.errno = uv;
  err.syscall = syscall;
  return err;
}
