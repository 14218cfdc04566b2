// The work of samples/detached-primes, run in the pool's workers (and in-process for the
// sequential run): the seed's is_prime, and a count of the primes in a range.
export function isPrime(n) {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0) return false;
  const lim = Math.floor(Math.sqrt(n));
  for (let d = 3; d <= lim; d += 2) if (n % d === 0) return false;
  return true;
}

export function countPrimes(start, count) {
  let c = 0;
  for (let n = start; n < start + count; n++) if (isPrime(n)) c++;
  return c;
}
