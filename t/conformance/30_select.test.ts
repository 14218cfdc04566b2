/**
 * Conformance: probe 30_select (spec 1.17, G26).
 *
 * Raw watchers on a stream instead of a file descriptor (Node has no readiness API for
 * descriptors; see src/wheel/select.ts). The probe's pipe is a PassThrough: its writable side
 * is the probe's `$w`, its readable side `$r`, and the handler reads with `read(1)` where the
 * probe used `sysread($fh, $buf, 1)`. Same lines: ARG0 the handle, ARG1 mode 0, ARG2.. the
 * extra args; level-triggered (fires again while data remains); pause/resume return 1 for a
 * watched mode and 0 otherwise; a paused watcher keeps the session alive; removing it lets the
 * session stop.
 */
import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { Session, selectPauseRead, selectPauseWrite, selectRead, selectResumeRead } from '../../src/index.js';
import { expectedLines, makeKernel, probeExpected } from '../kit/index.js';

const expected = expectedLines(probeExpected('30_select'));

test('30_select: level-triggered read watcher, pause keeps the session, removal stops it', async () => {
  const { kernel, log, say, run } = makeKernel();
  const pipe = new PassThrough();
  const r = pipe;
  const w = pipe;

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        say(`select_read -> ${selectRead(ctx.kernel, r, 'readable', 'extra')}`);
        say(`select_pause_write on unwatched mode -> ${selectPauseWrite(ctx.kernel, r)}`);
        w.write('ab');
      },
      readable(ctx, fh, mode, extra) {
        const buf = String((fh as PassThrough).read(1));
        say(`readable mode=${String(mode)} extra=${String(extra)} read='${buf}'`);
        if (buf === 'b') {
          say(`select_pause_read -> ${selectPauseRead(ctx.kernel, r)}`);
          ctx.kernel.delay('resume', 0.1);
          w.write('c');
        }
        if (buf === 'c') {
          selectRead(ctx.kernel, r);
          say('watcher removed');
        }
      },
      resume(ctx) {
        say(`still alive while paused; select_resume_read -> ${selectResumeRead(ctx.kernel, r)}`);
      },
      _stop() {
        say('_stop');
      },
    },
  });

  await run();
  expect(log).toEqual(expected);
});
