/**
 * StreamDriver (POE's SysRW) on its own: buffered writes, flush against a full stream,
 * failures reported by flush, reads by callbacks in blocks of at most `blockSize`, and the
 * errno mapping shared by the wheels.
 */
import { once } from 'node:events';
import { constants } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { PoeArgumentError, StreamDriver, duplexPair } from '../../src/index.js';
import type { DriverReadSink } from '../../src/index.js';
import { describeIoError, errnoException } from '../../src/driver/driver.js';

const soon = (fn: () => void): void => void setImmediate(fn);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A Writable that keeps what it is given and calls back only when told to. */
function slowWritable(highWaterMark: number) {
  const written: string[] = [];
  const callbacks: ((err?: Error | null) => void)[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk.toString());
      callbacks.push(cb);
    },
  });
  const release = () => {
    for (const cb of callbacks.splice(0)) cb();
  };
  return { stream, written, release, fail: (err: Error) => callbacks.splice(0).forEach((cb) => cb(err)) };
}

/** Records what a read watch delivers. */
function recorder(): { sink: DriverReadSink; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    sink: {
      data: (chunk) => seen.push(`data ${String(chunk)}`),
      end: () => seen.push('end'),
      error: (err) => seen.push(`error ${(err as NodeJS.ErrnoException).code}`),
    },
  };
}

describe('StreamDriver: writing', () => {
  test('put queues the non-empty chunks and returns the octets queued; strings count as UTF-8', () => {
    const d = new StreamDriver();
    expect(d.put(['ab', '', Buffer.from('cde')])).toBe(5);
    expect(d.put(['é'])).toBe(7);
    expect(d.put([])).toBe(7);
    expect([d.getOutOctets(), d.getOutMessages(), d.get_out_messages_buffered()]).toEqual([7, 3, 3]);
  });

  test('put rejects what is not bytes', () => {
    const d = new StreamDriver();
    expect(() => d.put([42])).toThrow(PoeArgumentError);
    expect(() => d.put('abc' as never)).toThrow(/driver chunks to be an array/);
  });

  test('flush hands everything to a stream with room and returns 0', async () => {
    const d = new StreamDriver();
    const out = new PassThrough();
    d.put(['one ', 'two']);
    expect(d.flush(out)).toBe(0);
    expect(d.error).toBeUndefined();
    expect([d.getOutOctets(), d.getOutMessages()]).toEqual([0, 0]);
    out.end();
    const got: Buffer[] = [];
    for await (const c of out) got.push(c as Buffer);
    expect(Buffer.concat(got).toString()).toBe('one two');
  });

  test('flush stops when the stream is full and keeps the rest; more goes after its drain', async () => {
    const d = new StreamDriver();
    const { stream, written, release } = slowWritable(4);
    d.put(['aaaa', 'bbbb', 'cccc']);
    expect(d.flush(stream)).toBe(8); // 'aaaa' filled it: a full stream is not an error
    expect(d.error).toBeUndefined();
    expect(d.flush(stream)).toBe(8); // still full: nothing more goes
    const drained = once(stream, 'drain');
    release();
    await drained;
    expect(d.flush(stream)).toBe(4);
    const drainedAgain = once(stream, 'drain');
    release();
    await drainedAgain;
    expect(d.flush(stream)).toBe(0);
    release();
    expect(written).toEqual(['aaaa', 'bbbb', 'cccc']);
  });

  test('flush to a closed stream fails with EPIPE and keeps the data', () => {
    const d = new StreamDriver();
    const out = new PassThrough();
    out.destroy();
    d.put(['lost?']);
    expect(d.flush(out)).toBe(5);
    expect((d.error as NodeJS.ErrnoException).code).toBe('EPIPE');
  });

  test('flush with nothing queued is 0 and no error', () => {
    const d = new StreamDriver();
    expect(d.flush(new PassThrough())).toBe(0);
    expect(d.error).toBeUndefined();
  });

  test('a write Node accepted and that fails later reaches the write watch, and the next flush returns it', async () => {
    const d = new StreamDriver();
    const { stream, fail } = slowWritable(1024);
    const events: string[] = [];
    const watch = d.watchWrite(stream, { writable: () => events.push('writable'), error: (e) => events.push(`error ${(e as NodeJS.ErrnoException).code}`) }, soon);
    d.put(['doomed']);
    expect(d.flush(stream)).toBe(0);
    fail(errnoException('EPIPE', 'write'));
    await turn();
    expect(events).toEqual(['error EPIPE']);
    expect(d.flush(stream)).toBe(0);
    expect((d.error as NodeJS.ErrnoException).code).toBe('EPIPE');
    watch.stop();
  });
});

