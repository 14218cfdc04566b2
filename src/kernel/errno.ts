import { constants } from 'node:os';

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
