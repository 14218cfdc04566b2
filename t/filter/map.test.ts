/**
 * Map filter (spec 3.4; POE t/10_units/05_filters/05_map.t; gotcha G34).
 */
import { describe, expect, test } from 'vitest';
import { Map as MapFilter, PoeArgumentError } from '../../src/index.js';
import { filterConformance } from './harness.js';

filterConformance('Map', [
  {
    name: 'get and put',
    make: () => new MapFilter<string, string>({ get: (s) => s.toUpperCase(), put: (s) => s.toLowerCase() }),
    input: ['ab', 'cd', 'ef'],
    expected: ['AB', 'CD', 'EF'],
    roundTrip: ['X', 'Y'],
    roundTripExpected: ['X', 'Y'],
  },
  {
    name: 'list results: zero or several per record',
    // The empty list ends get's loop early (POE's quirk); the harness drains with getOne.
    make: () => new MapFilter<string, string>({ code: (s) => (s === '-' ? MapFilter.list() : s.length > 1 ? MapFilter.list(...s) : s) }),
    input: ['a', '-', 'bc', '-', 'd'],
    expected: ['a', 'b', 'c', 'd'],
    roundTrip: ['xy', '-', 'z'],
    roundTripExpected: ['x', 'y', 'z'],
  },
]);

describe('Map', () => {
  test('probe 17', () => {
    const m = new MapFilter<string, string>({ get: (s) => s.toUpperCase(), put: (s) => s.toLowerCase() });
    expect(m.get(['ab'])).toEqual(['AB']);
    expect(m.put(['CD'])).toEqual(['cd']);
  });

  test('G34: an empty list ends the get loop early while records remain buffered', () => {
    const m = new MapFilter<string, string>({ code: (s) => (s === 'skip' ? MapFilter.list() : `<${s}>`) });
    expect(m.get(['a', 'skip', 'b'])).toEqual(['<a>']);
    expect(m.getPending()).toEqual(['b']);
    expect(m.get([])).toEqual(['<b>']);
  });

  test('getOne maps exactly one record and returns all its results', () => {
    const m = new MapFilter<string, string>({ code: (s) => MapFilter.list(s, s) });
    m.getOneStart(['a', 'b']);
    expect(m.getOne()).toEqual(['a', 'a']);
    expect(m.getPending()).toEqual(['b']);
  });

  test('modify', () => {
    const m = new MapFilter<string, string>({ code: (s) => s });
    m.modify({ get: (s) => `${s}!` });
    expect(m.get(['a'])).toEqual(['a!']);
    expect(m.put(['a'])).toEqual(['a']);
    m.modify({ put: (s) => `${s}?` });
    expect(m.put(['a'])).toEqual(['a?']);
    expect(() => m.modify({ Get: () => 1 } as never)).toThrow(/did you mean `get`\?/);
  });

  test('options', () => {
    expect(() => new MapFilter({} as never)).toThrow('Map requires `code`, or both `get` and `put`');
    expect(() => new MapFilter({ put: (x: unknown) => x } as never)).toThrow(PoeArgumentError);
    expect(() => new MapFilter({ Code: () => 1 } as never)).toThrow('Unknown Map option `Code`; did you mean `code`?');
  });
});
