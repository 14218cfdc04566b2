/**
 * duplexPair(): the in-memory socketpair the wheel tests run on. A shipped test double is
 * tested like the rest: ordering and timing, chunking, backpressure, half-close, close, and
 * the two simulated failures.
 */
import { once } from 'node:events';
import { constants } from 'node:os';
import { describe, expect, test } from 'vitest';
import { PoeArgumentError, duplexPair } from '../../src/index.js';
import { streamPairs } from '../kit/index.js';

/** Resolves with every chunk `stream` emits until its 'end'. */
function collect(stream: NodeJS.ReadableStream): Promise<string[]> {
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return once(stream, 'end').then(() => chunks);
}

describe('duplexPair', () => {
  test('bytes written at one end arrive at the other in order, at a later turn, both ways', async () => {
    const [a, b] = duplexPair();
    const fromA = collect(b);
    const fromB = collect(a);
    let delivered = false;
    b.once('data', () => (delivered = true));
    a.write('one ');
    a.write('two');
    expect(delivered).toBe(false); // never inside the writer's call
    b.write('back');
    a.end();
    b.end();
    expect((await fromA).join('')).toBe('one two');
    expect(await fromB).toEqual(['back']);
  });

  test('one corked batch (one writev) arrives as one chunk, as one socket read would return it', async () => {
    const [a, b] = duplexPair();
    const got = collect(b);
    a.cork();
    a.write('x\n');
    a.write('y\n');
    a.write('z\n');
    a.uncork();
    a.end();
    expect(await got).toEqual(['x\ny\nz\n']);
  });

  test('backpressure: a reader that does not read stops the writer, and reading lets it drain', async () => {
    const [a, b] = duplexPair({ highWaterMark: 8 });
    b.pause();
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) results.push(a.write('12345678'));
    expect(results.at(-1)).toBe(false);
    expect(a.writableNeedDrain).toBe(true);
    // Let the pair deliver what the paused reader takes; the writer stays full.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.writableNeedDrain).toBe(true);
    expect(b.readableLength).toBeGreaterThan(0);
    const drained = once(a, 'drain');
    const got = collect(b);
    b.resume();
    await drained;
    a.end();
    expect((await got).join('')).toBe('12345678'.repeat(4));
  });

  test('end() is a half-close: the peer reads EOF and can still write back', async () => {
    const [a, b] = duplexPair();
    const atB = collect(b);
    a.end('bye');
    expect(await atB).toEqual(['bye']);
    const atA = collect(a);
    b.end('still here');
    expect(await atA).toEqual(['still here']);
  });

  // POE regression ton-stop-corruption: a reader that only watches for readiness must see
  // an EOF that came with no data. The socket pair alongside is the behaviour to match.
  test.each(streamPairs)('end() with nothing written: over %s, a reader that never reads still gets readable, then end', async (_name, makePair) => {
    const [a, b] = await makePair();
    const seen: string[] = [];
    b.on('readable', () => seen.push(`readable, ${b.readableLength} buffered`));
    const ended = once(b, 'end').then(() => seen.push('end'));
    a.end();
    await ended;
    expect(seen).toEqual(['readable, 0 buffered', 'end']);
    expect(b.read()).toBe(null);
    a.destroy();
    b.destroy();
  }, 2000);

  test('destroy() is a close: the peer reads EOF after the data, and its writes then fail with EPIPE', async () => {
    const [a, b] = duplexPair();
    const atB = collect(b);
    a.write('last words');
    a.destroy();
    expect(await atB).toEqual(['last words']);
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => b.write('anyone?', (err) => resolve(err as NodeJS.ErrnoException)));
    b.on('error', () => {});
    const err = await failed;
    expect(err.code).toBe('EPIPE');
    expect(err.errno).toBe(-constants.errno.EPIPE);
    expect(err.syscall).toBe('write');
  });

  test('vanish(): the peer is destroyed with ECONNRESET instead of reading EOF', async () => {
    const [a, b] = duplexPair();
    let ended = false;
    b.on('end', () => (ended = true));
    b.resume();
    a.on('error', () => expect.fail('the vanished end has no error of its own'));
    const failed = once(b, 'error') as Promise<[NodeJS.ErrnoException]>;
    const closed = new Promise((resolve) => b.once('close', resolve));
    a.vanish();
    const [err] = await failed;
    expect([err.code, err.errno, err.syscall]).toEqual(['ECONNRESET', -constants.errno.ECONNRESET, 'read']);
    await closed;
    expect(ended).toBe(false);
    expect(a.destroyed).toBe(true);
  });

  test('vanishAfter: the write that crosses the limit fails with EPIPE; the peer just closes', async () => {
    const [a, b] = duplexPair({ vanishAfter: 10 });
    const got: string[] = [];
    b.on('data', (c: Buffer) => got.push(c.toString()));
    b.on('error', () => expect.fail('the vanished peer has no error of its own'));
    const closed = new Promise((resolve) => b.once('close', resolve));
    const errored = once(a, 'error') as Promise<[NodeJS.ErrnoException]>;
    const write = (s: string) => new Promise<string>((resolve) => a.write(s, (err) => resolve((err as NodeJS.ErrnoException | null)?.code ?? 'ok')));
    const results = [await write('12345'), await write('67890'), await write('X')];
    const [err] = await errored;
    expect(results).toEqual(['ok', 'ok', 'EPIPE']);
    expect(err.code).toBe('EPIPE');
    await closed;
    expect(got.join('')).toBe('1234567890');
    expect(a.bytesWritten).toBe(11);
  });

  test('vanishCode sets the errno of the failing write', async () => {
    const [a] = duplexPair({ vanishAfter: 0, vanishCode: 'ECONNRESET' });
    const [err] = (await Promise.all([once(a, 'error'), new Promise((resolve) => a.write('x', resolve))]))[0] as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNRESET');
  });

  test('the peer of each end is the other end', () => {
    const [a, b] = duplexPair();
    expect(a.peer).toBe(b);
    expect(b.peer).toBe(a);
  });

  test.each([
    [{ highWaterMark: 0 }, /`highWaterMark` to be a positive integer/],
    [{ vanishAfter: -1 }, /`vanishAfter` to be a number of octets/],
    [{ vanishCode: 'pipe' }, /`vanishCode` to be an errno code/],
    [{ HighWaterMark: 4 }, /did you mean `highWaterMark`/],
  ])('rejects bad options %o', (options, message) => {
    expect(() => duplexPair(options as never)).toThrow(PoeArgumentError);
    expect(() => duplexPair(options as never)).toThrow(message);
  });
});
