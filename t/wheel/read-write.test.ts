/**
 * ReadWrite (POE::Wheel::ReadWrite, spec 2.2): whole event sequences, first over the
 * in-memory duplexPair(), then over loopback TCP sockets. Each test runs its own real-clock
 * kernel to completion and checks it for leaks.
 */
import { once } from 'node:events';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Context, DieInfo, DuplexEnd, ReadWriteOptions } from '../../src/index.js';
import { Line, PoeArgumentError, PoeError, ReadWrite, Session, Stream, duplexPair } from '../../src/index.js';
import { realKernel, tcpPair, visible } from '../kit/index.js';

type Heap = Record<string, ReadWrite<never, never> | undefined> & Record<string, unknown>;
type Ctx = Context<unknown, Heap>;
type States = Record<string, (ctx: Ctx, ...args: never[]) => unknown>;

const E = constants.errno;

/** A session with these states and an empty heap in `kernel`. */
function start(kernel: ReturnType<typeof realKernel>['kernel'], states: States): void {
  Session.create({ kernel, heap: {}, inlineStates: states });
}

/** Destroys the heap's wheel `name` and forgets it: POE's `delete $heap->{name}`. */
function drop(ctx: Ctx, name: string): void {
  (ctx.heap[name] as ReadWrite | undefined)?.destroy();
  delete ctx.heap[name];
}

function rw<In = string, Out = string>(ctx: Ctx, name: string): ReadWrite<In, Out> {
  return ctx.heap[name] as unknown as ReadWrite<In, Out>;
}

/** Runs `body` in a session's `_start` and returns what it threw (or undefined). */
async function thrownInSession(body: () => void): Promise<unknown> {
  const { kernel, run } = realKernel();
  let thrown: unknown;
  start(kernel, {
    _start() {
      try {
        body();
      } catch (err) {
        thrown = err;
      }
    },
  });
  await run();
  return thrown;
}

type PairMaker = () => Promise<[Duplex, Duplex]> | [Duplex, Duplex];

/** A line echo conversation: the client sends three lines at once and hangs up after the echoes. */
async function conversation(makePair: PairMaker): Promise<string[]> {
  const { kernel, log, say, run } = realKernel();
  const [a, b] = await makePair();
  start(kernel, {
    _start(ctx) {
      ctx.heap.client = new ReadWrite({ handle: a, inputEvent: 'client_in', flushedEvent: 'client_flushed' }) as never;
      ctx.heap.server = new ReadWrite({ handle: b, inputEvent: 'server_in', errorEvent: 'server_err', flushedEvent: 'server_flushed' }) as never;
      say('client put returned ', rw(ctx, 'client').put('one', 'two', 'three'));
    },
    client_flushed(_ctx, id: number) {
      say('client flushed (wheel ', id, ')');
    },
    server_in(ctx, line: string, id: number) {
      say("server got '", line, "' (wheel ", id, ')');
      rw(ctx, 'server').put(`echo: ${line}`);
    },
    server_flushed(_ctx, id: number) {
      say('server flushed (wheel ', id, ')');
    },
    client_in(ctx, line: string, id: number) {
      say("client got '", line, "' (wheel ", id, ')');
      if (line === 'echo: three') drop(ctx, 'client');
    },
    server_err(ctx, op: string, errnum: number, errstr: string, id: number) {
      say('server error: ', op, ' ', errnum, " '", errstr, "' (wheel ", id, ')');
      drop(ctx, 'server');
    },
    _stop() {
      say('_stop');
    },
  });
  await run();
  return log;
}

const conversationLog = [
  'client put returned 0',
  'client flushed (wheel 1)',
  "server got 'one' (wheel 2)",
  "server got 'two' (wheel 2)",
  "server got 'three' (wheel 2)",
  'server flushed (wheel 2)',
  "client got 'echo: one' (wheel 1)",
  "client got 'echo: two' (wheel 1)",
  "client got 'echo: three' (wheel 1)",
  "server error: read 0 '' (wheel 2)",
  '_stop',
];

