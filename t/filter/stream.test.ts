/**
 * Stream filter (spec 3.2; POE t/10_units/05_filters/08_stream.t).
 */
import { describe, expect, test } from 'vitest';
import { PoeArgumentError, Stream } from '../../src/index.js';
import { filterConformance, plain } from './harness.js';

// Stream's records depend on the chunking by design; their concatenation does not.
const joined = (records: readonly unknown[]): unknown => (plain(records) as string[]).join('');

filterConformance('Stream', [
  {
    name: 'bytes pass through',
    make: () => new Stream(),
    input: 'abc\r\n\0\xffdef',
    expected: ['abc\r\n\0\xffdef'],
    roundTrip: ['x', 'y', Buffer.from([0, 1, 2])],
    normalize: joined,
  },
]);

describe('Stream', () => {
  test('get returns the whole buffer as one Buffer record', () => {
    const s = new Stream();
    const out = s.get(['ab', Buffer.from('cd')]);
    expect(out).toHaveLength(1);
    expect(Buffer.isBuffer(out[0])).toBe(true);
    expect(String(out[0])).toBe('abcd');
    expect(s.get([])).toEqual([]);
    expect(s.getPending()).toBeUndefined();
  });

  test('put returns one Buffer per record, copied', () => {
    const record = Buffer.from('x');
    const out = new Stream().put([record, 'y']);
    expect(out.map(String)).toEqual(['x', 'y']);
    expect(out[0]).not.toBe(record);
  });

  test('getPending holds the buffered data without clearing it', () => {
    const s = new Stream();
    s.getOneStart(['ab', 'cd']);
    expect(s.getPending()?.map(String)).toEqual(['abcd']);
    expect(s.getPending()?.map(String)).toEqual(['abcd']);
    expect(s.getOne().map(String)).toEqual(['abcd']);
    expect(s.getPending()).toBeUndefined();
  });

  test('options: none exist', () => {
    expect(() => new Stream({ Foo: 1 } as never)).toThrow(PoeArgumentError);
    expect(() => new Stream({})).not.toThrow();
  });
});
