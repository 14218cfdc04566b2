import { Kernel, ManualClock, Session } from 'poe-ts';

// A kernel of its own, on a clock that jumps to the next timer instead of waiting for it:
// how a test runs a program with timers instantly and exactly.
const kernel = new Kernel({ clock: new ManualClock({ autoAdvance: true }) });

Session.create({
  kernel,
  inlineStates: {
    _start: (ctx) => void ctx.kernel.delay('later', 3600), // in an hour
    later: (ctx) => console.log(`later ran at ${ctx.kernel.clock.now()} s`),
  },
});

await kernel.run(); // resolves at once
console.log(`sessions left: ${kernel.sessionCount}, leaks: ${kernel.leaks().length}`);