describe('ReadWrite over duplexPair', () => {
  test('a line conversation: Line both ways (CRLF out), flushes, EOF as ErrorEvent, then _stop', async () => {
    expect(await conversation(() => duplexPair())).toEqual(conversationLog);
  });

  test('the default filter is one Line shared by both directions; a missing half is a new Line', async () => {
    const { kernel, say, log, run, warnings } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        const both = new ReadWrite({ handle: a });
        say('default shared: ', both.getInputFilter() === both.getOutputFilter() && both.getInputFilter() instanceof Line);
        const stream = new Stream();
        const half = new ReadWrite({ handle: b, inputFilter: stream });
        say('input kept: ', half.getInputFilter() === stream, '; output Line: ', half.getOutputFilter() instanceof Line);
        both.destroy();
        half.destroy();
        const [c] = duplexPair();
        const [, d] = duplexPair();
        const w = new ReadWrite({ handle: c, inputHandle: d, filter: stream, outputFilter: new Line() });
        say('handle and filter win: ', w.getInputHandle() === c, w.getOutputHandle() === c, w.getInputFilter() === stream);
        w.destroy();
        void ctx;
      },
    });
    await run();
    expect(log).toEqual(['default shared: true', 'input kept: true; output Line: true', 'handle and filter win: truetruetrue']);
    expect(warnings).toEqual(['ReadWrite: ignoring `inputHandle` (`handle` takes precedence)', 'ReadWrite: ignoring `outputFilter` (`filter` takes precedence)']);
  });

  test('separate input and output handles', async () => {
    const { kernel, log, say, run } = realKernel();
    const [inWriter, inReader] = duplexPair();
    const [outWriter, outReader] = duplexPair();
    const got: string[] = [];
    outReader.on('data', (c: Buffer) => got.push(c.toString()));
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ inputHandle: inReader, outputHandle: outWriter, inputEvent: 'in', errorEvent: 'err' }) as never;
        inWriter.end('ping\n');
      },
      in(ctx, line: string) {
        say('in ', line);
        rw(ctx, 'w').put(`${line} pong`);
      },
      err(ctx, op: string, errnum: number) {
        say('err ', op, ' ', errnum);
        drop(ctx, 'w');
      },
    });
    await run();
    await once(outReader, 'end');
    expect(log).toEqual(['in ping', 'err read 0']);
    expect(got.join('')).toBe('ping pong\r\n');
    expect(inReader.destroyed && outWriter.destroyed).toBe(true);
  });

  test('without inputEvent the wheel does not read; event() starts it and the waiting data arrives', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, errorEvent: 'err' }) as never;
        say('holds without inputEvent: ', ctx.kernel.ps()[0]!.holds);
        a.write('waiting\n');
        ctx.kernel.delay('listen', 0.02);
      },
      listen(ctx) {
        say('unread octets: ', b.readableLength);
        rw(ctx, 'w').event({ inputEvent: 'in' });
        say('holds with inputEvent: ', ctx.kernel.ps()[0]!.holds);
      },
      in(ctx, line: string) {
        say('in ', line);
        rw(ctx, 'w').event({ inputEvent: undefined });
        say('holds after turning it off: ', ctx.kernel.ps()[0]!.holds);
        drop(ctx, 'w');
      },
    });
    await run();
    expect(log).toEqual(['holds without inputEvent: 1', 'unread octets: 8', 'holds with inputEvent: 2', 'in waiting', 'holds after turning it off: 1']);
  });

  test('G26: after EOF the wheel still holds its session, until it is destroyed', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, inputEvent: 'in', errorEvent: 'err' }) as never;
        a.end('last\n');
      },
      in(_ctx, line: string) {
        say('in ', line);
      },
      err(ctx, op: string, errnum: number, errstr: string, id: number) {
        say(`err ${op} ${errnum} '${errstr}' ${id}`);
        ctx.kernel.delay('later', 0.02);
      },
      later(ctx) {
        const [me] = ctx.kernel.ps();
        say('still alive: holds ', me!.holds, ', alive because: ', me!.aliveBecause.join(', '));
        drop(ctx, 'w');
      },
      _stop() {
        say('_stop');
      },
    });
    await run();
    expect(log).toEqual([
      'in last',
      "err read 0 '' 1",
      'still alive: holds 1, alive because: held by ReadWrite(1)',
      '_stop',
    ]);
  });

  test('pauseInput holds input back (in the stream) until resumeInput', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        // The client reads too: only a reading wheel sees the EOF that ends the test.
        ctx.heap.client = new ReadWrite({ handle: a, inputEvent: 'client_in', errorEvent: 'client_err' }) as never;
        ctx.heap.server = new ReadWrite({ handle: b, inputEvent: 'in' }) as never;
        rw(ctx, 'client').put('first');
      },
      in(ctx, line: string) {
        say('in ', line);
        if (line === 'first') {
          rw(ctx, 'server').pause_input();
          rw(ctx, 'client').put('second');
          ctx.kernel.delay('resume', 0.03);
        } else {
          drop(ctx, 'server');
        }
      },
      resume(ctx) {
        say('resuming with ', b.readableLength, ' octets waiting');
        rw(ctx, 'server').resumeInput();
      },
      client_in() {},
      client_err(ctx, op: string, errnum: number) {
        say('client err ', op, ' ', errnum);
        drop(ctx, 'client');
      },
    });
    await run();
    expect(log).toEqual(['in first', 'resuming with 8 octets waiting', 'in second', 'client err read 0']);
  });

  test('G28: put() returns 0 0 1 1 silently; with the reader stalled the queue stays here, then LowEvent, FlushedEvent', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair({ highWaterMark: 1000 });
    let received = 0;
    start(kernel, {
      _start(ctx) {
        const w = new ReadWrite<Buffer, string>({ handle: a, filter: new Stream(), highMark: 3000, lowMark: 1000, highEvent: 'high', lowEvent: 'low', flushedEvent: 'flushed' });
        ctx.heap.w = w as never;
        ctx.heap.r = new ReadWrite({ handle: b, filter: new Stream(), inputEvent: 'in' }) as never;
        rw(ctx, 'r').pauseInput();
        say('put: ', [1, 2, 3, 4].map(() => w.put('x'.repeat(1000))).join(' '));
        ctx.kernel.delay('unstall', 0.03);
      },
      unstall(ctx) {
        // One chunk went to Node, which holds it (its buffer is full); the rest waits in the driver.
        say('stalled: driver ', rw(ctx, 'w').getDriverOutOctets(), ' octets in ', rw(ctx, 'w').getDriverOutMessages(), ' chunks, Node ', a.writableLength);
        rw(ctx, 'r').resumeInput();
      },
      in(_ctx, chunk: Buffer) {
        received += chunk.length;
      },
      high(_ctx, id: number) {
        say('HighEvent ', id);
      },
      low(_ctx, id: number) {
        say('LowEvent ', id, ' (', rw(_ctx, 'w').getDriverOutOctets(), ' queued)');
      },
      flushed(ctx, id: number) {
        say('FlushedEvent ', id);
        ctx.kernel.delay('done', 0.02);
      },
      done(ctx) {
        say('received ', received);
        drop(ctx, 'w');
        drop(ctx, 'r');
      },
    });
    await run();
    expect(log).toEqual([
      'put: 0 0 1 1',
      'stalled: driver 3000 octets in 3 chunks, Node 1000',
      'LowEvent 1 (1000 queued)',
      'FlushedEvent 1',
      'received 4000',
    ]);
  });

  test('HighEvent comes only from the write handler: a partial flush leaving >= HighMark (after setHighMark)', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair({ highWaterMark: 1000 });
    start(kernel, {
      _start(ctx) {
        const w = new ReadWrite<Buffer, string>({ handle: a, filter: new Stream(), highMark: 5000, lowMark: 500, highEvent: 'high', lowEvent: 'low', flushedEvent: 'flushed' });
        ctx.heap.w = w as never;
        ctx.heap.r = new ReadWrite({ handle: b, filter: new Stream(), inputEvent: 'in' }) as never;
        rw(ctx, 'r').pauseInput();
        say('put: ', [1, 2, 3, 4].map(() => w.put('x'.repeat(1000))).join(' '));
        w.set_high_mark(1500);
        ctx.kernel.delay('unstall', 0.03);
      },
      unstall(ctx) {
        say('unstall');
        rw(ctx, 'r').resumeInput();
      },
      in() {},
      high(_ctx, id: number) {
        say('HighEvent ', id, ' (', rw(_ctx, 'w').getDriverOutOctets(), ' queued)');
      },
      low(_ctx, id: number) {
        say('LowEvent ', id, ' (', rw(_ctx, 'w').getDriverOutOctets(), ' queued)');
      },
      flushed(ctx, id: number) {
        say('FlushedEvent ', id);
        drop(ctx, 'w');
        drop(ctx, 'r');
      },
    });
    await run();
    expect(log).toEqual(['put: 0 0 0 0', 'HighEvent 1 (3000 queued)', 'unstall', 'LowEvent 1 (0 queued)', 'FlushedEvent 1']);
  });

  test('setHighMark / setLowMark ignore invalid values with a warning, as POE carps', async () => {
    const { kernel, run, warnings, log, say } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start() {
        const marked = new ReadWrite({ handle: a, highMark: 100, lowMark: 10, lowEvent: 'low' });
        marked.setHighMark(10); // not above low
        marked.setLowMark(0); // below one
        marked.setLowMark(100); // not below high
        marked.setHighMark(undefined as never);
        marked.setHighMark(50);
        marked.setLowMark(20);
        say('put at 49: ', marked.put('x'.repeat(47)), '; at 50: ', marked.put(''));
        const plain = new ReadWrite({ handle: b });
        plain.setHighMark(10);
        plain.setLowMark(5);
        plain.event({ highEvent: 'high', lowEvent: 'low' });
        marked.destroy();
        plain.destroy();
      },
    });
    await run();
    expect(log).toEqual(['put at 49: 0; at 50: 1']);
    expect(warnings).toEqual([
      'ReadWrite(1): new high mark `10` (number) would not be greater than the low mark; ignored',
      'ReadWrite(1): new low mark `0` (number) would be less than one; ignored',
      'ReadWrite(1): new low mark `100` (number) would not be less than the high mark; ignored',
      'ReadWrite(1): new high mark is undefined; ignored',
      'ReadWrite(2): ignoring high mark (it must be set in the constructor first)',
      'ReadWrite(2): ignoring low mark (it must be set in the constructor first)',
      'ReadWrite(2): ignoring `highEvent` (there is no high watermark set)',
      'ReadWrite(2): ignoring `lowEvent` (there is no low watermark set)',
    ]);
  });

  test('event() renames events at run time; an unset event is not emitted', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, inputEvent: 'first', errorEvent: 'err' }) as never;
        a.end('one\ntwo\nthree\n');
      },
      first(ctx, line: string, id: number) {
        say('first ', line, ' ', id);
        rw(ctx, 'w').event({ inputEvent: 'second', errorEvent: undefined });
      },
      second(ctx, line: string, id: number) {
        say('second ', line, ' ', id);
        if (line === 'three') ctx.kernel.delay('done', 0.02);
      },
      err() {
        say('error event turned off, yet called');
      },
      done(ctx) {
        say('done');
        drop(ctx, 'w');
      },
    });
    await run();
    expect(log).toEqual(['first one 1', 'second two 1', 'second three 1', 'done']);
  });

  test('setFilter inside InputEvent: the rest of the same read goes through the new filter at once', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.client = new ReadWrite({ handle: a, filter: new Stream() }) as never;
        ctx.heap.server = new ReadWrite({ handle: b, inputEvent: 'line', errorEvent: 'err' }) as never;
        rw(ctx, 'client').put('HEAD\r\nbody bytes\nmore');
      },
      line(ctx, record: string | Buffer, id: number) {
        say(`record '${visible(record)}' (${Buffer.isBuffer(record) ? 'raw' : 'line'}, wheel ${id})`);
        if (record === 'HEAD') {
          rw(ctx, 'server').setFilter(new Stream() as never);
          say('switched to Stream');
          rw(ctx, 'client').put('\r\nlater');
        } else if (String(record).endsWith('later')) {
          drop(ctx, 'client');
        }
      },
      err(ctx) {
        say('server EOF');
        drop(ctx, 'server');
      },
    });
    await run();
    expect(log).toEqual([
      "record 'HEAD' (line, wheel 2)",
      "record 'body bytes\\nmore' (raw, wheel 2)",
      'switched to Stream',
      "record '\\r\\nlater' (raw, wheel 2)",
      'server EOF',
    ]);
  });

  test('setInputFilter twice from nested handlers: every record once, the inner switch wins', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, inputEvent: 'in', errorEvent: 'err' }) as never;
        a.end('x\r\ny\r\nz\r\n');
      },
      in(ctx, line: string) {
        say('in ', line);
        if (line !== 'z') rw(ctx, 'w').set_input_filter(new Line());
      },
      err(ctx) {
        say('EOF');
        drop(ctx, 'w');
      },
    });
    await run();
    expect(log).toEqual(['in x', 'in y', 'in z', 'EOF']);
  });

  test('G35: destroying the wheel inside InputEvent does not stop the other records of that read', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.client = new ReadWrite({ handle: a, inputEvent: 'client_in', errorEvent: 'client_err' }) as never;
        ctx.heap.server = new ReadWrite({ handle: b, inputEvent: 'in' }) as never;
        rw(ctx, 'client').put('a', 'b', 'c');
      },
      in(ctx, line: string, id: number) {
        say('in ', line, ' (wheel ', id, ')', ctx.heap.server ? '' : ' after the wheel was deleted');
        if (line === 'a') drop(ctx, 'server');
      },
      client_in() {},
      client_err(ctx, op: string, errnum: number) {
        say('client err ', op, ' ', errnum);
        drop(ctx, 'client');
      },
      _stop() {
        say('_stop');
      },
    });
    await run();
    expect(log).toEqual([
      'in a (wheel 2)',
      'in b (wheel 2) after the wheel was deleted',
      'in c (wheel 2) after the wheel was deleted',
      'client err read 0',
      '_stop',
    ]);
  });

  test('a record over the filter limit is ErrorEvent(read, EMSGSIZE, message) and reading stops', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, filter: new Line({ maxLength: 8 }), inputEvent: 'in', errorEvent: 'err' }) as never;
        a.write(`short\r\n${'x'.repeat(20)}\r\nafter\r\n`);
      },
      in(_ctx, line: string) {
        say('in ', line);
      },
      err(ctx, op: string, errnum: number, errstr: string, id: number) {
        say(`err ${op} ${errnum === E.EMSGSIZE ? 'EMSGSIZE' : errnum} '${errstr}' ${id}`);
        a.write('ignored\r\n');
        ctx.kernel.delay('done', 0.02);
      },
      done(ctx) {
        say('done; holds ', ctx.kernel.ps()[0]!.holds, ', unread ', b.readableLength);
        drop(ctx, 'w');
      },
    });
    await run();
    expect(log).toEqual(['in short', "err read EMSGSIZE 'Line: maxLength exceeded (20 > 8)' 1", 'done; holds 1, unread 9']);
  });

  test('a peer that vanishes mid-write: ErrorEvent(write, EPIPE, Broken pipe), then EOF on the read side', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair({ vanishAfter: 10 });
    start(kernel, {
      _start(ctx) {
        ctx.heap.a = new ReadWrite({ handle: a, inputEvent: 'a_in', errorEvent: 'a_err', flushedEvent: 'a_flushed' }) as never;
        ctx.heap.b = new ReadWrite({ handle: b, inputEvent: 'b_in', errorEvent: 'b_err' }) as never;
        rw(ctx, 'a').put('hello', 'world');
      },
      a_flushed(_ctx, id: number) {
        say('a flushed ', id);
      },
      b_in(_ctx, line: string) {
        say('b in ', line);
      },
      a_err(ctx, op: string, errnum: number, errstr: string, id: number) {
        say(`a err ${op} ${errnum} '${errstr}' ${id}`);
        if (op === 'read') drop(ctx, 'a');
        else {
          say('write watcher gone: put still queues, returns ', rw(ctx, 'a').put('more'), ', octets ', rw(ctx, 'a').getDriverOutOctets());
        }
      },
      b_err(ctx, op: string, errnum: number, errstr: string, id: number) {
        say(`b err ${op} ${errnum} '${errstr}' ${id}`);
        drop(ctx, 'b');
      },
    });
    await run();
    expect(log).toEqual([
      'a flushed 1',
      "b err read 0 '' 2",
      `a err write ${E.EPIPE} 'Broken pipe' 1`,
      'write watcher gone: put still queues, returns 0, octets 6',
      "a err read 0 '' 1",
    ]);
  });

  test('a peer that resets the connection: ErrorEvent(read, ECONNRESET, Connection reset by peer)', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: a, inputEvent: 'in', errorEvent: 'err' }) as never;
        b.write('before\n');
      },
      in(_ctx, line: string) {
        say('in ', line);
        b.vanish();
      },
      err(ctx, op: string, errnum: number, errstr: string, id: number) {
        say(`err ${op} ${errnum} '${errstr}' ${id}`);
        drop(ctx, 'w');
      },
    });
    await run();
    expect(log).toEqual(['in before', `err read ${E.ECONNRESET} 'Connection reset by peer' 1`]);
  });

  test('autoFlush writes inside put(); flush() runs the write handler now', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    const [c, d] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.auto = new ReadWrite({ handle: a, autoFlush: true, flushedEvent: 'flushed' }) as never;
        ctx.heap.manual = new ReadWrite({ handle: c, flushedEvent: 'flushed' }) as never;
        say('auto put returned ', rw(ctx, 'auto').put('now'), ', octets ', rw(ctx, 'auto').getDriverOutOctets());
        say('manual put returned ', rw(ctx, 'manual').put('one', 'two'), ', octets ', rw(ctx, 'manual').getDriverOutOctets(), ' in ', rw(ctx, 'manual').getDriverOutMessages(), ' chunks');
        say('flush() returned ', rw(ctx, 'manual').flush());
        say('end of _start');
      },
      flushed(ctx, id: number) {
        say('flushed ', id);
        if (id === 2) {
          drop(ctx, 'auto');
          drop(ctx, 'manual');
        }
      },
    });
    const got = (s: Duplex) => {
      const chunks: string[] = [];
      s.on('data', (x: Buffer) => chunks.push(x.toString()));
      return once(s, 'end').then(() => chunks.join(''));
    };
    const [fromAuto, fromManual] = [got(b), got(d)];
    await run();
    expect(log).toEqual(['flushed 1', 'auto put returned 0, octets 0', 'manual put returned 0, octets 10 in 2 chunks', 'flushed 2', 'flush() returned 0', 'end of _start']);
    expect([await fromAuto, await fromManual]).toEqual(['now\r\n', 'one\r\ntwo\r\n']);
  });

  test('shutdownOutput half-closes: the peer reads EOF, replies still arrive; shutdownInput stops reading', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.a = new ReadWrite({ handle: a, inputEvent: 'a_in', errorEvent: 'a_err' }) as never;
        ctx.heap.b = new ReadWrite({ handle: b, inputEvent: 'b_in', errorEvent: 'b_err' }) as never;
        rw(ctx, 'a').put('request');
        rw(ctx, 'a').flush();
        rw(ctx, 'a').shutdown_output();
        // a: its read watcher; b: both of its watchers.
        say('holds after shutdownOutput: ', ctx.kernel.ps()[0]!.holds);
      },
      b_in(ctx, line: string) {
        say('b in ', line);
      },
      b_err(ctx, op: string, errnum: number) {
        say('b err ', op, ' ', errnum);
        rw(ctx, 'b').put('reply');
      },
      a_in(ctx, line: string) {
        say('a in ', line);
        rw(ctx, 'a').shutdownInput();
        // a: none left; b: its write watcher (its read one went at EOF).
        say('holds after shutdownInput: ', ctx.kernel.ps()[0]!.holds);
        rw(ctx, 'b').put('unread');
        ctx.kernel.delay('done', 0.03);
      },
      a_err(_ctx, ...args: unknown[]) {
        say('a err ', args.join(' '));
      },
      done(ctx) {
        say('unread octets: ', a.readableLength);
        drop(ctx, 'a');
        drop(ctx, 'b');
      },
    });
    await run();
    expect(log).toEqual(['holds after shutdownOutput: 3', 'b in request', 'b err read 0', 'a in reply', 'holds after shutdownInput: 1', 'unread octets: 8']);
  });

  test('an exception in InputEvent is a DIE signal; the wheel goes on reading', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.kernel.sig('DIE', 'died');
        ctx.heap.w = new ReadWrite({ handle: b, inputEvent: 'in', errorEvent: 'err' }) as never;
        a.write('boom\n');
      },
      in(_ctx, line: string) {
        say('in ', line);
        if (line === 'boom') throw new Error('handler failed');
        a.end();
      },
      died(ctx, _name: string, info: DieInfo) {
        say('DIE in ', info.event, ': ', info.errorStr);
        ctx.kernel.sigHandled();
        a.write('next\n');
      },
      err(ctx) {
        say('EOF');
        drop(ctx, 'w');
        ctx.kernel.sig('DIE');
      },
    });
    await run();
    expect(log).toEqual(['in boom', 'DIE in POE::Wheel::ReadWrite(1) -> select read: handler failed', 'in next', 'EOF']);
  });

  test('a wheel whose session the kernel stopped cleans up at its next I/O and closes its handle', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, inputEvent: 'in' }) as never;
        ctx.kernel.delay('halt', 0.01);
      },
      halt(ctx) {
        say('stopping the kernel');
        ctx.kernel.stop();
      },
      in() {
        say('input after stop');
      },
      _stop() {
        say('_stop');
      },
    });
    await run();
    // The stopped session's wheel was destroyed with it (its end closed), so the peer reads
    // EOF and a write to it fails with EPIPE, as on a socket whose other side closed.
    const ended = once(a, 'end');
    const failed = once(a, 'error');
    a.resume();
    a.write('anyone?\n');
    await ended;
    const [err] = (await failed) as [NodeJS.ErrnoException];
    expect(err.code).toBe('EPIPE');
    expect(log).toEqual(['stopping the kernel', '_stop']);
    expect(b.destroyed).toBe(true);
  });

  test('put() after destroy() throws; destroy() and flush() after it do nothing', async () => {
    const thrown = await thrownInSession(() => {
      const [a] = duplexPair();
      const w = new ReadWrite({ handle: a });
      w.destroy();
      w.destroy();
      expect(w.flush()).toBe(0);
      w.pauseInput();
      w.put('late');
    });
    expect(thrown).toBeInstanceOf(PoeError);
    expect((thrown as PoeError).code).toBe('ERR_POE_WHEEL_DESTROYED');
  });

  test('ID, handles and POE spellings', async () => {
    const { kernel, run } = realKernel();
    const [a] = duplexPair();
    start(kernel, {
      _start() {
        const w = new ReadWrite({ handle: a });
        expect([w.ID, w.get_input_handle(), w.get_output_handle()]).toEqual([1, a, a]);
        w.destroy();
      },
    });
    await run();
    const p = ReadWrite.prototype;
    expect([p.set_filter, p.set_input_filter, p.set_output_filter, p.get_input_filter, p.get_output_filter]).toEqual([
      p.setFilter,
      p.setInputFilter,
      p.setOutputFilter,
      p.getInputFilter,
      p.getOutputFilter,
    ]);
    expect([p.set_high_mark, p.set_low_mark, p.get_driver_out_octets, p.get_driver_out_messages]).toEqual([p.setHighMark, p.setLowMark, p.getDriverOutOctets, p.getDriverOutMessages]);
    expect([p.pause_input, p.resume_input, p.shutdown_input, p.shutdown_output]).toEqual([p.pauseInput, p.resumeInput, p.shutdownInput, p.shutdownOutput]);
  });
});

