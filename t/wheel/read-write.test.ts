/**
 * ReadWrite (POE::Wheel::ReadWrite, spec 2.2): whole event sequences, over the in-memory
 * duplexPair() and over loopback TCP sockets. Each test runs its own real-clock kernel to
 * completion and checks it for leaks.
 *
 * Most tests are a {@link story}: wheels on the two ends of a connected pair, whose events are
 * logged in one form (`in(2) line`, `err(1) read 0 ''`) before the test's handler reacts.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Context, DieInfo, DuplexEnd, ReadWriteOptions } from '../../src/index.js';
import { Line, PoeArgumentError, PoeError, ReadWrite, Session, Stream, duplexPair } from '../../src/index.js';
import { errnoName, logged, named, realKernel, tcpPair, thrownInSession, visible, type RealKernel, type TestHandler } from '../kit/index.js';

type Heap = Record<string, unknown>;
type Ctx = Context<unknown, Heap>;
type States = Record<string, TestHandler<Ctx>>;

/** A session with these states and an empty heap in `kernel`. */
function start(kernel: RealKernel['kernel'], states: States): void {
  Session.create({ kernel, heap: {}, inlineStates: states });
}

/** Destroys the heap's wheel `name` and forgets it: POE's `delete $heap->{name}`. */
function drop(ctx: Ctx, name: string): void {
  (ctx.heap[name] as ReadWrite | undefined)?.destroy();
  delete ctx.heap[name];
}

function rw<In = string, Out = string>(ctx: Ctx, name: string): ReadWrite<In, Out> {
  return ctx.heap[name] as ReadWrite<In, Out>;
}

/** How many holds keep the (one) session alive. */
function holds(ctx: Ctx): number {
  return ctx.kernel.ps()[0]!.holds;
}

type PairMaker = () => Promise<[Duplex, Duplex]> | [Duplex, Duplex];

interface Scene extends RealKernel {
  /** The connected ends. */
  a: Duplex;
  b: Duplex;
}

interface Story {
  /** Makes the connected ends `[a, b]`; `duplexPair()` by default. */
  pair?: PairMaker;
  /**
   * The wheels `_start` makes, in this order (their IDs count from 1), each kept in the heap
   * under its key. By default one, `w` on `b`, with `inputEvent: 'in'`, `errorEvent: 'err'` and
   * `options`. The events they name are logged as `event(wheel id) ...`: a record as it reads
   * (CR and LF shown), an error as `op ERRNO 'message'`, high and low with the octets queued.
   */
  wheels?: (s: Scene) => Record<string, ReadWriteOptions>;
  /** More options for the default wheel `w`. */
  options?: Partial<ReadWriteOptions>;
  /** What `_start` does once the wheels are made. */
  begin?: (ctx: Ctx, s: Scene) => void;
  /**
   * Handlers: for a wheel's event, what it does once it is logged (an error, by default, drops
   * the wheel that had it); else the whole handler. `_stop` is logged too.
   */
  on?: (s: Scene) => States;
  /** Handlers for wheel events that replace the logged line and the default reaction. */
  instead?: (s: Scene) => States;
  /** How long the kernel may run, in ms. */
  ms?: number;
}

/** Runs one session as `story` says, to completion, and returns what it recorded. */
async function story(st: Story): Promise<Scene> {
  const k = realKernel();
  const [a, b] = await (st.pair ?? duplexPair)();
  const s: Scene = { ...k, a, b };
  const specs = st.wheels?.(s) ?? { w: { handle: b, inputEvent: 'in', errorEvent: 'err', ...st.options } };
  const names = new Map<number, string>();
  const queued = (ctx: Ctx, id: number): number => rw(ctx, names.get(id)!).getDriverOutOctets();
  const lines: Record<string, (ctx: Ctx, ...args: never[]) => string> = { _stop: () => '_stop' };
  const defaults: States = {};
  for (const o of Object.values(specs)) {
    const { inputEvent: input, errorEvent: error, flushedEvent: flushed, highEvent: high, lowEvent: low } = o;
    if (input !== undefined) lines[input] = (_ctx, record: string | Buffer, id: number) => `${input}(${id}) ${Buffer.isBuffer(record) ? `Buffer(${visible(record)})` : visible(record)}`;
    if (error !== undefined) {
      lines[error] = (_ctx, op: string, errnum: number, errstr: string, id: number) => `${error}(${id}) ${op} ${errnoName(errnum)} '${errstr}'`;
      defaults[error] = (ctx, ...args: number[]) => drop(ctx, names.get(args.at(-1)!)!);
    }
    if (flushed !== undefined) lines[flushed] = (_ctx, id: number) => `${flushed}(${id})`;
    for (const mark of [high, low]) {
      if (mark !== undefined) lines[mark] = (ctx, id: number) => `${mark}(${id}) ${queued(ctx, id)} queued`;
    }
  }
  start(k.kernel, {
    _start(ctx) {
      for (const [name, options] of Object.entries(specs)) {
        const w = new ReadWrite(options);
        ctx.heap[name] = w;
        names.set(w.ID, name);
      }
      st.begin?.(ctx, s);
    },
    ...logged(k.say, lines, { ...defaults, ...st.on?.(s) }),
    ...st.instead?.(s),
  });
  await k.run(st.ms);
  return s;
}

