/**
 * The kernel's timer heap against a sorted list: any mix of push, pop, remove and re-prioritize
 * gives the same (prio, seq) order, and every item knows its index (remove and update need it).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { ItemKind, QueueItem, TimerHeap, itemBefore } from '../../src/kernel/queue.js';

type Op = { op: 'push'; prio: number } | { op: 'pop' } | { op: 'remove'; pick: number } | { op: 'update'; pick: number; prio: number };

const prio = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 1000, noNaN: true }));
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('push' as const), prio }),
    fc.record({ op: fc.constant('pop' as const) }),
    fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('update' as const), pick: fc.nat(), prio }),
  ),
  { maxLength: 400 },
);

test('push, pop, remove and update keep (prio, seq) order and each item its index', () => {
  fc.assert(
    fc.property(ops, (list: Op[]) => {
      const heap = new TimerHeap<string>();
      let model: QueueItem<string>[] = [];
      let seq = 0;
      const sort = () => model.sort((a, b) => (itemBefore(a, b) ? -1 : 1));
      for (const o of list) {
        if (o.op === 'push') {
          const item = new QueueItem<string>(o.prio, ++seq, ItemKind.Timer, 'dest', 'src', 'ev', [], undefined, undefined, undefined);
          heap.push(item);
          model.push(item);
        } else if (o.op === 'pop') {
          sort();
          expect(heap.pop()).toBe(model.shift());
        } else if (model.length > 0) {
          const item = model[o.pick % model.length]!;
          if (o.op === 'remove') {
            expect(heap.remove(item)).toBe(true);
            expect(heap.remove(item)).toBe(false);
            model = model.filter((m) => m !== item);
            expect(item.heapIndex).toBe(-1);
          } else {
            item.prio = o.prio;
            heap.update(item);
          }
        }
        expect(heap.size).toBe(model.length);
        heap.items.forEach((item, i) => expect(item.heapIndex).toBe(i));
        sort();
        expect(heap.peek()).toBe(model[0]);
      }
      const drained: QueueItem<string>[] = [];
      for (let item = heap.pop(); item !== undefined; item = heap.pop()) drained.push(item);
      expect(drained).toEqual(sort());
    }),
    { numRuns: 300 },
  );
});
