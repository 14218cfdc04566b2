/**
 * Conformance: probe 21_wheel_run (spec 2.7, G21, G26, G33).
 *
 * A child reads one line from stdin, echoes it as `out:<line>` on stdout, writes `err-line` on
 * stderr and exits 7. StdinEvent `(id)` once put() data is written; StdoutEvent and
 * StderrEvent `(record, id)`; ErrorEvent `('read', 0, '', id, 'STDOUT' | 'STDERR')` at each
 * pipe's EOF; CloseEvent `(id)` after the last; CHLD through `sigChild(wheel.PID)` with `$?`
 * 7 << 8. The session lives until the wheel is destroyed (its stdin writer, G26): `_stop`
 * comes only after "deleting wheel".
 *
 * Which of CHLD, CloseEvent and the stderr events comes first is up to the operating system,
 * in Node as in POE: the probe itself collects them and prints them sorted, and so does this
 * port, so the whole output is compared exactly. The stdout line is printed as it comes; the
 * child writes it only after it read what put() sent, so it follows StdinEvent.
 *
 * Translations: the probe's child is `$^X -e '...'`, here `node -e '...'` doing the same;
 * `delete $heap->{w}` is `w.destroy()`.
 */
import { expect, test } from 'vitest';
import { Run, Session } from '../../src/index.js';
import { expectedLines, probeExpected, realKernel } from '../kit/index.js';

const expected = expectedLines(probeExpected('21_wheel_run'));

// $|=1; my $l = <STDIN>; chomp $l; print "out:$l\n"; print STDERR "err-line\n"; exit 7
const CHILD = `
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.once('line', (l) => {
  process.stdout.write('out:' + l + '\\n');
  process.stderr.write('err-line\\n');
  process.exitCode = 7;
  rl.close();
  process.stdin.destroy();
});
`;

interface Heap {
  w?: Run<string, string, string>;
  closed?: boolean;
  reaped?: boolean;
  done?: boolean;
}

test('21_wheel_run: Stdout/Stderr/Stdin/Close/Error events, CHLD, the wheel keeps the session', async () => {
  const { kernel, log, say, run } = realKernel();
  const late: string[] = [];
  let pid = 0;
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        const w = new Run<string, string, string>({
          program: [process.execPath, '-e', CHILD],
          stdoutEvent: 'out',
          stderrEvent: 'err',
          closeEvent: 'closed',
          errorEvent: 'error',
          stdinEvent: 'stdin_flushed',
        });
        ctx.heap.w = w;
        pid = w.PID;
        ctx.kernel.sigChild(w.PID, 'chld');
        say('wheel id ', w.ID, '; PID is numeric: ', Number.isInteger(w.PID) && w.PID > 0 ? 'yes' : 'no');
        w.put('hi');
      },
      stdin_flushed(_ctx, id: number) {
        say('StdinEvent (flushed) wheel=', id);
      },
      out(_ctx, line: string, id: number) {
        say("StdoutEvent '", line, "' wheel=", id);
      },
      err(_ctx, line: string, id: number) {
        late.push(`StderrEvent '${line}' wheel=${id}`);
      },
      error(_ctx, op: string, errnum: number, errstr: string, id: number, handle: string) {
        late.push(`ErrorEvent op=${op} errnum=${errnum} errstr='${errstr}' wheel=${id} handle=${handle}`);
      },
      closed(ctx, id: number) {
        late.push(`CloseEvent wheel=${id}`);
        ctx.heap.closed = true;
        ctx.kernel.yield('maybe_done');
      },
      chld(ctx, _sig: string, _pid: number, status: number) {
        late.push(`CHLD exit=${status >> 8}`);
        ctx.heap.reaped = true;
        ctx.kernel.yield('maybe_done');
      },
      maybe_done(ctx) {
        if (!ctx.heap.closed || !ctx.heap.reaped) return;
        if (ctx.heap.done) return;
        ctx.heap.done = true;
        for (const line of late.sort()) say(line);
        say('deleting wheel');
        ctx.heap.w?.destroy();
        delete ctx.heap.w;
      },
      _stop() {
        say('_stop');
      },
    },
  });
  await run();
  expect(log).toEqual(expected);
  // The child was reaped: nothing is left behind.
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
});
