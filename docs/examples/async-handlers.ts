import { setTimeout as sleep } from 'node:timers/promises';
import { Session, poeKernel } from 'poe-ts';

Session.create({
  inlineStates: {
    _start: async (ctx) => {
      ctx.kernel.yield('meanwhile');
      await sleep(50); // the kernel does not wait: other events run meanwhile
      // After an await, kernel calls still act for this session.
      ctx.kernel.yield('report', 'yielded after the await');
      // call() of an async handler returns its promise; its caller owns a rejection.
      const size = await ctx.kernel.call(ctx.session, 'measure', 'poe-ts');
      console.log(`measure returned ${String(size)}`);
    },
    meanwhile: () => console.log('meanwhile: handled while _start waited'),
    report: (_ctx, text) => console.log(`report: ${String(text)}`),
    measure: async (_ctx, text) => {
      await sleep(10);
      return String(text).length;
    },
  },
});

await poeKernel.run();
