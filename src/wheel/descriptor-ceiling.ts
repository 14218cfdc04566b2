import type * as net from 'node:net';
import { constants } from 'node:os';
import { descriptorLimit, descriptorShortage } from '../descriptors.js';
import { handleFd } from '../driver/node-internals.js';

const E = constants.errno;

/**
 * Makes a listener's running out of descriptors visible, as POE's accept() failing with EMFILE
 * is.
 *
 * Node never tells: when accept() fails with EMFILE or ENFILE, libuv closes a descriptor it
 * keeps in reserve, accepts every pending connection and closes it at once (the peer sees EOF
 * before any data), reopens the reserve and returns without calling back, so `net.Server`
 * emits nothing; without a reserve it retries accept() in a busy loop, again without a word.
 * It does accept again once descriptors are free, so only the report is missing.
 *
 * Descriptors are allocated lowest first, so a connection accepted on the highest descriptor
 * the limit allows took the last free one: until one is freed, every connection that arrives
 * is closed unserved. That is checked for each accepted connection at the cost of reading its
 * descriptor number (no syscall); only a connection on that top descriptor costs a probe (one
 * open and close) that confirms the table is full and gives the OS's own errno. The limit is
 * read once per process (`arm`); if the probe finds a descriptor free at the top, the limit was
 * raised since, and it is read again.
 *
 * One report an episode: the table found full starts one, and a connection accepted below the
 * top ends it (descriptors were freed; the next fill is a new episode). Errors Node does report
 * for accept (EMFILE or ENFILE, on other libuv versions or platforms) count towards the same
 * episode.
 *
 * Not seen: the table filled by something other than a connection on the top descriptor (a
 * file, or a connection taking a lower descriptor freed earlier); the next connection then
 * fills nothing and is closed by libuv unreported, until a connection lands on the top again.
 * Nor anything where the limit cannot be read (no `/proc/self/limits`).
 */
export class DescriptorCeiling {
  /** The highest descriptor the process may have; Infinity when the limit is not known. */
  #top = Infinity;
  /** In an episode: the table was found full and nothing has been accepted below the top since. */
  #full = false;

  /** Reads the process's limit (once per process); call before the first connection. */
  arm(): void {
    this.#top = descriptorLimit() - 1;
  }

  /**
   * For each accepted connection. Returns the errno to report when `socket` took the process's
   * last descriptor and this starts an episode, else 0.
   */
  accepted(socket: net.Socket): number {
    const fd = handleFd(socket);
    if (fd < this.#top) {
      this.#full = false;
      return 0;
    }
    if (fd === this.#top && this.#full) return 0;
    const short = descriptorShortage(1);
    if (short === 0) {
      // A descriptor is free above this one: the limit was raised.
      this.#top = descriptorLimit(true) - 1;
      this.#full = false;
      return 0;
    }
    if (this.#full) return 0;
    this.#full = true;
    return short ?? E.EMFILE;
  }

  /** An accept error Node did report: false for EMFILE or ENFILE within an episode already reported. */
  failed(errno: number): boolean {
    if (errno !== E.EMFILE && errno !== E.ENFILE) return true;
    if (this.#full) return false;
    this.#full = true;
    return true;
  }
}
