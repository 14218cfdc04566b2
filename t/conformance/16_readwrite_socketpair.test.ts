/**
 * Conformance: probe 16_readwrite_socketpair (spec 2.0, 2.2, G26, G33).
 *
 * Wheel ids come from one counter; the default filter is Line (CRLF out; CR, LF, CRLF and LFCR
 * in); InputEvent is (record, id) and FlushedEvent (id); `put()` returns 0 without a high mark
 * and only queues (14 octets buffered); EOF is ErrorEvent ('read', 0, '', id); the session
 * lives until both wheels are destroyed (G26).
 *
 * The socketpair is `duplexPair()`; a second run uses two loopback TCP sockets (half-open
 * allowed, as a socketpair is). Translations:
 * - `delete $heap->{x}` -> `heap.x.destroy()` (no refcount DESTROY in JavaScript);
 * - the probe's two `s///` make CR and LF visible, as `visible()` does.
 *
 * One reordering, not a translation of the API: POE dispatches the two handles that became
 * readable in the same select() in file-descriptor order (a, then b). Node delivers bytes in
 * the order they were written: `a` flushed first, so `b` reads first (on TCP the OS decides).
 * The two wheels are independent; every event, argument and per-wheel order is POE's.
 */
import type { Duplex } from 'node:stream';
import { expect, test } from 'vitest';
import { ReadWrite, Session, Stream, duplexPair } from '../../src/index.js';
import { expectedLines, probeExpected, realKernel, tcpPair, visible } from '../kit/index.js';

const poe = (): string[] => expectedLines(probeExpected('16_readwrite_socketpair'));

/** POE's lines with b's read moved before a's: the order Node delivers the duplexPair's bytes in. */
function expected(): string[] {
  const lines = poe();
  const b = lines.findIndex((l) => l.startsWith('b got raw stream chunk'));
  const firstA = lines.findIndex((l) => l.startsWith('a got line'));
  expect(firstA).toBeLessThan(b);
  const [chunk] = lines.splice(b, 1);
  lines.splice(firstA, 0, chunk!);
  return lines;
}

interface Heap {
  a?: ReadWrite<string, string>;
  b?: ReadWrite<Buffer, string>;
}

async function probe16(makePair: () => Promise<[Duplex, Duplex]> | [Duplex, Duplex]): Promise<string[]> {
  const { kernel, log, say, run } = realKernel();
  const [a, b] = await makePair();
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        const heap = ctx.heap;
        heap.a = new ReadWrite<string, string>({ handle: a, inputEvent: 'a_in', errorEvent: 'a_err', flushedEvent: 'a_flushed' });
        heap.b = new ReadWrite<Buffer, string>({ handle: b, filter: new Stream(), inputEvent: 'b_in', errorEvent: 'b_err' });
        say('wheel ids: a=', heap.a.ID, ' b=', heap.b.ID);
        const r = heap.a.put('hello', 'world');
        say("put returned '", r, "'; buffered octets=", heap.a.getDriverOutOctets());
        heap.b.put('x\ny\r\nz\rw\n\r');
      },
      a_flushed(_ctx, id: number) {
        say('a flushed, ARG0=', id);
      },
      b_in(ctx, chunk: Buffer, id: number) {
        say("b got raw stream chunk '", visible(chunk), "' (wheel ", id, ')');
        ctx.kernel.delay('close_b', 0.1);
      },
      close_b(ctx) {
        say("closing b's socket (delete wheel b)");
        ctx.heap.b?.destroy();
        delete ctx.heap.b;
      },
      a_in(_ctx, line: string, id: number) {
        say("a got line '", line, "' (wheel ", id, ')');
      },
      a_err(ctx, op: string, errnum: number, errstr: string, id: number) {
        say('a error: op=', op, ' errnum=', errnum, " errstr='", errstr, "' wheel=", id);
        ctx.heap.a?.destroy();
        delete ctx.heap.a;
      },
      b_err(_ctx, ...args: unknown[]) {
        say('b error ', args.join(' '));
      },
      _stop() {
        say('_stop (both wheels gone)');
      },
    },
  });
  await run();
  return log;
}

test('16_readwrite_socketpair: ids, Line CRLF, mixed terminators, Flushed, EOF as ErrorEvent (duplexPair)', async () => {
  expect(await probe16(() => duplexPair())).toEqual(expected());
});

test('16_readwrite_socketpair: the same over loopback TCP sockets', async () => {
  // Which of two sockets made readable in the same loop turn the OS reports first is up to
  // the OS: either order of the two independent wheels is right.
  const log = await probe16(() => tcpPair({ allowHalfOpen: true }));
  expect([poe(), expected()]).toContainEqual(log);
});