/** A 1000-octet line (999 characters and LF) that starts with `n`. */
function kLine(n: number): string {
  return `${n}`.padEnd(999, '.') + '\n';
}

/**
 * An echo wheel on `b` with LF lines (a reply is as long as its line) and `options`, over a
 * pair whose ends each take 1000 octets: `a` writes lines 1-5 in one chunk and lines 6-7 in a
 * second, then EOF, and reads nothing until `client_reads`. The wheel is dropped at EOF once
 * its queue is empty. Handlers in `more` add to or replace the defaults.
 */
function echoScenario(options: Partial<ReadWriteOptions>, more: (ctx: { a: Duplex; b: Duplex; say: (...parts: unknown[]) => void }) => States = () => ({})) {
  const rk = realKernel();
  const { kernel, say } = rk;
  const [a, b] = duplexPair({ highWaterMark: 1000 });
  let received = 0;
  let closing = false;
  start(kernel, {
    _start(ctx) {
      ctx.heap.w = new ReadWrite({ handle: b, filter: new Line({ literal: '\n' }), inputEvent: 'in', errorEvent: 'err', flushedEvent: 'flushed', ...options }) as never;
      a.write([1, 2, 3, 4, 5].map(kLine).join(''));
      a.end([6, 7].map(kLine).join(''));
      ctx.kernel.delay('client_reads', 0.05);
    },
    in(ctx, line: string) {
      const w = rw(ctx, 'w');
      say('in ', line[0], ' (queued ', w.getDriverOutOctets(), ')');
      w.put(line);
    },
    client_reads(ctx) {
      say('client reads; unread ', b.readableLength, ', queued ', rw(ctx, 'w').getDriverOutOctets());
      a.on('data', (chunk: Buffer) => (received += chunk.length));
    },
    flushed(ctx) {
      say('flushed');
      if (closing) drop(ctx, 'w');
    },
    err(ctx, op: string, errnum: number) {
      say('err ', op, ' ', errnum);
      if (rw(ctx, 'w').getDriverOutOctets() === 0) drop(ctx, 'w');
      else closing = true;
    },
    ...more({ a, b, say }),
  });
  return { ...rk, a, b, received: () => received };
}

