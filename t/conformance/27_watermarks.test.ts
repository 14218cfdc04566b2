/**
 * Conformance: probe 27_watermarks (spec 2.2, G28).
 *
 * `put()` returns 1 once the driver holds at least HighMark octets and silently enters the
 * high state: no HighEvent, which only the write handler emits after a partial flush. The
 * flush that empties the buffer emits LowEvent (the high state ends at <= LowMark) and then
 * FlushedEvent, in that order.
 *
 * The socketpair is `duplexPair()`; a second run uses loopback TCP sockets. Translations:
 * `'x' x 1000` -> `'x'.repeat(1000)`; `delete @{$heap}{qw(a b)}` -> `destroy()` on both.
 * The expected lines need no translation.
 */
import type { Duplex } from 'node:stream';
import { expect, test } from 'vitest';
import { ReadWrite, Session, Stream, duplexPair } from '../../src/index.js';
import { expectedLines, probeExpected, realKernel, tcpPair } from '../kit/index.js';

const expected = expectedLines(probeExpected('27_watermarks'));

interface Heap {
  a?: ReadWrite<Buffer, string>;
  b?: ReadWrite<Buffer, string>;
  got?: number;
}

async function probe27(makePair: () => Promise<[Duplex, Duplex]> | [Duplex, Duplex]): Promise<string[]> {
  const { kernel, log, say, run } = realKernel();
  const [a, b] = await makePair();
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        const heap = ctx.heap;
        heap.a = new ReadWrite<Buffer, string>({
          handle: a,
          filter: new Stream(),
          highMark: 3000,
          lowMark: 1000,
          highEvent: 'high',
          lowEvent: 'low',
          flushedEvent: 'flushed',
        });
        heap.b = new ReadWrite<Buffer, string>({ handle: b, filter: new Stream(), inputEvent: 'b_in' });
        const r = [1, 2, 3, 4].map(() => heap.a!.put('x'.repeat(1000)));
        say('put return values: ', r.join(' '));
      },
      high(_ctx, id: number) {
        say('HighEvent wheel=', id);
      },
      low(_ctx, id: number) {
        say('LowEvent wheel=', id);
      },
      flushed(ctx, id: number) {
        say('FlushedEvent wheel=', id);
        ctx.kernel.delay('done', 0.05);
      },
      b_in(ctx, chunk: Buffer) {
        ctx.heap.got = (ctx.heap.got ?? 0) + chunk.length;
      },
      done(ctx) {
        say('b received ', ctx.heap.got, ' bytes');
        ctx.heap.a?.destroy();
        ctx.heap.b?.destroy();
        delete ctx.heap.a;
        delete ctx.heap.b;
      },
    },
  });
  await run();
  return log;
}

test('27_watermarks: put() returns 0 0 1 1, LowEvent without HighEvent, then FlushedEvent (duplexPair)', async () => {
  expect(await probe27(() => duplexPair())).toEqual(expected);
});

test('27_watermarks: the same over loopback TCP sockets', async () => {
  expect(await probe27(() => tcpPair())).toEqual(expected);
});
