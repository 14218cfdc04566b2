import { Session, poeKernel } from 'poe-ts';

// A session: a set of named events and the handlers that handle them.
Session.create({
  inlineStates: {
    // The kernel calls _start as soon as the session exists.
    _start: (ctx) => {
      console.log(`session ${ctx.session.ID} started`);
      ctx.kernel.yield('tick', 1); // queue event `tick` for this session, with ARG0 = 1
    },
    tick: (ctx, n) => {
      console.log(`tick ${String(n)}`);
      // A timer: `tick` again in a tenth of a second. A pending timer keeps the session alive.
      if (Number(n) < 3) ctx.kernel.delay('tick', 0.1, Number(n) + 1);
    },
    // Nothing queued, no timer left: the kernel stops the session.
    _stop: () => console.log('session stopped'),
  },
});

// run() dispatches events until no session is left, then resolves.
await poeKernel.run();
console.log('done');