const transports = [
  { name: 'duplexPair', pair: (): [Duplex, Duplex] => duplexPair(), reset: (end: Duplex) => (end as DuplexEnd).vanish() },
  { name: 'loopback TCP', pair: () => tcpPair(), reset: (end: Duplex) => (end as Socket).resetAndDestroy() },
];

describe.each(named(transports))('ReadWrite, the same on both transports: %s', (_name, { pair, reset }) => {
  test('a line conversation: Line both ways (CRLF out), flushes, EOF as ErrorEvent, then _stop', async () => {
    const s = await story({
      pair,
      wheels: ({ a, b }) => ({
        client: { handle: a, inputEvent: 'client_in', flushedEvent: 'client_flushed' },
        server: { handle: b, inputEvent: 'server_in', errorEvent: 'server_err', flushedEvent: 'server_flushed' },
      }),
      begin: (ctx, { say }) => say('client put returned ', rw(ctx, 'client').put('one', 'two', 'three')),
      on: () => ({
        server_in: (ctx, line: string) => rw(ctx, 'server').put(`echo: ${line}`),
        client_in(ctx, line: string) {
          if (line === 'echo: three') drop(ctx, 'client');
        },
      }),
    });
    expect(s.log).toEqual([
      'client put returned 0',
      'client_flushed(1)',
      'server_in(2) one',
      'server_in(2) two',
      'server_in(2) three',
      'server_flushed(2)',
      'client_in(1) echo: one',
      'client_in(1) echo: two',
      'client_in(1) echo: three',
      "server_err(2) read 0 ''",
      '_stop',
    ]);
  });

  test('a peer that resets the connection: ErrorEvent(read, ECONNRESET, Connection reset by peer)', async () => {
    const s = await story({
      pair,
      begin: (_ctx, { a }) => a.write('hello\r\n'),
      on: ({ a }) => ({ in: () => reset(a) }),
    });
    expect(s.log).toEqual(['in(1) hello', "err(1) read ECONNRESET 'Connection reset by peer'", '_stop']);
  });

  /**
   * The peer writes `sent` and ends once it has read back `replies`; `onIn` is the wheel's
   * InputEvent (FlushedEvent is logged). Returns the log and what the peer read.
   */
  async function replies(sent: string, replies: string, onIn: (ctx: Ctx, line: string, say: Scene['say']) => void): Promise<{ log: string[]; received: string }> {
    let received = '';
    const s = await story({
      pair,
      options: { flushedEvent: 'flushed' },
      begin(_ctx, { a }) {
        a.setEncoding('latin1');
        a.on('data', (chunk: string) => {
          received += chunk;
          if (received === replies) a.end();
        });
        a.write(sent);
      },
      instead: ({ say }) => ({ in: (ctx, line: string) => onIn(ctx, line, say) }),
    });
    return { log: s.log, received };
  }

  test('replies put by the InputEvent are written when their read is done, in one flush, before anything else runs', async () => {
    const s = await replies('a\r\nb\r\n', 'A\r\nB\r\n', (ctx, line, say) => {
      const w = rw(ctx, 'w');
      w.put(line.toUpperCase());
      say(`in ${line}, queued ${w.getDriverOutOctets()}`);
      // A microtask runs once the read's callback returned: the reply has left the queue.
      if (line === 'b') queueMicrotask(() => say(`after the read, queued ${w.getDriverOutOctets()}`));
    });
    expect(s.log).toEqual(['in a, queued 3', 'in b, queued 6', 'flushed(1)', 'after the read, queued 0', "err(1) read 0 ''", '_stop']);
    expect(s.received).toBe('A\r\nB\r\n');
  });

  test('a reply the InputEvent put and flush()ed itself is flushed once: one FlushedEvent, none from the end of the read', async () => {
    const s = await replies('a\r\n', 'A\r\n', (ctx, line, say) => {
      const w = rw(ctx, 'w');
      w.put(line.toUpperCase());
      say(`in ${line}, flush left ${w.flush()}`);
    });
    expect(s.log).toEqual(['flushed(1)', 'in a, flush left 0', "err(1) read 0 ''", '_stop']);
    expect(s.received).toBe('A\r\n');
  });
});

