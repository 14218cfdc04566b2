/**
 * Conformance: probe 15_sig_child (spec 1.11 child processes, G16, G21).
 *
 * `sigChild(pid, event, ...extra)` keeps the session alive until the child ends; the event gets
 * `('CHLD', pid, $?, ...extra)` with `$?` the raw wait status (768 for exit code 3) and is
 * one-shot; a blanket `sig('CHLD')` watcher sees the same end as a signal, after it.
 *
 * Perl's `fork` is `kernel.fork()` here, so the probe runs as a program of its own
 * (`t/fixtures/fork-sig-child.mjs`): the child is that program run again, whose first `fork()`
 * returns 0. Its child branch is the probe's: wait 0.2 s (blocking), then `_exit(3)`. The
 * output matches the recorded lines without translation.
 */
import { afterEach, expect, test } from 'vitest';
import { cleanup, exitOf, expectedLines, probeExpected, run } from '../kit/index.js';

const expected = expectedLines(probeExpected('15_sig_child'));

afterEach(cleanup);

test('15_sig_child: sig_child holds the session until the reap; CHLD gets status 768; blanket watcher after', async () => {
  const probe = run('fork-sig-child.mjs');
  const [code, signal] = await exitOf(probe);
  expect(probe.stderr).toEqual([]);
  expect(probe.lines).toEqual(expected);
  expect([code, signal]).toEqual([0, null]);
});
