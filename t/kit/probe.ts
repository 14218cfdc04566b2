/**
 * Reads a probe's recorded POE 1.37 output (`t/fixtures/poe-probes/NN_*.expected`) at test
 * time, so a re-recorded probe changes the expectation without anyone editing a test.
 */
import { readFileSync } from 'node:fs';
import type { Session, SessionOrKernel } from '../../src/index.js';
import { Kernel } from '../../src/index.js';

/** Where probe `name` (`'01_fifo_call'`) keeps its recorded output: beside its Perl source. */
export function probeExpected(name: string): URL {
  return new URL(`../fixtures/poe-probes/${name}.expected`, import.meta.url);
}

/**
 * The lines of the `.expected` file at `url` (from {@link probeExpected}), with whole-line
 * translations applied. Each key of `translations` is a line POE printed and its value the line
 * poe-ts prints where the API genuinely differs; the caller documents why. A key that matches
 * no line throws, so a stale translation cannot hide.
 */
export function expectedLines(url: URL, translations: Readonly<Record<string, string>> = {}): string[] {
  const text = readFileSync(url, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const unused = new Set(Object.keys(translations));
  const out = lines.map((line) => {
    if (Object.hasOwn(translations, line)) {
      unused.delete(line);
      return translations[line]!;
    }
    return line;
  });
  if (unused.size > 0) throw new Error(`translation for a line the probe never printed: ${[...unused].join(' | ')}`);
  return out;
}

/** Perl's `ref()` as the probes use it: `HASH` for plain objects, `ARRAY` for arrays, else ''. */
export function perlRef(value: unknown): string {
  if (Array.isArray(value)) return 'ARRAY';
  if (value !== null && typeof value === 'object') return 'HASH';
  return '';
}

/** A session's ID, as `$session->ID` prints it, or `kernel`. */
export function sid(x: SessionOrKernel | Session): string {
  return Kernel.isKernel(x) ? 'kernel' : String((x as Session).ID);
}
