/**
 * Fixture programs as real processes: start one with its output piped, wait for its lines with
 * bounded timeouts, and make sure no process outlives the test (`cleanup` in `afterEach`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** Every pid a test learned about; `cleanup` kills whatever of them still runs. */
const pids = new Set<number>();
const running = new Set<ChildProcess>();

export function track(pid: number): void {
  pids.add(pid);
}

/** True while `pid` exists and is not a zombie (an orphan's new parent may reap it late). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: kill(0) is all we know
  }
}

/** The process group of `pid` (from procfs), or undefined where there is none. */
export function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state, ppid, pgrp.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Tracks a process the test started itself: its pid, and its exit awaited by `cleanup`. */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  if (child.pid !== undefined) pids.add(child.pid);
}

export async function cleanup(): Promise<void> {
  await killLeftovers();
}

/**
 * Kills every tracked process still running, waits for the tracked children to exit, and
 * returns the pids that were still alive: a test that must leave nothing behind asserts on it.
 */
export async function killLeftovers(): Promise<number[]> {
  const leftovers = [...pids].filter(alive);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  pids.clear();
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', () => resolve());
        }),
    ),
  );
  running.clear();
  return leftovers;
}

/** Rejects after `ms` unless `promise` settles first; `what` is read when it times out. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` holds, polling every 20 ms; rejects after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Program {
  child: ChildProcess;
  pid: number;
  /** stdout lines of the program and every process it forked (they share its stdout). */
  lines: string[];
  stderr: string[];
  /** Resolves with the first line matching `re` (already seen or still to come). */
  line: (re: RegExp, ms?: number) => Promise<RegExpExecArray>;
  /** Resolves with `(code, signal)` when the program exits. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Calls `fn` with each complete line `stream` delivers (UTF-8, without its LF). */
export function onLines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      fn(line);
    }
  });
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Start the program under this limit on open descriptors (`ulimit -n`, soft and hard). */
  fdLimit?: number;
}

/**
 * Runs `node t/fixtures/<name> ...args` with piped output; its pid is tracked. With `fdLimit`,
 * a shell sets the limit and then becomes the program (`exec`), so the pid is still node's.
 */
export function run(name: string, args: string[] = [], options: RunOptions = {}): Program {
  const argv = [process.execPath, fixture(name), ...args];
  const child =
    options.fdLimit === undefined
      ? spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('/bin/sh', ['-c', 'ulimit -n "$1" && shift && exec "$@"', 'sh', String(options.fdLimit), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  track(child.pid);
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  onLines(child.stdout, (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      const m = w.re.exec(line);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  let errText = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errText += chunk;
    stderr.splice(0, stderr.length, ...errText.split('\n').filter(Boolean));
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  const line = (re: RegExp, ms = 10_000): Promise<RegExpExecArray> => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no line matching ${re} within ${ms} ms; got:\n${lines.join('\n')}\nstderr:\n${stderr.join('\n')}`)), ms);
      waiters.push({
        re,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  };
  return { child, pid: child.pid, lines, stderr, line, exited };
}

/** Waits for `p` to exit within `ms`. */
export async function exitOf(p: Program, ms = 10_000): Promise<[number | null, NodeJS.Signals | null]> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`program ${p.pid} did not exit within ${ms} ms; output:\n${p.lines.join('\n')}\nstderr:\n${p.stderr.join('\n')}`)), ms);
  });
  try {
    return await Promise.race([p.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}
