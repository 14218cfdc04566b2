import { NFA, poeKernel } from 'poe-ts';

/** The machine map: state -> (event -> handler signature, without the context). */
interface Light {
  red: { enter: (round: number) => void; tick: () => void };
  green: { enter: () => void; tick: () => void };
  yellow: { enter: () => void; tick: () => void };
}

NFA.spawn<Light, { round: number }>({
  runstate: { round: 0 },
  inlineStates: {
    red: {
      enter: (ctx, round) => {
        ctx.runstate.round = round;
        console.log(`round ${round}: ${ctx.state}`);
        ctx.kernel.delay('tick', 0.03); // the same event...
      },
      tick: (ctx) => {
        // ...handled by whichever state the machine is in when it arrives
        if (ctx.runstate.round < 2) ctx.machine.gotoState('green', 'enter');
        else ctx.machine.stop();
      },
    },
    green: {
      enter: (ctx) => void (console.log(ctx.state), ctx.kernel.delay('tick', 0.02)),
      tick: (ctx) => void ctx.machine.gotoState('yellow', 'enter'), // gotoState('blue') would not compile
    },
    yellow: {
      enter: (ctx) => void (console.log(ctx.state), ctx.kernel.delay('tick', 0.01)),
      tick: (ctx) => void ctx.machine.gotoState('red', 'enter', ctx.runstate.round + 1),
    },
  },
}).gotoState('red', 'enter', 1);

await poeKernel.run();
console.log('stopped');
