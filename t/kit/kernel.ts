/**
 * Kernels for tests: one per test, with an ordered log of what happened (`say`), the kernel's
 * own log lines (`warnings`), and a leak check once `run()` settles. `makeKernel` runs on a
 * manual clock (timer tests are exact); `realKernel` on the system clock, for I/O tests that
 * wait for real bytes (a manual clock's auto-advance would jump timers ahead of them).
 */
import { expect } from 'vitest';
import { Kernel, ManualClock, type KernelOptions, type Session, type SessionOrKernel } from '../../src/index.js';

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