describe('StreamDriver: the write watch', () => {
  test('starts paused; resumed it fires at the next turn while the stream has room, level-triggered', async () => {
    const d = new StreamDriver();
    const out = new PassThrough();
    let fired = 0;
    const watch = d.watchWrite(out, { writable: () => void fired++, error: () => {} }, soon);
    await turn();
    expect([watch.paused, fired]).toEqual([true, 0]);
    watch.resume();
    expect(fired).toBe(0); // never inside resume()
    await turn();
    expect(fired).toBe(1);
    await turn();
    expect(fired).toBe(2); // still resumed, still writable
    watch.pause();
    await turn();
    await turn();
    expect(fired).toBe(2);
    watch.stop();
    watch.resume();
    await turn();
    expect(fired).toBe(2);
  });

  test('with a full stream it waits for the drain', async () => {
    const d = new StreamDriver();
    const { stream, release } = slowWritable(2);
    const fired: string[] = [];
    const watch = d.watchWrite(stream, { writable: () => fired.push(`writable ${d.flush(stream)}`), error: () => {} }, soon);
    d.put(['xx', 'yy']);
    expect(d.flush(stream)).toBe(2);
    watch.resume();
    await turn();
    await turn();
    expect(fired).toEqual([]);
    const drained = once(stream, 'drain');
    release();
    await drained;
    expect(fired).toEqual(['writable 0']);
    watch.stop();
  });
});

