/**
 * A signal-only daemon (issue 9): a session held by an extra reference and watching TERM waits
 * in the kernel until the signal comes, as POE does (t/fixtures/signal-daemon.pl, recorded in
 * signal-daemon.expected). Real processes, real signals.
 */
import { readFileSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { cleanup, exitOf, fixture, run } from '../kit/index.js';

afterEach(cleanup);

/** POE's recorded output for each run, keyed by the fixture's argument. */
function expected(): Map<string, string[]> {
  const runs = new Map<string, string[]>();
  let key = '';
  for (const line of readFileSync(fixture('signal-daemon.expected'), 'utf8').split('\n')) {
    if (line.startsWith('--- ')) key = line.slice(4);
    else if (line !== '') runs.set(key, [...(runs.get(key) ?? []), line]);
  }
  return runs;
}

for (const mode of ['', 'unhandled']) {
  test(`a kernel held by an extra reference waits for the TERM it watches (${mode || 'handled'}), as POE does`, async () => {
    const p = run('signal-daemon.mjs', mode ? [mode] : []);
    await p.line(/^ready$/);
    // The daemon must still be there to receive it: a kernel that gave up on its own (a
    // stall report, an exit) would make kill() throw ESRCH or miss the lines below.
    process.kill(p.pid, 'SIGTERM');
    const [code, signal] = await exitOf(p);
    expect([...p.lines, `exit ${code ?? signal}`]).toEqual(expected().get(mode));
    expect(p.stderr).toEqual([]);
  });
}
