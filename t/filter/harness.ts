/**
 * The one conformance harness every filter passes (STYLE habit 9; Twisted's "feed the parser
 * chunks of every size down to one byte"). Each t/filter/<name>.test.ts calls
 * `filterConformance` with cases for its filter. What it checks, per case:
 *
 * - `get(chunks)` equals `getOneStart(chunks)` then `getOne()` until it returns nothing, and
 *   POE's snake_case names are the same functions' behaviour;
 * - `clone()` has empty buffers and the same configuration (same records for the same input);
 * - `put` then `get` round-trips;
 * - the same input split at every chunk size from 1 byte (or 1 record) up, fed one chunk per
 *   `get` call, gives the same records as feeding it whole;
 * - `getPending`: nothing on a fresh filter (undefined, or [] for Stackable), the raw partial
 *   record after feeding one, unchanged by asking twice, nothing again once it is consumed.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
import type { Filter } from '../../src/index.js';

export interface ConformanceCase {
  /** Title of the case. */
  name: string;
  /** A fresh filter with the configuration under test. */
  make: () => Filter;
  /**
   * The whole input: bytes (split into byte chunks) or, for record filters, an array of items
   * (split into item chunks).
   */
  input: Buffer | string | readonly unknown[];
  /** The records `get` returns for the whole input (after `normalize`). */
  expected: readonly unknown[];
  /** Records to `put` and then `get` back. */
  roundTrip: readonly unknown[];
  /** What `get(put(roundTrip))` gives, when not `roundTrip` itself (after `normalize`). */
  roundTripExpected?: readonly unknown[];
  /**
   * Input that is only part of a record (`get` returns nothing), the pending data it leaves,
   * and the `rest` that completes it into `records` (all compared after `normalize`).
   */
  partial?: {
    input: Buffer | string | readonly unknown[];
    pending: readonly unknown[];
    rest: Buffer | string | readonly unknown[];
    records: readonly unknown[];
  };
  /** What `getPending` holds after the whole `input` (default: nothing). */
  pendingAfterInput?: readonly unknown[];
  /** Turns records or pending data into comparable values. Default: Buffers become strings. */
  normalize?: (records: readonly unknown[]) => unknown;
  /** `getPending()` of an empty filter. Default undefined (POE's undef); Stackable gives []. */
  emptyPending?: undefined | readonly unknown[];
}

/** Buffers (at any depth of arrays) become latin1 strings, so byte records compare exactly. */
export function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

const defaultNormalize = (records: readonly unknown[]): unknown => plain(records);

/** Splits bytes or items into chunks of `size`. */
export function split(input: Buffer | string | readonly unknown[], size: number): unknown[] {
  const whole = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const out: unknown[] = [];
  for (let i = 0; i < whole.length; i += size) out.push(whole.slice(i, i + size));
  return out;
}

function chunksOf(input: Buffer | string | readonly unknown[]): unknown[] {
  if (typeof input === 'string') return [Buffer.from(input, 'latin1')];
  if (Buffer.isBuffer(input)) return [input];
  return [...input];
}

/**
 * get(), then getOne() while it makes progress: Map's quirk (G34) can end a get early with
 * records still buffered, and a wheel calls get again on its next read.
 */
export function drain(filter: Filter, chunks: readonly unknown[]): unknown[] {
  const out = [...filter.get(chunks)];
  for (;;) {
    const before = plain(filter.getPending());
    const more = filter.getOne();
    if (more.length > 0) out.push(...more);
    else if (isDeepStrictEqual(before, plain(filter.getPending()))) return out;
  }
}

function concatChunks(chunks: readonly unknown[]): unknown[] {
  return chunks.every((c) => Buffer.isBuffer(c)) ? [Buffer.concat(chunks)] : [...chunks];
}