describe('StreamDriver: reading', () => {
  test('delivers each chunk, then end', async () => {
    const d = new StreamDriver();
    const [a, b] = duplexPair();
    const { sink, seen } = recorder();
    d.read(b, sink, soon);
    a.write('one');
    await once(b, 'data');
    a.end('two');
    await once(b, 'end');
    expect(seen).toEqual(['data one', 'data two', 'end']);
  });

  test('a chunk longer than blockSize arrives as several reads; a pause in between keeps the rest in the stream', async () => {
    const d = new StreamDriver({ blockSize: 3 });
    const [a, b] = duplexPair();
    const seen: string[] = [];
    const watch = d.read(
      b,
      {
        data: (chunk) => {
          seen.push(String(chunk));
          if (seen.length === 2) watch.pause();
        },
        end: () => seen.push('end'),
        error: () => seen.push('error'),
      },
      soon,
    );
    a.write('abcdefghij');
    await once(b, 'data');
    expect(seen).toEqual(['abc', 'def']);
    expect(b.readableLength).toBe(4);
    watch.resume();
    a.end();
    await once(b, 'end');
    expect(seen).toEqual(['abc', 'def', 'ghi', 'j', 'end']);
  });

  test('a paused watch delivers nothing even when something else resumes the stream (as child_process does at exit)', async () => {
    const d = new StreamDriver();
    const [a, b] = duplexPair();
    const { sink, seen } = recorder();
    const watch = d.read(b, sink, soon);
    watch.pause();
    a.write('held');
    a.end();
    b.resume();
    await turn();
    await turn();
    expect(seen).toEqual([]);
    expect([b.isPaused(), b.readableLength]).toEqual([true, 4]);
    watch.resume();
    await once(b, 'end');
    expect(seen).toEqual(['data held', 'end']);
  });

  test('a read error goes to the read sink', async () => {
    const d = new StreamDriver();
    const [a, b] = duplexPair();
    const { sink, seen } = recorder();
    d.read(b, sink, soon);
    const closed = new Promise((resolve) => b.once('close', resolve));
    a.vanish();
    await closed;
    expect(seen).toEqual(['error ECONNRESET']);
  });

  test('a handle destroyed under the reader reads as EOF', async () => {
    const d = new StreamDriver();
    const [, b] = duplexPair();
    const { sink, seen } = recorder();
    d.read(b, sink, soon);
    b.destroy();
    await new Promise((resolve) => b.once('close', resolve));
    expect(seen).toEqual(['end']);
  });

  test('a handle that already ended reads as EOF at the next turn', async () => {
    const d = new StreamDriver();
    const [a, b] = duplexPair();
    b.resume();
    a.end();
    await once(b, 'end');
    const { sink, seen } = recorder();
    d.read(b, sink, soon);
    expect(seen).toEqual([]);
    await turn();
    expect(seen).toEqual(['end']);
  });

  test('after stop() nothing reaches the sink and the stream is paused; its errors no longer throw', async () => {
    const d = new StreamDriver();
    const [a, b] = duplexPair();
    const { sink, seen } = recorder();
    const watch = d.read(b, sink, soon);
    watch.stop();
    a.write('unread');
    await turn();
    await turn();
    expect(seen).toEqual([]);
    expect(b.readableLength).toBe(6);
    b.destroy(errnoException('ECONNRESET', 'read'));
    await new Promise((resolve) => b.once('close', resolve));
  });

  test('on a duplex handle, a failed write is reported once, as a write error; the reader then sees EOF', async () => {
    const d = new StreamDriver();
    const [a, b] = duplexPair({ vanishAfter: 0 });
    const seen: string[] = [];
    d.read(a, { data: () => seen.push('data'), end: () => seen.push('read end'), error: (e) => seen.push(`read error ${(e as NodeJS.ErrnoException).code}`) }, soon);
    const watch = d.watchWrite(a, { writable: () => {}, error: (e) => seen.push(`write error ${(e as NodeJS.ErrnoException).code}`) }, soon);
    d.put(['x']);
    d.flush(a);
    await new Promise((resolve) => a.once('close', resolve));
    expect(seen).toEqual(['write error EPIPE', 'read end']);
    expect(b.destroyed).toBe(true);
    watch.stop();
  });

  test('rejects a bad blockSize and unknown options', () => {
    expect(() => new StreamDriver({ blockSize: 0 })).toThrow(/`blockSize` to be a positive integer/);
    expect(() => new StreamDriver({ BlockSize: 5 } as never)).toThrow(/did you mean `blockSize`/);
  });
});

describe('describeIoError: Node errors as POE errno and strerror', () => {
  test.each([
    [{ code: 'EPIPE' }, 'EPIPE', 'Broken pipe'],
    [{ code: 'ECONNRESET', errno: -104 }, 'ECONNRESET', 'Connection reset by peer'],
    [{ errno: -constants.errno.ETIMEDOUT }, 'ETIMEDOUT', 'Connection timed out'],
    [{ code: 'ERR_STREAM_DESTROYED' }, 'EPIPE', 'Broken pipe'],
    [{ code: 'ERR_STREAM_WRITE_AFTER_END' }, 'EPIPE', 'Broken pipe'],
    [{ code: 'ERR_STREAM_PREMATURE_CLOSE' }, 'ECONNRESET', 'Connection reset by peer'],
    [new Error('no code'), 'EIO', 'Input/output error'],
  ])('%o -> %s', (err, code, message) => {
    const info = describeIoError(err);
    expect(info).toEqual({ errno: (constants.errno as Record<string, number>)[code], code, message });
  });

  test('the fallback is the caller’s', () => {
    expect(describeIoError(undefined, 'EPIPE').code).toBe('EPIPE');
  });
});
