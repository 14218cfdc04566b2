/*
 * What passes between a thread and the thread that made it: the messages, errors as plain
 * data, and the markers that stand for shared objects (Queue, SharedSemaphore, SharedArray)
 * while they cross. Not exported from the package.
 *
 * The state and registries live on `globalThis` under `Symbol.for` keys, so every copy of
 * poe-ts loaded in one isolate (the ESM and CJS builds, a sample's bundled copy) sees the
 * same ones: the worker's bootstrap sets the thread's state before the user's module loads,
 * and whichever copy that module imports reads it.
 */

import { rebuildError } from '../errors.js';

/** The in-thread state the bootstrap keeps: `globalThis[THREAD_STATE]` inside a thread. */
export const THREAD_STATE = Symbol.for('poe-ts.threads.state');
/** `globalThis[REVIVE]`: turns the markers in a thread's arguments back into shared objects. */
export const REVIVE = Symbol.for('poe-ts.threads.revive');
/** `globalThis[TIDS]` on the main thread: the process-wide tid counter (an Int32Array over a SharedArrayBuffer). */
export const TIDS = Symbol.for('poe-ts.threads.tids');
/** A shared object's method giving its marker. */
export const SHARE = Symbol.for('poe-ts.threads.share');
/** The key a marker carries. */
export const MARK = '@@poe-ts.shared';

/** What the thread's function was given, through `workerData`. */
export interface ThreadData {
  tid: number;
  /** The process-wide tid counter, for threads the thread makes. */
  tids: SharedArrayBuffer;
  url: string;
  name: string;
  args: unknown[];
  stackSize: number;
}

/** The bootstrap's state in a thread. */
export interface ThreadState {
  tid: number;
  tids: SharedArrayBuffer;
  stackSize: number;
  detached: boolean;
  /** Perl's `%SIG` of the thread: handlers by signal name without `SIG`. */
  SIG: Record<string, ((signal: string) => unknown) | undefined>;
}

/** Messages a thread posts to its maker. */
export type FromThread =
  | { t: 'ret'; v: unknown }
  | { t: 'die'; e: unknown }
  | { t: 'bad'; msg: string; e: unknown };

/** Messages the maker posts to a thread. */
export type ToThread = { t: 'kill'; sig: string } | { t: 'detach' };

/** An error the thread died with, as data (structured clone keeps only an Error's message and stack). */
export interface PackedError {
  '@@poe-ts.error': true;
  name: string;
  message: string;
  stack: string | undefined;
  props: Record<string, unknown>;
}

/** Rebuilds an error packed by the bootstrap: same name, message, stack and own properties (`code`, ...). */
export function unpackError(e: unknown): unknown {
  if (e === null || typeof e !== 'object' || !(e as Record<string, unknown>)['@@poe-ts.error']) return e;
  const p = e as PackedError;
  return rebuildError(p.name, p.message, p.stack, p.props);
}

/** Makers of shared objects from their markers, by kind (filled in by shared.ts when it loads). */
export type Reviver = (marker: Record<string, unknown>) => unknown;

/** Replaces shared objects in `value` (top level, arrays and plain objects) with their markers. */
export function toWire(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  const share = (value as { [SHARE]?: () => unknown })[SHARE];
  if (typeof share === 'function') return share.call(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = toWire(value[i], depth + 1);
      if (v !== value[i]) (out ??= [...(value as unknown[])])[i] = v;
    }
    return out ?? value;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    let out: Record<string, unknown> | undefined;
    for (const [k, v0] of Object.entries(value)) {
      const v = toWire(v0, depth + 1);
      if (v !== v0) (out ??= { ...(value as Record<string, unknown>) })[k] = v;
    }
    return out ?? value;
  }
  return value;
}

/** The inverse of {@link toWire}, with the revivers registered in this isolate. */
export function fromWire(value: unknown, revivers: Map<string, Reviver>, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromWire(value[i], revivers, depth + 1);
    return value;
  }
  const rec = value as Record<string, unknown>;
  const kind = rec[MARK];
  if (typeof kind === 'string') {
    const revive = revivers.get(kind);
    return revive === undefined ? value : revive(rec);
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const k of Object.keys(rec)) rec[k] = fromWire(rec[k], revivers, depth + 1);
  }
  return value;
}
