/**
 * Block filter (spec 3.3; POE t/10_units/05_filters/01_block.t).
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Block, FilterLimitError, PoeArgumentError, PoeError } from '../../src/index.js';
import type { LengthCodec } from '../../src/index.js';
import { filterConformance } from './harness.js';

/** A 2-byte big-endian length header. */
const u16: LengthCodec = {
  encode: (data) => Buffer.concat([Buffer.from([data.length >> 8, data.length & 0xff]), data]),
  decode: (buffer) => (buffer.length < 2 ? undefined : { length: buffer.readUInt16BE(0), headerLength: 2 }),
};

filterConformance('Block', [
  {
    name: 'blockSize 3',
    make: () => new Block({ blockSize: 3 }),
    input: 'abcdefghi',
    expected: ['abc', 'def', 'ghi'],
    roundTrip: ['xyz', '\0\r\n'],
    partial: { input: 'ab', pending: ['ab'], rest: 'c', records: ['abc'] },
  },
  {
    name: 'blockSize 3 with a remainder',
    make: () => new Block({ blockSize: 3 }),
    input: 'abcdefgh',
    expected: ['abc', 'def'],
    roundTrip: ['123456'],
    roundTripExpected: ['123', '456'],
    pendingAfterInput: ['gh'],
  },
  {
    name: 'length-prefixed (default)',
    make: () => new Block(),
    input: '5\0hello0\0\x33\0\xff\0\r12\0abcdefghijkl',
    expected: ['hello', '', '\xff\0\r', 'abcdefghijkl'],
    roundTrip: ['hello', '', Buffer.from([0, 0xff]), 'x'.repeat(300)],
    partial: { input: '5\0hel', pending: ['5\0hel'], rest: 'lo', records: ['hello'] },
  },
  {
    name: 'length-prefixed, header split',
    make: () => new Block(),
    input: '10\0abcdefghij',
    expected: ['abcdefghij'],
    roundTrip: ['a'],
    partial: { input: '1', pending: ['1'], rest: '0\0abcdefghij', records: ['abcdefghij'] },
  },
  {
    name: 'custom lengthCodec',
    make: () => new Block({ lengthCodec: u16 }),
    input: Buffer.from([0, 2, 0x61, 0x62, 0, 0, 0, 1, 0x63]),
    expected: ['ab', '', 'c'],
    roundTrip: ['x'.repeat(1000), 'y'],
    partial: { input: Buffer.from([0, 3, 0x61]), pending: [Buffer.from([0, 3, 0x61])], rest: 'bc', records: ['abc'] },
  },
]);

describe('Block', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('probe 17: fixed put concatenates into ONE chunk; length-prefixed put frames each record', () => {
    const b = new Block({ blockSize: 3 });
    expect(b.get(['abcdefgh']).map(String)).toEqual(['abc', 'def']);
    expect(b.getPending()?.map(String)).toEqual(['gh']);
    expect(b.put(['ab', 'cdef']).map(String)).toEqual(['abcdef']);
    const bl = new Block();
    expect(bl.put(['hello', '']).map(String)).toEqual(['5\0hello', '0\0']);
    expect(bl.get(['5\0hel', 'lo3\0ab']).map(String)).toEqual(['hello']);
    expect(bl.getPending()?.map(String)).toEqual(['3\0ab']);
  });

  test('records are Buffers', () => {
    const out = new Block().get([Buffer.from('2\0\xff\xfe', 'latin1')]);
    expect(Buffer.isBuffer(out[0])).toBe(true);
    expect([...(out[0] as Buffer)]).toEqual([0xff, 0xfe]);
  });

  test('junk before a header is dropped with a warning, and parsing carries on', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const b = new Block();
    expect(b.get(['xx2\0ab']).map(String)).toEqual(['ab']);
    expect(warn).toHaveBeenCalledWith('Block: 2 strange bytes removed from stream', { code: 'POE_FILTER_JUNK' });
    // Digits followed by something other than NUL are junk too (POE would stall forever).
    expect(b.get(['12x1\0c']).map(String)).toEqual(['c']);
    expect(warn).toHaveBeenCalledTimes(3);
  });

  test('a header over maxLength throws before the body is buffered; the body is skipped', () => {
    const b = new Block({ maxLength: 10 });
    let err: unknown;
    try {
      b.get(['11\0abc']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterLimitError);
    expect(err).toMatchObject({ code: 'ERR_POE_FILTER_LIMIT', limit: 'maxLength', size: 11, max: 10 });
    expect(b.getPending()).toBeUndefined();
    // The other 8 body bytes are skipped as they arrive; the next frame parses.
    expect(b.get(['defgh', 'ijk2\0ok']).map(String)).toEqual(['ok']);
  });

  test('an endless digit run is reported as soon as it exceeds maxLength\'s digits', () => {
    const b = new Block({ maxLength: 99 });
    expect(b.get(['99'])).toEqual([]);
    expect(() => b.get(['999'])).toThrow(FilterLimitError);
  });

  test('the default maxLength is 64 MiB', () => {
    expect(new Block().maxLength).toBe(64 * 1024 * 1024);
    expect(() => new Block().get([`${64 * 1024 * 1024 + 1}\0`])).toThrow(FilterLimitError);
    expect(new Block().get([`${64 * 1024 * 1024}\0`])).toEqual([]);
  });

  test('maxBuffer', () => {
    const b = new Block({ blockSize: 100, maxBuffer: 150 });
    b.getOneStart(['x'.repeat(150)]);
    expect(() => b.getOneStart(['y'])).toThrow(expect.objectContaining({ limit: 'maxBuffer', size: 151, max: 150 }));
  });

  test('options', () => {
    expect(() => new Block({ blockSize: 0 })).toThrow('Expected `blockSize` to be a positive integer, got `0` (number)');
    expect(() => new Block({ BlockSize: 4 } as never)).toThrow('Unknown Block option `BlockSize`; did you mean `blockSize`?');
    expect(() => new Block({ blockSize: 4, maxLength: 5 })).toThrow('Block: `blockSize` and `maxLength` cannot be used together');
    expect(() => new Block({ blockSize: 4, lengthCodec: u16 })).toThrow('Block: `blockSize` and `lengthCodec` cannot be used together');
    expect(() => new Block({ lengthCodec: [() => '', () => 1] as never })).toThrow(PoeArgumentError);
    expect(() => new Block({ maxLength: 100, maxBuffer: 100 })).toThrow(/`maxBuffer` \(100\) must hold a `maxLength` \(100\) record/);
    expect(new Block({ maxLength: 100, maxBuffer: 104 }).maxBuffer).toBe(104);
  });

  test('a lengthCodec returning nonsense is a bad-data error', () => {
    const b = new Block({ lengthCodec: { encode: (d) => d, decode: () => ({ length: -1, headerLength: 1 }) } });
    expect(() => b.get(['x'])).toThrow(expect.objectContaining({ code: 'ERR_POE_FILTER_BAD_DATA' }));
    const c = new Block({ lengthCodec: { encode: (d) => d, decode: () => ({ skip: 0 }) } });
    expect(() => c.get(['x'])).toThrow(PoeError);
  });

  test('a lengthCodec decoder is not called again until more bytes arrive', () => {
    const decode = vi.fn(u16.decode);
    const b = new Block({ lengthCodec: { encode: u16.encode, decode } });
    b.get([Buffer.from([0])]);
    b.getOne();
    b.getOne();
    expect(decode).toHaveBeenCalledTimes(1);
  });
});
