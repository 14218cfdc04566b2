import { Session, poeKernel } from 'poe-ts';

/** The event map: event name -> handler signature, without the context. */
interface Counter {
  _start: (limit: number) => void;
  tick: (n: number) => void;
  total: () => number;
}

Session.create<Counter, { limit: number; seen: number[] }>({
  heap: () => ({ limit: 0, seen: [] }),
  args: [3], // must fit _start: args: ['3'] would not compile
  inlineStates: {
    _start: (ctx, limit) => {
      ctx.heap.limit = limit; // limit is a number
      ctx.kernel.yield('tick', 1); // yield('tock') or yield('tick', '1') would not compile
    },
    tick: (ctx, n) => {
      ctx.heap.seen.push(n);
      if (n < ctx.heap.limit) return void ctx.kernel.delay('tick', 0.1, n + 1);
      const total = ctx.kernel.call(ctx.session, 'total'); // number | undefined
      console.log(`seen ${ctx.heap.seen.join(', ')}: ${total ?? 'no'} ticks`);
    },
    total: (ctx) => ctx.heap.seen.length, // must return a number
  },
});

await poeKernel.run();