describe('ReadWrite pauses reading while its output queue is full (readPauseMark)', () => {
  test('reading stops when the queue reaches readPauseMark (the rest of that read is still delivered) and resumes at readResumeMark', async () => {
    const s = echoScenario({ readPauseMark: 3000, readResumeMark: 1000 });
    await s.run();
    expect(s.log).toEqual([
      'in 1 (queued 0)',
      'in 2 (queued 1000)',
      'in 3 (queued 2000)',
      // The put of line 3 reached the mark: lines 4 and 5 came in the same read, line 6 waits.
      'in 4 (queued 3000)',
      'in 5 (queued 4000)',
      'client reads; unread 2000, queued 4000',
      // Three flushes later 1000 octets are left: reading resumes.
      'in 6 (queued 1000)',
      'in 7 (queued 2000)',
      'err read 0',
      'flushed',
    ]);
    await once(s.a, 'end');
    expect(s.received()).toBe(7000);
  });

  // One client that writes a line while the server has `lines` KiB of replies queued, then reads.
  test.each([
    {
      what: 'the default pauses at 1 MiB queued, and the line is read once a flush leaves 512 KiB',
      options: {},
      lines: 1024,
      expected: ['queued 1048576', 'client reads; unread 5', 'in ping with 512 KiB or less queued', 'err read 0'],
    },
    ...([false, Infinity] as const).map((off) => ({
      what: `readPauseMark ${String(off)} is POE: input is read however much output is queued`,
      options: { readPauseMark: off },
      lines: 2048,
      expected: ['queued 2097152', 'in ping with more than 512 KiB queued', 'client reads; unread 0', 'err read 0'],
    })),
  ])('$what', async ({ options, lines, expected }) => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = duplexPair();
    start(kernel, {
      _start(ctx) {
        const w = new ReadWrite({ handle: b, filter: new Line({ literal: '\n' }), inputEvent: 'in', errorEvent: 'err', ...options });
        ctx.heap.w = w as never;
        const line = 'x'.repeat(1023);
        for (let i = 0; i < lines; i++) w.put(line);
        say('queued ', w.getDriverOutOctets());
        a.write('ping\n');
        ctx.kernel.delay('client_reads', 0.05);
      },
      in(ctx, line: string) {
        say('in ', line, ' with ', rw(ctx, 'w').getDriverOutOctets() <= 512 * 1024 ? '512 KiB or less' : 'more than 512 KiB', ' queued');
      },
      client_reads() {
        say('client reads; unread ', b.readableLength);
        a.resume();
        a.end();
      },
      err(ctx, op: string, errnum: number) {
        say('err ', op, ' ', errnum);
        drop(ctx, 'w');
      },
    });
    await run();
    expect(log).toEqual(expected);
  });

  test('pauseInput and the full queue are separate: a user resume waits for the drain, a drain does not undo a user pause', async () => {
    let resumed = false;
    const s = echoScenario({ readPauseMark: 3000, readResumeMark: 1000 }, ({ a, b, say }) => ({
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, filter: new Line({ literal: '\n' }), inputEvent: 'in', errorEvent: 'err', flushedEvent: 'flushed', readPauseMark: 3000, readResumeMark: 1000 }) as never;
        a.write([1, 2, 3, 4, 5].map(kLine).join(''));
        a.end([6, 7].map(kLine).join(''));
        ctx.kernel.delay('toggle', 0.03);
      },
      toggle(ctx) {
        const w = rw(ctx, 'w');
        w.pauseInput();
        w.resumeInput();
        say('user paused and resumed; unread ', b.readableLength, ', queued ', w.getDriverOutOctets());
        ctx.kernel.delay('client_reads', 0.03);
      },
      client_reads(ctx) {
        const w = rw(ctx, 'w');
        say('client reads; unread ', b.readableLength, ', queued ', w.getDriverOutOctets(), '; user pauses');
        w.pause_input();
        a.resume();
      },
      flushed(ctx) {
        say('flushed; unread ', b.readableLength);
        if (!resumed) {
          resumed = true;
          rw(ctx, 'w').resume_input();
        } else {
          drop(ctx, 'w');
        }
      },
    }));
    await s.run();
    expect(s.log).toEqual([
      'in 1 (queued 0)',
      'in 2 (queued 1000)',
      'in 3 (queued 2000)',
      'in 4 (queued 3000)',
      'in 5 (queued 4000)',
      // The user's resumeInput() does not override the full queue...
      'user paused and resumed; unread 2000, queued 4000',
      'client reads; unread 2000, queued 4000; user pauses',
      // ...and the drain does not override the user's pauseInput().
      'flushed; unread 2000',
      'in 6 (queued 0)',
      'in 7 (queued 1000)',
      'err read 0',
      'flushed; unread 0',
    ]);
  });

  test('shutdownOutput lifts the pause: nothing queued will ever be written, so reading goes on', async () => {
    const s = echoScenario({ readPauseMark: 3000, readResumeMark: 1000 }, ({ b, say }) => ({
      client_reads(ctx) {
        const w = rw(ctx, 'w');
        say('shutdownOutput with ', b.readableLength, ' unread, ', w.getDriverOutOctets(), ' queued');
        w.shutdownOutput();
      },
      err(ctx, op: string, errnum: number) {
        say('err ', op, ' ', errnum);
        drop(ctx, 'w');
      },
    }));
    await s.run();
    s.a.destroy();
    expect(s.log).toEqual([
      'in 1 (queued 0)',
      'in 2 (queued 1000)',
      'in 3 (queued 2000)',
      'in 4 (queued 3000)',
      'in 5 (queued 4000)',
      'shutdownOutput with 2000 unread, 4000 queued',
      'in 6 (queued 4000)',
      'in 7 (queued 5000)',
      'err read 0',
    ]);
  });

  test('a peer that vanishes while reading is paused: the write error comes at once and lifts the pause; what had arrived is still read', async () => {
    const s = echoScenario({ readPauseMark: 3000, readResumeMark: 1000 }, ({ a, b, say }) => ({
      client_reads() {
        say('client vanishes; unread ', b.readableLength);
        (a as DuplexEnd).vanish();
      },
      err(ctx, op: string, errnum: number) {
        say(`err ${op} ${errnum === E.ECONNRESET ? 'ECONNRESET' : errnum === E.EPIPE ? 'EPIPE' : errnum}`);
        if (op === 'read') drop(ctx, 'w');
      },
    }));
    await s.run();
    expect(s.log).toEqual([
      'in 1 (queued 0)',
      'in 2 (queued 1000)',
      'in 3 (queued 2000)',
      'in 4 (queued 3000)',
      'in 5 (queued 4000)',
      'client vanishes; unread 2000',
      'err write EPIPE',
      // No more output can be written, so nothing holds reading back: the lines that had
      // arrived are delivered (their replies only queue), then the closed connection's EOF.
      'in 6 (queued 4000)',
      'in 7 (queued 5000)',
      'err read 0',
    ]);
    expect(s.b.destroyed).toBe(true);
  });

  test('setFilter while paused: what the old filter held is delivered at once; the next read waits for the drain', async () => {
    const s = echoScenario({ readPauseMark: 3000, readResumeMark: 1000 }, ({ a, b, say }) => ({
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, filter: new Line({ literal: '\n' }), inputEvent: 'in', errorEvent: 'err', flushedEvent: 'flushed', readPauseMark: 3000, readResumeMark: 1000 }) as never;
        a.write([1, 2, 3].map(kLine).join('') + 'tail');
        a.end([6, 7].map(kLine).join(''));
        ctx.kernel.delay('client_reads', 0.05);
      },
      in(ctx, record: string | Buffer) {
        const w = rw<string | Buffer, string | Buffer>(ctx, 'w');
        if (Buffer.isBuffer(record)) {
          say(`raw '${record.length > 10 ? `${record.length} octets` : record.toString()}' (queued ${w.getDriverOutOctets()})`);
          return;
        }
        say('in ', record[0], ' (queued ', w.getDriverOutOctets(), ')');
        w.put(record);
        if (record[0] === '3') {
          w.setFilter(new Stream());
          say('switched to Stream');
        }
      },
    }));
    await s.run();
    expect(s.log).toEqual([
      'in 1 (queued 0)',
      'in 2 (queued 1000)',
      'in 3 (queued 2000)',
      "raw 'tail' (queued 3000)",
      'switched to Stream',
      'client reads; unread 2000, queued 2000',
      "raw '2000 octets' (queued 1000)",
      'flushed',
      'err read 0',
    ]);
  });
});

