/**
 * Grep filter (spec 3.4; POE t/10_units/05_filters/02_grep.t).
 */
import { describe, expect, test } from 'vitest';
import { Grep, PoeArgumentError } from '../../src/index.js';
import { filterConformance } from './harness.js';

const keep = (r: unknown) => String(r).includes('keep');

filterConformance('Grep', [
  {
    name: 'code both ways',
    make: () => new Grep({ code: keep }),
    input: ['keep1', 'drop', 'keep2', 'drop', 'drop', 'keep3'],
    expected: ['keep1', 'keep2', 'keep3'],
    roundTrip: ['keep a', 'nope', 'keep b'],
    roundTripExpected: ['keep a', 'keep b'],
  },
  {
    name: 'get and put',
    make: () => new Grep<number>({ get: (n) => n % 2 === 0, put: (n) => n > 0 }),
    input: [1, 2, 3, 4, 5, 6],
    expected: [2, 4, 6],
    roundTrip: [-2, 2, 3, 4],
    roundTripExpected: [2, 4],
  },
]);

describe('Grep', () => {
  test('probe 17', () => {
    expect(new Grep({ code: keep }).get(['keep1', 'drop', 'keep2'])).toEqual(['keep1', 'keep2']);
  });

  test('getOne skips rejected records; getPending holds the unexamined ones', () => {
    const g = new Grep({ code: keep });
    g.getOneStart(['drop', 'keep1', 'drop', 'keep2']);
    expect(g.getOne()).toEqual(['keep1']);
    expect(g.getPending()).toEqual(['drop', 'keep2']);
    expect(g.getOne()).toEqual(['keep2']);
    expect(g.getOne()).toEqual([]);
    expect(g.getPending()).toBeUndefined();
  });

  test('modify replaces code, get or put', () => {
    const g = new Grep<string>({ code: keep });
    g.modify({ get: (r) => r.startsWith('a') });
    expect(g.get(['ab', 'keep'])).toEqual(['ab']);
    expect(g.put(['ab', 'keep'])).toEqual(['keep']);
    g.modify({ code: () => true });
    expect(g.put(['x'])).toEqual(['x']);
    expect(() => g.modify({ Code: keep } as never)).toThrow(/did you mean `code`\?/);
    expect(() => g.modify({ put: 'x' } as never)).toThrow('Expected Grep `put` to be a function, got `"x"` (string)');
  });

  test('options', () => {
    expect(() => new Grep({} as never)).toThrow('Grep requires `code`, or both `get` and `put`');
    expect(() => new Grep({ get: keep } as never)).toThrow(PoeArgumentError);
    expect(() => new Grep({ code: 5 } as never)).toThrow('Expected Grep `code` to be a function, got `5` (number)');
    expect(() => new Grep({ code: keep, get: keep } as never)).toThrow(/cannot be combined/);
    expect(() => new Grep({ Code: keep } as never)).toThrow('Unknown Grep option `Code`; did you mean `code`?');
  });
});
