/**
 * The link protocol under a transport driven by hand: the hello, acknowledgements, a restarted
 * peer (unconfirmed posts reported ERR_POE_IKC_LOST, numbering starting over), duplicates after
 * a resume dropped, and hostile input (bytes that do not decode, frames for sessions that are
 * not published) dropped with a log line while the kernel runs on.
 */
import { expect, test } from 'vitest';
import { Kernel, Responder, Session, decodeBatch, encodeBatch, type Transport, type TransportSink } from '../../src/index.js';
import { expectNoLeaks, runBounded } from '../kit/index.js';

/** A transport whose other end is the test: it records what is sent and feeds what is received. */
class HandTransport implements Transport {
  readonly description = 'by hand';
  sink!: TransportSink;
  sent: unknown[][][] = [];
  closed = false;
  start(sink: TransportSink): void {
    this.sink = sink;
  }
  send(bytes: Uint8Array): void {
    this.sent.push(decodeBatch(bytes) as unknown[][]);
  }
  close(): void {
    this.closed = true;
  }
  feed(...frames: unknown[]): void {
    this.sink.data(encodeBatch(frames));
  }
  /** Frames sent since the last take, flattened. */
  take(): unknown[][] {
    const out = this.sent.flat();
    this.sent = [];
    return out;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const HELLO = 0;
const ACK = 1;
const POST = 2;
const ERR = 5;
const POST_RUN = 9;

test('a restarted peer: unconfirmed posts are reported lost, numbering starts over; a resumed one gets only what it missed', async () => {
  const warnings: string[] = [];
  const kernel = new Kernel({ name: 'a', log: (l) => warnings.push(l) });
  const ikc = Responder.spawn({ kernel });
  const t = new HandTransport();
  ikc.connect(t);
  const log: string[] = [];
  let session!: Session;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        session = ctx.session;
        // Kept alive by its alias until the responder is gone (then IDLE, ZOMBIE).
        ctx.kernel.aliasSet('tester');
        ikc.monitor('b', { register: 'reg', unregister: 'unreg', reconnect: 'again' });
      },
      reg: () => void log.push('register b'),
      unreg: () => void log.push('unregister b'),
      again: () => void log.push('reconnect b'),
      send(ctx, ...ns: number[]) {
        for (const n of ns) ctx.kernel.post('poe://b/echo', 'n', n);
      },
      ikc_error: (_ctx, code: string, address: string, message: string) => void log.push(`ikc_error ${code} ${address} ${/may or may not/.test(message)}`),
    },
  });
  const running = runBounded(kernel, 5000);

  t.sink.up();
  await tick();
  const [hello] = t.take();
  expect(hello!.slice(0, 2)).toEqual([HELLO, 'a']);
  expect(hello!.slice(3)).toEqual(['', 0, []]);
  const aInstance = hello![2] as string;

  t.feed([HELLO, 'b', 'X', '', 0, [['echo', null]]]);
  kernel.call(session, 'send', 1, 2, 3);
  await tick();
  // Three posts from one sender to one event leave as one run (numbered 1 to 3).
  expect(t.take()).toEqual([[POST_RUN, 1, 'echo', 'n', session.ID, [[1], [2], [3]]]]);
  t.feed([ACK, 1]);

  // Down, then the same peer instance resumes having taken 2: only 3 goes again, then 4.
  t.sink.down('cut');
  kernel.call(session, 'send', 4);
  await tick();
  expect(t.take()).toEqual([]);
  t.sink.up();
  await tick();
  expect(t.take()).toEqual([[HELLO, 'a', aInstance, 'X', 0, []]]);
  t.feed([HELLO, 'b', 'X', aInstance, 2, [['echo', null]]]);
  await tick();
  expect(t.take()).toEqual([
    [POST, 3, 'echo', 'n', [3], session.ID],
    [POST, 4, 'echo', 'n', [4], session.ID],
  ]);

  // Down again; a new instance of b answers: 3 and 4 were never confirmed, 5 was never sent.
  t.sink.down('cut');
  kernel.call(session, 'send', 5);
  await tick();
  t.sink.up();
  await tick();
  t.take();
  t.feed([HELLO, 'b', 'Y', '', 0, [['echo', null]]]);
  await tick();
  expect(t.take()).toEqual([[POST, 1, 'echo', 'n', [5], session.ID]]);

  // Hostile input: bytes that do not decode, a frame that is no frame, a post to a session a does not publish.
  t.sink.data(Buffer.from('not a batch at all'));
  t.feed(['junk']);
  t.feed([POST, 1, 'nosuch', 'x', [1], 9]);
  // The same frame again (a resend after a resume): taken once, so refused and answered once.
  t.feed([POST, 1, 'nosuch', 'x', [1], 9]);
  await tick();
  expect(t.take()).toEqual([
    // Numbered after post 5, the first of this stream.
    [ERR, 2, 9, 'ERR_POE_IKC_NO_SESSION', 'poe://a/nosuch/x', 'a publishes no session nosuch'],
    // Acknowledged once handled (here: refused, and the refusal sent), not when read.
    [ACK, 1],
  ]);
  ikc.shutdown();
  await running;
  expectNoLeaks(kernel);
  expect(log).toEqual([
    'register b',
    'unregister b',
    'reconnect b',
    'unregister b',
    'ikc_error ERR_POE_IKC_LOST poe://b/echo/n true',
    'ikc_error ERR_POE_IKC_LOST poe://b/echo/n true',
    'reconnect b',
  ]);
  expect(warnings.map((w) => w.replace(/: .*$/s, ''))).toEqual([
    'IKC',
    'IKC',
    'IKC',
  ]);
  expect(warnings[0]).toMatch(/^IKC: dropped a batch from b: Undecodable IKC batch of 18 bytes/);
  expect(warnings[1]).toBe('IKC: dropped a malformed frame from b');
  expect(warnings[2]).toBe('IKC: dropped a post to poe://a/nosuch/x from b: ERR_POE_IKC_NO_SESSION: a publishes no session nosuch');
  expect(t.closed).toBe(true);
});

