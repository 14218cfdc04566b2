/**
 * Two kernels joined by IKC for tests: each with its own responder and a log, over an
 * in-process pair (or any transports given).
 */
import { Kernel } from '../../src/kernel/kernel.js';
import { Responder, type ResponderOptions } from '../../src/ikc/responder.js';
import { InProcessTransport } from '../../src/ikc/in-process.js';
import { runBounded, expectNoLeaks } from '../kit/index.js';

export interface Side {
  kernel: Kernel;
  ikc: Responder;
  warnings: string[];
}

export function side(name: string, options: Omit<ResponderOptions, 'kernel'> = {}): Side {
  const warnings: string[] = [];
  const kernel = new Kernel({ name, log: (line) => warnings.push(line) });
  const ikc = Responder.spawn({ kernel, ...options });
  return { kernel, ikc, warnings };
}

/** Two kernels `a` and `b` over an in-process pair. */
export function pair(options: Omit<ResponderOptions, 'kernel'> = {}): { a: Side; b: Side; ta: InProcessTransport; tb: InProcessTransport } {
  const a = side('a', options);
  const b = side('b', options);
  const [ta, tb] = InProcessTransport.pair();
  a.ikc.connect(ta);
  b.ikc.connect(tb);
  return { a, b, ta, tb };
}

/** Runs both kernels to the end (bounded), then checks each for leaks. */
export async function runBoth(a: Side, b: Side, ms = 10_000): Promise<void> {
  await Promise.all([runBounded(a.kernel, ms), runBounded(b.kernel, ms)]);
  expectNoLeaks(a.kernel);
  expectNoLeaks(b.kernel);
}