describe('ReadWrite options', () => {
  const [h] = duplexPair();
  const invalid: [string, ReadWriteOptions, RegExp][] = [
    ['no handle', {}, /needs `handle`, or `inputHandle` and `outputHandle`: `inputHandle` is missing/],
    ['no outputHandle', { inputHandle: h }, /`outputHandle` is missing/],
    ['a handle that is not a stream', { handle: {} as never }, /`handle` to be a readable and writable stream/],
    ['a filter that is not one', { handle: h, filter: {} as never }, /`filter` to be a filter/],
    ['a driver that is not one', { handle: h, driver: {} as never }, /`driver` to be a driver/],
    ['an event that is not a string', { handle: h, inputEvent: 5 as never }, /`inputEvent` to be an event name/],
    ['POE spelling', { Handle: h } as never, /Unknown ReadWrite option `Handle`; did you mean `handle`\?/],
    ['highMark without lowMark', { handle: h, highMark: 10 }, /^ReadWrite: Water mark errors: `highMark` and `lowMark` require each other$/],
    ['lowMark without highMark', { handle: h, lowMark: 1, lowEvent: 'low' }, /Water mark errors: `highMark` and `lowMark` require each other$/],
    ['marks not above 0', { handle: h, highMark: 10, lowMark: 0, lowEvent: 'low' }, /Water mark errors: `highMark` and `lowMark` must be above 0$/],
    ['highEvent without highMark', { handle: h, highEvent: 'high' }, /Water mark errors: `highEvent` requires a `highMark`$/],
    ['lowMark without lowEvent', { handle: h, highMark: 10, lowMark: 5 }, /Water mark errors: `lowMark` and `lowEvent` require each other$/],
    ['lowEvent without lowMark', { handle: h, lowEvent: 'low' }, /Water mark errors: `lowMark` and `lowEvent` require each other$/],
    ['several at once', { handle: h, highMark: 10, highEvent: 'high', lowEvent: 'low' }, /Water mark errors: `highMark` and `lowMark` require each other; `lowMark` and `lowEvent` require each other$/],
    ['a mark that is not a number', { handle: h, highMark: '10' as never, lowMark: 1, lowEvent: 'low' }, /`highMark` to be a number of octets/],
    ['autoFlush not a boolean', { handle: h, autoFlush: 1 as never }, /`autoFlush` to be a boolean/],
  ];
  test.each(invalid)('rejects %s', async (_name, options, message) => {
    const thrown = await thrownInSession(() => void new ReadWrite(options));
    expect(thrown).toBeInstanceOf(PoeArgumentError);
    expect((thrown as PoeArgumentError).message).toMatch(message);
  });

  const badReadMarks: [string, ReadWriteOptions, string][] = [
    ['readPauseMark 0', { handle: h, readPauseMark: 0 }, 'Expected ReadWrite `readPauseMark` to be a positive integer (octets), `Infinity` or `false`, got `0` (number)'],
    ['readPauseMark not an integer', { handle: h, readPauseMark: 1.5 }, 'Expected ReadWrite `readPauseMark` to be a positive integer (octets), `Infinity` or `false`, got `1.5` (number)'],
    ['readPauseMark a string', { handle: h, readPauseMark: '1024' as never }, 'Expected ReadWrite `readPauseMark` to be a positive integer (octets), `Infinity` or `false`, got `"1024"` (string)'],
    ['readPauseMark true', { handle: h, readPauseMark: true as never }, 'Expected ReadWrite `readPauseMark` to be a positive integer (octets), `Infinity` or `false`, got `true` (boolean)'],
    ['readPauseMark NaN', { handle: h, readPauseMark: NaN }, 'Expected ReadWrite `readPauseMark` to be a positive integer (octets), `Infinity` or `false`, got `NaN` (number)'],
    ['readResumeMark negative', { handle: h, readResumeMark: -1 }, 'Expected ReadWrite `readResumeMark` to be an integer >= 0 (octets), got `-1` (number)'],
    ['readResumeMark false', { handle: h, readResumeMark: false as never }, 'Expected ReadWrite `readResumeMark` to be an integer >= 0 (octets), got `false` (boolean)'],
    ['readResumeMark at readPauseMark', { handle: h, readPauseMark: 100, readResumeMark: 100 }, 'ReadWrite: `readResumeMark` (100) must be less than `readPauseMark` (100)'],
    ['readResumeMark at the default readPauseMark', { handle: h, readResumeMark: 1048576 }, 'ReadWrite: `readResumeMark` (1048576) must be less than `readPauseMark` (1048576)'],
    ['readResumeMark with the pause off', { handle: h, readPauseMark: false, readResumeMark: 10 }, 'ReadWrite: `readResumeMark` has no use with `readPauseMark` off (`false` (boolean))'],
  ];
  test.each(badReadMarks)('rejects %s', async (_name, options, message) => {
    const thrown = await thrownInSession(() => void new ReadWrite(options));
    expect(thrown).toBeInstanceOf(PoeArgumentError);
    expect(thrown).toMatchObject({ code: 'ERR_POE_INVALID_ARGUMENT', message });
  });

  test('read marks that are accepted: Infinity, false, a resume mark of 0, a resume mark alone', async () => {
    const thrown = await thrownInSession(() => {
      for (const options of [{ readPauseMark: Infinity }, { readPauseMark: false as const }, { readPauseMark: 1, readResumeMark: 0 }, { readResumeMark: 1000 }]) {
        const [a] = duplexPair();
        new ReadWrite({ handle: a, ...options }).destroy();
      }
    });
    expect(thrown).toBeUndefined();
  });

  test('a rejected wheel takes no wheel id', async () => {
    const { kernel, run } = realKernel();
    const ids: number[] = [];
    start(kernel, {
      _start() {
        expect(() => new ReadWrite({ handle: h, highMark: 1 })).toThrow(PoeArgumentError);
        const [a] = duplexPair();
        const w = new ReadWrite({ handle: a });
        ids.push(w.ID);
        w.destroy();
      },
    });
    await run();
    expect(ids).toEqual([1]);
  });

  test('outside a session', () => {
    expect(() => new ReadWrite({ handle: h })).toThrow(expect.objectContaining({ code: 'ERR_POE_WHEEL_NO_SESSION' }) as Error);
  });

  test('event() rejects unknown keys with a hint', async () => {
    const thrown = await thrownInSession(() => {
      const [a] = duplexPair();
      const w = new ReadWrite({ handle: a });
      try {
        w.event({ InputEvent: 'x' } as never);
      } finally {
        w.destroy();
      }
    });
    expect((thrown as Error).message).toMatch(/did you mean `inputEvent`\?/);
  });
});

