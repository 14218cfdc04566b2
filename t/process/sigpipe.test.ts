/**
 * SIGPIPE (docs/differences.md 14) in real processes (t/fixtures/broken-pipe.mjs, run from
 * dist/), since a SIGPIPE left to its default action ends the process that gets it. A write to
 * a socket whose peer has closed reaches the ReadWrite wheel's ErrorEvent as
 * ('write', EPIPE, ...) (or ECONNRESET, if the peer's reset is seen first). Node ignores
 * SIGPIPE, as POE does while no session watches PIPE; while one does, the kernel's listener
 * lets the signal through and the watcher gets PIPE too, as in POE.
 */
import { afterEach, expect, test } from 'vitest';
import { cleanup, exitOf, run } from '../kit/index.js';

afterEach(cleanup);

const WRITE_FAILED = /^ErrorEvent write (EPIPE 'Broken pipe'|ECONNRESET 'Connection reset by peer')$/;

test('nobody watches PIPE: the write fails with ErrorEvent(write, EPIPE), no signal, and the process carries on', async () => {
  const p = run('broken-pipe.mjs', ['unwatched']);
  expect(await exitOf(p)).toEqual([0, null]);
  expect(p.lines).toEqual(["ErrorEvent read 0 ''", expect.stringMatching(WRITE_FAILED), 'run returned']);
  expect(p.stderr).toEqual([]);
});

test('a session watches PIPE: the ErrorEvent, then the PIPE signal, as in POE', async () => {
  const p = run('broken-pipe.mjs', ['watched']);
  expect(await exitOf(p)).toEqual([0, null]);
  expect(p.lines).toEqual(["ErrorEvent read 0 ''", expect.stringMatching(WRITE_FAILED), 'signal PIPE', 'run returned']);
  expect(p.stderr).toEqual([]);
});

// Removing a signal's last `process` listener puts Node's default action back, and SIGPIPE's
// ends the process (exit 141); the kernel keeps PIPE ignored once it was watched, as POE puts
// PIPE back to IGNORE.
test('a session that watched PIPE and stopped: the write fails with ErrorEvent(write, EPIPE) and the process carries on', async () => {
  const p = run('broken-pipe.mjs', ['unwatched-after-watching']);
  expect(await exitOf(p)).toEqual([0, null]);
  expect(p.lines).toEqual(["ErrorEvent read 0 ''", expect.stringMatching(WRITE_FAILED), 'run returned']);
});