/** The posts in `frames` (Post and PostRun alike) as [seq, value] pairs, in the order sent. */
function postsIn(frames: unknown[][]): [number, unknown][] {
  const out: [number, unknown][] = [];
  for (const f of frames) {
    if (f[0] === POST) out.push([f[1] as number, (f[4] as unknown[])[0]]);
    else if (f[0] === POST_RUN) (f[5] as unknown[][]).forEach((args, k) => out.push([(f[1] as number) + k, args[0]]));
  }
  return out;
}

test('the window: 16,384 posts in flight at most (a run cut at its edge), the rest after an ack; a run confirmed in part, then a restarted peer: each post not confirmed is reported once', async () => {
  const kernel = new Kernel({ name: 'a' });
  const ikc = Responder.spawn({ kernel, bufferLimit: 50_000 });
  const t = new HandTransport();
  ikc.connect(t);
  const lost: unknown[] = [];
  let session!: Session;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        session = ctx.session;
        ctx.kernel.aliasSet('tester');
      },
      send(ctx, from: number, to: number) {
        for (let n = from; n < to; n++) ctx.kernel.post('poe://b/echo', 'n', n);
      },
      ikc_error: (_ctx, code: string, address: string) => void lost.push(`${code} ${address}`),
      bye: (ctx) => void ctx.kernel.aliasRemove('tester'),
    },
  });
  const running = runBounded(kernel, 10_000);
  t.sink.up();
  await tick();
  t.take();
  t.feed([HELLO, 'b', 'X', '', 0, [['echo', null]]]);
  await tick();

  // 1,000 first (sent after their slice), then 20,000 in one slice: sent 2,048 at a time
  // until the window is full, the batch that reaches its edge cut inside its run.
  kernel.call(session, 'send', 0, 1000);
  await tick();
  kernel.call(session, 'send', 1000, 21_000);
  await tick();
  const first = postsIn(t.take());
  expect(first.length).toBe(16_384);
  expect(first).toEqual(Array.from({ length: 16_384 }, (_, i) => [i + 1, i]));

  // Acknowledged: the other 4,616 go, numbered on.
  t.feed([ACK, 16_384]);
  await tick();
  const rest = postsIn(t.take().filter((f) => f[0] !== ACK));
  expect(rest).toEqual(Array.from({ length: 4616 }, (_, i) => [16_385 + i, 16_384 + i]));

  // Confirmed up to the middle of a run; then a new instance of b: the 4,000 after it are lost, each reported once.
  t.feed([ACK, 17_000]);
  await tick();
  t.sink.down('cut');
  t.sink.up();
  await tick();
  t.take();
  t.feed([HELLO, 'b', 'Y', '', 0, [['echo', null]]]);
  await tick();
  expect(lost.length).toBe(4000);
  expect(new Set(lost)).toEqual(new Set(['ERR_POE_IKC_LOST poe://b/echo/n']));
  kernel.call(session, 'bye');
  ikc.shutdown();
  await running;
  expectNoLeaks(kernel);
});
