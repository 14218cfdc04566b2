import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kernel } from './kernel.js';
import type { Session } from '../session/session.js';

/**
 * The scope an `async` handler runs in: its kernel, its session and its event. Code that runs
 * after one of the handler's `await`s (or in a callback the handler made) finds it here, and
 * the kernel's session-bound calls then act for that session, as they did before the `await`.
 */
export class AsyncScope {
  /** Set when a call found the session stopped, so the warning says it once per handler run. */
  warned = false;
  constructor(
    readonly kernel: Kernel,
    readonly session: Session,
    readonly event: string,
  ) {}
}

// Made on the first async handler: a program without one never turns on Node's async context
// tracking (AsyncLocalStorage's promise hooks cost every promise of the process a little).
let storage: AsyncLocalStorage<AsyncScope> | undefined;

/** Runs `fn` in `scope`; promises made inside (the handler's awaits) carry it along. */
export function runInScope<T>(scope: AsyncScope, fn: () => T): T {
  return (storage ??= new AsyncLocalStorage<AsyncScope>()).run(scope, fn);
}

/** The async handler scope the running code belongs to, if any. */
export function currentScope(): AsyncScope | undefined {
  return storage?.getStore();
}

/** True for an `async function` (or async method, or async arrow function). */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'AsyncFunction';
}
