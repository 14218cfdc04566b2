/**
 * RecordBlock filter (spec 3.6; POE t/10_units/05_filters/06_recordblock.t).
 */
import { describe, expect, test } from 'vitest';
import { PoeArgumentError, RecordBlock } from '../../src/index.js';
import { filterConformance } from './harness.js';

filterConformance('RecordBlock', [
  {
    name: 'blockSize 2',
    make: () => new RecordBlock({ blockSize: 2 }),
    input: [1, 2, 3, 4, 5, 6],
    expected: [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
    roundTrip: [['a', 'b'], ['c', 'd']],
    roundTripExpected: [['a', 'b'], ['c', 'd']],
    partial: { input: ['x'], pending: ['x'], rest: ['y'], records: [['x', 'y']] },
  },
  {
    name: 'blockSize 3 with a remainder',
    make: () => new RecordBlock({ blockSize: 3 }),
    input: ['a', 'b', 'c', 'd'],
    expected: [['a', 'b', 'c']],
    roundTrip: [[1, 2, 3]],
    pendingAfterInput: ['d'],
  },
]);

describe('RecordBlock', () => {
  test('probe 17: get groups, put flattens', () => {
    const rb = new RecordBlock({ blockSize: 2 });
    expect(rb.get([1, 2, 3, 4, 5])).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(rb.getPending()).toEqual([5]);
    expect(rb.put([['a', 'b'], ['c']])).toEqual(['a', 'b', 'c']);
    expect(rb.putPending()).toBeUndefined();
  });

  test('checkPut holds back an incomplete group', () => {
    const rb = new RecordBlock<string>({ blockSize: 2, checkPut: true });
    expect(rb.put([['a', 'b'], ['c']])).toEqual(['a', 'b']);
    expect(rb.putPending()).toEqual(['c']);
    expect(rb.put_pending()).toEqual(['c']);
    expect(rb.put([['d', 'e']])).toEqual(['c', 'd', 'e'].slice(0, 2));
    expect(rb.putPending()).toEqual(['e']);
    // Turning checkPut off flushes what was held on the next put (as POE).
    rb.checkPut(false);
    expect(rb.put([])).toEqual(['e']);
  });

  test('blockSize() and checkPut() get and set; POE spellings too', () => {
    const rb = new RecordBlock({ blockSize: 2 });
    expect(rb.blockSize()).toBe(2);
    expect(rb.blocksize(3)).toBe(3);
    expect(rb.get([1, 2, 3])).toEqual([[1, 2, 3]]);
    expect(rb.checkput()).toBe(false);
    expect(rb.checkPut(true)).toBe(true);
    expect(() => rb.blockSize(0)).toThrow('Expected `blockSize` to be a positive integer, got `0` (number)');
    expect(rb.clone().blockSize()).toBe(3);
    expect(rb.clone().checkPut()).toBe(true);
  });

  test('options', () => {
    expect(() => new RecordBlock({} as never)).toThrow('Expected `blockSize` to be a positive integer, got `undefined` (undefined)');
    expect(() => new RecordBlock({ BlockSize: 2 } as never)).toThrow(/did you mean `blockSize`\?/);
    expect(() => new RecordBlock({ blockSize: 2, checkPut: 1 } as never)).toThrow('Expected `checkPut` to be a boolean, got `1` (number)');
    expect(() => new RecordBlock({ blockSize: 2 }).put(['ab'] as never)).toThrow(PoeArgumentError);
  });

  test('many groups from one big input stay linear (no array shifting)', () => {
    const rb = new RecordBlock({ blockSize: 1 });
    const input = Array.from({ length: 100_000 }, (_, i) => i);
    const out = rb.get(input);
    expect(out).toHaveLength(100_000);
    expect(out[99_999]).toEqual([99_999]);
  });
});
