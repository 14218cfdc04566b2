/**
 * samples/detached-primes (the IO::Async::DetachedCode seed's SYNOPSIS, then a batch of prime
 * counts over the workers beside the sequential run): the built program on both backends, its
 * lines with the seconds normalised, and the same prime count from the workers and in-process.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { builtSample, cleanup, ensureBuilt, exitOf, run } from '../kit/index.js';

const built = builtSample('detached-primes');

beforeAll(() => ensureBuilt(built), 120_000);
afterEach(cleanup);

const normalise = (lines: string[]): string[] => lines.map((l) => l.replace(/\d+\.\d{3} seconds/g, 'S seconds').replace(/\(\d+\.\d\dx\)/, '(Nx)'));

describe('samples/detached-primes', () => {
  test.each(['thread', 'process'])('%s workers: the seed says 123454321 is not a prime; workers and the sequential run count the same primes', async (backend) => {
    const p = run(built, ['2', '20', '500', backend]);
    const [code] = await exitOf(p, 30_000);
    expect(p.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(normalise(p.lines)).toEqual([
      '123454321 is not a prime number',
      `487 primes among 10000 numbers from 1000000000: 20 calls x 500 numbers over 2 ${backend} worker(s) in S seconds`,
      'sequential, in this process: 487 primes in S seconds (Nx)',
    ]);
  }, 40_000);
});
