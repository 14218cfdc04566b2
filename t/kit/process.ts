/**
 * Programs as real processes (fixtures and the built samples): start one with its output
 * piped, wait for its lines with bounded timeouts, and make sure no process outlives the test
 * (`cleanup` in `afterEach`). Also the build those programs need.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** The built sample `name`: `build/samples/<name>.js`. */
export const builtSample = (name: string): string => join(root, 'build', 'samples', `${name}.js`);

/**
 * Runs `npm run build` unless `path` (absolute, or relative to the root) exists: `npm test`
 * builds first, `vitest run` on its own may not have. For a `beforeAll` with a long timeout.
 */
export function ensureBuilt(path: string): void {
  if (!existsSync(resolvePath(root, path))) execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
}

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

/** Resolves once `check()` holds, polling every 20 ms; rejects after `ms`; `what` is read when it times out. */
export async function until(check: () => boolean, ms: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
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
  /** Resolves once `check()` holds, checked again at each line; rejects after `ms`. */
  until: (check: () => boolean, ms: number, what: string) => Promise<void>;
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
  /** Node's own options, before the script (`--max-old-space-size=256`). */
  nodeArgs?: string[];
  /** Variables set over this process's environment. */
  env?: Record<string, string>;
}

/**
 * The command that runs `node ...nodeArgs script ...args`. With `fdLimit`, a shell sets the
 * limit and then becomes node (`exec`), so the pid is still node's.
 */
export function nodeCommand(script: string, args: string[] = [], { fdLimit, nodeArgs = [] }: RunOptions = {}): [string, ...string[]] {
  const argv: [string, ...string[]] = [process.execPath, ...nodeArgs, script, ...args];
  return fdLimit === undefined ? argv : ['/bin/sh', '-c', 'ulimit -n "$1" && shift && exec "$@"', 'sh', String(fdLimit), ...argv];
}

/**
 * Runs `node t/fixtures/<name> ...args` (or the script at the absolute path `name`, such as a
 * {@link builtSample}) with piped output, as {@link nodeCommand} says; its pid is tracked.
 */
export function run(name: string, args: string[] = [], options: RunOptions = {}): Program {
  const [command, ...rest] = nodeCommand(isAbsolute(name) ? name : fixture(name), args, options);
  const child = spawn(command, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env && { ...process.env, ...options.env } });
  running.add(child);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  track(child.pid);
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const checks: { check: () => boolean; resolve: () => void }[] = [];
  onLines(child.stdout, (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      const m = w.re.exec(line);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
    for (const c of [...checks]) {
      if (c.check()) {
        checks.splice(checks.indexOf(c), 1);
        c.resolve();
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
  const until = (check: () => boolean, ms: number, what: string): Promise<void> => {
    if (check()) return Promise.resolve();
    const done = new Promise<void>((resolve) => checks.push({ check, resolve }));
    return bounded(done, ms, () => `${name}: ${what}; got:\n${lines.join('\n')}`);
  };
  return { child, pid: child.pid, lines, stderr, line, until, exited };
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