describe('ReadWrite over loopback TCP', () => {
  test('the same line conversation', async () => {
    expect(await conversation(() => tcpPair())).toEqual(conversationLog);
  });

  test('a megabyte with flow control: put() until it returns 1, go on at LowEvent; memory stays bounded', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = await tcpPair();
    const total = 20_000;
    let sent = 0;
    let next = 0;
    let maxQueued = 0;
    start(kernel, {
      _start(ctx) {
        ctx.heap.tx = new ReadWrite({ handle: a, highMark: 64 * 1024, lowMark: 8 * 1024, lowEvent: 'low', flushedEvent: 'flushed', errorEvent: 'tx_err' }) as never;
        ctx.heap.rx = new ReadWrite({ handle: b, inputEvent: 'line', errorEvent: 'rx_err' }) as never;
        ctx.kernel.yield('pump');
      },
      pump(ctx) {
        const tx = rw(ctx, 'tx');
        while (sent < total) {
          const full = tx.put(`line ${sent++} ${'.'.repeat(40)}`);
          maxQueued = Math.max(maxQueued, tx.getDriverOutOctets());
          if (full) return;
        }
      },
      low(ctx) {
        ctx.kernel.yield('pump');
      },
      flushed(ctx) {
        if (sent === total) {
          say('all queued output flushed');
          rw(ctx, 'tx').shutdownOutput();
        }
      },
      line(ctx, line: string) {
        if (!line.startsWith(`line ${next} `)) say('out of order: ', line);
        next++;
      },
      rx_err(ctx, op: string, errnum: number) {
        say('receiver: ', op, ' ', errnum, ' after ', next, ' lines');
        drop(ctx, 'rx');
        drop(ctx, 'tx');
      },
      tx_err(_ctx, ...args: unknown[]) {
        say('sender error ', args.join(' '));
      },
    });
    await run(15_000);
    expect(log).toEqual(['all queued output flushed', `receiver: read 0 after ${total} lines`]);
    expect(maxQueued).toBeLessThan(64 * 1024 + 100);
  });

  test('a peer that resets the connection', async () => {
    const { kernel, log, say, run } = realKernel();
    const [a, b] = await tcpPair();
    start(kernel, {
      _start(ctx) {
        ctx.heap.w = new ReadWrite({ handle: b, inputEvent: 'in', errorEvent: 'err' }) as never;
        a.write('hello\r\n');
      },
      in(_ctx, line: string) {
        say('in ', line);
        a.resetAndDestroy();
      },
      err(ctx, op: string, errnum: number, errstr: string) {
        say(`err ${op} ${errnum} '${errstr}'`);
        drop(ctx, 'w');
      },
    });
    await run();
    expect(log).toEqual(['in hello', `err read ${E.ECONNRESET} 'Connection reset by peer'`]);
  });
});

