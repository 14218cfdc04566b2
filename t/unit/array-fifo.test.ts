/**
 * ArrayFifo (the moving-head queue of Channel, Resolver and Function) against a plain array:
 * any mix of its operations leaves the same items in the same order, across the compactions.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { ArrayFifo } from '../../src/kernel/array-fifo.js';

type Op = { op: 'push'; n: number } | { op: 'shift'; n: number } | { op: 'insert'; pick: number } | { op: 'removeAt'; pick: number } | { op: 'drain' } | { op: 'clear' };

const ops = fc.array(
  fc.oneof(
    // Runs of pushes and shifts, long enough to pass the compaction threshold (4096 spent slots).
    { arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 1, max: 3000 }) }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('shift' as const), n: fc.integer({ min: 1, max: 3000 }) }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('insert' as const), pick: fc.nat() }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('removeAt' as const), pick: fc.nat() }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('drain' as const) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('clear' as const) }), weight: 1 },
  ),
  { maxLength: 40 },
);

test('push, shift, insert, removeAt, drain and clear keep the order of a plain array', () => {
  fc.assert(
    fc.property(ops, (list: Op[]) => {
      const fifo = new ArrayFifo<number>();
      let model: number[] = [];
      let next = 0;
      for (const o of list) {
        if (o.op === 'push') {
          for (let i = 0; i < o.n; i++) {
            fifo.push(next);
            model.push(next++);
          }
        } else if (o.op === 'shift') {
          const got: (number | undefined)[] = [];
          for (let i = 0; i < o.n; i++) got.push(fifo.shift());
          expect(got).toEqual(Array.from({ length: o.n }, () => model.shift()));
        } else if (o.op === 'insert') {
          const at = o.pick % (model.length + 1);
          fifo.insert(at, next);
          model.splice(at, 0, next++);
        } else if (o.op === 'removeAt') {
          if (model.length === 0) continue;
          const at = o.pick % model.length;
          fifo.removeAt(at);
          model.splice(at, 1);
        } else if (o.op === 'drain') {
          expect(fifo.drain()).toEqual(model);
          model = [];
        } else {
          fifo.clear();
          model = [];
        }
        expect(fifo.length).toBe(model.length);
        expect(fifo.at(0)).toBe(model[0]);
        expect(fifo.at(model.length - 1)).toBe(model[model.length - 1]);
      }
      expect(fifo.drain()).toEqual(model);
    }),
    { numRuns: 300 },
  );
});
