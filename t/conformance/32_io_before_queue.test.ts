/**
 * Conformance: probe 32_io_before_queue (spec 1.3, G7).
 *
 * Within one timeslice, ready I/O is dispatched synchronously before the queued events, so
 * an input event overtakes a `yield` made before the watcher started.
 *
 * The pipe is `duplexPair()`; `syswrite($w, "x")` is a write on the other end, and
 * `sysread($r, ...)` is `r.read(10)`. The first run is the probe itself, with poe-ts's
 * `selectRead(kernel, stream, event)` for `$kernel->select_read($fh, $event)`. The others use
 * a ReadWrite wheel (Stream filter) as the watcher: its InputEvent is the probe's `readable`
 * state and `select_read($r)` (stop watching) is `destroy()`. The last run uses loopback TCP;
 * there the write is made before the session starts and the test waits until Node has read
 * it, because Node sees a socket's bytes only at its next poll: that is the state of the
 * probe's pipe when select() runs. The expected lines need no translation.
 */
import { once } from 'node:events';
import type { Duplex, Readable } from 'node:stream';
import { expect, test } from 'vitest';
import { ReadWrite, Session, Stream, duplexPair, selectRead } from '../../src/index.js';
import { expectedLines, probeExpected, realKernel, tcpPair } from '../kit/index.js';

const expected = expectedLines(probeExpected('32_io_before_queue'));

interface Heap {
  r?: ReadWrite<Buffer, string>;
}

async function probe32(r: Duplex, write: (() => void) | undefined): Promise<string[]> {
  const { kernel, log, say, run } = realKernel();
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.kernel.yield('queued', 'first yield');
        write?.();
        ctx.heap.r = new ReadWrite<Buffer, string>({ handle: r, filter: new Stream(), inputEvent: 'readable' });
        ctx.kernel.yield('queued', 'second yield');
      },
      readable(ctx) {
        say('I/O readable event');
        ctx.heap.r?.destroy();
        delete ctx.heap.r;
      },
      queued(_ctx, what: string) {
        say('queued event: ', what);
      },
    },
  });
  await run();
  return log;
}

test('32_io_before_queue: a select_read event overtakes earlier yields', async () => {
  const { kernel, log, say, run } = realKernel();
  const [w, r] = duplexPair();
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.yield('queued', 'first yield');
        w.write('x');
        selectRead(ctx.kernel, r, 'readable');
        ctx.kernel.yield('queued', 'second yield');
      },
      readable(ctx, stream: Readable) {
        stream.read(10);
        say('I/O readable event');
        selectRead(ctx.kernel, r);
      },
      queued(_ctx, what: string) {
        say('queued event: ', what);
      },
    },
  });
  await run();
  expect(log).toEqual(expected);
});

test('32_io_before_queue: a ReadWrite input event overtakes earlier yields (duplexPair)', async () => {
  const [w, r] = duplexPair();
  expect(await probe32(r, () => w.write('x'))).toEqual(expected);
  w.destroy();
});

test('32_io_before_queue: the same over loopback TCP sockets', async () => {
  const [w, r] = await tcpPair();
  w.write('x');
  await once(r, 'readable');
  expect(await probe32(r, undefined)).toEqual(expected);
  w.destroy();
});