describe('replies put by the InputEvent', () => {
  for (const transport of ['duplexPair', 'tcp'] as const) {
    test(`are written when their read is done, in one flush, before anything else runs (${transport})`, async () => {
      const { kernel, log, say, run } = realKernel();
      const [a, b] = transport === 'tcp' ? await tcpPair() : duplexPair();
      let received = '';
      a.setEncoding('latin1');
      a.on('data', (chunk: string) => {
        received += chunk;
        if (received === 'A\r\nB\r\n') a.end();
      });
      start(kernel, {
        _start(ctx) {
          ctx.heap.w = new ReadWrite({ handle: b, inputEvent: 'in', errorEvent: 'err', flushedEvent: 'flushed' }) as never;
          a.write('a\r\nb\r\n');
        },
        in(ctx, line: string) {
          const w = rw(ctx, 'w');
          w.put(line.toUpperCase());
          say(`in ${line}, queued ${w.getDriverOutOctets()}`);
          // A microtask runs once the read's callback returned: the reply has left the queue.
          if (line === 'b') queueMicrotask(() => say(`after the read, queued ${w.getDriverOutOctets()}`));
        },
        flushed() {
          say('flushed');
        },
        err(ctx, op: string, errnum: number) {
          say(`err ${op} ${errnum}`);
          drop(ctx, 'w');
        },
      });
      await run();
      expect(log).toEqual(['in a, queued 3', 'in b, queued 6', 'flushed', 'after the read, queued 0', 'err read 0']);
      expect(received).toBe('A\r\nB\r\n');
    });
  }
});
