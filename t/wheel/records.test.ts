/**
 * records(): a filter over a stream as an async iterator (issue 10). Every chunking gives the
 * same records; an unfinished last record stays pending; limits, stream errors and aborts end
 * the loop by throwing; leaving the loop destroys the stream.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { Block, FilterLimitError, Line, records } from '../../src/index.js';

async function collect<R>(iterable: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

describe('records()', () => {
  test('lines of a stream, whatever the chunking; the unfinished last one stays in the filter', async () => {
    const input = Buffer.from('alpha\nbeta\r\ngamma\ndelta');
    for (let size = 1; size <= input.length; size++) {
      const stream = new PassThrough();
      const filter = new Line();
      const got = collect(records(stream, filter));
      for (let i = 0; i < input.length; i += size) stream.write(input.subarray(i, i + size));
      stream.end();
      expect(await got).toEqual(['alpha', 'beta', 'gamma']);
      expect(filter.getPending()?.map(String)).toEqual(['delta']);
    }
  });

  test('any filter: fixed-size blocks as Buffers', async () => {
    const stream = new PassThrough();
    stream.end(Buffer.from('abcdefgh'));
    expect((await collect(records<Buffer>(stream, new Block({ blockSize: 3 })))).map(String)).toEqual(['abc', 'def']);
  });

  test('a record over the filter limit ends the loop with FilterLimitError', async () => {
    const stream = new PassThrough();
    stream.end('ok\nmuch too long\n');
    const seen: string[] = [];
    const err: unknown = await (async () => {
      for await (const line of records(stream, new Line({ maxLength: 8 }))) seen.push(line);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FilterLimitError);
    expect(seen).toEqual(['ok']);
    expect(stream.destroyed).toBe(true);
  });

  test('leaving the loop destroys the stream; a stream error and an abort end it by throwing', async () => {
    const stream = new PassThrough();
    stream.write('one\ntwo\n');
    for await (const line of records(stream)) {
      expect(line).toBe('one');
      break;
    }
    expect(stream.destroyed).toBe(true);

    const failing = new PassThrough();
    failing.write('a\n');
    const failed = collect(records(failing));
    failing.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await expect(failed).rejects.toMatchObject({ code: 'ECONNRESET' });

    const controller = new AbortController();
    const open = new PassThrough();
    open.write('x\n');
    const seen: string[] = [];
    const aborted = (async () => {
      for await (const line of records(open, new Line(), { signal: controller.signal })) {
        seen.push(line);
        controller.abort();
      }
    })();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['x']);
    expect(open.destroyed).toBe(true);
  });

  test('bad arguments are refused with the argument named', async () => {
    await expect(records({} as never).next()).rejects.toMatchObject({ code: 'ERR_POE_INVALID_ARGUMENT', message: expect.stringContaining('`records` stream') });
    await expect(records(new PassThrough(), {} as never).next()).rejects.toMatchObject({ message: expect.stringContaining('`records` filter') });
    await expect(records(new PassThrough(), new Line(), { signal: 1 } as never).next()).rejects.toMatchObject({ message: expect.stringContaining('`signal`') });
  });
});
