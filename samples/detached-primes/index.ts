/**
 * detached-primes: the IO::Async::DetachedCode seed's example, then the reason to detach code.
 * First the SYNOPSIS: is_prime(123454321) run in a worker, answered through `onReturn` /
 * `onError`. Then a batch: `calls` calls, each counting the primes among `chunk` numbers from
 * 1e9 on, spread over `workers` workers, with the time taken, and the same work done
 * sequentially in this process beside it.
 *
 *   node build/samples/detached-primes.js [workers=2] [calls=100] [chunk=500] [backend=thread]
 *
 * The code the workers run is ./primes.mjs: a worker is another isolate (or process) and
 * cannot run a closure made here, so DetachedCode's `code` is a module and an export.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DetachedCode, Function, Kernel, task } from '../../src/index.js';

/** primes.mjs: beside this file, or (for the built sample in build/samples/) in the sources. */
function primesModule(): URL {
  for (const candidate of ['./primes.mjs', '../../samples/detached-primes/primes.mjs']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new Error('detached-primes: primes.mjs not found');
}

export interface DetachedPrimesOptions {
  workers?: number;
  calls?: number;
  chunk?: number;
  backend?: 'thread' | 'process';
  out?: (line: string) => void;
  kernel?: Kernel;
}

export interface DetachedPrimesResult {
  isPrime: boolean;
  primes: number;
  sequentialPrimes: number;
  seconds: number;
  sequentialSeconds: number;
}

const BASE = 1_000_000_000;

/** Runs both parts; resolves once the kernel has nothing left to do. */
export async function start(options: DetachedPrimesOptions = {}): Promise<DetachedPrimesResult> {
  const { workers = 2, calls = 100, chunk = 500, backend = 'thread', out = (line: string) => console.log(line), kernel = new Kernel() } = options;
  const module = primesModule();
  const result: DetachedPrimesResult = { isPrime: true, primes: 0, sequentialPrimes: 0, seconds: 0, sequentialSeconds: 0 };

  // The seed's SYNOPSIS, continuation for continuation.
  const code = DetachedCode.create<[number], boolean>({ code: { module, export: 'isPrime' }, kernel, backend });
  code.call({
    args: [123454321],
    onReturn: (isprime) => {
      result.isPrime = isprime;
      out(`123454321 ${isprime ? 'is' : 'is not'} a prime number`);
      code.shutdown();
    },
    onError: (err) => {
      console.error(`Cannot determine if it's prime - ${String(err)}`);
      code.shutdown();
    },
  });

  task(
    async () => {
      const count = Function.create<[number, number], number>({ module, export: 'countPrimes', workers, kernel, backend });
      await count.ready(); // the workers' start-up is not the work
      const t0 = performance.now();
      const counts = await Promise.all(Array.from({ length: calls }, (_, i) => count.call({ args: [BASE + i * chunk, chunk] })));
      result.seconds = (performance.now() - t0) / 1000;
      result.primes = counts.reduce((a, b) => a + b, 0);
      await count.stop();

      const { countPrimes } = (await import(module.href)) as { countPrimes: (start: number, count: number) => number };
      const t1 = performance.now();
      for (let i = 0; i < calls; i++) result.sequentialPrimes += countPrimes(BASE + i * chunk, chunk);
      result.sequentialSeconds = (performance.now() - t1) / 1000;

      out(`${result.primes} primes among ${calls * chunk} numbers from ${BASE}: ${calls} calls x ${chunk} numbers over ${workers} ${backend} worker(s) in ${result.seconds.toFixed(3)} seconds`);
      out(`sequential, in this process: ${result.sequentialPrimes} primes in ${result.sequentialSeconds.toFixed(3)} seconds (${(result.sequentialSeconds / result.seconds).toFixed(2)}x)`);
    },
    { kernel },
  );
  await kernel.run();
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [workers, calls, chunk] = process.argv.slice(2, 5).map((a) => (a === undefined ? undefined : Number(a)));
  const backend = process.argv[5] === 'process' ? 'process' : 'thread';
  await start({ workers, calls, chunk, backend });
}
