/**
 * Kernels for tests: one per test, with an ordered log of what happened (`say`), the kernel's
 * own log lines (`warnings`), and a leak check once `run()` settles. `makeKernel` runs on a
 * manual clock (timer tests are exact); `realKernel` on the system clock, for I/O tests that
 * wait for real bytes (a manual clock's auto-advance would jump timers ahead of them).
 * `logged` builds a test session's handlers so that its events are logged in one form.
 */
import { constants } from 'node:os';
import { expect } from 'vitest';
import { Kernel, ManualClock, Session, type KernelOptions, type SessionOrKernel } from '../../src/index.js';

/** An ordered log: `say(...parts)` appends the parts joined as one line. */
export interface Recorder {
  /** Everything `say` recorded, in order. */
  log: string[];
  say: (...parts: unknown[]) => void;
}

export function recorder(): Recorder {
  const log: string[] = [];
  const say = (...parts: unknown[]): void => void log.push(parts.map((p) => (typeof p === 'string' ? p : String(p))).join(''));
  return { log, say };
}

/** A handler as tests write them: the context, then the event's arguments. */
export type TestHandler<C> = (ctx: C, ...args: never[]) => unknown;

/**
 * A test session's handlers that tell its story in one form: each event in `lines` says its
 * line (made from the context and the event's arguments), then runs its handler in `on`, if
 * any; `on`'s other handlers are kept as they are. A test file says once how each event reads,
 * and each test only how it reacts.
 */
export function logged<C>(say: Recorder['say'], lines: Readonly<Record<string, (ctx: C, ...args: never[]) => string>>, on: Readonly<Record<string, TestHandler<C>>> = {}): Record<string, TestHandler<C>> {
  const states: Record<string, TestHandler<C>> = { ...on };
  for (const [event, line] of Object.entries(lines)) {
    const then = on[event];
    states[event] = (ctx: C, ...args: never[]) => {
      say(line(ctx, ...args));
      return then?.(ctx, ...args);
    };
  }
  return states;
}

const errnoNames = new Map<number, string>();
// The first name wins where two share a number (EAGAIN, not EWOULDBLOCK).
for (const [name, n] of Object.entries(constants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);

/** An errno as a log shows it: its name (`EPIPE`), or the number when it has none (`0` for EOF). */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? String(errno);
}

/**
 * A table of cases as rows for `test.each(named(cases))('%s', (_name, c) => ...)`: vitest cuts
 * a `$name` title to 40 characters, but keeps a `%s` one whole.
 */
export function named<T extends { name: string }>(cases: readonly T[]): [string, T][] {
  return cases.map((c) => [c.name, c]);
}

/** Lets the kernel's setImmediate-driven loop catch up (no time passes on a manual clock). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise and the function that settles it: what a handler awaits, opened by the test. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

export interface TestKernel extends Recorder {
  kernel: Kernel;
  /** Lines the kernel itself logged (warnings, traces). */
  warnings: string[];
  /** Runs the kernel to completion and checks that nothing leaked. */
  run: () => Promise<void>;
}

export interface ManualTestKernel extends TestKernel {
  clock: ManualClock;
}

export interface RealKernel extends Omit<TestKernel, 'run'> {
  /** Runs the kernel to completion within `ms`, then checks that nothing leaked. */
  run: (ms?: number) => Promise<void>;
}

/** Names a session or the kernel the way the probes print them: `S3` or `kernel`. */
export function id(x: SessionOrKernel | Session | undefined): string {
  if (x === undefined) return 'undef';
  return Kernel.isKernel(x) ? 'kernel' : `S${(x as Session).ID}`;
}

/** A kernel on a manual clock (auto-advancing unless told otherwise). */
export function makeKernel(options: Omit<KernelOptions, 'clock' | 'log'> & { autoAdvance?: boolean } = {}): ManualTestKernel {
  const { autoAdvance = true, ...rest } = options;
  const clock = new ManualClock({ autoAdvance });
  const warnings: string[] = [];
  const kernel = new Kernel({ ...rest, clock, log: (line) => warnings.push(line) });
  const run = async (): Promise<void> => {
    await kernel.run();
    expectNoLeaks(kernel);
  };
  return { kernel, clock, warnings, run, ...recorder() };
}

/** A kernel on the system clock, for I/O and process tests. */
export function realKernel(options: Omit<KernelOptions, 'clock' | 'log'> = {}): RealKernel {
  const warnings: string[] = [];
  const kernel = new Kernel({ ...options, log: (line) => warnings.push(line) });
  const run = async (ms = 5000): Promise<void> => {
    await runBounded(kernel, ms);
    expectNoLeaks(kernel);
  };
  return { kernel, warnings, run, ...recorder() };
}

export function expectNoLeaks(kernel: Kernel): void {
  expect(kernel.leaks()).toEqual([]);
  expect(kernel.sessionCount).toBe(0);
}

/**
 * Runs the kernel to completion, or stops it and fails after `ms` milliseconds: a test that
 * waits on an event that never comes ends with a clear error instead of the runner's timeout.
 */
export async function runBounded(kernel: Kernel, ms = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      kernel.stop();
      reject(new Error(`kernel.run() did not settle within ${ms} ms`));
    }, ms);
  });
  try {
    await Promise.race([kernel.run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `body` in a session's `_start` on a fresh real-clock kernel; returns what it threw, if
 * anything, after checking that the kernel was left with nothing (a throwing constructor
 * must not leave a watcher, hold or session behind).
 */
export async function thrownInSession(body: () => void): Promise<unknown> {
  const { kernel, run } = realKernel();
  let thrown: unknown;
  Session.create({
    kernel,
    inlineStates: {
      _start() {
        try {
          body();
        } catch (err) {
          thrown = err;
        }
      },
    },
  });
  await run();
  return thrown;
}

/** The `code` of what `fn` throws (`ERR_POE_...`), or undefined when it does not throw. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}
