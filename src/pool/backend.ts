import { type ChildProcess, type Serializable, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PoeError } from '../errors.js';

/*
 * The two ways a Function pool runs its workers, behind one small interface: a worker thread
 * (node:worker_threads, structured clone) or a forked process (child_process.fork with
 * `serialization: 'advanced'`, the same clone algorithm over IPC). Both run the same entry
 * script, dist/pool-worker.js. Not exported from the package.
 */

/** What a backend tells the pool about one worker. */
export interface WorkerHooks {
  message(m: unknown): void;
  /** The worker is gone; `why` says how (`exit code 1`, `signal SIGKILL`, an error's message). */
  exit(why: string): void;
}

/** One running worker. */
export interface WorkerHandle {
  /** A thread's `threadId`, a process's pid. */
  readonly id: number;
  /** Sends a message (cloned now; throws a DataCloneError for what cannot be cloned). */
  send(m: unknown): void;
  /** Asks it to exit once it has read what was sent before. */
  close(): void;
  /** Ends it now, busy or not (Worker#terminate, SIGKILL). */
  kill(): void;
  /** Whether it keeps Node's loop alive: only while the pool has calls pending. */
  ref(on: boolean): void;
}

export type Backend = 'thread' | 'process';

let entry: string | undefined;

/**
 * The worker entry script: beside the built library (dist/), or, when poe-ts runs from its
 * sources (its own tests) or from a bundle of them (build/samples/), the built one in dist/.
 */
export function workerEntry(): string {
  if (entry !== undefined) return entry;
  for (const candidate of ['./pool-worker.js', '../../dist/pool-worker.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return (entry = path);
  }
  throw new PoeError('ERR_POE_POOL_BAD_MODULE', 'Function: the worker entry script (dist/pool-worker.js) is missing; build poe-ts first (`npm run build`)');
}

export function startWorker(backend: Backend, hooks: WorkerHooks): WorkerHandle {
  return backend === 'thread' ? startThread(hooks) : startProcess(hooks);
}

function startThread(hooks: WorkerHooks): WorkerHandle {
  const w = new Worker(workerEntry());
  let error: string | undefined;
  w.on('message', (m) => hooks.message(m));
  // An exception the user's code threw outside a call (in a timer, say) ends the thread.
  w.on('error', (err) => (error = `uncaught ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`));
  w.once('exit', (code) => hooks.exit(error ?? `exit code ${code}`));
  return {
    id: w.threadId,
    send: (m) => w.postMessage(m),
    close: () => w.postMessage({ t: 'exit' }),
    kill: () => void w.terminate(),
    ref: (on) => (on ? w.ref() : w.unref()),
  };
}

function startProcess(hooks: WorkerHooks): WorkerHandle {
  // No execArgv of the parent's (a test runner's loader, --inspect ports): a plain node.
  const child: ChildProcess = fork(workerEntry(), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  let gone = false;
  child.on('message', (m) => hooks.message(m));
  child.on('error', (err) => {
    // A failed spawn has no exit event; a failed send to a dying child is followed by one.
    if (child.pid === undefined && !gone) {
      gone = true;
      hooks.exit(`cannot start: ${err.message}`);
    }
  });
  child.once('exit', (code, signal) => {
    if (gone) return;
    gone = true;
    hooks.exit(signal !== null ? `signal ${signal}` : `exit code ${code}`);
  });
  const ref = (on: boolean): void => {
    if (on) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  };
  return {
    id: child.pid ?? -1,
    send: (m) => {
      if (child.connected) child.send(m as Serializable);
    },
    close: () => {
      if (child.connected) child.send({ t: 'exit' });
    },
    kill: () => void child.kill('SIGKILL'),
    ref,
  };
}
