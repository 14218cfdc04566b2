/**
 * Stackable filter (spec 3.5; POE t/10_units/05_filters/50_stackable.t; gotcha G34).
 */
import { describe, expect, test } from 'vitest';
import { Block, Grep, Line, Map as MapFilter, PoeArgumentError, RecordBlock, Stackable, Stream } from '../../src/index.js';
import { filterConformance } from './harness.js';

const lineMap = () =>
  new Stackable({
    filters: [new Line({ literal: '\n' }), new MapFilter<string, string>({ get: (s) => `<${s}>`, put: (s) => s.slice(1, -1) })],
  });

filterConformance('Stackable', [
  {
    name: 'Line + Map (probe 17)',
    make: lineMap,
    input: 'a\nb\n\nc\n',
    expected: ['<a>', '<b>', '<>', '<c>'],
    roundTrip: ['<x>', '<y>'],
    partial: { input: 'ab', pending: ['ab'], rest: 'c\n', records: ['<abc>'] },
    emptyPending: [],
  },
  {
    name: 'Block + Line + Grep + RecordBlock',
    make: () =>
      new Stackable({
        filters: [new Block(), new Line({ literal: ';' }), new Grep({ code: (s) => s !== 'drop' }), new RecordBlock({ blockSize: 2 })],
      }),
    input: '4\0a;b;7\0drop;c;4\0d;e;',
    expected: [
      ['a', 'b'],
      ['c', 'd'],
    ],
    roundTrip: [['p', 'q']],
    pendingAfterInput: ['2\0e;'],
    emptyPending: [],
  },
  {
    name: 'Stream alone',
    make: () => new Stackable({ filters: [new Stream()] }),
    input: 'abc',
    expected: ['abc'],
    roundTrip: ['xy'],
    normalize: (r) => (r as Buffer[]).map(String).join(''),
    emptyPending: [],
  },
]);

describe('Stackable', () => {
  test('probe 17: get through both filters, put in reverse', () => {
    const st = new Stackable({ filters: [new Line({ literal: '\n' }), new MapFilter({ code: (s) => `<${String(s)}>` })] });
    expect(st.get(['a\nb\n'])).toEqual(['<a>', '<b>']);
    expect(st.put(['z']).map(String)).toEqual(['<z>\n']);
  });

  test('G34: getPending is [] when empty, not undefined', () => {
    expect(new Stackable().getPending()).toEqual([]);
    expect(lineMap().getPending()).toEqual([]);
  });

  test('getPending returns all unparsed data as raw chunks', () => {
    // Map holds "b" and "x" (records between the filters), Line holds "c".
    const line = new Line({ literal: '\n' });
    const map = new MapFilter<string, string>({ code: (s) => s });
    const st = new Stackable({ filters: [line, map] });
    map.getOneStart(['b', 'x']);
    line.getOneStart(['c']);
    expect(st.getPending()?.map(String)).toEqual(['b\n', 'x\n', 'c']);
    // Handed to a fresh stack, as a wheel does when switching filters, nothing is lost.
    expect(lineMap().get([...st.getPending(), '\n'])).toEqual(['<b>', '<x>', '<c>']);
  });

  test('a Map list that ends one pass early does not end the stack\'s get (POE\'s loop goes round)', () => {
    const st = new Stackable({
      filters: [new Line({ literal: '\n' }), new MapFilter<string, string>({ get: (s) => (s === 'skip' ? MapFilter.list() : s), put: (s) => s })],
    });
    expect(st.get(['a\nskip\nb\nc'])).toEqual(['a', 'b']);
    expect(st.getPending()?.map(String)).toEqual(['c']);
  });

  test('put stops early when a filter returns nothing', () => {
    const st = new Stackable({ filters: [new Line({ literal: '\n' }), new Grep({ code: () => false })] });
    expect(st.put(['x'])).toEqual([]);
  });

  test('filterTypes, filters, push, pop, shift, unshift', () => {
    const st = new Stackable();
    expect(st.filterTypes()).toEqual([]);
    expect(st.push(new Line({ literal: '\n' }))).toBe(1);
    expect(st.unshift(new Block({ blockSize: 2 }))).toBe(2);
    st.push(new MapFilter<string, string>({ code: (s) => s.toUpperCase() }));
    expect(st.filterTypes()).toEqual(['Block', 'Line', 'Map']);
    expect(st.filter_types()).toEqual(['Block', 'Line', 'Map']);
    expect(st.filters().map((f) => f.constructor.name)).toEqual(['Block', 'Line', 'Map']);
    expect(st.get(['a\nb\nc'])).toEqual(['A', 'B']);
    expect(() => st.push({} as never)).toThrow(PoeArgumentError);
    expect(() => st.unshift(null as never)).toThrow(/Expected filter 0 to be a filter/);
  });

  test('shift hands the removed first filter\'s pending bytes to the new first filter', () => {
    const st = new Stackable({ filters: [new Stream(), new Line({ literal: '\n' })] });
    st.getOneStart(['ab\ncd']);
    const removed = st.shift();
    expect(removed).toBeInstanceOf(Stream);
    expect(st.get(['\n'])).toEqual(['ab', 'cd']);
  });

  test('pop makes the removed last filter\'s pending records the next records get returns', () => {
    const map = new MapFilter<string, string>({ code: (s) => s.toUpperCase() });
    const st = new Stackable({ filters: [new Line({ literal: '\n' }), map] });
    map.getOneStart(['x', 'y']);
    expect(st.pop()).toBe(map);
    expect(st.get(['z\n'])).toEqual(['x', 'y', 'z']);
    expect(st.pop()).toBeInstanceOf(Line);
    expect(st.pop()).toBeUndefined();
    expect(st.shift()).toBeUndefined();
  });

  test('an empty stack passes records through', () => {
    const st = new Stackable();
    expect(st.get(['a', 'b'])).toEqual(['a', 'b']);
    expect(st.put(['c'])).toEqual(['c']);
  });

  test('clone deep-clones every filter', () => {
    const st = lineMap();
    st.getOneStart(['partial']);
    const copy = st.clone();
    expect(copy.filters()[0]).not.toBe(st.filters()[0]);
    expect(copy.getPending()).toEqual([]);
    expect(copy.get(['x\n'])).toEqual(['<x>']);
  });

  test('options', () => {
    expect(() => new Stackable({ Filters: [] } as never)).toThrow('Unknown Stackable option `Filters`; did you mean `filters`?');
    expect(() => new Stackable({ filters: 'x' } as never)).toThrow('Expected `filters` to be an array of filters, got `"x"` (string)');
    expect(() => new Stackable({ filters: [new Line(), 5] } as never)).toThrow(/Expected filter 1 to be a filter/);
  });
});
