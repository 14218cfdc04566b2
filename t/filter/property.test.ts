/**
 * Property tests (fast-check): random records, `put`, then the bytes cut at random places and
 * fed one chunk per `get`, give the records back, for every framing filter.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Block, Line, RecordBlock, Reference, Stackable, Stream } from '../../src/index.js';
import type { Filter, LengthCodec } from '../../src/index.js';

const RUNS = 200;

/** Cuts `bytes` into chunks whose sizes cycle through `sizes`. */
function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = sizes.length === 0 ? bytes.length : (sizes[k++ % sizes.length] as number);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 12 });

/** put(records) on one filter, then the bytes cut by `sizes` through a fresh one. */
function roundTrip(make: () => Filter, records: readonly unknown[], sizes: readonly number[]): unknown[] {
  // Chunks as a driver writes them: strings as UTF-8.
  const bytes = Buffer.concat(make().put(records).map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : (c as Buffer))));
  const f = make();
  const out: unknown[] = [];
  for (const chunk of cut(bytes, sizes)) out.push(...f.get([chunk]));
  expect(f.getPending() ?? []).toEqual([]);
  return out;
}

const text = (exclude: RegExp) => fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(exclude, ''));
const bytesWithout = (...excluded: number[]) =>
  fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a.filter((b) => !excluded.includes(b))));

const u16: LengthCodec = {
  encode: (data) => Buffer.concat([Buffer.from([data.length >> 8, data.length & 0xff]), data]),
  decode: (buffer) => (buffer.length < 2 ? undefined : { length: buffer.readUInt16BE(0), headerLength: 2 }),
};

describe('round trips through random chunkings', () => {
  const lineCases: [string, () => Filter, fc.Arbitrary<unknown[]>][] = [
    ['Line default', () => new Line(), fc.array(text(/[\r\n]/g))],
    ['Line literal "<EOL>"', () => new Line({ literal: '<EOL>' }), fc.array(fc.string({ maxLength: 20 }).map((s) => s.split('<EOL>').join('')))],
    ['Line autodetect (CRLF out)', () => new Line({ inputLiteral: '' }), fc.array(text(/[\r\n]/g))],
    ['Line autodetect (CR out)', () => new Line({ inputLiteral: '', outputLiteral: '\r' }), fc.array(text(/[\r\n]/g))],
    ['Line regexp', () => new Line({ inputRegexp: /\r?\n|;;/, outputLiteral: ';;' }), fc.array(text(/[\r\n;]/g))],
    ['Line Buffer records', () => new Line({ encoding: null }), fc.array(bytesWithout(0x0a, 0x0d))],
  ];
  for (const [name, make, records] of lineCases) {
    test(name, () => {
      fc.assert(
        fc.property(records, chunkSizes, (recs, sizes) => {
          const back = roundTrip(make, recs, sizes);
          expect(back.map((r) => (Buffer.isBuffer(r) ? r.toString('latin1') : r))).toEqual(
            recs.map((r) => (Buffer.isBuffer(r) ? r.toString('latin1') : r)),
          );
        }),
        { numRuns: RUNS },
      );
    });
  }

  test('Block length-prefixed, default and custom codec', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 })), chunkSizes, fc.boolean(), (recs, sizes, custom) => {
        const make = () => (custom ? new Block({ lengthCodec: u16 }) : new Block());
        const back = roundTrip(make, recs.map((r) => Buffer.from(r)), sizes) as Buffer[];
        expect(back.map((b) => [...b])).toEqual(recs.map((r) => [...r]));
      }),
      { numRuns: RUNS },
    );
  });

  test('Block fixed size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.nat({ max: 20 }), chunkSizes, (size, count, sizes) => {
        const recs = Array.from({ length: count }, (_, i) => Buffer.alloc(size, i));
        const back = roundTrip(() => new Block({ blockSize: size }), recs, sizes) as Buffer[];
        expect(back).toEqual(recs);
      }),
      { numRuns: RUNS },
    );
  });

  test('Reference JSON', () => {
    const records = fc.array(fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 })), { maxLength: 10 });
    fc.assert(
      fc.property(records, chunkSizes, (recs, sizes) => {
        const back = roundTrip(() => new Reference(), recs, sizes);
        // JSON turns -0 into 0; compare what JSON itself would give back.
        expect(back).toEqual(JSON.parse(JSON.stringify(recs)));
      }),
      { numRuns: RUNS },
    );
  });

  test('Reference v8', () => {
    const records = fc.array(fc.object({ maxDepth: 2 }), { maxLength: 8 });
    fc.assert(
      fc.property(records, chunkSizes, (recs, sizes) => {
        expect(roundTrip(() => new Reference({ serializer: 'v8' }), recs, sizes)).toEqual(recs);
      }),
      { numRuns: RUNS },
    );
  });

  test('Stream: the concatenation survives', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 })), chunkSizes, (recs, sizes) => {
        const back = roundTrip(() => new Stream(), recs.map((r) => Buffer.from(r)), sizes) as Buffer[];
        expect([...Buffer.concat(back)]).toEqual([...Buffer.concat(recs.map((r) => Buffer.from(r)))]);
      }),
      { numRuns: RUNS },
    );
  });

  test('Stackable Block + Line', () => {
    fc.assert(
      fc.property(fc.array(text(/[\r\n]/g), { maxLength: 15 }), chunkSizes, (recs, sizes) => {
        const make = () => new Stackable({ filters: [new Block(), new Line({ literal: '\n' })] });
        expect(roundTrip(make, recs, sizes)).toEqual(recs);
      }),
      { numRuns: RUNS },
    );
  });

  test('RecordBlock: random records in random groups', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.anything(), { maxLength: 30 }), chunkSizes, (size, items, sizes) => {
        const rb = new RecordBlock({ blockSize: size });
        const out: unknown[][] = [];
        let i = 0;
        let k = 0;
        while (i < items.length) {
          const n = sizes.length === 0 ? items.length : (sizes[k++ % sizes.length] as number);
          out.push(...rb.get(items.slice(i, i + n)));
          i += n;
        }
        const whole = Math.floor(items.length / size) * size;
        expect(out.flat()).toEqual(items.slice(0, whole));
        expect(out.every((g) => g.length === size)).toBe(true);
        expect(rb.getPending() ?? []).toEqual(items.slice(whole));
        expect(rb.put(out)).toEqual(items.slice(0, whole));
      }),
      { numRuns: RUNS },
    );
  });
});