describe('ReadWrite over duplexPair', () => {
  test('the default filter is one Line shared by both directions; a missing half is a new Line', async () => {
    const s = await story({
      wheels: () => ({}),
      begin(_ctx, { a, b, say }) {
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
      },
    });
    expect(s.log).toEqual(['default shared: true', 'input kept: true; output Line: true', 'handle and filter win: truetruetrue', '_stop']);
    expect(s.warnings).toEqual(['ReadWrite: ignoring `inputHandle` (`handle` takes precedence)', 'ReadWrite: ignoring `outputFilter` (`filter` takes precedence)']);
  });

  test('separate input and output handles', async () => {
    const [inWriter, inReader] = duplexPair();
    const [outWriter, outReader] = duplexPair();
    const got: string[] = [];
    outReader.on('data', (c: Buffer) => got.push(c.toString()));
    const s = await story({
      wheels: () => ({ w: { inputHandle: inReader, outputHandle: outWriter, inputEvent: 'in', errorEvent: 'err' } }),
      begin: () => inWriter.end('ping\n'),
      on: () => ({ in: (ctx, line: string) => rw(ctx, 'w').put(`${line} pong`) }),
    });
    await once(outReader, 'end');
    expect(s.log).toEqual(['in(1) ping', "err(1) read 0 ''", '_stop']);
    expect(got.join('')).toBe('ping pong\r\n');
    expect(inReader.destroyed && outWriter.destroyed).toBe(true);
  });

  test('without inputEvent the wheel does not read; event() starts it and the waiting data arrives', async () => {
    const s = await story({
      options: { inputEvent: undefined },
      begin(ctx, { a, say }) {
        say('holds without inputEvent: ', holds(ctx));
        a.write('waiting\n');
        ctx.kernel.delay('listen', 0.02);
      },
      on: ({ b, say }) => ({
        listen(ctx) {
          say('unread octets: ', b.readableLength);
          rw(ctx, 'w').event({ inputEvent: 'in' });
          say('holds with inputEvent: ', holds(ctx));
        },
        in(ctx, line: string, id: number) {
          say(`in(${id}) ${line}`);
          rw(ctx, 'w').event({ inputEvent: undefined });
          say('holds after turning it off: ', holds(ctx));
          drop(ctx, 'w');
        },
      }),
    });
    expect(s.log).toEqual(['holds without inputEvent: 1', 'unread octets: 8', 'holds with inputEvent: 2', 'in(1) waiting', 'holds after turning it off: 1', '_stop']);
  });

  test('G26: after EOF the wheel still holds its session, until it is destroyed', async () => {
    const s = await story({
      begin: (_ctx, { a }) => a.end('last\n'),
      on: ({ say }) => ({
        err: (ctx) => ctx.kernel.delay('later', 0.02),
        later(ctx) {
          const [me] = ctx.kernel.ps();
          say('still alive: holds ', me!.holds, ', alive because: ', me!.aliveBecause.join(', '));
          drop(ctx, 'w');
        },
      }),
    });
    expect(s.log).toEqual(['in(1) last', "err(1) read 0 ''", 'still alive: holds 1, alive because: held by ReadWrite(1)', '_stop']);
  });

  test('pauseInput holds input back (in the stream) until resumeInput', async () => {
    const s = await story({
      // The client reads too: only a reading wheel sees the EOF that ends the test.
      wheels: ({ a, b }) => ({ client: { handle: a, inputEvent: 'client_in', errorEvent: 'client_err' }, server: { handle: b, inputEvent: 'in' } }),
      begin: (ctx) => rw(ctx, 'client').put('first'),
      on: ({ b, say }) => ({
        in(ctx, line: string) {
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
      }),
    });
    expect(s.log).toEqual(['in(2) first', 'resuming with 8 octets waiting', 'in(2) second', "client_err(1) read 0 ''", '_stop']);
  });

  // A writer `w` on `a` with these marks puts four 1000-octet chunks while its reader `r` on `b`
  // is paused; the pair takes 1000 octets at a time. 30 ms later the reader resumes.
  const stalls = named([
    {
      name: 'G28: put() returns 0 0 1 1 silently; with the reader stalled the queue stays here, then LowEvent, FlushedEvent',
      marks: { highMark: 3000, lowMark: 1000 },
      expected: ['put: 0 0 1 1', 'stalled: driver 3000 octets in 3 chunks, Node 1000', 'low(1) 1000 queued', 'flushed(1)', 'received 4000', '_stop'],
    },
    {
      name: 'HighEvent comes only from the write handler: a partial flush leaving >= HighMark (after setHighMark)',
      marks: { highMark: 5000, lowMark: 500 },
      setHighMark: 1500,
      expected: ['put: 0 0 0 0', 'high(1) 3000 queued', 'stalled: driver 3000 octets in 3 chunks, Node 1000', 'low(1) 0 queued', 'flushed(1)', 'received 4000', '_stop'],
    },
  ]);
  test.each(stalls)('%s', async (_name, { marks, setHighMark, expected }) => {
    let received = 0;
    const s = await story({
      pair: () => duplexPair({ highWaterMark: 1000 }),
      wheels: ({ a, b }) => ({
        w: { handle: a, filter: new Stream(), ...marks, highEvent: 'high', lowEvent: 'low', flushedEvent: 'flushed' },
        r: { handle: b, filter: new Stream(), inputEvent: 'in' },
      }),
      begin(ctx, { say }) {
        rw(ctx, 'r').pauseInput();
        const w = rw<Buffer>(ctx, 'w');
        say('put: ', [1, 2, 3, 4].map(() => w.put('x'.repeat(1000))).join(' '));
        if (setHighMark !== undefined) w.set_high_mark(setHighMark);
        ctx.kernel.delay('unstall', 0.03);
      },
      on: ({ a, say }) => ({
        unstall(ctx) {
          // One chunk went to Node, which holds it (its buffer is full); the rest waits in the driver.
          say('stalled: driver ', rw(ctx, 'w').getDriverOutOctets(), ' octets in ', rw(ctx, 'w').getDriverOutMessages(), ' chunks, Node ', a.writableLength);
          rw(ctx, 'r').resumeInput();
        },
        flushed: (ctx) => ctx.kernel.delay('done', 0.02),
        done(ctx) {
          say('received ', received);
          drop(ctx, 'w');
          drop(ctx, 'r');
        },
      }),
      instead: () => ({
        in(_ctx, chunk: Buffer) {
          received += chunk.length;
        },
      }),
    });
    expect(s.log).toEqual(expected);
  });

  test('setHighMark / setLowMark ignore invalid values with a warning, as POE carps', async () => {
    const s = await story({
      wheels: () => ({}),
      begin(_ctx, { a, b, say }) {
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
    expect(s.log).toEqual(['put at 49: 0; at 50: 1', '_stop']);
    expect(s.warnings).toEqual([
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
    const s = await story({
      // The error event is turned off at the first record: the EOF must not be logged.
      options: { inputEvent: 'first' },
      begin: (_ctx, { a }) => a.end('one\ntwo\nthree\n'),
      on: ({ say }) => ({
        first: (ctx) => rw(ctx, 'w').event({ inputEvent: 'second', errorEvent: undefined }),
        second(ctx, line: string, id: number) {
          say(`second(${id}) ${line}`);
          if (line === 'three') ctx.kernel.delay('done', 0.02);
        },
        done(ctx) {
          say('done');
          drop(ctx, 'w');
        },
      }),
    });
    expect(s.log).toEqual(['first(1) one', 'second(1) two', 'second(1) three', 'done', '_stop']);
  });

  test('setFilter inside InputEvent: the rest of the same read goes through the new filter at once', async () => {
    const s = await story({
      wheels: ({ a, b }) => ({ client: { handle: a, filter: new Stream() }, server: { handle: b, inputEvent: 'line', errorEvent: 'err' } }),
      begin: (ctx) => rw(ctx, 'client').put('HEAD\r\nbody bytes\nmore'),
      on: ({ say }) => ({
        line(ctx, record: string | Buffer) {
          if (record === 'HEAD') {
            rw(ctx, 'server').setFilter(new Stream() as never);
            say('switched to Stream');
            rw(ctx, 'client').put('\r\nlater');
          } else if (String(record).endsWith('later')) {
            drop(ctx, 'client');
          }
        },
      }),
    });
    expect(s.log).toEqual(['line(2) HEAD', 'line(2) Buffer(body bytes\\nmore)', 'switched to Stream', 'line(2) Buffer(\\r\\nlater)', "err(2) read 0 ''", '_stop']);
  });

  test('setInputFilter twice from nested handlers: every record once, the inner switch wins', async () => {
    const s = await story({
      begin: (_ctx, { a }) => a.end('x\r\ny\r\nz\r\n'),
      on: () => ({
        in(ctx, line: string) {
          if (line !== 'z') rw(ctx, 'w').set_input_filter(new Line());
        },
      }),
    });
    expect(s.log).toEqual(['in(1) x', 'in(1) y', 'in(1) z', "err(1) read 0 ''", '_stop']);
  });

  test('G35: destroying the wheel inside InputEvent does not stop the other records of that read', async () => {
    const s = await story({
      wheels: ({ a, b }) => ({ client: { handle: a, inputEvent: 'client_in', errorEvent: 'client_err' }, server: { handle: b, inputEvent: 'in' } }),
      begin: (ctx) => rw(ctx, 'client').put('a', 'b', 'c'),
      instead: ({ say }) => ({
        in(ctx, line: string, id: number) {
          say('in(', id, ') ', line, ctx.heap.server ? '' : ' after the wheel was deleted');
          if (line === 'a') drop(ctx, 'server');
        },
      }),
    });
    expect(s.log).toEqual([
      'in(2) a',
      'in(2) b after the wheel was deleted',
      'in(2) c after the wheel was deleted',
      "client_err(1) read 0 ''",
      '_stop',
    ]);
  });

  test('a record over the filter limit is ErrorEvent(read, EMSGSIZE, message) and reading stops', async () => {
    const s = await story({
      options: { filter: new Line({ maxLength: 8 }) },
      begin: (_ctx, { a }) => a.write(`short\r\n${'x'.repeat(20)}\r\nafter\r\n`),
      on: ({ a, b, say }) => ({
        err(ctx) {
          a.write('ignored\r\n');
          ctx.kernel.delay('done', 0.02);
        },
        done(ctx) {
          say('done; holds ', holds(ctx), ', unread ', b.readableLength);
          drop(ctx, 'w');
        },
      }),
    });
    expect(s.log).toEqual(['in(1) short', "err(1) read EMSGSIZE 'Line: maxLength exceeded (20 > 8)'", 'done; holds 1, unread 9', '_stop']);
  });

  test('a peer that vanishes mid-write: ErrorEvent(write, EPIPE, Broken pipe), then EOF on the read side', async () => {
    const s = await story({
      pair: () => duplexPair({ vanishAfter: 10 }),
      wheels: ({ a, b }) => ({
        a: { handle: a, inputEvent: 'a_in', errorEvent: 'a_err', flushedEvent: 'a_flushed' },
        b: { handle: b, inputEvent: 'b_in', errorEvent: 'b_err' },
      }),
      begin: (ctx) => rw(ctx, 'a').put('hello', 'world'),
      on: ({ say }) => ({
        a_err(ctx, op: string) {
          if (op === 'read') drop(ctx, 'a');
          else say('write watcher gone: put still queues, returns ', rw(ctx, 'a').put('more'), ', octets ', rw(ctx, 'a').getDriverOutOctets());
        },
      }),
    });
    expect(s.log).toEqual([
      'a_flushed(1)',
      "b_err(2) read 0 ''",
      "a_err(1) write EPIPE 'Broken pipe'",
      'write watcher gone: put still queues, returns 0, octets 6',
      "a_err(1) read 0 ''",
      '_stop',
    ]);
  });

  test('autoFlush writes inside put(); flush() runs the write handler now', async () => {
    const [a, b] = duplexPair();
    const [c, d] = duplexPair();
    const got = (end: Duplex) => {
      const chunks: string[] = [];
      end.on('data', (x: Buffer) => chunks.push(x.toString()));
      return once(end, 'end').then(() => chunks.join(''));
    };
    const [fromAuto, fromManual] = [got(b), got(d)];
    const s = await story({
      pair: () => [a, b],
      wheels: () => ({ auto: { handle: a, autoFlush: true, flushedEvent: 'flushed' }, manual: { handle: c, flushedEvent: 'flushed' } }),
      begin(ctx, { say }) {
        say('auto put returned ', rw(ctx, 'auto').put('now'), ', octets ', rw(ctx, 'auto').getDriverOutOctets());
        say('manual put returned ', rw(ctx, 'manual').put('one', 'two'), ', octets ', rw(ctx, 'manual').getDriverOutOctets(), ' in ', rw(ctx, 'manual').getDriverOutMessages(), ' chunks');
        say('flush() returned ', rw(ctx, 'manual').flush());
        say('end of _start');
      },
      on: () => ({
        flushed(ctx, id: number) {
          if (id === 2) {
            drop(ctx, 'auto');
            drop(ctx, 'manual');
          }
        },
      }),
    });
    expect(s.log).toEqual(['flushed(1)', 'auto put returned 0, octets 0', 'manual put returned 0, octets 10 in 2 chunks', 'flushed(2)', 'flush() returned 0', 'end of _start', '_stop']);
    expect([await fromAuto, await fromManual]).toEqual(['now\r\n', 'one\r\ntwo\r\n']);
  });

  test('shutdownOutput half-closes: the peer reads EOF, replies still arrive; shutdownInput stops reading', async () => {
    const s = await story({
      wheels: ({ a, b }) => ({ a: { handle: a, inputEvent: 'a_in', errorEvent: 'a_err' }, b: { handle: b, inputEvent: 'b_in', errorEvent: 'b_err' } }),
      begin(ctx, { say }) {
        rw(ctx, 'a').put('request');
        rw(ctx, 'a').flush();
        rw(ctx, 'a').shutdown_output();
        // a: its read watcher; b: both of its watchers.
        say('holds after shutdownOutput: ', holds(ctx));
      },
      on: ({ a, say }) => ({
        b_err: (ctx) => rw(ctx, 'b').put('reply'),
        a_in(ctx) {
          rw(ctx, 'a').shutdownInput();
          // a: none left; b: its write watcher (its read one went at EOF).
          say('holds after shutdownInput: ', holds(ctx));
          rw(ctx, 'b').put('unread');
          ctx.kernel.delay('done', 0.03);
        },
        done(ctx) {
          say('unread octets: ', a.readableLength);
          drop(ctx, 'a');
          drop(ctx, 'b');
        },
      }),
    });
    expect(s.log).toEqual(['holds after shutdownOutput: 3', 'b_in(2) request', "b_err(2) read 0 ''", 'a_in(1) reply', 'holds after shutdownInput: 1', 'unread octets: 8', '_stop']);
  });

  test('an exception in InputEvent is a DIE signal; the wheel goes on reading', async () => {
    const s = await story({
      begin(ctx, { a }) {
        ctx.kernel.sig('DIE', 'died');
        a.write('boom\n');
      },
      on: ({ a, say }) => ({
        in(_ctx, line: string) {
          if (line === 'boom') throw new Error('handler failed');
          a.end();
        },
        died(ctx, _name: string, info: DieInfo) {
          say('DIE in ', info.event, ': ', info.errorStr);
          ctx.kernel.sigHandled();
          a.write('next\n');
        },
        err(ctx) {
          drop(ctx, 'w');
          ctx.kernel.sig('DIE');
        },
      }),
    });
    expect(s.log).toEqual(['in(1) boom', 'DIE in POE::Wheel::ReadWrite(1) -> select read: handler failed', 'in(1) next', "err(1) read 0 ''", '_stop']);
  });

  test('a wheel whose session the kernel stopped cleans up at its next I/O and closes its handle', async () => {
    const s = await story({
      options: { errorEvent: undefined },
      begin: (ctx) => ctx.kernel.delay('halt', 0.01),
      on: ({ say }) => ({
        halt(ctx) {
          say('stopping the kernel');
          ctx.kernel.stop();
        },
      }),
    });
    // The stopped session's wheel was destroyed with it (its end closed), so the peer reads
    // EOF and a write to it fails with EPIPE, as on a socket whose other side closed.
    const { a, b } = s;
    const ended = once(a, 'end');
    const failed = once(a, 'error');
    a.resume();
    a.write('anyone?\n');
    await ended;
    const [err] = (await failed) as [NodeJS.ErrnoException];
    expect(err.code).toBe('EPIPE');
    expect(s.log).toEqual(['stopping the kernel', '_stop']);
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
 * An echo wheel `w` on `b` with LF lines (a reply is as long as its line), readPauseMark 3000
 * and readResumeMark 1000, over a pair whose ends each take 1000 octets: `a` writes lines 1-5
 * in one chunk and lines 6-7 in a second, then EOF, and reads nothing until `client_reads`,
 * 50 ms later. A record is logged as `in 1 (queued 0)`. The wheel is dropped at EOF once its
 * queue is empty. `more` replaces `begin`, and adds to or replaces the handlers.
 */
async function echo(more: Pick<Story, 'begin' | 'on' | 'instead'> = {}): Promise<Scene & { received: () => number }> {
  let received = 0;
  let closing = false;
  const s = await story({
    pair: () => duplexPair({ highWaterMark: 1000 }),
    options: { filter: new Line({ literal: '\n' }), flushedEvent: 'flushed', readPauseMark: 3000, readResumeMark: 1000 },
    begin(ctx, { a }) {
      a.write([1, 2, 3, 4, 5].map(kLine).join(''));
      a.end([6, 7].map(kLine).join(''));
      ctx.kernel.delay('client_reads', 0.05);
    },
    ...more,
    on: (scene) => ({
      client_reads(ctx) {
        scene.say('client reads; unread ', scene.b.readableLength, ', queued ', rw(ctx, 'w').getDriverOutOctets());
        scene.a.on('data', (chunk: Buffer) => (received += chunk.length));
      },
      flushed(ctx) {
        if (closing) drop(ctx, 'w');
      },
      err(ctx) {
        if (rw(ctx, 'w').getDriverOutOctets() === 0) drop(ctx, 'w');
        else closing = true;
      },
      ...more.on?.(scene),
    }),
    instead: (scene) => ({
      in(ctx, line: string) {
        const w = rw(ctx, 'w');
        scene.say('in ', line[0], ' (queued ', w.getDriverOutOctets(), ')');
        w.put(line);
      },
      ...more.instead?.(scene),
    }),
  });
  return { ...s, received: () => received };
}

/**
 * How every echo story that writes lines 1-5 in one chunk begins: the put of line 3 reaches
 * the mark, lines 4 and 5 came in the same read and are still delivered, line 6 waits.
 */
const linesOneToFive = ['in 1 (queued 0)', 'in 2 (queued 1000)', 'in 3 (queued 2000)', 'in 4 (queued 3000)', 'in 5 (queued 4000)'];

describe('ReadWrite pauses reading while its output queue is full (readPauseMark)', () => {
  test('reading stops when the queue reaches readPauseMark (the rest of that read is still delivered) and resumes at readResumeMark', async () => {
    const s = await echo();
    expect(s.log).toEqual([
      ...linesOneToFive,
      'client reads; unread 2000, queued 4000',
      // Three flushes later 1000 octets are left: reading resumes.
      'in 6 (queued 1000)',
      'in 7 (queued 2000)',
      "err(1) read 0 ''",
      'flushed(1)',
      '_stop',
    ]);
    await once(s.a, 'end');
    expect(s.received()).toBe(7000);
  });

  // One client that writes a line while the server has `lines` KiB of replies queued, then reads.
  const pauseDefaults = named([
    {
      name: 'the default pauses at 1 MiB queued, and the line is read once a flush leaves 512 KiB',
      options: {},
      lines: 1024,
      expected: ['queued 1048576', 'client reads; unread 5', 'in ping with 512 KiB or less queued', "err(1) read 0 ''", '_stop'],
    },
    ...([false, Infinity] as const).map((off) => ({
      name: `readPauseMark ${String(off)} is POE: input is read however much output is queued`,
      options: { readPauseMark: off },
      lines: 2048,
      expected: ['queued 2097152', 'in ping with more than 512 KiB queued', 'client reads; unread 0', "err(1) read 0 ''", '_stop'],
    })),
  ]);
  test.each(pauseDefaults)('%s', async (_name, { options, lines, expected }) => {
    const s = await story({
      options: { filter: new Line({ literal: '\n' }), ...options },
      begin(ctx, { a, say }) {
        const w = rw(ctx, 'w');
        const line = 'x'.repeat(1023);
        for (let i = 0; i < lines; i++) w.put(line);
        say('queued ', w.getDriverOutOctets());
        a.write('ping\n');
        ctx.kernel.delay('client_reads', 0.05);
      },
      on: ({ a, b, say }) => ({
        client_reads() {
          say('client reads; unread ', b.readableLength);
          a.resume();
          a.end();
        },
      }),
      instead: ({ say }) => ({
        in(ctx, line: string) {
          say('in ', line, ' with ', rw(ctx, 'w').getDriverOutOctets() <= 512 * 1024 ? '512 KiB or less' : 'more than 512 KiB', ' queued');
        },
      }),
    });
    expect(s.log).toEqual(expected);
  });

  test('pauseInput and the full queue are separate: a user resume waits for the drain, a drain does not undo a user pause', async () => {
    let resumed = false;
    const s = await echo({
      begin(ctx, { a }) {
        a.write([1, 2, 3, 4, 5].map(kLine).join(''));
        a.end([6, 7].map(kLine).join(''));
        ctx.kernel.delay('toggle', 0.03);
      },
      on: ({ a, b, say }) => ({
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
      }),
      instead: ({ b, say }) => ({
        flushed(ctx, id: number) {
          say('flushed(', id, '); unread ', b.readableLength);
          if (!resumed) {
            resumed = true;
            rw(ctx, 'w').resume_input();
          } else {
            drop(ctx, 'w');
          }
        },
      }),
    });
    expect(s.log).toEqual([
      ...linesOneToFive,
      // The user's resumeInput() does not override the full queue...
      'user paused and resumed; unread 2000, queued 4000',
      'client reads; unread 2000, queued 4000; user pauses',
      // ...and the drain does not override the user's pauseInput().
      'flushed(1); unread 2000',
      'in 6 (queued 0)',
      'in 7 (queued 1000)',
      "err(1) read 0 ''",
      'flushed(1); unread 0',
      '_stop',
    ]);
  });

  test('shutdownOutput lifts the pause: nothing queued will ever be written, so reading goes on', async () => {
    const s = await echo({
      on: ({ b, say }) => ({
        client_reads(ctx) {
          const w = rw(ctx, 'w');
          say('shutdownOutput with ', b.readableLength, ' unread, ', w.getDriverOutOctets(), ' queued');
          w.shutdownOutput();
        },
        err: (ctx) => drop(ctx, 'w'),
      }),
    });
    s.a.destroy();
    expect(s.log).toEqual([
      ...linesOneToFive,
      'shutdownOutput with 2000 unread, 4000 queued',
      'in 6 (queued 4000)',
      'in 7 (queued 5000)',
      "err(1) read 0 ''",
      '_stop',
    ]);
  });

  test('a peer that vanishes while reading is paused: the write error comes at once and lifts the pause; what had arrived is still read', async () => {
    const s = await echo({
      on: ({ a, b, say }) => ({
        client_reads() {
          say('client vanishes; unread ', b.readableLength);
          (a as DuplexEnd).vanish();
        },
        err(ctx, op: string) {
          if (op === 'read') drop(ctx, 'w');
        },
      }),
    });
    expect(s.log).toEqual([
      ...linesOneToFive,
      'client vanishes; unread 2000',
      "err(1) write EPIPE 'Broken pipe'",
      // No more output can be written, so nothing holds reading back: the lines that had
      // arrived are delivered (their replies only queue), then the closed connection's EOF.
      'in 6 (queued 4000)',
      'in 7 (queued 5000)',
      "err(1) read 0 ''",
      '_stop',
    ]);
    expect(s.b.destroyed).toBe(true);
  });

  test('setFilter while paused: what the old filter held is delivered at once; the next read waits for the drain', async () => {
    const s = await echo({
      begin(ctx, { a }) {
        a.write([1, 2, 3].map(kLine).join('') + 'tail');
        a.end([6, 7].map(kLine).join(''));
        ctx.kernel.delay('client_reads', 0.05);
      },
      instead: ({ say }) => ({
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
      }),
    });
    expect(s.log).toEqual([
      'in 1 (queued 0)',
      'in 2 (queued 1000)',
      'in 3 (queued 2000)',
      "raw 'tail' (queued 3000)",
      'switched to Stream',
      'client reads; unread 2000, queued 2000',
      "raw '2000 octets' (queued 1000)",
      'flushed(1)',
      "err(1) read 0 ''",
      '_stop',
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
  test('a megabyte with flow control: put() until it returns 1, go on at LowEvent; memory stays bounded', async () => {
    const total = 20_000;
    let sent = 0;
    let next = 0;
    let maxQueued = 0;
    const s = await story({
      pair: () => tcpPair(),
      wheels: ({ a, b }) => ({
        tx: { handle: a, highMark: 64 * 1024, lowMark: 8 * 1024, lowEvent: 'low', flushedEvent: 'flushed', errorEvent: 'tx_err' },
        rx: { handle: b, inputEvent: 'line', errorEvent: 'rx_err' },
      }),
      begin: (ctx) => ctx.kernel.yield('pump'),
      on: ({ say }) => ({
        pump(ctx) {
          const tx = rw(ctx, 'tx');
          while (sent < total) {
            const full = tx.put(`line ${sent++} ${'.'.repeat(40)}`);
            maxQueued = Math.max(maxQueued, tx.getDriverOutOctets());
            if (full) return;
          }
        },
        rx_err(ctx) {
          say('after ', next, ' lines');
          drop(ctx, 'rx');
          drop(ctx, 'tx');
        },
      }),
      // How often the queue drains, and in what pieces the lines arrive, is up to the sockets.
      instead: ({ say }) => ({
        low: (ctx) => ctx.kernel.yield('pump'),
        flushed(ctx) {
          if (sent === total) {
            say('all queued output flushed');
            rw(ctx, 'tx').shutdownOutput();
          }
        },
        line(_ctx, line: string) {
          if (!line.startsWith(`line ${next} `)) say('out of order: ', line);
          next++;
        },
      }),
      ms: 15_000,
    });
    expect(s.log).toEqual(['all queued output flushed', "rx_err(2) read 0 ''", `after ${total} lines`, '_stop']);
    expect(maxQueued).toBeLessThan(64 * 1024 + 100);
  });
});
