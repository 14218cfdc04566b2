/**
 * Raw stream watchers (spec 1.17, G26): POE's select_* on Node streams. Level-triggered read
 * and write watchers, EOF and errors as readiness, refcounts while paused, conflicts.
 */
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { describe, expect, test } from 'vitest';
import {
  SELECT_WRITE,
  Session,
  select,
  selectPauseRead,
  selectRead,
  selectResumeRead,
  selectWrite,
  select_read,
  type PoeError,
} from '../../src/index.js';
import { expectNoLeaks, makeKernel, realKernel, runBounded, settle, streamPairs, tcpPair } from '../kit/index.js';

test('a paused watcher alone keeps its session alive (G26); removing it lets the session stop', async () => {
  const { kernel, log, say, run } = makeKernel({ autoAdvance: false });
  const pipe = new PassThrough();
  const session = Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        selectRead(ctx.kernel, pipe, 'readable');
        say(`pause -> ${selectPauseRead(ctx.kernel, pipe)}`);
        pipe.write('ignored while paused');
      },
      readable() {
        say('readable');
      },
      remove(ctx) {
        say(`remove -> ${selectRead(ctx.kernel, pipe)}`);
        say(`pause after removal -> ${selectPauseRead(ctx.kernel, pipe)}`);
      },
      _stop() {
        say('_stop');
      },
    },
  });
  const done = run();
  await settle();
  expect(kernel.sessionCount).toBe(1);
  expect(kernel.ps()[0]?.aliveBecause).toEqual([expect.stringMatching(/^held by select_read watcher \d+ \(event 'readable'\)$/)]);
  kernel.post(session!, 'remove');
  await done;
  expect(log).toEqual(['pause -> 1', 'remove -> 0', 'pause after removal -> 0', '_stop']);
  expect(pipe.listenerCount('readable')).toBe(0);
  expect(pipe.listenerCount('error')).toBe(0);
});

test('the end of the stream is readable: read() returns null, and it fires until the watcher goes', async () => {
  const { kernel, log, say, run } = makeKernel();
  const pipe = new PassThrough();
  let eofSeen = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        select_read(ctx.kernel, pipe, 'readable');
        pipe.end('xy');
      },
      readable(ctx, fh) {
        const chunk = (fh as PassThrough).read() as Buffer | null;
        if (chunk !== null) return say(`data ${chunk.toString()}`);
        // Level-triggered at EOF, as a descriptor at EOF is: it fires again until removed.
        if (++eofSeen === 3) {
          say('eof three times, removing');
          selectRead(ctx.kernel, pipe);
        }
      },
      _stop() {
        say('_stop');
      },
    },
  });
  await run();
  expect(log).toEqual(['data xy', 'eof three times, removing', '_stop']);
});

// POE regression ton-stop-corruption: the peer ends without writing anything. select_read
// must fire once the EOF arrives (read() then returns null), or the watcher holds the session
// and the kernel never stops. The TCP pair is the behaviour the in-memory pair must match.
test.each(streamPairs)('over %s, an EOF with no data before it is readable: the watcher fires and can be removed', async (_name, makePair) => {
  const [peer, watched] = await makePair();
  const { kernel, log, say } = makeKernel();
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        selectRead(ctx.kernel, watched, 'readable');
        peer.end();
      },
      readable(ctx, fh) {
        say(`read -> ${String((fh as Duplex).read())}, ended: ${String((fh as Duplex).readableEnded)}`);
        selectRead(ctx.kernel, watched);
      },
      _stop() {
        say('_stop');
      },
    },
  });
  await runBounded(kernel, 2000);
  expectNoLeaks(kernel);
  expect(log).toEqual(['read -> null, ended: true', '_stop']);
  peer.destroy();
  watched.destroy();
});

test('a write watcher fires while the stream takes writes, waits for drain, fires again', async () => {
  const { kernel, log, say, run } = makeKernel();
  const received: string[] = [];
  let release: (() => void) | undefined;
  // A sink that holds each write until told: writes pile up past the high-water mark.
  const sink = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _enc, cb) {
      received.push(chunk.toString());
      release = cb;
    },
  });
  let n = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        selectWrite(ctx.kernel, sink, 'writable', 'arg');
      },
      writable(ctx, fh, mode, arg) {
        n++;
        const more = (fh as Writable).write(`w${n}..`);
        say(`writable mode=${String(mode)} arg=${String(arg)} write -> ${String(more)}`);
        if (!more) ctx.kernel.delay('unblock', 1);
        if (n === 3) selectWrite(ctx.kernel, sink);
      },
      unblock() {
        say('sink takes the write');
        release?.();
      },
    },
  });
  await run();
  expect(log).toEqual([
    `writable mode=${SELECT_WRITE} arg=arg write -> false`,
    'sink takes the write',
    `writable mode=${SELECT_WRITE} arg=arg write -> false`,
    'sink takes the write',
    `writable mode=${SELECT_WRITE} arg=arg write -> false`,
    'sink takes the write',
  ]);
  expect(received).toEqual(['w1..', 'w2..', 'w3..']);
});

test('a stream error makes it readable (stream.errored says why) and is not thrown', async () => {
  const { kernel, log, say, run } = makeKernel();
  const pipe = new PassThrough();
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        selectRead(ctx.kernel, pipe, 'readable');
        pipe.destroy(new Error('boom'));
      },
      readable(ctx, fh) {
        say(`read -> ${String((fh as PassThrough).read())} errored: ${(fh as PassThrough).errored?.message}`);
        selectRead(ctx.kernel, pipe);
      },
    },
  });
  await run();
  expect(log).toEqual(['read -> null errored: boom']);
});

