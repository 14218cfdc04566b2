/**
 * Test kit: a kernel per test on a manual clock, an ordered log of what happened, and a leak
 * check once the kernel settles.
 */
import { expect } from 'vitest';
import { Kernel, ManualClock, type KernelOptions, type Session, type SessionOrKernel } from '../../src/index.js';

export interface TestKernel {
  kernel: Kernel;
  clock: ManualClock;
  /** Everything `say` recorded, in order. */
  log: string[];
  /** Lines the kernel itself logged (warnings, traces). */
  warnings: string[];
  say: (...parts: unknown[]) => void;
  /** Runs the kernel to completion and checks that nothing leaked. */
  run: () => Promise<void>;
}

/** Names a session or the kernel the way the probes print them: `S3` or `kernel`. */
export function id(x: SessionOrKernel | Session | undefined): string {
  if (x === undefined) return 'undef';
  return Kernel.isKernel(x) ? 'kernel' : `S${(x as Session).ID}`;
}

export function makeKernel(options: Omit<KernelOptions, 'clock' | 'log'> & { autoAdvance?: boolean } = {}): TestKernel {
  const { autoAdvance = true, ...rest } = options;
  const clock = new ManualClock({ autoAdvance });
  const warnings: string[] = [];
  const kernel = new Kernel({ ...rest, clock, log: (line) => warnings.push(line) });
  const log: string[] = [];
  const say = (...parts: unknown[]) => {
    log.push(parts.map((p) => (typeof p === 'string' ? p : String(p))).join(''));
  };
  const run = async () => {
    await kernel.run();
    expectNoLeaks(kernel);
  };
  return { kernel, clock, log, warnings, say, run };
}

export function expectNoLeaks(kernel: Kernel): void {
  expect(kernel.leaks()).toEqual([]);
  expect(kernel.sessionCount).toBe(0);
}
