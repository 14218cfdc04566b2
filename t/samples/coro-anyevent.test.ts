/**
 * The column's Coro and AnyEvent examples (samples/coro-*.ts, samples/anyevent-timers.ts)
 * against the output of the Perl originals (bench/anchors/coro-anyevent/seed_*.pl), recorded
 * in t/fixtures/coro-anyevent/ with Coro 6 and AnyEvent on EV. Each built sample runs as a
 * program and its stdout must be the Perl program's, line for line; only Coro's ps table
 * differs by nature (docs/differences.md, 21), so its rows for the three tasks are checked
 * against the recorded ones field by field instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { builtSample, cleanup, ensureBuilt, exitOf, fixture, root, run } from '../kit/index.js';

const recorded = (name: string): string[] => readFileSync(fixture(`coro-anyevent/${name}.out`), 'utf8').replace(/\n$/, '').split('\n');

/** Runs the built sample to its end (within 15 s) and returns its stdout lines; it must exit 0 and print nothing on stderr. */
async function output(name: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<string[]> {
  const p = run(builtSample(name), [], { env, nodeArgs });
  const [code, signal] = await exitOf(p, 15_000);
  expect({ code, signal, stderr: p.stderr }).toEqual({ code: 0, signal: null, stderr: [] });
  return p.lines;
}

beforeAll(() => ensureBuilt(builtSample('anyevent-timers')), 120_000);
afterEach(cleanup);

describe('samples ported from the column (Coro, AnyEvent)', () => {
  test('coro-semaphore prints what seed_semaphore.pl prints', async () => {
    expect(await output('coro-semaphore')).toEqual(recorded('seed_semaphore'));
  });

  test('coro-channel prints what seed_channel.pl prints', async () => {
    expect(await output('coro-channel')).toEqual(recorded('seed_channel'));
  });

  test('anyevent-timers with SCALE=0.05 prints what seed_ae_timers.pl prints, line for line', async () => {
    // 16 lines, not 15: the 15th ("Every 5" at 20 s) sends the condvar, and the "Every 2" due at
    // the same time still runs in that loop turn before recv returns.
    expect(await output('anyevent-timers', { SCALE: '0.05' })).toEqual(recorded('seed_ae_timers'));
  });

  test('coro-cede prints 1, 2, 3 as seed_cede_ps.pl does, then a ps table with the three tasks as Coro lists them', async () => {
    const perl = recorded('seed_cede_ps');
    const lines = await output('coro-cede', { POE_CALLER_INFO: '1' }, ['--enable-source-maps']);
    expect(lines.slice(0, 3)).toEqual(perl.slice(0, 3));
    expect(lines[3]).toMatch(/^ID +SC +USES +Description +Where$/);

    // Coro's rows for the three threads: state letter (first of SC) and USES, by description.
    const perlRows = perl.slice(4).flatMap((l) => {
      const m = /^\s*\d+ (\S)\S\s+\S+\s+(\d+) (numero \S+)/.exec(l);
      return m === null ? [] : [{ desc: m[3]!, state: m[1]!, uses: Number(m[2]) }];
    });
    expect(perlRows).toEqual([
      { desc: 'numero uno', state: 'R', uses: 1 },
      { desc: 'numero dos', state: 'R', uses: 1 },
      { desc: 'numero tres', state: 'U', uses: 1 },
    ]);

    // poe-ts lists sessions only: the three tasks, by session id, each shown where it ceded
    // (Coro shows its line too; for the running one, the line that called ps, as Coro does).
    const source = readFileSync(join(root, 'samples', 'coro-cede.ts'), 'utf8').split('\n');
    const lineOf = (desc: string) => source.findIndex((l) => l.includes(`'${desc}'`)) + 1;
    const rows = lines.slice(4).map((l) => {
      const m = /^\s*(\d+) (\S)- +(\d+) (numero \S+?) +(\S.*)$/.exec(l);
      expect(m, l).not.toBeNull();
      return { id: Number(m![1]), desc: m![4], state: m![2], uses: Number(m![3]), where: m![5] };
    });
    const file = join(root, 'samples', 'coro-cede.ts');
    expect(rows).toEqual([
      { id: 1, ...perlRows[0], where: `[${file}:${lineOf('numero uno')}]` },
      { id: 2, ...perlRows[1], where: `[${file}:${lineOf('numero dos')}]` },
      { id: 3, ...perlRows[2], where: `[${file}:${lineOf('numero tres')}]` },
    ]);
  });
});