describe('POE rules', () => {
  test('watching again from the same session resumes (event unchanged); another session is refused', async () => {
    const { kernel, log, say, run } = makeKernel();
    const pipe = new PassThrough();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          selectRead(ctx.kernel, pipe, 'first');
          selectPauseRead(ctx.kernel, pipe);
          selectRead(ctx.kernel, pipe, 'second'); // POE: a resume; the event stays 'first'
          Session.create({
            kernel,
            inlineStates: {
              _start(ctx2) {
                try {
                  selectRead(ctx2.kernel, pipe, 'mine');
                } catch (err) {
                  say(`other session: ${(err as PoeError).code}`);
                }
              },
            },
          });
          pipe.write('x');
        },
        first(ctx, fh) {
          say(`first ${String((fh as PassThrough).read())}`);
          selectRead(ctx.kernel, pipe);
        },
        second() {
          say('second');
        },
      },
    });
    await run();
    expect(log).toEqual(['other session: ERR_POE_INVALID_ARGUMENT', 'first x']);
  });

  test('select() sets and clears both modes; no expedite; handlers only', async () => {
    const { kernel, log, say, run } = makeKernel();
    const pipe = new PassThrough();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          say(`select -> ${select(ctx.kernel, pipe, undefined, 'out')}`);
          try {
            select(ctx.kernel, pipe, 'in', 'out', 'urgent' as never);
          } catch (err) {
            say(`expedite: ${(err as PoeError).code}`);
          }
        },
        out(ctx, _fh, mode) {
          say(`out mode=${String(mode)}`);
          say(`clear -> ${select(ctx.kernel, pipe)}`);
          say(`resume unwatched -> ${selectResumeRead(ctx.kernel, pipe)}`);
        },
      },
    });
    await run();
    expect(log).toEqual(['select -> 0', 'expedite: ERR_POE_INVALID_ARGUMENT', 'out mode=1', 'clear -> 0', 'resume unwatched -> 0']);
    expect(() => selectRead(kernel, pipe, 'x')).toThrow(expect.objectContaining({ code: 'ERR_POE_KERNEL_NOT_IN_SESSION' }) as Error);
    expectNoLeaks(kernel);
  });

  test('a session stopped while watching drops its watchers', async () => {
    const { kernel, log, say, run } = makeKernel();
    const pipe = new PassThrough();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          selectRead(ctx.kernel, pipe, 'readable');
          ctx.kernel.yield('quit');
        },
        quit(ctx) {
          ctx.kernel.stop();
        },
        readable() {
          say('readable');
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await run();
    pipe.write('late');
    await settle();
    expect(log).toEqual(['_stop']);
    expect(pipe.listenerCount('readable')).toBe(0);
  });
});

describe('as kernel methods, as POE writes them', () => {
  test('ctx.kernel.select_read / select_pause_read / ... are the same watchers as the functions, for the active session', async () => {
    const { kernel, log, say, run } = makeKernel();
    const pipe = new PassThrough();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          say(`select_read -> ${ctx.kernel.select_read(pipe, 'readable', 'extra')}`);
          say(`select_pause_read -> ${ctx.kernel.select_pause_read(pipe)}`);
          pipe.write('held while paused');
          ctx.kernel.yield('resume');
        },
        resume(ctx) {
          say(`selectResumeRead -> ${ctx.kernel.selectResumeRead(pipe)}`);
        },
        readable(ctx, fh, mode, extra) {
          const chunk = (fh as PassThrough).read() as Buffer | null;
          say(`readable mode ${String(mode)} ${String(extra)}: ${chunk === null ? 'null' : chunk.toString()}`);
          // The same watcher through the function form: removing it here removes it there.
          selectRead(ctx.kernel, pipe);
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await run();
    expect(log).toEqual([
      'select_read -> 0',
      'select_pause_read -> 1',
      'selectResumeRead -> 1',
      'readable mode 0 extra: held while paused',
      '_stop',
    ]);
    expect(kernel.select_read).toBe(kernel.selectRead);
    expect(kernel.select_write).toBe(kernel.selectWrite);
    expect(typeof kernel.select).toBe('function');
  });
});

describe('write readiness is polled with input, as POE polls select() every timeslice', () => {
  // POE's examples/selects.perl: a chargen server writes one line per write-ready event and a
  // client in the same process reads. POE's client reads six lines at its first read. A write
  // watcher that fired again as a zero-delay kernel event kept writing, slice after slice,
  // until Node's buffer asked for 'drain' (over 200 lines) before the reader was polled at all.
  test('a reader on the same loop is served within a few of a busy writer\'s writes', async () => {
    const { kernel, say, log, run } = realKernel();
    const [server, client] = await tcpPair();
    let writes = 0;
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          selectWrite(ctx.kernel, server, 'write');
          selectRead(ctx.kernel, client, 'read');
        },
        write() {
          writes++;
          server.write(`${'x'.repeat(72)}\r\n`);
        },
        read(ctx) {
          while (client.read() !== null);
          say(writes < 20 ? 'first read within 20 writes' : `first read after ${writes} writes`);
          select(ctx.kernel, server);
          selectRead(ctx.kernel, client);
          server.destroy();
          client.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual(['first read within 20 writes']);
  });
});
