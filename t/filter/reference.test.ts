/**
 * Reference filter (spec 3.7; POE t/10_units/05_filters/07_reference.t, 51_reference_die.t).
 */
import { describe, expect, test } from 'vitest';
import { FilterLimitError, PoeArgumentError, PoeError, Reference } from '../../src/index.js';
import type { ReferenceSerializer } from '../../src/index.js';
import { filterConformance } from './harness.js';

const frame = (body: string) => `${Buffer.byteLength(body)}\0${body}`;

/** A toy serializer: key=value pairs. */
const pairs: ReferenceSerializer = {
  freeze: (v) =>
    Object.entries(v as Record<string, string>)
      .map(([k, x]) => `${k}=${x}`)
      .join('&'),
  thaw: (d) => Object.fromEntries(d.toString().split('&').map((p) => p.split('='))),
};

filterConformance('Reference', [
  {
    name: 'JSON (default)',
    make: () => new Reference(),
    input: Buffer.from(frame('{"k":"v"}') + frame('[1,2,{"x":null}]') + frame('{"s":"\u00e9"}'), 'utf8'),
    expected: [{ k: 'v' }, [1, 2, { x: null }], { s: '\u00e9' }],
    roundTrip: [{ a: 1, b: [true, 'x\0y'] }, [], {}],
    partial: { input: '9\0{"k":', pending: ['9\0{"k":'], rest: '"v"}', records: [{ k: 'v' }] },
  },
  {
    name: 'v8 serializer',
    make: () => new Reference({ serializer: 'v8' }),
    input: Buffer.concat(new Reference({ serializer: 'v8' }).put([{ d: new Date(0), m: new Map([[1, 2]]) }, [1n]])),
    expected: [{ d: new Date(0), m: new Map([[1, 2]]) }, [1n]],
    roundTrip: [{ s: new Set([1]), u: new Uint8Array([1, 2]) }],
  },
  {
    name: 'custom serializer',
    make: () => new Reference({ serializer: pairs }),
    input: frame('a=1&b=2') + frame('c=3'),
    expected: [{ a: '1', b: '2' }, { c: '3' }],
    roundTrip: [{ x: 'y' }],
  },
]);

describe('Reference', () => {
  test('probe 17: length prefix + NUL framing, round trip', () => {
    const ref = new Reference();
    const frozen = ref.put([{ k: 'v' }]);
    expect(String(frozen[0])).toMatch(/^\d+\0/);
    expect(String(frozen[0])).toBe('9\0{"k":"v"}');
    expect(ref.get(frozen)).toEqual([{ k: 'v' }]);
  });

  test('put rejects non-objects, as POE croaks on non-references', () => {
    expect(() => new Reference().put(['x'])).toThrow('Expected a Reference record to be an object (POE: a reference), got `"x"` (string)');
    expect(() => new Reference().put([null])).toThrow(PoeArgumentError);
  });

  test('a thaw error throws a bad-data error, or with noFatals comes back as a string record', () => {
    expect(() => new Reference().get(['3\0{{{'])).toThrow(expect.objectContaining({ code: 'ERR_POE_FILTER_BAD_DATA' }));
    const r = new Reference({ noFatals: true });
    const out = r.get(['3\0{{{', frame('{"ok":1}')]);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^Reference: cannot thaw a frame: /);
    expect(out[1]).toEqual({ ok: 1 });
  });

  test('maxLength: thrown before the body is buffered, or an error record with noFatals', () => {
    expect(() => new Reference({ maxLength: 5 }).get(['6\0'])).toThrow(FilterLimitError);
    const r = new Reference({ maxLength: 6, noFatals: true });
    // The oversized body is skipped, in this get and the next, keeping the stream in sync.
    expect(r.get(['7\0{"a":'])).toEqual(['Reference: maxLength exceeded (7 > 6)']);
    expect(r.get(['1}', frame('[]')])).toEqual([[]]);
  });

  test('maxBuffer: thrown, or with noFatals an error record and the buffer dropped', () => {
    expect(() => new Reference({ maxLength: 10, maxBuffer: 20 }).get(['1'.repeat(21)])).toThrow(FilterLimitError);
    const r = new Reference({ maxLength: 10, maxBuffer: 20, noFatals: true });
    r.getOneStart(['9\0{"k":']);
    expect(r.get(['x'.repeat(20)])).toEqual(['Reference: maxBuffer exceeded (27 > 20)']);
    expect(r.getPending()).toBeUndefined();
    expect(r.get([frame('{}')])).toEqual([{}]);
  });

  test('a malformed header is a bad-data error (POE would stall)', () => {
    expect(() => new Reference().get(['x9\0{"k":"v"}'])).toThrow(PoeError);
    const r = new Reference({ noFatals: true });
    expect(r.get(['xy9\0{"k":"v"}'])).toEqual(['Reference: 2 bytes of malformed frame header removed from stream', { k: 'v' }]);
  });

  test('defaults and options', () => {
    const r = new Reference();
    expect(r.maxLength).toBe(64 * 1024 * 1024);
    expect(r.maxBuffer).toBe(512 * 1024 * 1024);
    expect(r.noFatals).toBe(false);
    expect(() => new Reference({ Serializer: 'json' } as never)).toThrow('Unknown Reference option `Serializer`; did you mean `serializer`?');
    expect(() => new Reference({ NoFatals: true } as never)).toThrow(/did you mean `noFatals`\?/);
    expect(() => new Reference({ serializer: 'Storable' } as never)).toThrow(
      "Expected `serializer` to be 'json', 'v8' or an object with freeze and thaw functions, got `\"Storable\"` (string)",
    );
    expect(() => new Reference({ noFatals: 1 } as never)).toThrow('Expected `noFatals` to be a boolean, got `1` (number)');
    expect(() => new Reference({ maxLength: 0 })).toThrow('Expected `maxLength` to be a positive integer, got `0` (number)');
    expect(() => new Reference({ Compression: 1 } as never)).toThrow(/Unknown Reference option `Compression`/);
  });

  test('clone keeps the serializer and noFatals', () => {
    const r = new Reference({ serializer: pairs, noFatals: true });
    const c = r.clone();
    expect(c.noFatals).toBe(true);
    expect(c.get(r.put([{ a: 'b' }]))).toEqual([{ a: 'b' }]);
  });
});
