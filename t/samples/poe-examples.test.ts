/**
 * POE's own examples, ported under samples/poe-examples/: each built port runs as a program,
 * driven as t/kit/poe-examples.ts says, and prints exactly what POE 1.37 printed for the same
 * drive (t/fixtures/poe-examples/<name>.out, recorded by record.ts there), after the same
 * normalisation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { builtSample, cleanup, ensureBuilt, fixture } from '../kit/index.js';
import { comparable, drives, runDriven } from '../kit/poe-examples.js';

beforeAll(() => ensureBuilt(builtSample('poe-examples/sessions')), 120_000);
afterEach(cleanup);

describe('samples/poe-examples: the port prints what POE printed', () => {
  for (const [name, drive] of Object.entries(drives)) {
    // A test client finds the port the program listens on through /proc (Linux).
    const t = drive.client !== undefined && !existsSync('/proc/self/net/tcp') ? test.skip : test;
    t(name, async () => {
      const expected = readFileSync(fixture(`poe-examples/${name}.out`), 'utf8');
      const got = await runDriven([process.execPath, builtSample(`poe-examples/${name}`)], drive);
      expect(comparable(got, drive)).toEqual(comparable(expected, drive));
    }, (drive.ms ?? 30_000) + 5_000);
  }
});
