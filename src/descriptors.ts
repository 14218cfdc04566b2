import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

/**
 * What the process knows of its file descriptor table without asking the OS on every call: the
 * soft RLIMIT_NOFILE, read once, and a probe that asks the OS for descriptors only when a
 * caller already suspects the table is full. Knows nothing of sockets.
 */

const E = constants.errno;

/** The soft limit once read; undefined until a read succeeded. */
let limit: number | undefined;

/**
 * The soft limit on open descriptors (RLIMIT_NOFILE): every descriptor this process opens is
 * below it. Read from `/proc/self/limits` (Linux) and kept; `Infinity` when it is unlimited or
 * cannot be read (no procfs), so a comparison against it never holds. Node raises its own soft
 * limit to the hard one at start-up, so the file, not the shell's `ulimit -Sn`, is the truth.
 * `reread` reads the file again: the limit of a running process can be changed from outside
 * (prlimit). A failed read (the table may be full right now) is not kept, so a later call tries
 * again.
 */
export function descriptorLimit(reread = false): number {
  if (limit !== undefined && !reread) return limit;
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'latin1');
  } catch (err) {
    // Out of descriptors is passing; no procfs is for good.
    const code = (err as { code?: unknown }).code;
    if (code === 'EMFILE' || code === 'ENFILE') return limit ?? Infinity;
    return (limit = Infinity);
  }
  // "Max open files            1024                 1048576              files"
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  limit = m === null || m[1] === 'unlimited' ? Infinity : Number(m[1]);
  return limit;
}

/**
 * Opens `count` descriptors (on `/dev/null`) and closes them again, to learn whether the process
 * could open that many now. Returns 0 when it could, the errno when the OS refused for lack of
 * descriptors (EMFILE: this process's table is full; ENFILE: the system's), and undefined when
 * the probe itself cannot work (no `/dev/null`). Costs two syscalls a descriptor: only for paths
 * that already failed or reached the limit, never per event.
 */
export function descriptorShortage(count = 1): number | undefined {
  const opened: number[] = [];
  try {
    for (let i = 0; i < count; i++) opened.push(openSync('/dev/null', 'r'));
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EMFILE') return E.EMFILE;
    if (code === 'ENFILE') return E.ENFILE;
    return undefined;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
