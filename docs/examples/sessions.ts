import { Session, poeKernel } from 'poe-ts';

Session.create({
  inlineStates: {
    _start: (ctx) => {
      ctx.kernel.aliasSet('boss'); // a name other sessions can post to
      // A child session: its _start runs now, inside create(), with SENDER the parent.
      Session.create({
        args: ['hello'],
        inlineStates: {
          _start: (c, greeting) => {
            console.log(`child ${c.session.ID}: _start(${String(greeting)}) from ${String(c.sender)}`);
            c.kernel.post('boss', 'report', 'working'); // queued for the boss, by alias
            return 'started';
          },
          _stop: () => 'finished', // nothing left to do: the kernel stops the child
        },
      });
    },
    report: (ctx, what) => console.log(`boss: ${ctx.state}(${String(what)}) from ${String(ctx.sender)}`),
    // The kernel tells a parent about its children: 'create', then 'lose' when one stops.
    _child: (ctx, reason, child, returned) => {
      console.log(`boss: _child(${reason}, ${child.ID}, ${String(returned)})`);
      if (reason === 'lose') ctx.kernel.aliasRemove('boss'); // the boss is done too
    },
  },
});

await poeKernel.run();
