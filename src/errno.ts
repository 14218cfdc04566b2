import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

/*
 * Perl's `$!` in poe-ts: errno numbers, their names and their strerror texts. The kernel,
 * drivers, wheels and components all report failures this way (POE's conventions), so it sits
 * beside errors.ts, below every layer, and imports none of them.
 */

/**
 * POE reports failures through Perl's `$!`. poe-ts keeps the numbers (the host's errno values,
 * Linux's on Linux) on `kernel.errno`; these are the ones the kernel sets.
 */
export const errno = {
  EPERM: constants.errno.EPERM ?? 1,
  ESRCH: constants.errno.ESRCH ?? 3,
  EEXIST: constants.errno.EEXIST ?? 17,
  EINVAL: constants.errno.EINVAL ?? 22,
  ENOSYS: constants.errno.ENOSYS ?? 38,
} as const;

export type ErrnoName = keyof typeof errno;

const names = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) if (!names.has(value)) names.set(value, name);

/** The symbolic name of an errno number (`3` -> `'ESRCH'`), or its decimal string. */
export function errnoName(value: number): string {
  return value === 0 ? '0' : (names.get(value) ?? String(value));
}

/**
 * The text Perl's `$!` gives for an errno in string context: glibc's `strerror`. POE puts it in
 * ARG2 of FailureEvent and ErrorEvent (`('connect', 111, 'Connection refused', id)`), so ports
 * that print or compare it see the same words. Node's own messages (libuv's) are lower-case
 * and worded differently, so the common socket and file codes are spelled out here.
 */
const MESSAGES: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ENOTSOCK: 'Socket operation on non-socket',
  EDESTADDRREQ: 'Destination address required',
  EMSGSIZE: 'Message too long',
  EPROTOTYPE: 'Protocol wrong type for socket',
  ENOPROTOOPT: 'Protocol not available',
  EPROTONOSUPPORT: 'Protocol not supported',
  ESOCKTNOSUPPORT: 'Socket type not supported',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort',
  ECONNRESET: 'Connection reset by peer',
  ENOBUFS: 'No buffer space available',
  EISCONN: 'Transport endpoint is already connected',
  ENOTCONN: 'Transport endpoint is not connected',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTDOWN: 'Host is down',
  EHOSTUNREACH: 'No route to host',
  EALREADY: 'Operation already in progress',
  EINPROGRESS: 'Operation now in progress',
};

const byNumber = new Map<number, string>();
for (const [name, text] of Object.entries(MESSAGES)) {
  const n = (constants.errno as Record<string, number | undefined>)[name];
  if (n !== undefined && !byNumber.has(n)) byNumber.set(n, text);
}

/**
 * `strerror(errno)` as Perl prints `$!`: `111` -> `'Connection refused'`; `''` for 0. Codes not
 * in the table above fall back to libuv's message, capitalised, then to glibc's
 * `Unknown error N`.
 */
export function strerror(errno: number): string {
  if (errno === 0) return '';
  const known = byNumber.get(errno);
  if (known !== undefined) return known;
  const uv = getSystemErrorMap().get(-errno);
  if (uv !== undefined) return uv[1].charAt(0).toUpperCase() + uv[1].slice(1);
  return `Unknown error ${errno}`;
}

/** A Node system error's POE view: positive errno number and strerror text. */
export interface SysError {
  readonly errno: number;
  readonly message: string;
}

/**
 * Turns a Node error (`err.code` `'ECONNREFUSED'`, `err.errno` `-111`) into POE's `($!+0, "$!")`.
 * The errno comes from the code name via `os.constants.errno`, so it is the host's number
 * (Linux's on Linux), as POE reports it. Errors without a known code give EINVAL.
 */
export function sysError(err: unknown): SysError {
  const e = err as { code?: unknown; errno?: unknown } | null | undefined;
  let n: number | undefined;
  if (typeof e?.code === 'string') n = (constants.errno as Record<string, number | undefined>)[e.code];
  if (n === undefined && typeof e?.errno === 'number' && e.errno !== 0) n = Math.abs(e.errno);
  if (n === undefined) n = constants.errno.EINVAL;
  return { errno: n, message: strerror(n) };
}
