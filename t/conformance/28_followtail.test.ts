/**
 * Conformance: probe 28_followtail (spec 2.5, G32).
 *
 * FollowTail on a plain file, polled on the kernel's timers (the manual clock jumps from poll
 * to poll, so the probe's 0.05 s interval and its 0.2/0.3 s steps run instantly and exactly).
 * Without `seek`/`seekBack` existing content is skipped; `seekBack: 5` starts at "old2";
 * `seek: 0` reads everything. Truncation is a reset: the file is reopened from the start.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { FollowTail, Session } from '../../src/index.js';
import { expectedLines, makeKernel, probeExpected } from '../kit/index.js';

const expected = expectedLines(probeExpected('28_followtail'));

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

test('28_followtail: default skips old lines, seekBack and seek start earlier, truncation resets', async () => {
  const { kernel, log, say, run } = makeKernel();
  dir = mkdtempSync(join(tmpdir(), 'poe-ts-28-'));
  const file = join(dir, 'log');
  // The probe's File::Temp handle: written without O_APPEND, so after the truncate it
  // writes from offset 0 again (the probe's sysseek($fh, 0, 0)).
  const fh = openSync(file, 'w+');
  let at = 0;
  const write = (text: string): void => {
    at += writeSync(fh, text, at);
  };
  write('old1\nold2\n');

  interface Heap {
    t0?: FollowTail;
    t1?: FollowTail;
    t2?: FollowTail;
    l1: string[];
    l2: string[];
  }
  Session.create<unknown, Heap>({
    kernel,
    heap: { l1: [], l2: [] },
    inlineStates: {
      _start(ctx) {
        ctx.heap.t0 = new FollowTail({ filename: file, inputEvent: 'line0', resetEvent: 'reset', pollInterval: 0.05 });
        ctx.heap.t1 = new FollowTail({ filename: file, inputEvent: 'line1', seekBack: 5, pollInterval: 0.05 });
        ctx.heap.t2 = new FollowTail({ filename: file, inputEvent: 'line2', seek: 0, pollInterval: 0.05 });
        ctx.kernel.delay('append', 0.2);
      },
      append(ctx) {
        write('new1\n');
        ctx.kernel.delay('truncate', 0.3);
      },
      truncate(ctx) {
        ftruncateSync(fh, 0);
        at = 0;
        ctx.kernel.delay('after_trunc', 0.3);
      },
      after_trunc(ctx) {
        write('fresh\n');
        ctx.kernel.delay('done', 0.3);
      },
      line0(_ctx, line, id) {
        say(`default tail: '${String(line)}' (wheel ${String(id)})`);
      },
      line1(ctx, line) {
        ctx.heap.l1.push(String(line));
      },
      line2(ctx, line) {
        ctx.heap.l2.push(String(line));
      },
      reset(_ctx, id) {
        say(`default tail: ResetEvent (wheel ${String(id)})`);
      },
      done(ctx) {
        say(`SeekBack=>5 saw: ${ctx.heap.l1.join(' ')}`);
        say(`Seek=>0 saw: ${ctx.heap.l2.join(' ')}`);
        for (const key of ['t0', 't1', 't2'] as const) {
          ctx.heap[key]?.destroy();
          delete ctx.heap[key];
        }
      },
    },
  });

  await run();
  closeSync(fh);
  expect(log).toEqual(expected);
});