export function filterConformance(filterName: string, cases: readonly ConformanceCase[]): void {
  describe(`${filterName} conformance`, () => {
    for (const c of cases) {
      const norm = c.normalize ?? defaultNormalize;
      const empty = 'emptyPending' in c ? c.emptyPending : undefined;

      describe(c.name, () => {
        test('get(whole input) gives the expected records', () => {
          expect(norm(drain(c.make(), chunksOf(c.input)))).toEqual(norm(c.expected));
        });

        test('get equals getOneStart + getOne until empty; snake_case names agree', () => {
          const greedy = c.make().get(chunksOf(c.input));
          const lazy = c.make();
          lazy.getOneStart(chunksOf(c.input));
          const lazyOut: unknown[] = [];
          for (let got = lazy.getOne(); got.length > 0; got = lazy.getOne()) lazyOut.push(...got);
          expect(norm(lazyOut)).toEqual(norm(greedy));
          const snake = c.make() as Filter & { get_one_start(x: readonly unknown[]): void; get_one(): unknown[]; get_pending(): unknown };
          snake.get_one_start(chunksOf(c.input));
          const snakeOut: unknown[] = [];
          for (let got = snake.get_one(); got.length > 0; got = snake.get_one()) snakeOut.push(...got);
          expect(norm(snakeOut)).toEqual(norm(greedy));
          expect(snake.get_pending()).toEqual(lazy.getPending());
        });

        test('clone has empty buffers and the same configuration', () => {
          const original = c.make();
          if (c.partial) original.getOneStart(chunksOf(c.partial.input));
          const copy = original.clone();
          expect(copy).not.toBe(original);
          expect(copy.constructor).toBe(original.constructor);
          expect(copy.getPending()).toEqual(empty);
          expect(norm(drain(copy, chunksOf(c.input)))).toEqual(norm(c.expected));
          if (c.partial) expect(norm(original.getPending() ?? [])).toEqual(norm(c.partial.pending));
        });

        test('put then get round-trips', () => {
          const f = c.make();
          const chunks = f.put(c.roundTrip);
          expect(Array.isArray(chunks)).toBe(true);
          const back = drain(c.make(), concatChunks(chunks));
          expect(norm(back)).toEqual(norm(c.roundTripExpected ?? c.roundTrip));
          // And chunk by chunk, as a socket would deliver put's output.
          const f2 = c.make();
          const piecewise: unknown[] = [];
          for (const chunk of chunks) piecewise.push(...drain(f2, [chunk]));
          expect(norm(piecewise)).toEqual(norm(c.roundTripExpected ?? c.roundTrip));
        });

        test('every chunk size from 1 up gives the same records', () => {
          const whole = norm(drain(c.make(), chunksOf(c.input)));
          const records = Array.isArray(c.input);
          const length = typeof c.input === 'string' ? Buffer.byteLength(c.input, 'latin1') : c.input.length;
          for (let size = 1; size <= Math.max(1, length); size++) {
            const pieces = split(c.input, size);
            // One get() per chunk, as a wheel feeds a filter.
            const f = c.make();
            const out: unknown[] = [];
            for (const p of pieces) out.push(...drain(f, records ? (p as unknown[]) : [p]));
            expect(norm(out), `chunk size ${size}`).toEqual(whole);
            // All chunks in one getOneStart: they are joined before parsing.
            const all = records ? pieces.flat() : pieces;
            expect(norm(drain(c.make(), all)), `joined chunks of ${size}`).toEqual(whole);
          }
        });

        test('getPending: empty, partial (not cleared by asking), empty again', () => {
          const f = c.make();
          expect(f.getPending()).toEqual(empty);
          drain(f, chunksOf(c.input));
          if (c.pendingAfterInput) expect(norm(f.getPending() ?? [])).toEqual(norm(c.pendingAfterInput));
          else expect(f.getPending()).toEqual(empty);
          if (!c.partial) return;
          const g = c.make();
          expect(drain(g, chunksOf(c.partial.input))).toEqual([]);
          const pending = g.getPending() ?? [];
          expect(norm(pending)).toEqual(norm(c.partial.pending));
          expect(norm(g.getPending() ?? [])).toEqual(norm(c.partial.pending));
          // The rest of the record completes it and empties the buffer.
          expect(norm(drain(g, chunksOf(c.partial.rest)))).toEqual(norm(c.partial.records));
          expect(g.getPending()).toEqual(empty);
          // Pending data handed to a fresh filter (as a wheel does when switching filters)
          // parses the same way.
          const h = c.make();
          expect(drain(h, pending)).toEqual([]);
          expect(norm(drain(h, chunksOf(c.partial.rest)))).toEqual(norm(c.partial.records));
        });
      });
    }
  });
}
